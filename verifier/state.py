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

__all__ = ["CheckRecord", "GameRecord", "StateDir", "StateError", "VerifierState"]


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


@dataclass
class VerifierState(AgentState):
    OWNER_KEY: ClassVar[str] = "verifier"

    spec_uris: dict[int, str] = field(default_factory=dict)
    checks: dict[int, CheckRecord] = field(default_factory=dict)

    def _role_json(self) -> dict[str, Any]:
        return {
            "spec_uris": {str(k): v for k, v in sorted(self.spec_uris.items())},
            "checks": {str(k): asdict(v) for k, v in sorted(self.checks.items())},
        }

    @classmethod
    def _role_fields(cls, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "spec_uris": {int(k): str(v) for k, v in data.get("spec_uris", {}).items()},
            "checks": {int(k): CheckRecord(**v) for k, v in data.get("checks", {}).items()},
        }


class StateDir(AgentStateDir[VerifierState]):
    """The verifier's state directory; ``load_or_create`` checks it belongs to this chain, market and key."""

    ROLE = "verifier"
    STATE = VerifierState
