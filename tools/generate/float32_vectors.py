"""Float32 primitive test vectors: one set, read by the Python tests and both Solidity suites.

``python -m tools.generate.float32_vectors`` rewrites, from the same records,
``vectors/float32/<OPCODE>.bin`` (what ``Float32Vectors.t.sol`` and ``Float32Gas.t.sol``
read fast) and ``vectors/float32_ops.json`` (the same vectors as hex strings, for
readers of JSON); ``--check`` exits 1 naming each file that differs from what the
reference produces now.

A ``.bin`` file holds the vectors of one opcode as fixed-size big-endian records: the
operands' bit patterns (``uint32`` each, as many as the opcode's arity) followed by
the expected result's bits. The JSON is ``{"version": 1, "nan": "7fc00000", "opcodes":
{"ADD": 1, ...}, "vectors": {"ADD": ["aaaaaaaabbbbbbbbrrrrrrrr", ...], ...}}``, each
vector the operands' bits then the result's, 8 hex digits each, in the ``.bin`` order.
Results come from :func:`tribunal.repops.core.primitives.apply_bits` (numpy float32
arithmetic), cross-checked against the vectorised
:func:`~tribunal.repops.core.primitives.apply_arrays`.

The operands mix a cross product of special values (±0, subnormals, the normal
boundary, ±inf, NaN payloads, powers of two, neighbours of 1 and of the largest
finite) with seeded random operands drawn to hit what a soft-float gets wrong:
exponent gaps around the 24-bit window (ADD/SUB ties and cancellation), sparse
significands (exact ties), products and quotients landing near overflow and in the
subnormal range (ties on the subnormal grid), perfect squares and negatives for SQRT,
neighbouring values and ±0/NaN for the comparisons, and every kind of condition for
SELECT.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

import numpy as np

from tools.generate import VECTORS_DIR, Outputs, generator_main
from tribunal.repops.core.primitives import ARITY, Opcode, apply_arrays, apply_bits

BINARY_DIR: Final[Path] = VECTORS_DIR / "float32"
JSON_PATH: Final[Path] = VECTORS_DIR / "float32_ops.json"
SEED: Final[int] = 20240521

_MAGNITUDES: Final[tuple[int, ...]] = (
    0x00000000,  # 0
    0x00000001,  # smallest subnormal
    0x00000002,
    0x00000003,
    0x00400000,  # half the smallest normal
    0x007FFFFE,
    0x007FFFFF,  # largest subnormal
    0x00800000,  # smallest normal
    0x00800001,
    0x00FFFFFF,
    0x01000000,
    0x0C000000,  # 2^-103: its square underflows to 0, ties near the subnormal grid
    0x1F800000,  # 2^-64
    0x33800000,  # 2^-24
    0x34000000,  # 2^-23
    0x3EAAAAAB,  # 1/3
    0x3F000000,  # 0.5
    0x3F7FFFFF,  # 1 - ulp
    0x3F800000,  # 1
    0x3F800001,  # 1 + ulp
    0x3FC00000,  # 1.5
    0x3FFFFFFF,
    0x40000000,  # 2
    0x40400000,  # 3
    0x4B000000,  # 2^23
    0x4B000001,
    0x4B7FFFFF,  # 2^24 - 1
    0x4B800000,  # 2^24
    0x5F800000,  # 2^64
    0x7E800000,  # 2^126
    0x7F000000,  # 2^127
    0x7F7FFFFE,
    0x7F7FFFFF,  # largest finite
    0x7F800000,  # inf
)
_NANS: Final[tuple[int, ...]] = (
    0x7FC00000,  # canonical
    0x7F800001,  # signalling, smallest payload
    0x7FBFFFFF,  # signalling, largest payload
    0x7FC00001,
    0x7FFFFFFF,
    0xFFC00000,  # negative quiet
    0xFF800001,
    0xFFFFFFFF,
)
SPECIALS: Final[tuple[int, ...]] = _MAGNITUDES + tuple(m | 0x80000000 for m in _MAGNITUDES) + _NANS


def _u32(values: np.ndarray | Sequence[int]) -> np.ndarray:
    return np.asarray(values, dtype=np.uint64).astype(np.uint32)


def _pack(sign: np.ndarray, exponent: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    bits = (
        (sign.astype(np.uint64) & 1) << 31
        | (np.clip(exponent, 0, 255).astype(np.uint64) << 23)
        | (fraction.astype(np.uint64) & 0x7FFFFF)
    )
    return bits.astype(np.uint32)


class _Draw:
    """Seeded operand distributions, all vectorised."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def bits(self, n: int) -> np.ndarray:
        return self.rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)

    def sign(self, n: int) -> np.ndarray:
        return self.rng.integers(0, 2, n)

    def fraction(self, n: int) -> np.ndarray:
        """Full random, sparse (top k bits only), all ones, lone low bits, or zero."""
        kind = self.rng.integers(0, 6, n)
        full = self.rng.integers(0, 1 << 23, n)
        keep = self.rng.integers(0, 24, n)
        sparse = full & ~((1 << (23 - keep)) - 1)
        low = 1 << self.rng.integers(0, 4, n)
        return np.select(
            [kind <= 1, kind == 2, kind == 3, kind == 4],
            [full, sparse, np.full(n, 0x7FFFFF), low],
            np.zeros(n, dtype=np.int64),
        )

    def finite(self, n: int, exponent: np.ndarray | None = None) -> np.ndarray:
        if exponent is None:
            exponent = self.rng.integers(0, 255, n)
        return _pack(self.sign(n), exponent, self.fraction(n))

    def pick(self, n: int, pool: Sequence[int]) -> np.ndarray:
        return _u32(np.asarray(pool, dtype=np.uint64)[self.rng.integers(0, len(pool), n)])


def _cross(values: Sequence[int], arity: int) -> list[np.ndarray]:
    grid = np.meshgrid(*([np.asarray(values, dtype=np.uint64)] * arity), indexing="ij")
    return [_u32(g.reshape(-1)) for g in grid]


def _gap_pairs(d: _Draw, n: int, max_gap: int) -> list[np.ndarray]:
    """Operands whose exponents differ by at most ``max_gap`` (window, ties, cancellation)."""
    ea = d.rng.integers(0, 255, n)
    eb = np.clip(ea + d.rng.integers(-max_gap, max_gap + 1, n), 0, 254)
    return [d.finite(n, ea), d.finite(n, eb)]


def _add_ties(d: _Draw, n: int) -> list[np.ndarray]:
    """b is exactly half an ulp of a (or a neighbour of that): round-to-even decides."""
    ea = d.rng.integers(1, 255, n)
    a = _pack(d.sign(n), ea, d.rng.integers(0, 1 << 23, n))
    eb = np.maximum(ea - 24 + d.rng.integers(-1, 2, n), 0)
    fraction = np.select(
        [d.rng.integers(0, 3, n) == 0, d.rng.integers(0, 2, n) == 0],
        [np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64)],
        np.full(n, 0x7FFFFF),
    )
    b = _pack(d.sign(n), eb, fraction)
    swap = d.rng.integers(0, 2, n).astype(bool)
    return [np.where(swap, b, a), np.where(swap, a, b)]


def _product_range(d: _Draw, n: int, low: int, high: int, quotient: bool) -> list[np.ndarray]:
    """Operands whose product (or quotient) has a biased exponent in [low, high]."""
    target = d.rng.integers(low, high + 1, n)
    ea = d.rng.integers(0, 255, n)
    eb = target - ea + 127 if not quotient else ea - target + 127
    ok = (eb >= 0) & (eb <= 254)
    eb = np.where(ok, eb, d.rng.integers(0, 255, n))
    ea = np.where(ok, ea, np.clip(target + 127 - eb if not quotient else target - 127 + eb, 0, 254))
    return [d.finite(n, ea), d.finite(n, eb)]


def _odd_significands(d: _Draw, n: int, width: np.ndarray) -> np.ndarray:
    """Random odd integers of exactly ``width`` bits (1..24)."""
    top = np.int64(1) << (width - 1)
    return top | (d.rng.integers(0, 1 << 23, n) & (top - 1)) | 1


def _from_significand(d: _Draw, significand: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """The float with integer significand ``significand`` (< 2^24) normalised to 24 bits."""
    width = np.floor(np.log2(significand.astype(np.float64))).astype(np.int64) + 1
    normalised = significand << (24 - width)
    return _pack(d.sign(len(significand)), exponent, normalised)


def _mul_ties(d: _Draw, n: int) -> list[np.ndarray]:
    """Odd significands whose product has exactly 25 bits: the product is a tie (or, on the
    subnormal grid, rounds at another position)."""
    a_columns: list[np.ndarray] = []
    b_columns: list[np.ndarray] = []
    while sum(len(c) for c in a_columns) < n:
        wa = d.rng.integers(2, 24, 4 * n)
        wb = 26 - wa + d.rng.integers(-1, 1, 4 * n)
        ok = (wb >= 2) & (wb <= 24)
        wa, wb = wa[ok], wb[ok]
        ma = _odd_significands(d, len(wa), wa)
        mb = _odd_significands(d, len(wb), wb)
        product = ma * mb
        tie = (product >= 1 << 24) & (product < 1 << 25)
        a_columns.append(ma[tie])
        b_columns.append(mb[tie])
    ma = np.concatenate(a_columns)[:n]
    mb = np.concatenate(b_columns)[:n]
    ea = d.rng.integers(1, 255, n)
    target = np.where(d.rng.integers(0, 4, n) == 0, d.rng.integers(-25, 2, n), d.rng.integers(1, 254, n))
    eb = np.clip(target - ea + 127, 1, 254)
    return [_from_significand(d, ma, ea), _from_significand(d, mb, eb)]


def _subnormal_ties(d: _Draw, n: int, quotient: bool) -> list[np.ndarray]:
    """a times (or over) a power of two lands with its lowest set bit at 2^-150 (a tie on the
    subnormal grid), or one position above or below it."""
    ea = d.rng.integers(1, 126, n)
    fraction = d.fraction(n) | 1 << d.rng.integers(0, 23, n)
    lowest = np.zeros(n, dtype=np.int64)
    significand = fraction | (1 << 23)
    while np.any((significand >> lowest) & 1 == 0):
        lowest += (significand >> lowest) & 1 == 0
    # a quotient divides by 2^-p, which must stay finite
    p = np.clip(-lowest - ea + d.rng.integers(-1, 2, n), -127 if quotient else -149, 127)
    power = np.where(
        p >= -126,
        _pack(np.zeros(n, dtype=np.int64), p + 127, np.zeros(n, dtype=np.int64)),
        _u32(np.left_shift(np.ones(n, dtype=np.int64), np.clip(p + 149, 0, 22))),
    )
    a = _pack(d.sign(n), ea, fraction)
    if quotient:
        power = (1.0 / power.view(np.float32).astype(np.float64)).astype(np.float32).view(np.uint32)
    return [a, _u32(power) | (d.sign(n).astype(np.uint32) << 31)]


def _exact_quotients(d: _Draw, n: int) -> list[np.ndarray]:
    """a = b * q exactly (short significands), so a / b is exact: no sticky bit."""
    mq = _odd_significands(d, n, d.rng.integers(1, 13, n))
    mb = _odd_significands(d, n, d.rng.integers(1, 13, n))
    eq = d.rng.integers(60, 190, n)
    eb = d.rng.integers(60, 190, n)
    q = _from_significand(d, mq, eq).view(np.float32)
    b = _from_significand(d, mb, eb).view(np.float32)
    with np.errstate(all="ignore"):
        a = (q * b).view(np.uint32)
    return [a, b.view(np.uint32)]


def _neighbours(d: _Draw, n: int) -> list[np.ndarray]:
    """Equal values, ±1 ulp, opposite signs, ±0 against each other."""
    a = np.where(d.rng.integers(0, 4, n) == 0, d.pick(n, SPECIALS), d.finite(n))
    step = d.rng.integers(-1, 2, n).astype(np.int64)
    b = (a.astype(np.int64) + step) & 0xFFFFFFFF
    flip = d.rng.integers(0, 4, n) == 0
    b = np.where(flip, b ^ 0x80000000, b)
    swap = d.rng.integers(0, 2, n).astype(bool)
    b = _u32(b)
    return [np.where(swap, b, a), np.where(swap, a, b)]


def _mixed(d: _Draw, n: int, arity: int) -> list[np.ndarray]:
    """Each operand independently: uniform bits, a structured finite, or a special."""
    columns = []
    for _ in range(arity):
        kind = d.rng.integers(0, 3, n)
        columns.append(np.select([kind == 0, kind == 1], [d.bits(n), d.finite(n)], d.pick(n, SPECIALS)))
    return [_u32(c) for c in columns]


def _sqrt_cases(d: _Draw, n: int) -> list[np.ndarray]:
    """Perfect squares (exact roots), neighbours of squares, subnormals and negatives."""
    quarter = n // 4
    root = _pack(
        np.zeros(quarter, dtype=np.int64),
        d.rng.integers(64, 191, quarter),
        d.rng.integers(0, 1 << 11, quarter) << 12,  # 12-bit significands square exactly
    )
    squares = (root.view(np.float32) * root.view(np.float32)).view(np.uint32)
    nudged = _u32((squares.astype(np.int64) + d.rng.integers(-1, 2, quarter)) & 0xFFFFFFFF)
    subnormal = _pack(d.sign(quarter), np.zeros(quarter, dtype=np.int64), d.fraction(quarter))
    rest = n - 3 * quarter
    anything = np.where(d.rng.integers(0, 2, rest) == 0, d.finite(rest), d.bits(rest))
    return [np.concatenate([squares, nudged, subnormal, _u32(anything)])]


_CONDITIONS: Final[tuple[int, ...]] = (
    0x00000000,
    0x80000000,
    0x00000001,
    0x80000001,
    0x3F800000,
    0x7F800000,
    0xFF800000,
    0x7FC00000,
    0xFFFFFFFF,
    0x7F800001,
)


def _select_cross() -> list[np.ndarray]:
    """Every kind of condition against a grid of special values in both branches."""
    grid = np.meshgrid(
        np.asarray(_CONDITIONS, dtype=np.uint64),
        np.asarray(SPECIALS[::4], dtype=np.uint64),
        np.asarray(SPECIALS[::4], dtype=np.uint64),
        indexing="ij",
    )
    return [_u32(g.reshape(-1)) for g in grid]


def _select_cases(d: _Draw, n: int) -> list[np.ndarray]:
    kind = d.rng.integers(0, 2, n)
    cond = np.where(kind == 0, d.pick(n, _CONDITIONS), d.bits(n))
    a, b = _mixed(d, n, 2)
    return [_u32(cond), a, b]


Generator = Callable[[_Draw], list[np.ndarray]]


def _concat(*parts: list[np.ndarray]) -> list[np.ndarray]:
    return [np.concatenate(columns) for columns in zip(*parts, strict=True)]


def _arith_plan(opcode: Opcode) -> Generator:
    def plan(d: _Draw) -> list[np.ndarray]:
        parts = [_cross(SPECIALS, 2), _mixed(d, 6000, 2)]
        if opcode in (Opcode.ADD, Opcode.SUB):
            parts += [_gap_pairs(d, 6000, 3), _gap_pairs(d, 5000, 30), _add_ties(d, 5000)]
        elif opcode is Opcode.MUL:
            parts += [
                _product_range(d, 5000, -40, 3, quotient=False),  # subnormal results, underflow
                _product_range(d, 3000, 250, 258, quotient=False),  # overflow
                _product_range(d, 5000, 1, 254, quotient=False),
                _mul_ties(d, 3000),
                _subnormal_ties(d, 2000, quotient=False),
            ]
        else:
            parts += [
                _product_range(d, 5000, -40, 3, quotient=True),
                _product_range(d, 3000, 250, 258, quotient=True),
                _product_range(d, 5000, 1, 254, quotient=True),
                _exact_quotients(d, 2000),
                _subnormal_ties(d, 2000, quotient=True),
            ]
        return _concat(*parts)

    return plan


def _compare_plan(d: _Draw) -> list[np.ndarray]:
    return _concat(_cross(SPECIALS[::2], 2), _neighbours(d, 2500), _mixed(d, 1000, 2))


def _unary_plan(d: _Draw) -> list[np.ndarray]:
    return _concat([_u32(SPECIALS)], [d.bits(2500)], [d.finite(500)])


PLANS: Final[dict[Opcode, Generator]] = {
    Opcode.ADD: _arith_plan(Opcode.ADD),
    Opcode.SUB: _arith_plan(Opcode.SUB),
    Opcode.MUL: _arith_plan(Opcode.MUL),
    Opcode.DIV: _arith_plan(Opcode.DIV),
    Opcode.SQRT: lambda d: _concat([_u32(SPECIALS)], _sqrt_cases(d, 12000)),
    Opcode.MAX: _compare_plan,
    Opcode.MIN: _compare_plan,
    Opcode.SELECT: lambda d: _concat(_cross(SPECIALS[::4], 3), _select_cross(), _select_cases(d, 4000)),
    Opcode.LT: _compare_plan,
    Opcode.LE: _compare_plan,
    Opcode.EQ: _compare_plan,
    Opcode.NEG: _unary_plan,
    Opcode.ABS: _unary_plan,
    Opcode.COPY: _unary_plan,
}


def operands_for(opcode: Opcode) -> list[np.ndarray]:
    """The operand columns (uint32 bits) of ``opcode``'s vectors, deterministic in SEED."""
    columns = PLANS[opcode](_Draw(np.random.default_rng([SEED, int(opcode)])))
    if len(columns) != ARITY[opcode]:
        raise AssertionError(f"{opcode.name}: plan gives {len(columns)} operands")
    return [_u32(c) for c in columns]


def expected(opcode: Opcode, columns: Sequence[np.ndarray]) -> np.ndarray:
    """Results by the scalar reference, checked against the vectorised one."""
    scalar = np.array(
        [apply_bits(opcode, [int(c[i]) for c in columns]) for i in range(len(columns[0]))],
        dtype=np.uint32,
    )
    vectorised = apply_arrays(opcode, columns)
    mismatch = np.flatnonzero(scalar != vectorised)
    if mismatch.size:
        i = int(mismatch[0])
        raise AssertionError(
            f"{opcode.name}: apply_bits and apply_arrays disagree on "
            f"{[hex(int(c[i])) for c in columns]}: {scalar[i]:#x} != {vectorised[i]:#x}"
        )
    return scalar


def records(opcode: Opcode) -> np.ndarray:
    """``opcode``'s vectors, one row each: the operands' bits, then the result's."""
    columns = operands_for(opcode)
    return np.stack([*columns, expected(opcode, columns)], axis=1).astype(np.uint32)


def render_binary(rows: np.ndarray) -> bytes:
    return rows.astype(">u4").tobytes()


def render_json(rows_by_opcode: dict[Opcode, np.ndarray]) -> bytes:
    document = {
        "version": 1,
        "generator": "python -m tools.generate.float32_vectors (numpy float32, RNE, NaN -> 7fc00000)",
        "nan": "7fc00000",
        "opcodes": {op.name: int(op) for op in Opcode},
        "vectors": {
            op.name: ["".join(f"{v:08x}" for v in row) for row in rows.tolist()]
            for op, rows in rows_by_opcode.items()
        },
    }
    return (json.dumps(document, separators=(",", ":")) + "\n").encode()


def binary_path(opcode: Opcode) -> Path:
    return BINARY_DIR / f"{opcode.name}.bin"


def outputs() -> Outputs:
    rows_by_opcode = {opcode: records(opcode) for opcode in Opcode}
    files = {binary_path(opcode): render_binary(rows) for opcode, rows in rows_by_opcode.items()}
    files[JSON_PATH] = render_json(rows_by_opcode)
    return files


main = generator_main("tools.generate.float32_vectors", __doc__, outputs)

if __name__ == "__main__":
    sys.exit(main())
