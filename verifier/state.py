"""The verifier's state directory: its block cursor, what it checked, the games it plays or watches.

A cache of the chain plus the verifier's own verdicts; every write is atomic, and the chain wins
every disagreement (a lost state directory is rebuilt by re-reading events from the deployment
block and re-checking the results still in their challenge window).

    <state dir>/state.json    this file's data
    <state dir>/agent.lock    held while a verifier runs on it
"""

from __future__ import annotations

import fcntl
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tribunal.checkpoints import _atomic_write as atomic_write

STATE_VERSION = 1


class StateError(RuntimeError):
    """The state directory belongs to another chain, market or key, or another verifier holds it."""


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


class StateDir:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / "state.json"
        self._lock_handle: Any = None

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> VerifierState:
        try:
            return VerifierState.from_json(json.loads(self.path.read_text()))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise StateError(f"{self.path} is unreadable ({exc}): move it away; the verifier rebuilds "
                             "its state from the chain") from exc

    def load_or_create(self, chain_id: int, market: str, verifier: str, start_block: int) -> VerifierState:
        if not self.exists():
            return VerifierState(chain_id, market, verifier, cursor=start_block - 1)
        state = self.read()
        mine = (chain_id, market.lower(), verifier.lower())
        theirs = (state.chain_id, state.market.lower(), state.verifier.lower())
        if mine != theirs:
            raise StateError(
                f"state dir {self.root} is for chain {theirs[0]}, market {theirs[1]}, verifier {theirs[2]}; "
                f"this verifier is chain {mine[0]}, market {mine[1]}, key {mine[2]}: "
                "use another --state-dir (one per key and deployment)"
            )
        return state

    def save(self, state: VerifierState) -> None:
        atomic_write(self.path, json.dumps(state.to_json(), indent=1, sort_keys=True).encode())

    def lock(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / "agent.lock", "a+")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise StateError(f"another verifier is running on {self.root}: stop it or use another "
                             "--state-dir") from exc
        self._lock_handle = handle

    def unlock(self) -> None:
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None
