"""RepOps: training ops as straight-line float32 programs, with a scalar reference
interpreter and bit-exact torch implementations. See API.md beside this file."""

from tribunal.repops import ops
from tribunal.repops.core.instructions import Instr, Operand, OperandKind
from tribunal.repops.core.opdef import ShapeError
from tribunal.repops.core.opspec import Broadcast, OpKind, OpSpec, Shape
from tribunal.repops.core.primitives import (
    CANONICAL_NAN,
    Opcode,
    apply_bits,
    bits_to_f32,
    canonicalize_bits,
    f32_to_bits,
)
from tribunal.repops.interpreter import run_element
from tribunal.repops.ops.layout import AffineMap
from tribunal.repops.registry import (
    execute,
    execute_chain,
    input_count,
    instruction,
    output_shape,
    program,
    program_length,
)

__all__ = [
    "CANONICAL_NAN",
    "AffineMap",
    "Broadcast",
    "Instr",
    "OpKind",
    "OpSpec",
    "Opcode",
    "Operand",
    "OperandKind",
    "Shape",
    "ShapeError",
    "apply_bits",
    "bits_to_f32",
    "canonicalize_bits",
    "execute",
    "execute_chain",
    "f32_to_bits",
    "input_count",
    "instruction",
    "ops",
    "output_shape",
    "program",
    "program_length",
    "run_element",
]
