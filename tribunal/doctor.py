"""`doctor` checks shared by the worker and the verifier: each says exactly what is wrong."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tribunal.chain.client import connect
from tribunal.chain.deployment import load_deployment
from tribunal.chain.keys import load_signer
from tribunal.chain.session import format_eth


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def run_checks(
    rpc_url: str,
    deployment_file: Path | None,
    keystore: Path | None,
    min_stake_wei: int = 0,
) -> list[Check]:
    """RPC reachable, chain id, contracts deployed where the file says, key, balance, stake, torch."""
    checks: list[Check] = []

    def attempt(name: str, fn: Callable[[], str]) -> bool:
        try:
            checks.append(Check(name, True, fn()))
            return True
        except Exception as exc:  # noqa: BLE001 - every failure becomes a reported check
            checks.append(Check(name, False, str(exc)))
            return False

    w3 = connect(rpc_url, timeout_s=5)
    if not attempt("rpc", lambda: f"{rpc_url} answers, block {w3.eth.block_number}"):
        checks[-1] = Check("rpc", False, f"{rpc_url} does not answer: start the node or pass --rpc-url")
        return checks
    chain_id = w3.eth.chain_id
    checks.append(Check("chain id", True, str(chain_id)))
    found: dict[str, object] = {}

    def deployment_check() -> str:
        found["deployment"] = dep = load_deployment(deployment_file, chain_id=chain_id)
        for name in ("stake_manager", "task_market"):
            address = getattr(dep, name)
            if len(w3.eth.get_code(address)) == 0:
                raise ValueError(
                    f"no contract at {name} {address}: the deployment file is stale; redeploy "
                    "(`tribunal deploy`) or point TRIBUNAL_DEPLOYMENT at the right file"
                )
        return f"StakeManager {dep.stake_manager}, TaskMarket {dep.task_market}"

    attempt("contracts", deployment_check)

    def key_check() -> str:
        found["signer"] = signer = load_signer(keystore)
        return signer.address

    if attempt("key", key_check):
        signer = found["signer"]
        balance = w3.eth.get_balance(signer.address)  # type: ignore[attr-defined]

        def balance_check() -> str:
            if balance == 0:
                raise ValueError(f"{signer.address} has no ETH to pay gas: fund it")  # type: ignore[attr-defined]
            return format_eth(balance)

        attempt("balance", balance_check)
        if "deployment" in found:
            from tribunal.chain.client import ChainClient
            from tribunal.chain.contracts import StakeManager

            dep = found["deployment"]
            sm = StakeManager(ChainClient(w3, None), dep.stake_manager)  # type: ignore[attr-defined]

            def stake_check() -> str:
                info = sm.info(signer.address)  # type: ignore[attr-defined]
                text = f"bonded {format_eth(info.bonded)}, locked {format_eth(info.locked)}"
                if info.bonded < min_stake_wei:
                    raise ValueError(f"{text}: below {format_eth(min_stake_wei)}; stake with --stake")
                return text

            attempt("stake", stake_check)

    def torch_check() -> str:
        from tribunal.device import pick_device

        return str(pick_device())

    attempt("torch device", torch_check)
    return checks
