"""IEEE-754 binary32 primitives: opcodes and the scalar reference over bit patterns.

Every primitive rounds to nearest-even, keeps subnormals and replaces any NaN
result by the canonical NaN. The opcode numbers go on-chain and never change.
"""

from collections.abc import Sequence
from enum import IntEnum
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

CANONICAL_NAN = 0x7FC00000
SIGN_BIT = 0x80000000
ABS_MASK = 0x7FFFFFFF
EXPONENT_MASK = 0x7F800000
MANTISSA_MASK = 0x007FFFFF

POS_ZERO = 0x00000000
NEG_ZERO = 0x80000000
ONE = 0x3F800000
POS_INF = 0x7F800000
NEG_INF = 0xFF800000


class Opcode(IntEnum):
    """A float32 primitive. Numbers are part of the protocol: never renumber."""

    ADD = 1
    SUB = 2
    MUL = 3
    DIV = 4
    SQRT = 5
    MAX = 6
    MIN = 7
    SELECT = 8
    LT = 9
    LE = 10
    EQ = 11
    NEG = 12
    ABS = 13
    COPY = 14


ARITY: dict[Opcode, int] = {
    Opcode.ADD: 2,
    Opcode.SUB: 2,
    Opcode.MUL: 2,
    Opcode.DIV: 2,
    Opcode.SQRT: 1,
    Opcode.MAX: 2,
    Opcode.MIN: 2,
    Opcode.SELECT: 3,
    Opcode.LT: 2,
    Opcode.LE: 2,
    Opcode.EQ: 2,
    Opcode.NEG: 1,
    Opcode.ABS: 1,
    Opcode.COPY: 1,
}

BINARY_ARITHMETIC = (Opcode.ADD, Opcode.SUB, Opcode.MUL, Opcode.DIV, Opcode.MAX, Opcode.MIN)


def is_nan_bits(bits: int) -> bool:
    return (bits & EXPONENT_MASK) == EXPONENT_MASK and (bits & MANTISSA_MASK) != 0


def canonicalize_bits(bits: int) -> int:
    return CANONICAL_NAN if is_nan_bits(bits) else bits


def bits_to_f32(bits: int) -> np.float32:
    value: np.float32 = np.array([bits], dtype=np.uint32).view(np.float32)[0]
    return value


def f32_to_bits(value: float | np.floating[Any]) -> int:
    """Round a Python float (or numpy float) to float32 (RNE) and return its bits."""
    return int(np.array([value], dtype=np.float32).view(np.uint32)[0])


def _f32(bits: int) -> np.float32:
    return bits_to_f32(bits)


def _bits(value: np.float32) -> int:
    return int(np.array([value], dtype=np.float32).view(np.uint32)[0])


def _bool(flag: bool) -> int:
    return ONE if flag else POS_ZERO


Float32s = TypeVar("Float32s", np.float32, NDArray[np.float32])


def _arith(opcode: Opcode, a: Float32s, b: Float32s) -> Float32s:
    if opcode is Opcode.ADD:
        return a + b
    if opcode is Opcode.SUB:
        return a - b
    if opcode is Opcode.MUL:
        return a * b
    return a / b


def apply_bits(opcode: Opcode, operands: Sequence[int]) -> int:
    """Execute one primitive on float32 bit patterns; return the result's bits."""
    if len(operands) != ARITY[opcode]:
        raise ValueError(f"{opcode.name} takes {ARITY[opcode]} operands, got {len(operands)}")
    if opcode is Opcode.SELECT:
        cond, if_true, if_false = operands
        return canonicalize_bits(if_true if cond & ABS_MASK else if_false)
    if opcode is Opcode.NEG:
        return canonicalize_bits(operands[0] ^ SIGN_BIT)
    if opcode is Opcode.ABS:
        return canonicalize_bits(operands[0] & ABS_MASK)
    if opcode is Opcode.COPY:
        return canonicalize_bits(operands[0])
    with np.errstate(all="ignore"):
        if opcode is Opcode.SQRT:
            return canonicalize_bits(_bits(np.sqrt(_f32(operands[0]))))
        a, b = _f32(operands[0]), _f32(operands[1])
        if opcode in (Opcode.ADD, Opcode.SUB, Opcode.MUL, Opcode.DIV):
            return canonicalize_bits(_bits(_arith(opcode, a, b)))
        if opcode is Opcode.MAX:
            if np.isnan(a) or np.isnan(b):
                return CANONICAL_NAN
            return operands[0] if a > b else operands[1]
        if opcode is Opcode.MIN:
            if np.isnan(a) or np.isnan(b):
                return CANONICAL_NAN
            return operands[0] if a < b else operands[1]
        if opcode is Opcode.LT:
            return _bool(bool(a < b))
        if opcode is Opcode.LE:
            return _bool(bool(a <= b))
        if opcode is Opcode.EQ:
            return _bool(bool(a == b))
    raise ValueError(f"unknown opcode {opcode!r}")


def apply_arrays(opcode: Opcode, operands: Sequence[NDArray[np.uint32]]) -> NDArray[np.uint32]:
    """Vectorised numpy reference over uint32 bit arrays (used to generate vectors)."""
    if len(operands) != ARITY[opcode]:
        raise ValueError(f"{opcode.name} takes {ARITY[opcode]} operands, got {len(operands)}")
    bits = [np.asarray(o, dtype=np.uint32) for o in operands]
    floats = [b.view(np.float32) for b in bits]
    with np.errstate(all="ignore"):
        if opcode is Opcode.SELECT:
            result = np.where((bits[0] & ABS_MASK) != 0, bits[1], bits[2])
        elif opcode is Opcode.NEG:
            result = bits[0] ^ np.uint32(SIGN_BIT)
        elif opcode is Opcode.ABS:
            result = bits[0] & np.uint32(ABS_MASK)
        elif opcode is Opcode.COPY:
            result = bits[0].copy()
        elif opcode is Opcode.SQRT:
            result = np.sqrt(floats[0]).view(np.uint32)
        elif opcode in (Opcode.ADD, Opcode.SUB, Opcode.MUL, Opcode.DIV):
            result = _arith(opcode, floats[0], floats[1]).view(np.uint32)
        elif opcode in (Opcode.MAX, Opcode.MIN):
            a, b = floats
            pick_a = (a > b) if opcode is Opcode.MAX else (a < b)
            result = np.where(pick_a | np.isnan(a), bits[0], bits[1])
        else:
            a, b = floats
            flag = {Opcode.LT: a < b, Opcode.LE: a <= b, Opcode.EQ: a == b}[opcode]
            result = np.where(flag, np.uint32(ONE), np.uint32(POS_ZERO))
    result = np.asarray(result, dtype=np.uint32)
    return np.where(np.isnan(result.view(np.float32)), np.uint32(CANONICAL_NAN), result)


# ---------------------------------------------------------------- fused multiply-add
# Not an `Opcode` (no program emits it, so no trace or root changes): a library primitive of
# the soft-float (`Float32.fma` in contracts/src/lib/Float32.sol), kept bit for bit equal to
# these references by the differential tests (vectors/float32/FMA.bin and the 10^6-vector
# stream of tools.generate.float32_fma_vectors).


def _finite_parts(bits: int) -> tuple[int, int, int]:
    """(sign, m, e) of a finite float's bits, value = (-1)^sign * m * 2^e (m an integer)."""
    exponent = (bits >> 23) & 0xFF
    m = bits & MANTISSA_MASK
    if exponent:
        m |= 1 << 23
    return bits >> 31, m, max(exponent, 1) - 150


def round_exact_bits(sign: int, m: int, e: int) -> int:
    """The float32 bits of (-1)^sign * m * 2^e (m >= 0 an integer, any size), rounded once to
    nearest-even, with subnormals, overflow to infinity and underflow to a signed zero."""
    if m == 0:
        return sign << 31
    top = m.bit_length() - 1 + e  # 2^top <= |value| < 2^(top + 1)
    quantum = max(top, -126) - 23  # the ulp: 2^(top - 23), or 2^-149 below the normal range
    if e >= quantum:
        q = m << (e - quantum)
    else:
        drop = quantum - e
        q, rest = m >> drop, m & ((1 << drop) - 1)
        half = 1 << (drop - 1)
        if rest > half or (rest == half and q & 1):
            q += 1
    if q >> 24:  # rounded up to 2^24: the next binade
        q >>= 1
        quantum += 1
    if q >> 23 == 0:  # subnormal (quantum is -149) or zero
        return sign << 31 | q
    biased = quantum + 150
    if biased >= 0xFF:
        return sign << 31 | POS_INF
    return sign << 31 | biased << 23 | (q & MANTISSA_MASK)


def fma_bits(a: int, b: int, c: int) -> int:
    """IEEE-754 fusedMultiplyAdd(a, b, c) on float32 bits: a * b + c computed exactly (Python
    integers) and rounded once, to nearest-even. Any NaN operand, 0 * inf and inf - inf give
    the canonical NaN; an exact zero sum is +0 unless both a * b and c are -0."""
    abs_a, abs_b, abs_c = a & ABS_MASK, b & ABS_MASK, c & ABS_MASK
    if abs_a > POS_INF or abs_b > POS_INF or abs_c > POS_INF:
        return CANONICAL_NAN
    product_sign = (a ^ b) >> 31
    if abs_a == POS_INF or abs_b == POS_INF:
        if abs_a == 0 or abs_b == 0:
            return CANONICAL_NAN  # 0 * inf
        if abs_c == POS_INF and c >> 31 != product_sign:
            return CANONICAL_NAN  # inf - inf
        return product_sign << 31 | POS_INF
    if abs_c == POS_INF:
        return c
    sa, ma, ea = _finite_parts(a)
    _, mb, eb = _finite_parts(b)
    sc, mc, ec = _finite_parts(c)
    if ma * mb == 0 and mc == 0:
        return NEG_ZERO if product_sign and sc else POS_ZERO
    low = min(ea + eb, ec)
    total = (-1) ** product_sign * ((ma * mb) << (ea + eb - low)) + (-1) ** sc * (mc << (ec - low))
    if total == 0:
        return POS_ZERO  # exact cancellation, round to nearest
    return round_exact_bits(int(total < 0), abs(total), low)


def fma_arrays(a: NDArray[np.uint32], b: NDArray[np.uint32], c: NDArray[np.uint32]) -> NDArray[np.uint32]:
    """Vectorised :func:`fma_bits` (same bits): the float64 product of two float32s is exact,
    the float64 sum is made round-to-odd (TwoSum's error term nudges an inexact even result
    one ulp toward the exact one), and rounding that to float32 is then the one correct
    rounding (53 >= 24 + 2 bits; float64 neither overflows nor underflows on these values)."""
    with np.errstate(all="ignore"):
        x, y, z = (np.asarray(v, dtype=np.uint32).view(np.float32).astype(np.float64) for v in (a, b, c))
        product = x * y
        total = product + z
        virtual = total - product
        error = (product - (total - virtual)) + (z - virtual)
        inexact = np.isfinite(total) & (error != 0) & ((total.view(np.uint64) & 1) == 0)
        nudged = np.nextafter(total, np.where(error > 0, np.inf, -np.inf))
        result = np.where(inexact, nudged, total).astype(np.float32).view(np.uint32)
    return np.where(np.isnan(result.view(np.float32)), np.uint32(CANONICAL_NAN), result)
