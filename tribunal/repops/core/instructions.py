"""One instruction of an element's program and its operands."""

from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

from tribunal.repops.core.primitives import Opcode, f32_to_bits


class OperandKind(IntEnum):
    """Where an operand's value comes from. Numbers are part of the protocol."""

    INPUT = 0
    TEMP = 1
    CONST = 2


@dataclass(frozen=True, slots=True)
class Operand:
    """INPUT: `a` = input slot, `b` = flat index; TEMP: `a` = instruction index;
    CONST: `a` = float32 bits."""

    kind: OperandKind
    a: int
    b: int = 0

    @staticmethod
    def input(slot: int, index: int) -> "Operand":
        return Operand(OperandKind.INPUT, slot, index)

    @staticmethod
    def temp(index: int) -> "Operand":
        return Operand(OperandKind.TEMP, index)

    @staticmethod
    def const(bits: int) -> "Operand":
        return Operand(OperandKind.CONST, bits)

    @staticmethod
    def const_f32(value: float) -> "Operand":
        return Operand(OperandKind.CONST, f32_to_bits(value))


class Instr(NamedTuple):
    opcode: Opcode
    operands: tuple[Operand, ...]
