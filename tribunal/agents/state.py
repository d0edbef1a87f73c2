"""An agent's state directory: one JSON state file, written atomically, and a lock so that one
agent at a time runs on it. The state is a cache of the chain plus the agent's own bookkeeping;
the chain wins every disagreement.

    <state dir>/state.json    the state
    <state dir>/agent.lock    held while an agent runs on it (released on exit, even kill -9)

Every role's state starts with the same fields (`AgentState`: whose state, which deployment,
the block cursor, the dispute games, what was withdrawn) and adds its own. Version 1 files (each
role had its own game record) are read and rewritten as version 2.
"""

from __future__ import annotations

import fcntl
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Self, TypeVar

from tribunal.checkpoints import atomic_write
from tribunal.protocol_enums import GameStatus, Resolution

STATE_VERSION = 2
READABLE_VERSIONS = (1, 2)


class StateError(RuntimeError):
    """The state directory belongs to another chain, market or key, or another agent holds it."""


WITHDRAWN_OUTCOMES = ("withdrawn", "moot")
"""`GameRecord.outcome` of a game closed while queued (its status on-chain is `GameStatus.WITHDRAWN`)."""


def default_state_dir(role: str, chain_id: int, address: str) -> Path:
    """``~/.tribunal/<role>/<chain id>-<address>``: one directory per role, key and chain."""
    return Path.home() / ".tribunal" / role / f"{chain_id}-{address.lower()}"


@dataclass
class GameRecord:
    """A dispute game the agent plays in or watches, in the chain's words."""

    game_id: int
    task_id: int
    challenger: str
    """The challenger's address ("" in a version 1 operator state, which did not keep it)."""
    party: str = ""
    """The side we play ("operator" or "challenger"); "" for a game we only watch."""
    outcome: str = ""
    """"" while the game is open (active, or queued for the operator's collateral); then the winner
    as the chain's `GameStatus` names it, "operator_won" or "challenger_won"; or, for a game closed
    while queued (nobody won, the bond went back), "withdrawn" (by its challenger) or "moot" (by the
    chain: the result was voided and nothing could back the game any more)."""
    resolution: str = ""
    """How it ended, the chain's `Resolution` name ("one_step", "timeout", …); "" if unknown or
    withdrawn."""

    @property
    def ours(self) -> bool:
        return bool(self.party)

    @property
    def withdrawn(self) -> bool:
        """Closed while queued: nobody won, the challenger's bond was returned."""
        return self.outcome in WITHDRAWN_OUTCOMES

    @property
    def won(self) -> bool | None:
        """Whether our side won; None while the game is open, if it was withdrawn, or if it is not ours."""
        if not (self.outcome and self.party) or self.withdrawn:
            return None
        return self.outcome == f"{self.party}_won"

    def resolve(self, status: GameStatus, resolution: Resolution) -> None:
        """A resolved game: its winner and how (a withdrawn one: see `withdraw`)."""
        if status is GameStatus.WITHDRAWN:
            self.withdraw(moot=self.outcome == "moot")
            return
        self.outcome, self.resolution = status.name.lower(), resolution.name.lower()

    def withdraw(self, moot: bool) -> None:
        """A game closed while queued: "moot" (by the chain) or "withdrawn" (by its challenger)."""
        self.outcome, self.resolution = ("moot" if moot else "withdrawn"), ""

    def describe_outcome(self) -> str:
        """"challenger_won (one_step)"; "" while active."""
        return f"{self.outcome} ({self.resolution})" if self.resolution else self.outcome

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GameRecord:
        data = dict(data)
        if "ours" in data:  # version 1 verifier: {challenger, ours, outcome: "operator_won (timeout)"}
            data["party"] = "challenger" if data.pop("ours") else ""
            data["outcome"], _, resolution = str(data.get("outcome", "")).partition(" (")
            data["resolution"] = resolution.rstrip(")")
        elif "challenger" not in data:  # version 1 operator: {party, outcome: "won" | "lost"}
            data["challenger"] = ""
            party, other = str(data["party"]), "challenger" if data["party"] == "operator" else "operator"
            data["outcome"] = {"won": f"{party}_won", "lost": f"{other}_won"}.get(data.get("outcome", ""), "")
        return cls(**data)


@dataclass
class AgentState:
    """The fields every role's state has; ``OWNER_KEY`` names the owner in the file."""

    OWNER_KEY: ClassVar[str] = "owner"

    chain_id: int
    market: str
    owner: str
    cursor: int
    """The last block whose events were handled."""
    games: dict[int, GameRecord] = field(default_factory=dict)
    withdrawn: int = 0
    """Wei of credit withdrawn to the owner's balance."""

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "chain_id": self.chain_id,
            "market": self.market,
            self.OWNER_KEY: self.owner,
            "cursor": self.cursor,
            "games": {str(k): asdict(v) for k, v in sorted(self.games.items())},
            "withdrawn": str(self.withdrawn),
            **self._role_json(),
        }

    def _role_json(self) -> dict[str, Any]:
        """The role's own fields, as JSON."""
        return {}

    @classmethod
    def _role_fields(cls, data: dict[str, Any]) -> dict[str, Any]:
        """The role's own fields, from JSON."""
        return {}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        if data.get("version") not in READABLE_VERSIONS:
            raise StateError(f"state file version {data.get('version')} is not one of {READABLE_VERSIONS}: "
                             "this agent is older than the file; upgrade it")
        return cls(
            chain_id=int(data["chain_id"]),
            market=str(data["market"]),
            owner=str(data[cls.OWNER_KEY]),
            cursor=int(data["cursor"]),
            games={int(k): GameRecord.from_json(v) for k, v in data.get("games", {}).items()},
            withdrawn=int(data.get("withdrawn", 0)),
            **cls._role_fields(data),
        )


S = TypeVar("S", bound=AgentState)


class AgentStateDir(Generic[S]):
    """Subclasses name the role (for messages) and the state class."""

    ROLE = "agent"
    STATE: type[S]

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / "state.json"
        self._lock_handle: Any = None

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> S:
        try:
            return self.STATE.from_json(json.loads(self.path.read_text()))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise StateError(f"{self.path} is unreadable ({exc}): move it away; the {self.ROLE} "
                             "rebuilds its state from the chain") from exc

    def load_or_create(self, chain_id: int, market: str, owner: str, start_block: int) -> S:
        if not self.exists():
            return self.STATE(chain_id, market, owner, start_block - 1)
        state = self.read()
        mine = (chain_id, market.lower(), owner.lower())
        theirs = (state.chain_id, state.market.lower(), state.owner.lower())
        if mine != theirs:
            who = self.STATE.OWNER_KEY
            raise StateError(
                f"state dir {self.root} is for chain {theirs[0]}, market {theirs[1]}, {who} {theirs[2]}; "
                f"this {self.ROLE} is chain {mine[0]}, market {mine[1]}, {who} {mine[2]}: use another "
                "--state-dir (one per key and deployment)"
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
