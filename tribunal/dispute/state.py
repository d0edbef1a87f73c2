"""The game's on-chain state as Python sees it (mirrors DisputeTypes.sol; its enums are
`tribunal.protocol_enums`')."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from tribunal.protocol_enums import GameStatus, Level, Party, Resolution

DESCENT_LEVELS = (Level.STEPS, Level.NODES, Level.ELEMENT, Level.INSTRUCTION)
PROOF_LEVELS = (Level.STEP_START, Level.NODE_START, Level.ONE_STEP)


@dataclass(frozen=True)
class GameView:
    """`DisputeGame.gameState(gameId)`, field for field (snake_case)."""

    task_id: int
    operator: str
    challenger: str
    status: GameStatus
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

    @classmethod
    def from_tuple(cls, raw: tuple[Any, ...]) -> GameView:
        values = list(raw)
        names = [f.name for f in fields(cls)]
        kinds = {"status": GameStatus, "resolution": Resolution, "level": Level, "on_turn": Party}
        for index, name in enumerate(names):
            if name in kinds:
                values[index] = kinds[name](values[index])
            elif isinstance(values[index], bytes | bytearray):
                values[index] = bytes(values[index])
        return cls(*values)

    @property
    def active(self) -> bool:
        return self.status is GameStatus.ACTIVE

    def root_of(self, party: Party) -> bytes:
        return self.root_operator if party is Party.OPERATOR else self.root_challenger
