"""Training progress reports: what the operator signs and the backend verifies.

Every signed report (progress here, evaluations in `tribunal.evaluation`) is an EIP-191 personal
message of labelled lines, made with `sign_text` and checked with `recover_text_signer`.

A report is bound to the chain, the market and the task, so it cannot be replayed elsewhere; the
backend also refuses a step it already has and a timestamp far from its own clock. Floats are
written with Python's `repr` (shortest round-trip form), which JSON transports unchanged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from eth_account import Account
from eth_account.messages import encode_defunct


class BadSignature(ValueError):
    """The signature is malformed or was not made over this report."""


@dataclass(frozen=True)
class ProgressReport:
    task_id: int
    step: int
    loss: float
    steps_per_s: float
    timestamp: int

    def message(self, chain_id: int, market: str) -> str:
        return (
            "Tribunal training progress\n"
            f"chain: {chain_id}\n"
            f"market: {market.lower()}\n"
            f"task: {self.task_id}\n"
            f"step: {self.step}\n"
            f"loss: {self.loss!r}\n"
            f"steps/s: {self.steps_per_s!r}\n"
            f"time: {self.timestamp}"
        )


def sign_text(text: str, private_key: str | bytes) -> str:
    """The EIP-191 personal-message signature of ``text`` as 0x-hex."""
    signed = Account.sign_message(encode_defunct(text=text), private_key)
    signature: bytes = signed.signature
    return "0x" + signature.hex().removeprefix("0x")


def recover_text_signer(text: str, signature: str) -> str:
    """The lowercase address that signed ``text`` (`BadSignature` if none can be recovered)."""
    try:
        signer = Account.recover_message(encode_defunct(text=text), signature=bytes.fromhex(signature[2:]))
    except Exception as exc:  # noqa: BLE001 - eth-keys raises several kinds for a bad signature
        raise BadSignature(f"cannot recover a signer from the signature: {exc}") from exc
    return str(signer).lower()


def sign_progress(report: ProgressReport, private_key: str | bytes, chain_id: int, market: str) -> str:
    """The operator's signature (EIP-191 personal message) as 0x-hex."""
    return sign_text(report.message(chain_id, market), private_key)


def recover_signer(report: ProgressReport, signature: str, chain_id: int, market: str) -> str:
    """The lowercase address that signed the report."""
    return recover_text_signer(report.message(chain_id, market), signature)


def progress_payload(report: ProgressReport, operator: str, signature: str) -> dict[str, object]:
    """The JSON body of `POST /api/tasks/{id}/progress`."""
    return {
        "operator": operator.lower(),
        "step": report.step,
        "loss": report.loss,
        "steps_per_s": report.steps_per_s,
        "timestamp": report.timestamp,
        "signature": signature,
    }


def now_report(task_id: int, step: int, loss: float, steps_per_s: float) -> ProgressReport:
    return ProgressReport(task_id, step, float(loss), float(steps_per_s), int(time.time()))
