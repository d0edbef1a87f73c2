"""The scalar reference: one output element's program, instruction by instruction."""

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tribunal.repops.core.instructions import Instr, OperandKind
from tribunal.repops.core.opspec import OpSpec
from tribunal.repops.core.primitives import apply_bits
from tribunal.repops.registry import op_def, program_length


def as_bits(array: NDArray[np.float32] | NDArray[np.uint32]) -> NDArray[np.uint32]:
    """A flat uint32 view of a float32 (or uint32 bit-pattern) array."""
    contiguous: NDArray[Any] = np.ascontiguousarray(array)
    if contiguous.dtype == np.float32:
        return contiguous.reshape(-1).view(np.uint32)
    if contiguous.dtype == np.uint32:
        return contiguous.reshape(-1)
    raise TypeError(f"inputs must be float32 or uint32 bit patterns, got {contiguous.dtype}")


def execute_instruction(instr: Instr, inputs: Sequence[NDArray[np.uint32]], temps: Sequence[int]) -> int:
    """Fetch an instruction's operands and run its primitive; returns the result's bits."""
    values: list[int] = []
    for operand in instr.operands:
        if operand.kind is OperandKind.INPUT:
            values.append(int(inputs[operand.a][operand.b]))
        elif operand.kind is OperandKind.TEMP:
            values.append(temps[operand.a])
        else:
            values.append(operand.a)
    return apply_bits(instr.opcode, values)


def run_element(
    spec: OpSpec, inputs: Sequence[NDArray[np.float32] | NDArray[np.uint32]], element: int
) -> list[int]:
    """Every intermediate of `element`'s program as uint32 bits; the last is the output."""
    shapes = tuple(tuple(int(d) for d in np.shape(x)) for x in inputs)
    flat = [as_bits(x) for x in inputs]
    definition = op_def(spec)
    temps: list[int] = []
    for i in range(program_length(spec, shapes, element)):
        instr = definition.instruction(spec, shapes, element, i)
        temps.append(execute_instruction(instr, flat, temps))
    return temps
