"""The scalar reference: one output element's program, instruction by instruction."""

from collections.abc import Sequence

import numpy as np

from tribunal.repops.instructions import Instr, OperandKind
from tribunal.repops.opspec import OpSpec
from tribunal.repops.primitives import apply_bits
from tribunal.repops.registry import op_def, program_length


def as_bits(array: np.ndarray) -> np.ndarray:
    """A flat uint32 view of a float32 (or uint32 bit-pattern) array."""
    array = np.ascontiguousarray(array)
    if array.dtype == np.float32:
        return array.reshape(-1).view(np.uint32)
    if array.dtype == np.uint32:
        return array.reshape(-1)
    raise TypeError(f"inputs must be float32 or uint32 bit patterns, got {array.dtype}")


def execute_instruction(instr: Instr, inputs: Sequence[np.ndarray], temps: Sequence[int]) -> int:
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


def run_element(spec: OpSpec, inputs: Sequence[np.ndarray], element: int) -> list[int]:
    """Every intermediate of `element`'s program as uint32 bits; the last is the output."""
    shapes = tuple(tuple(int(d) for d in np.shape(x)) for x in inputs)
    flat = [as_bits(x) for x in inputs]
    definition = op_def(spec)
    temps: list[int] = []
    for i in range(program_length(spec, shapes, element)):
        instr = definition.instruction(spec, shapes, element, i)
        temps.append(execute_instruction(instr, flat, temps))
    return temps
