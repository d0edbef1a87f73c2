"""An agent's state directory (worker or verifier): one JSON state file, written atomically,
and a lock so that one agent at a time runs on it. The state is a cache of the chain plus the
agent's own bookkeeping; the chain wins every disagreement.

    <state dir>/state.json    the state
    <state dir>/agent.lock    held while an agent runs on it (released on exit, even kill -9)
"""

from __future__ import annotations

import fcntl
import json
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from tribunal.checkpoints import atomic_write


class StateError(RuntimeError):
    """The state directory belongs to another chain, market or key, or another agent holds it."""


class AgentState(Protocol):
    chain_id: int
    market: str

    def to_json(self) -> dict[str, Any]: ...


S = TypeVar("S", bound=AgentState)


class AgentStateDir(Generic[S]):
    """Subclasses name the role, the state class and the state's owner field."""

    ROLE = "agent"
    OWNER_FIELD = "operator"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / "state.json"
        self._lock_handle: Any = None

    def _from_json(self, data: dict[str, Any]) -> S:
        raise NotImplementedError

    def _new(self, chain_id: int, market: str, owner: str, cursor: int) -> S:
        raise NotImplementedError

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> S:
        try:
            return self._from_json(json.loads(self.path.read_text()))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise StateError(f"{self.path} is unreadable ({exc}): move it away; the {self.ROLE} "
                             "rebuilds its state from the chain") from exc

    def load_or_create(self, chain_id: int, market: str, owner: str, start_block: int) -> S:
        if not self.exists():
            return self._new(chain_id, market, owner, start_block - 1)
        state = self.read()
        mine = (chain_id, market.lower(), owner.lower())
        theirs = (state.chain_id, state.market.lower(), str(getattr(state, self.OWNER_FIELD)).lower())
        if mine != theirs:
            raise StateError(
                f"state dir {self.root} is for chain {theirs[0]}, market {theirs[1]}, "
                f"{self.OWNER_FIELD} {theirs[2]}; this {self.ROLE} is chain {mine[0]}, market "
                f"{mine[1]}, {self.OWNER_FIELD} {mine[2]}: use another --state-dir "
                "(one per key and deployment)"
            )
        return state

    def save(self, state: S) -> None:
        atomic_write(self.path, json.dumps(state.to_json(), indent=1, sort_keys=True).encode())

    def lock(self) -> None:
        """Hold the directory for this process (released when it exits, even on kill -9)."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / "agent.lock", "a+")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise StateError(f"another {self.ROLE} is running on {self.root}: stop it or use "
                             "another --state-dir") from exc
        self._lock_handle = handle

    def unlock(self) -> None:
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None
