"""The verifier's state directory: its block cursor, what it checked, the games it plays or watches.

A cache of the chain plus the verifier's own verdicts; every write is atomic, and the chain wins
every disagreement (a lost state directory is rebuilt by re-reading events from the deployment
block and re-checking the results still in their challenge window).

    <state dir>/state.json    this file's data
    <state dir>/agent.lock    held while a verifier runs on it
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tribunal.agent_state import AgentStateDir, StateError

STATE_VERSION = 1




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
    note: str = ""


@dataclass
class GameRecord:
    game_id: int
    task_id: int
    challenger: str
    ours: bool
    outcome: str = ""
    """"" while active; then "operator_won" or "challenger_won" with the resolution."""


@dataclass
class VerifierState:
    chain_id: int
    market: str
    verifier: str
    cursor: int
    spec_uris: dict[int, str] = field(default_factory=dict)
    checks: dict[int, CheckRecord] = field(default_factory=dict)
    games: dict[int, GameRecord] = field(default_factory=dict)
    withdrawn: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "chain_id": self.chain_id,
            "market": self.market,
            "verifier": self.verifier,
            "cursor": self.cursor,
            "spec_uris": {str(k): v for k, v in sorted(self.spec_uris.items())},
            "checks": {str(k): asdict(v) for k, v in sorted(self.checks.items())},
            "games": {str(k): asdict(v) for k, v in sorted(self.games.items())},
            "withdrawn": str(self.withdrawn),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VerifierState:
        if data.get("version") != STATE_VERSION:
            raise StateError(f"state file version {data.get('version')} is not {STATE_VERSION}")
        return cls(
            chain_id=int(data["chain_id"]),
            market=str(data["market"]),
            verifier=str(data["verifier"]),
            cursor=int(data["cursor"]),
            spec_uris={int(k): str(v) for k, v in data.get("spec_uris", {}).items()},
            checks={int(k): CheckRecord(**v) for k, v in data.get("checks", {}).items()},
            games={int(k): GameRecord(**v) for k, v in data.get("games", {}).items()},
            withdrawn=int(data.get("withdrawn", 0)),
        )


class StateDir(AgentStateDir[VerifierState]):
    """The verifier's state directory; ``load_or_create`` checks it belongs to this chain, market and key."""

    ROLE = "verifier"
    OWNER_FIELD = "verifier"

    def _from_json(self, data: dict[str, Any]) -> VerifierState:
        return VerifierState.from_json(data)

    def _new(self, chain_id: int, market: str, owner: str, cursor: int) -> VerifierState:
        return VerifierState(chain_id, market, owner, cursor=cursor)
