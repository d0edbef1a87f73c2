"""The verifier's state directory: its block cursor, what it checked, the games it plays or watches.

A cache of the chain plus the verifier's own verdicts; every write is atomic, and the chain wins
every disagreement (a lost state directory is rebuilt by re-reading events from the deployment
block and re-checking the results still in their challenge window).

    <state dir>/state.json    this file's data
    <state dir>/agent.lock    held while a verifier runs on it
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from tribunal.agents.state import AgentState, AgentStateDir, GameRecord, StateError

__all__ = ["CatchRecord", "CheckRecord", "GameRecord", "StateDir", "StateError", "VerifierState"]


@dataclass
class CheckRecord:
    """One submitted result (task + trace root) and what we made of it."""

    task_id: int
    trace_root: str
    operator: str
    status: str = "pending"
    """pending (to check), done, or skipped (the chain moved on, or the spec is unusable)."""
    mode: str = ""
    """The mode to check in (a dispute by someone else asks for a full replay)."""
    verdict: str = ""
    full_replay: bool = False
    first_bad_step: int | None = None
    result: dict[str, Any] = field(default_factory=dict)
    game_id: int | None = None
    """Our game on this result, once opened."""
    evaluation: str = ""
    """Our recomputed test evaluation against the operator's published one (agrees, disagrees: …,
    none published); reported to the backend, never disputed."""
    note: str = ""


CATCH_OPEN = ("sealing", "sealed", "watching", "catching", "caught")
"""`CatchRecord.status` values that still wait on the chain (the others are final)."""

CATCH_WORDS = {
    "sealing": "sealing",
    "sealed": "sealed",
    "watching": "wrong, not in committee (not sealed)",
    "catching": "caught forced error (revealing our catch)",
    "caught": "caught forced error",
    "claimed": "jackpot claimed",
    "not_forced": "sealed; not a forced error (games)",
    "unrevealed": "sealed; draw never revealed (games)",
    "missed": "missed",
    "not_in_committee": "forced error, not in committee",
    "unpaid": "caught forced error; pot not paid",
}
"""What `verifier status` says for each `CatchRecord.status`."""


@dataclass
class CatchRecord:
    """A sealed catch of a result that may be a forced error (docs/forced-errors.md): our own h_e
    at the end ``step`` of the first wrong interval, sealed with ``salt``. Written (and saved)
    before the seal is sent, so a crash between the two loses nothing: the seal is re-read from the
    chain and sent again while the seal phase lasts.

    Only the result's committee (members of the bonded verifier registry drawn when it was
    submitted) may catch it: a wrong result whose committee we are not in is recorded all the same
    (``watching``, no salt and no seal) and followed to its draw's reveal like a sealed one, so that
    it is challenged once games open if it is a real cheat."""

    task_id: int
    trace_root: str
    """The result the catch is about (as submitted: a forced error replaces it when revealed)."""
    submitted_at: int
    """When that result was submitted: the seal phase is ``(submitted_at, seal_ends_at]``."""
    seal_ends_at: int
    step: int
    state: str
    """Our h_step (0x hex)."""
    salt: str
    seal_hash: str
    status: str = "sealing"
    """sealing (saved, the seal not yet mined), sealed, watching (wrong, but we are not in the
    result's committee: nothing sealed), catching (the operator revealed a forced error whose honest
    h_L is our state: reveal our catch), caught, claimed (our share, POT / COMMITTEE_SIZE,
    credited), not_forced (the draw was revealed not forced: games as before), unrevealed (nothing
    revealed in the reveal phase: games as before), not_in_committee (a forced error we found but
    could not catch), missed (no valid catch: sealed too late, another honest leaf, the catch
    window passed) or unpaid (the honest root did not stand)."""
    share: int = 0
    """Wei of jackpot credited to us (``claimed``)."""
    withdrawn: bool = False
    note: str = ""

    @property
    def open(self) -> bool:
        return self.status in CATCH_OPEN or (self.status == "claimed" and not self.withdrawn)

    def describe(self) -> str:
        return CATCH_WORDS.get(self.status, self.status)


@dataclass
class VerifierState(AgentState):
    OWNER_KEY: ClassVar[str] = "verifier"

    spec_uris: dict[int, str] = field(default_factory=dict)
    checks: dict[int, CheckRecord] = field(default_factory=dict)
    catches: dict[int, CatchRecord] = field(default_factory=dict)
    """Sealed forced-error catches by task (the latest result of each task we sealed)."""

    def _role_json(self) -> dict[str, Any]:
        return {
            "spec_uris": {str(k): v for k, v in sorted(self.spec_uris.items())},
            "checks": {str(k): asdict(v) for k, v in sorted(self.checks.items())},
            "catches": {str(k): {**asdict(v), "share": str(v.share)}
                        for k, v in sorted(self.catches.items())},
        }

    @classmethod
    def _role_fields(cls, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "spec_uris": {int(k): str(v) for k, v in data.get("spec_uris", {}).items()},
            "checks": {int(k): CheckRecord(**v) for k, v in data.get("checks", {}).items()},
            "catches": {int(k): CatchRecord(**{**v, "share": int(v.get("share", 0))})
                        for k, v in data.get("catches", {}).items()},
        }


class StateDir(AgentStateDir[VerifierState]):
    """The verifier's state directory; ``load_or_create`` checks it belongs to this chain, market and key."""

    ROLE = "verifier"
    STATE = VerifierState
