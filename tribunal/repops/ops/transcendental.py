"""exp and log as fixed straight-line programs over the float32 primitives.

Both are written as epilogue steps reading one input (slot 0), so any op can use
them; the constants below are part of the protocol.

exp(x), 72 instructions:
  1. clamp x to [-104, 88] (MAX then MIN; NaN stays NaN). exp(-104) rounds to
     0 and exp(88) ~ 1.65e38, so the program saturates at e^88 instead of
     overflowing to +inf.
  2. n = round-to-nearest-even(x * log2(e)) by adding and subtracting 1.5 * 2**23.
  3. r = (x - n * C1) - n * C2 with Cody-Waite constants C1 = 0.693359375
     (9 significant bits: n * C1 is exact) and C2 = -2.12194440e-4; |r| <= 0.35.
  4. p = 1 + r + r^2 * P(r), P of degree 5 by Horner (Cephes expf coefficients).
  5. p * 2**n: the bits of |n| (8 of them, |n| <= 150) found from the top by
     compare/select/subtract, then p multiplied by 2**(+-2**i) for each set bit
     from i = 0 upwards, so only the last multiplication can round (subnormals).

log(x), 103 instructions:
  1. m = x scaled by powers of two into [1, 2) with the exponent e counted:
     down by 2**64, 2**32, ..., 2**1 while m >= 2**s; up by 2**64, 2**64, 2**32,
     ..., 2**1 while m * 2**s < 2 (the two 2**64 cover subnormals). Every scaling
     is exact.
  2. if m > sqrt(2): m = m / 2, e = e + 1, so m is in [0.707, 1.415).
  3. s = (m - 1) / (m + 1), z = s^2, log(m) = 2s + s*z*(2/3 + z*(2/5 + z*(2/7 + z*2/9))).
  4. log(x) = (log(m) + e * C2) + e * C1 (same Cody-Waite split as exp).
  5. x == +inf -> +inf; x == +-0 -> -inf; x < 0 -> NaN (selects at the end).
"""

from tribunal.repops.core.loop import Ref, Step, const, slot, step, tmp
from tribunal.repops.core.primitives import CANONICAL_NAN, NEG_INF, ONE, POS_INF, POS_ZERO, Opcode
from tribunal.repops.core.primitives import f32_to_bits as bits

X = slot(0)

EXP_CLAMP_LOW = bits(-104.0)
EXP_CLAMP_HIGH = bits(88.0)
LOG2E = bits(1.44269504088896341)
ROUNDING_MAGIC = bits(12582912.0)  # 1.5 * 2**23
LN2_C1 = bits(0.693359375)
LN2_C2 = bits(-2.12194440e-4)
EXP_POLY = tuple(
    bits(c)
    for c in (
        1.9875691500e-4,
        1.3981999507e-3,
        8.3334519073e-3,
        4.1665795894e-2,
        1.6666665459e-1,
        5.0000001201e-1,
    )
)
EXP_BITS = 8
SQRT2 = bits(1.41421356237309505)
LOG_SERIES = tuple(bits(c) for c in (2.0 / 9.0, 2.0 / 7.0, 2.0 / 5.0, 2.0 / 3.0))
LOG_DOWN_SHIFTS = (64, 32, 16, 8, 4, 2, 1)
LOG_UP_SHIFTS = (64, 64, 32, 16, 8, 4, 2, 1)
HALF = bits(0.5)


class _Builder:
    """Appends steps and hands back a Ref to each new one."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def __call__(self, opcode: Opcode, *refs: Ref) -> Ref:
        self.steps.append(step(opcode, *refs))
        return tmp(len(self.steps) - 1)


def _pow2(exponent: int) -> int:
    return bits(2.0**exponent)


def exp_steps(x: Ref = X) -> tuple[Step, ...]:
    b = _Builder()
    low = b(Opcode.MAX, x, const(EXP_CLAMP_LOW))
    xc = b(Opcode.MIN, low, const(EXP_CLAMP_HIGH))
    scaled = b(Opcode.MUL, xc, const(LOG2E))
    shifted = b(Opcode.ADD, scaled, const(ROUNDING_MAGIC))
    n = b(Opcode.SUB, shifted, const(ROUNDING_MAGIC))
    hi = b(Opcode.MUL, n, const(LN2_C1))
    r_hi = b(Opcode.SUB, xc, hi)
    lo = b(Opcode.MUL, n, const(LN2_C2))
    r = b(Opcode.SUB, r_hi, lo)
    z = b(Opcode.MUL, r, r)
    poly = b(Opcode.MUL, r, const(EXP_POLY[0]))
    for index, coefficient in enumerate(EXP_POLY[1:], start=1):
        poly = b(Opcode.ADD, poly, const(coefficient))
        if index < len(EXP_POLY) - 1:
            poly = b(Opcode.MUL, poly, r)
    poly = b(Opcode.MUL, poly, z)
    poly = b(Opcode.ADD, poly, r)
    p = b(Opcode.ADD, poly, const(ONE))
    remaining = b(Opcode.ABS, n)
    negative = b(Opcode.LT, n, const(POS_ZERO))
    bit_set: dict[int, Ref] = {}
    for i in reversed(range(EXP_BITS)):
        bit_set[i] = b(Opcode.LE, const(_pow2(i)), remaining)
        if i > 0:
            taken = b(Opcode.SELECT, bit_set[i], const(_pow2(i)), const(POS_ZERO))
            remaining = b(Opcode.SUB, remaining, taken)
    for i in range(EXP_BITS):
        # 2**128 does not exist in float32; |n| <= 127 when n > 0, so bit 7 is only
        # ever set for negative n and its positive factor is never selected.
        up = _pow2(2**i) if i < EXP_BITS - 1 else ONE
        factor = b(Opcode.SELECT, negative, const(_pow2(-(2**i))), const(up))
        chosen = b(Opcode.SELECT, bit_set[i], factor, const(ONE))
        p = b(Opcode.MUL, p, chosen)
    return tuple(b.steps)


def log_steps(x: Ref = X) -> tuple[Step, ...]:
    b = _Builder()
    m = x
    e: Ref | None = None
    for shift in LOG_DOWN_SHIFTS:
        big = b(Opcode.LE, const(_pow2(shift)), m)
        factor = b(Opcode.SELECT, big, const(_pow2(-shift)), const(ONE))
        m = b(Opcode.MUL, m, factor)
        counted = b(Opcode.SELECT, big, const(bits(float(shift))), const(POS_ZERO))
        e = counted if e is None else b(Opcode.ADD, e, counted)
    assert e is not None
    for shift in LOG_UP_SHIFTS:
        small = b(Opcode.LT, m, const(_pow2(1 - shift)))
        factor = b(Opcode.SELECT, small, const(_pow2(shift)), const(ONE))
        m = b(Opcode.MUL, m, factor)
        counted = b(Opcode.SELECT, small, const(bits(float(shift))), const(POS_ZERO))
        e = b(Opcode.SUB, e, counted)
    above = b(Opcode.LT, const(SQRT2), m)
    factor = b(Opcode.SELECT, above, const(HALF), const(ONE))
    m = b(Opcode.MUL, m, factor)
    counted = b(Opcode.SELECT, above, const(ONE), const(POS_ZERO))
    e = b(Opcode.ADD, e, counted)
    numerator = b(Opcode.SUB, m, const(ONE))
    denominator = b(Opcode.ADD, m, const(ONE))
    s = b(Opcode.DIV, numerator, denominator)
    z = b(Opcode.MUL, s, s)
    series = b(Opcode.MUL, z, const(LOG_SERIES[0]))
    for coefficient in LOG_SERIES[1:]:
        series = b(Opcode.ADD, series, const(coefficient))
        series = b(Opcode.MUL, series, z)
    series = b(Opcode.MUL, series, s)
    twice = b(Opcode.ADD, s, s)
    log_m = b(Opcode.ADD, twice, series)
    lo = b(Opcode.MUL, e, const(LN2_C2))
    partial = b(Opcode.ADD, log_m, lo)
    hi = b(Opcode.MUL, e, const(LN2_C1))
    result = b(Opcode.ADD, partial, hi)
    is_inf = b(Opcode.EQ, x, const(POS_INF))
    result = b(Opcode.SELECT, is_inf, const(POS_INF), result)
    is_zero = b(Opcode.EQ, x, const(POS_ZERO))
    result = b(Opcode.SELECT, is_zero, const(NEG_INF), result)
    is_negative = b(Opcode.LT, x, const(POS_ZERO))
    b(Opcode.SELECT, is_negative, const(CANONICAL_NAN), result)
    return tuple(b.steps)
