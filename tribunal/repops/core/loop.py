"""The shape every op's element program takes: a loop body repeated, then an epilogue.

An element's program is `body` repeated `trips` times (iteration k = 0..trips-1),
then `epilogue` once. Operands are written as `Ref`s relative to that structure:

- `SLOT s`: input slot `s` at the address the op computes for (element, k);
- `TMP j`: the j-th instruction of the same block (same iteration, or epilogue);
- `ACC`: the last instruction of the previous iteration (the loop's constant
  `init` for k = 0; for the epilogue, the last iteration's result);
- `CONST bits`: a float32 constant;
- `LOOP_CONST`: a float32 constant the op derives from (element, k), e.g. the
  class index compared against a label.

Epilogue operands read inputs and the loop constant at k = 0.

Instruction i of the program is then found in O(1): k = i // len(body),
j = i % len(body), or the epilogue's i - trips*len(body).
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

from tribunal.repops.core.instructions import Instr, Operand
from tribunal.repops.core.primitives import ARITY, Opcode


class RefKind(IntEnum):
    SLOT = 0
    TMP = 1
    ACC = 2
    CONST = 3
    LOOP_CONST = 4


class Ref(NamedTuple):
    kind: RefKind
    value: int = 0


def slot(index: int) -> Ref:
    return Ref(RefKind.SLOT, index)


def tmp(index: int) -> Ref:
    return Ref(RefKind.TMP, index)


def const(bits: int) -> Ref:
    return Ref(RefKind.CONST, bits)


ACC = Ref(RefKind.ACC)
LOOP_CONST = Ref(RefKind.LOOP_CONST)


class Step(NamedTuple):
    """One instruction of a body or epilogue, operands still relative."""

    opcode: Opcode
    refs: tuple[Ref, ...]


def step(opcode: Opcode, *refs: Ref) -> Step:
    return Step(opcode, refs)


@dataclass(frozen=True, slots=True)
class LoopProgram:
    trips: int
    init: int
    body: tuple[Step, ...]
    epilogue: tuple[Step, ...] = ()

    def __post_init__(self) -> None:
        for block in (self.body, self.epilogue):
            for j, st in enumerate(block):
                if len(st.refs) != ARITY[st.opcode]:
                    raise ValueError(f"{st.opcode.name} needs {ARITY[st.opcode]} operands")
                for ref in st.refs:
                    if ref.kind is RefKind.TMP and not 0 <= ref.value < j:
                        raise ValueError(f"step {j} refers to temp {ref.value}, not earlier")
        if self.trips > 0 and not self.body:
            raise ValueError("a loop with trips needs a body")
        if self.length == 0:
            raise ValueError("an element program needs at least one instruction")

    @property
    def length(self) -> int:
        return self.trips * len(self.body) + len(self.epilogue)

    def locate(self, i: int) -> tuple[Step, int, int]:
        """(step, k, absolute index of the step's block start) of instruction i."""
        if not 0 <= i < self.length:
            raise IndexError(f"instruction {i} out of range 0..{self.length - 1}")
        body_len = len(self.body)
        if i < self.trips * body_len:
            k, j = divmod(i, body_len)
            return self.body[j], k, k * body_len
        start = self.trips * body_len
        return self.epilogue[i - start], self.trips, start

    def acc_operand(self, block_start: int) -> Operand:
        return Operand.temp(block_start - 1) if block_start > 0 else Operand.const(self.init)


AddressFn = Callable[[int, int], int]
"""(slot, k) -> flat index into that input, for one fixed output element."""
LoopConstFn = Callable[[int], int]
"""k -> float32 bits of the loop constant, for one fixed output element."""


def resolve(program: LoopProgram, i: int, address: AddressFn, loop_const: LoopConstFn) -> Instr:
    """Instruction i with every operand made absolute (O(1)).

    Epilogue operands read inputs and the loop constant at k = 0.
    """
    st, k, start = program.locate(i)
    k_for_inputs = k if k < program.trips else 0
    operands: list[Operand] = []
    for ref in st.refs:
        if ref.kind is RefKind.SLOT:
            operands.append(Operand.input(ref.value, address(ref.value, k_for_inputs)))
        elif ref.kind is RefKind.TMP:
            operands.append(Operand.temp(start + ref.value))
        elif ref.kind is RefKind.ACC:
            operands.append(program.acc_operand(start))
        elif ref.kind is RefKind.CONST:
            operands.append(Operand.const(ref.value))
        else:
            operands.append(Operand.const(loop_const(k_for_inputs)))
    return Instr(st.opcode, tuple(operands))
