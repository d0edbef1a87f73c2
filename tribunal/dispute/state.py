"""The game's on-chain state as Python sees it (mirrors DisputeTypes.sol; its enums are
`tribunal.protocol_enums`')."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from tribunal.chain.artifacts import load_artifact
from tribunal.protocol_enums import CollateralKind, GameStatus, Level, Party, Resolution

DESCENT_LEVELS = (Level.STEPS, Level.SEGMENT_STEPS, Level.NODES, Level.ELEMENT, Level.INSTRUCTION)
PROOF_LEVELS = (Level.STEP_START, Level.NODE_START, Level.ONE_STEP)


@dataclass(frozen=True)
class GameView:
    """`DisputeGame.gameState(gameId)`, field for field (snake_case)."""

    task_id: int
    operator: str
    challenger: str
    status: GameStatus
    collateral: CollateralKind
    """What backs the game: the task's stake, stake locked for this game, or nothing (queued, or
    withdrawn; a resolved game keeps the kind it ran with)."""
    resolution: Resolution
    level: Level
    on_turn: Party
    challenger_revealed: bool
    position: int
    height: int
    leaf_count: int
    root_operator: bytes
    root_challenger: bytes
    challenger_left: bytes
    challenger_right: bytes
    used_challenger: int
    used_operator: int
    turn_started_at: int
    deadline: int
    trace_root_operator: bytes
    trace_root_challenger: bytes
    step: int
    state_root: bytes
    next_state_operator: bytes
    next_state_challenger: bytes
    nodes_root: bytes
    num_nodes: int
    num_slots: int
    node: int
    output_operator: bytes
    output_challenger: bytes
    descriptor_hash: bytes
    shape_word: bytes
    numel: int
    element: int
    value_operator: int
    value_challenger: int
    program_length: int
    intermediates_operator: bytes
    intermediates_challenger: bytes
    instruction: int
    claim_operator: int
    claim_challenger: int
    instruction_leaf: bytes
    segment_start: int
    """The committed step a where the interval opened by the game starts (0 when none is open)."""
    segment_leaves: int
    """L: the interval's states h_a .. h_{a+L-1} (0 when the game went straight to a step)."""
    segment_root_operator: bytes
    segment_root_challenger: bytes

    @property
    def segment_end(self) -> int:
        """The last step of the open interval (its committed end)."""
        return self.segment_start + self.segment_leaves - 1

    @classmethod
    def from_tuple(cls, raw: Sequence[Any] | Mapping[str, Any]) -> GameView:
        """From `DisputeGame.gameState`'s tuple (its fields named by the compiled ABI, in the ABI's
        order) or a mapping of the struct's field names; every field must be there."""
        named = dict(raw) if isinstance(raw, Mapping) else dict(zip(abi_fields(), raw, strict=True))
        values = {_snake(name): value for name, value in named.items()}
        names = [f.name for f in fields(cls)]
        if set(values) != set(names):
            raise ValueError(f"GameView fields {sorted(set(values) ^ set(names))} differ from the ABI's: "
                             "rebuild the contracts (`make build`) or update tribunal/dispute/state.py")
        kinds = {"status": GameStatus, "collateral": CollateralKind, "resolution": Resolution,
                 "level": Level, "on_turn": Party}
        for name, kind in kinds.items():
            values[name] = kind(values[name])
        for name, value in values.items():
            if isinstance(value, bytes | bytearray):
                values[name] = bytes(value)
        return cls(**values)

    @property
    def active(self) -> bool:
        """Moves are being made (clocks run)."""
        return self.status is GameStatus.ACTIVE

    @property
    def queued(self) -> bool:
        """Waiting for the operator's collateral: no clock runs, no move is accepted."""
        return self.status is GameStatus.QUEUED

    @property
    def closed(self) -> bool:
        """Resolved or withdrawn: nothing changes the game any more."""
        return self.status.closed

    def root_of(self, party: Party) -> bytes:
        return self.root_operator if party is Party.OPERATOR else self.root_challenger


def _snake(name: str) -> str:
    """``usedChallenger`` → ``used_challenger``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@cache
def abi_fields() -> tuple[str, ...]:
    """The names of `GameView`'s fields in the compiled `DisputeGame.gameState`, in order."""
    for entry in load_artifact("DisputeGame").abi:
        if entry.get("type") == "function" and entry.get("name") == "gameState":
            return tuple(str(c["name"]) for c in entry["outputs"][0]["components"])
    raise ValueError("the compiled DisputeGame has no gameState: rebuild the contracts (`make build`)")
