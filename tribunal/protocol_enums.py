"""The protocol's enums, as the contracts number them: the one Python source.

Each mirrors a Solidity enum (`SOLIDITY_SOURCE` says where) member for member, in order, the
Solidity ``CamelCase`` name in ``UPPER_SNAKE`` (`tests/test_protocol_enums.py` compares them).
The dashboard's copy, ``frontend/src/lib/generated/protocolEnums.ts``, is generated from this
module by ``python -m tools.generate.protocol_enums``.
"""

from __future__ import annotations

from enum import IntEnum


class Party(IntEnum):
    CHALLENGER = 0
    OPERATOR = 1


class Level(IntEnum):
    """Where a dispute game stands; the numbering is the order a game passes the levels, except
    SEGMENT and SEGMENT_STEPS (added later), which come between STEPS and STEP_START."""

    NONE = 0
    STEPS = 1
    STEP_START = 2
    NODES = 3
    NODE_START = 4
    OUTPUT_ROOT = 5
    ELEMENT = 6
    INTERMEDIATES = 7
    INSTRUCTION = 8
    ONE_STEP = 9
    AVAILABILITY = 10
    """An availability challenge: the operator must deliver the named chunks on-chain."""
    SEGMENT = 11
    """Reveal round after STEPS found a committed step whose interval holds uncommitted states:
    each party commits its states of the interval (between STEPS and STEP_START)."""
    SEGMENT_STEPS = 12
    """Descent over the interval's states, then STEP_START."""


class GameStatus(IntEnum):
    """A game's status. QUEUED: opened, waiting for the operator's collateral (no clock runs, no
    moves); WITHDRAWN: closed while queued, its bond returned (by its challenger, or as moot once
    the result was voided and the game could no longer be funded)."""

    NONE = 0
    ACTIVE = 1
    OPERATOR_WON = 2
    CHALLENGER_WON = 3
    QUEUED = 4
    WITHDRAWN = 5

    @property
    def resolved(self) -> bool:
        """Someone won the game (it ran to its end)."""
        return self in (GameStatus.OPERATOR_WON, GameStatus.CHALLENGER_WON)

    @property
    def closed(self) -> bool:
        """Nothing changes the game any more: resolved, or withdrawn."""
        return self.resolved or self is GameStatus.WITHDRAWN

    @property
    def pending(self) -> bool:
        """The game is open: active, or queued for the operator's collateral."""
        return self in (GameStatus.ACTIVE, GameStatus.QUEUED)


class CollateralKind(IntEnum):
    """Which of the operator's stake backs a game that runs: none (queued or withdrawn), the task's
    stake (locked by the market at `claim`), or stake the game locked from the operator's free stake."""

    NONE = 0
    TASK_STAKE = 1
    GAME_STAKE = 2


class TaskStakeState(IntEnum):
    """Who has a task's stake as the dispute game sees it: the market (the next game funded takes
    it), a game holding it as its collateral, or nobody (slashed, or released after a void)."""

    AVAILABLE = 0
    HELD = 1
    GONE = 2


class Resolution(IntEnum):
    ONE_STEP = 0
    INITIAL_STATE = 1
    PADDING = 2
    TIMEOUT = 3
    DELIVERED = 4


class TaskStatus(IntEnum):
    NONE = 0
    OPEN = 1
    CLAIMED = 2
    SUBMITTED = 3
    FINALIZED = 4
    CANCELLED = 5
    REFUNDED = 6
    VOIDED = 7


class RootKind(IntEnum):
    """Which commitment of a task was zero (`Errors.ZeroRoot`)."""

    SPEC = 0
    DATASET = 1
    INIT_STATE = 2
    GRAPH = 3
    TRACE = 4
    MODEL = 5
    CHECKPOINTS = 6
    FINAL_STATE = 7


class JobStatus(IntEnum):
    """A DiLoCo job's status (`DilocoJobs.JobStatus`): TRAINING while a round's segments run,
    AVERAGING while its outer step runs, COMPLETED after the last round's outer step, FAILED after
    `abandon`."""

    NONE = 0
    TRAINING = 1
    AVERAGING = 2
    COMPLETED = 3
    FAILED = 4


# The Solidity file (under contracts/src/) that declares each enum, under the same name.
SOLIDITY_SOURCE: dict[type[IntEnum], str] = {
    Party: "DisputeTypes.sol",
    Level: "DisputeTypes.sol",
    GameStatus: "DisputeTypes.sol",
    Resolution: "DisputeTypes.sol",
    CollateralKind: "DisputeTypes.sol",
    TaskStakeState: "DisputeTypes.sol",
    TaskStatus: "Task.sol",
    RootKind: "Task.sol",
    JobStatus: "DilocoJobs.sol",
}


def enum_name(enum: type[IntEnum], value: int) -> str:
    """The member name of ``value`` (``UNKNOWN_<value>`` for a number the enum does not have)."""
    try:
        return enum(value).name
    except ValueError:
        return f"UNKNOWN_{value}"
