"""Test vectors for the float32 primitives, shared with the Solidity soft-float.

`python -m tribunal.repops.vectors [PATH]` writes `tribunal/vectors/float32_ops.json`
(or PATH). The file is deterministic (fixed seed), so a test regenerates it and
compares. Format:

    {"version": 1, "generator": ..., "nan": "7fc00000",
     "opcodes": {"ADD": 1, ...},
     "vectors": {"ADD": ["aaaaaaaabbbbbbbbrrrrrrrr", ...], "SQRT": ["aaaaaaaarrrrrrrr", ...],
                 "SELECT": ["ccccccccaaaaaaaabbbbbbbbrrrrrrrr", ...], ...}}

Each vector is the operands' float32 bit patterns then the result's, 8 lowercase
hex digits each, concatenated. Results come from numpy float32 arithmetic (IEEE
round-to-nearest-even, subnormals kept) with NaN canonicalised.
"""

import itertools
import json
import sys
from pathlib import Path

import numpy as np

from tribunal.repops.primitives import ARITY, Opcode, apply_arrays

SEED = 20240611
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "vectors" / "float32_ops.json"

EDGE_BITS = np.array(
    [
        0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x00000002, 0x00000003,
        0x007FFFFF, 0x807FFFFF, 0x00400000, 0x00800000, 0x80800000, 0x00800001,
        0x3F800000, 0xBF800000, 0x3F800001, 0x3F7FFFFF, 0x40000000, 0x3F000000,
        0x40400000, 0x4B000000, 0x4B800000, 0x4B800001, 0x33800000, 0x34000000,
        0x7F7FFFFF, 0xFF7FFFFF, 0x7F000000, 0x7E800000, 0x01000000, 0x0C000000,
        0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FFFFFFF,
    ],
    dtype=np.uint32,
)  # fmt: skip
"""Zeros, subnormals, the normal boundary, 1 and its neighbours, powers of two
around 2**23..2**24 (ties), the largest finite values, infinities and NaNs
(canonical, negative, signalling, all-payload)."""

RANDOM_COUNTS = {
    Opcode.ADD: 11_000,
    Opcode.SUB: 11_000,
    Opcode.MUL: 11_000,
    Opcode.DIV: 11_000,
    Opcode.SQRT: 9_000,
    Opcode.MAX: 4_000,
    Opcode.MIN: 4_000,
    Opcode.SELECT: 3_000,
    Opcode.LT: 4_000,
    Opcode.LE: 4_000,
    Opcode.EQ: 4_000,
    Opcode.NEG: 1_500,
    Opcode.ABS: 1_500,
    Opcode.COPY: 1_500,
}


def _uniform_bits(rng: np.random.Generator, count: int) -> np.ndarray:
    return rng.integers(0, 2**32, size=count, dtype=np.uint64).astype(np.uint32)


def _moderate(rng: np.random.Generator, count: int) -> np.ndarray:
    """Floats in the range training sees, where rounding (not overflow) matters."""
    values = rng.standard_normal(count) * np.exp2(rng.integers(-20, 20, count))
    return values.astype(np.float32).view(np.uint32)


def _subnormal(rng: np.random.Generator, count: int) -> np.ndarray:
    return _uniform_bits(rng, count) & np.uint32(0x807FFFFF)


def _near_ties(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose exact sum lies on or next to a midpoint between two floats."""
    a = (rng.integers(1 << 23, 1 << 24, count) | 1).astype(np.float64) * np.exp2(rng.integers(-30, 30, count))
    ulp = np.exp2(np.floor(np.log2(np.abs(a))) - 23)
    b = ulp * (rng.integers(0, 3, count) * 0.5 + 0.5) * rng.choice([-1.0, 1.0], count)
    return a.astype(np.float32).view(np.uint32), b.astype(np.float32).view(np.uint32)


def _operands(opcode: Opcode, rng: np.random.Generator) -> list[np.ndarray]:
    arity = ARITY[opcode]
    count = RANDOM_COUNTS[opcode]
    if arity == 1:
        edge = [EDGE_BITS]
    elif arity == 2:
        pairs = np.array(list(itertools.product(EDGE_BITS, repeat=2)), dtype=np.uint32)
        edge = [pairs[:, 0], pairs[:, 1]]
    else:
        conditions = np.array([0x00000000, 0x80000000, 0x3F800000, 0x00000001, 0x7FC00000,
                               0xFFC00000, 0xBF800000], dtype=np.uint32)  # fmt: skip
        triples = np.array(
            list(itertools.product(conditions, EDGE_BITS[::3], EDGE_BITS[1::3])), dtype=np.uint32
        )
        edge = [triples[:, 0], triples[:, 1], triples[:, 2]]
    quarter = count // 4
    columns = []
    for index in range(arity):
        parts = [
            edge[index],
            _uniform_bits(rng, quarter),
            _moderate(rng, quarter),
            _subnormal(rng, quarter),
        ]
        if opcode in (Opcode.LT, Opcode.LE, Opcode.EQ, Opcode.MAX, Opcode.MIN) and index == 1:
            parts.append(columns[0][-quarter:])  # equal operands
        else:
            parts.append(_moderate(rng, quarter))
        columns.append(np.concatenate(parts))
    if opcode in (Opcode.ADD, Opcode.SUB) and arity == 2:
        a, b = _near_ties(rng, count // 4)
        columns = [np.concatenate([columns[0], a]), np.concatenate([columns[1], b])]
    if opcode is Opcode.SQRT:
        roots = rng.integers(0, 1 << 12, count // 4).astype(np.float32)
        columns[0] = np.concatenate([columns[0], (roots * roots).view(np.uint32)])
    return columns


def generate() -> dict[str, object]:
    rng = np.random.default_rng(SEED)
    vectors: dict[str, list[str]] = {}
    for opcode in Opcode:
        operands = _operands(opcode, rng)
        result = apply_arrays(opcode, operands)
        rows = np.stack([*operands, result], axis=1)
        vectors[opcode.name] = ["".join(f"{v:08x}" for v in row) for row in rows.tolist()]
    return {
        "version": 1,
        "generator": "python -m tribunal.repops.vectors (numpy float32, RNE, NaN -> 7fc00000)",
        "nan": "7fc00000",
        "opcodes": {op.name: int(op) for op in Opcode},
        "vectors": vectors,
    }


def render(document: dict[str, object]) -> str:
    return json.dumps(document, separators=(",", ":")) + "\n"


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT_PATH
    document = generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(document))
    total = sum(len(v) for v in document["vectors"].values())  # type: ignore[union-attr]
    print(f"wrote {total} vectors to {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
