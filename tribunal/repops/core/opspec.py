"""Op kinds and the spec of one op: its kind and integer parameters."""

from dataclasses import dataclass
from enum import IntEnum

Shape = tuple[int, ...]


class OpKind(IntEnum):
    """An op of the step graph. Numbers are part of the protocol: never renumber."""

    MATMUL = 1
    MATMUL_AT = 2
    MATMUL_BT = 3
    BINARY = 4
    BINARY_CONST = 5
    UNARY = 6
    RELU_GRAD = 7
    REDUCE = 8
    EXP = 9
    LOG = 10
    PICK = 11
    XENT_GRAD = 12
    MSE_LOSS = 13
    MSE_GRAD = 14
    LN_RSTD = 15
    LN_APPLY = 16
    LN_GRAD_STATS = 17
    LN_GRAD_INPUT = 18
    LN_GRAD_GAIN = 19
    SGD = 20
    MOMENTUM = 21
    ADAM_M = 22
    ADAM_V = 23
    ADAM_UPDATE = 24
    COPY = 25
    EMBEDDING = 26
    EMBEDDING_GRAD = 27
    CAUSAL_MASK = 28
    BATCH_GATHER = 29
    GATHER_SUM = 30


class Broadcast(IntEnum):
    """How BINARY's second input maps onto the first's elements."""

    SAME = 0
    COLUMN = 1
    ROW = 2
    SCALAR = 3


PARAM_NAMES: dict[OpKind, tuple[str, ...]] = {
    OpKind.BINARY: ("opcode", "broadcast"),
    OpKind.BINARY_CONST: ("opcode", "const", "const_first"),
    OpKind.UNARY: ("opcode",),
    OpKind.REDUCE: ("opcode", "start", "stop", "mean"),
    OpKind.LN_RSTD: ("eps",),
    OpKind.LN_GRAD_STATS: ("moment",),
    OpKind.EMBEDDING_GRAD: ("vocab",),
    OpKind.SGD: ("lr",),
    OpKind.MOMENTUM: ("mu",),
    OpKind.ADAM_M: ("keep", "new"),
    OpKind.ADAM_V: ("keep", "new"),
    OpKind.ADAM_UPDATE: ("lr", "eps"),
    OpKind.CAUSAL_MASK: ("fill",),
}
"""Named parameters of the kinds with a fixed parameter list (COPY, GATHER_SUM
and BATCH_GATHER have variable-length ones, read by their op definitions)."""


@dataclass(frozen=True, slots=True)
class OpSpec:
    """One op: its kind and integer parameters (float parameters as float32 bits)."""

    kind: OpKind
    params: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        names = PARAM_NAMES.get(self.kind)
        if names is not None and len(names) != len(self.params):
            raise ValueError(f"{self.kind.name} takes parameters {names}, got {len(self.params)} values")

    def param(self, name: str) -> int:
        names = PARAM_NAMES.get(self.kind, ())
        if name not in names:
            raise KeyError(f"{self.kind.name} has no parameter {name!r}; it has {names}")
        return self.params[names.index(name)]

    def encode(self) -> tuple[int, ...]:
        """The spec as the flat integer tuple the chain hashes: (kind, *params)."""
        return (int(self.kind), *self.params)
