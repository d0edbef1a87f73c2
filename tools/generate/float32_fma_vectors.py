"""Fused multiply-add vectors: a million operand triples that Python and Solidity both derive
from one seed, and the digests of their results.

``python -m tools.generate.float32_fma_vectors`` writes ``vectors/float32_fma_stream.json``
(the stream's parameters and one SHA-256 digest per chunk of results) and
``vectors/float32/FMA.bin`` (every ``SAMPLE_EVERY``-th vector of the stream as
big-endian records ``a, b, c, fma(a, b, c)``, for readable failures and the gas
figures); ``--check`` exits 1 naming each stale file.

The stream (``TOTAL`` vectors, ``contracts/test/lib/Float32Fma.t.sol`` replays it):

* vectors ``0 .. 76^3 - 1``: every triple of ``SPECIALS`` (±0, subnormals, the normal
  boundary, neighbours of 1 and of the largest finite, ±inf, NaN payloads), ``a`` the
  slowest index;
* the rest: vector ``i`` reads the 64-bit words ``w0..w3 = word(4 i + j)`` (SplitMix64:
  ``mix(SEED + (n + 1) * GOLDEN)``), and ``w0 % 8`` picks a kind: uniform bits; random
  finite operands; near-exact cancellation (``c = -(a * b) ± up to 2 ulps``); exponents
  aligned within ±30 (partial cancellation, sticky bits); products underflowing into the
  subnormal range against tiny ``c``; products overflowing against huge ``c``; specials
  mixed with finite operands; sparse significands with ``c`` half an ulp of the product
  away (ties). :func:`operands` is the exact recipe, in numpy; the Solidity test repeats it
  statement for statement.

A chunk's digest is ``sha256`` of its ``CHUNK`` records of 16 bytes (``a, b, c, result``,
big-endian uint32). Results come from
:func:`tribunal.repops.core.primitives.fma_arrays`, cross-checked here against the exact
scalar :func:`~tribunal.repops.core.primitives.fma_bits` on every sampled vector;
``tests/repops/test_float32_fma.py`` checks all of them against C's ``fmaf``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Final

import numpy as np

from tools.generate import VECTORS_DIR, Outputs, generator_main
from tools.generate.float32_vectors import BINARY_DIR, SPECIALS
from tribunal.repops.core.primitives import Opcode, apply_arrays, fma_arrays, fma_bits

STREAM_PATH: Final = VECTORS_DIR / "float32_fma_stream.json"
BINARY_PATH: Final = BINARY_DIR / "FMA.bin"

SEED: Final[int] = 0x74726962756E616C  # "tribunal"
GOLDEN: Final[int] = 0x9E3779B97F4A7C15
TOTAL: Final[int] = 1_000_000
CHUNK: Final[int] = 50_000
SAMPLE_EVERY: Final[int] = 40
CROSS: Final[int] = len(SPECIALS) ** 3

_U64 = np.uint64


def words(n: np.ndarray) -> np.ndarray:
    """SplitMix64's ``n``-th output (n: uint64 array), wrapping mod 2^64 like the Solidity."""
    z = _U64(SEED) + (n.astype(_U64) + _U64(1)) * _U64(GOLDEN)
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


def _pack(sign: np.ndarray, exponent: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    return (sign.astype(np.int64) << 31) | (exponent.astype(np.int64) << 23) | fraction.astype(np.int64)


def _sparse(fraction: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The top ``keep`` (0..23) bits of a 23-bit fraction."""
    return fraction & ~((np.int64(1) << (23 - keep)) - 1) & 0x7FFFFF


def _clamp(exponent: np.ndarray) -> np.ndarray:
    return np.clip(exponent, 0, 254)


def operands(indices: np.ndarray) -> list[np.ndarray]:
    """The operands (uint32 columns a, b, c) of stream vectors ``indices``."""
    i = indices.astype(np.int64)
    cross = i < CROSS
    specials = np.asarray(SPECIALS, dtype=np.int64)
    n = len(specials)
    ca, cb, cc = specials[(i // (n * n)) % n], specials[(i // n) % n], specials[i % n]

    base = (4 * i).astype(_U64)
    w0, w1, w2, w3 = (words(base + _U64(j)) for j in range(4))

    def field(w: np.ndarray, shift: int, mask: int) -> np.ndarray:
        return ((w >> _U64(shift)) & _U64(mask)).astype(np.int64)

    kind = (w0 % _U64(8)).astype(np.int64)
    sparse = field(w3, 62, 1) == 1
    fa, fb, fc = field(w1, 0, 0x7FFFFF), field(w1, 23, 0x7FFFFF), field(w2, 0, 0x7FFFFF)
    ta, tb, tc = field(w2, 47, 31) % 24, field(w2, 52, 31) % 24, field(w2, 57, 31) % 24
    fa = np.where(sparse, _sparse(fa, ta), fa)
    fb = np.where(sparse, _sparse(fb, tb), fb)
    fc = np.where(sparse, _sparse(fc, tc), fc)
    sa, sb, sc = field(w1, 46, 1), field(w1, 47, 1), field(w1, 48, 1)
    ra, rb, rc = field(w2, 23, 0xFF), field(w2, 31, 0xFF), field(w2, 39, 0xFF)
    d8, d16 = field(w3, 8, 0xFFFFFF), field(w3, 16, 0xFFFF)

    # kind 0: uniform bits
    k0 = [field(w3, 0, 0xFFFFFFFF), field(w3, 32, 0xFFFFFFFF), field(w2, 32, 0xFFFFFFFF)]
    # kind 1: random finite operands over the whole exponent range
    k1 = [_pack(sa, ra % 255, fa), _pack(sb, rb % 255, fb), _pack(sc, rc % 255, fc)]
    # kinds 2, 3, 7: normal products
    ea, eb = 64 + ra % 126, 64 + rb % 126
    a_mid, b_mid = _pack(sa, ea, fa), _pack(sb, eb, fb)
    # kind 2: c = -(a * b rounded) + delta ulps, delta in -2..2: exact and near cancellation
    product = apply_arrays(Opcode.MUL, [a_mid.astype(np.uint32), b_mid.astype(np.uint32)]).astype(np.int64)
    k2 = [a_mid, b_mid, ((product ^ 0x80000000) + d8 % 5 - 2) & 0xFFFFFFFF]
    # kind 3: c's exponent within ±30 of the product's
    k3 = [a_mid, b_mid, _pack(sc, _clamp(ea + eb - 127 + d8 % 61 - 30), fc)]
    # kind 4: products in the subnormal range or below it, c tiny
    ea4 = 1 + ra % 126
    k4 = [_pack(sa, ea4, fa), _pack(sb, _clamp(d8 % 51 - 48 + 127 - ea4), fb), _pack(sc, d16 % 8, fc)]
    # kind 5: products near or past overflow, c huge
    ea5 = 128 + ra % 127
    k5 = [_pack(sa, ea5, fa), _pack(sb, _clamp(250 + d8 % 13 + 127 - ea5), fb), _pack(sc, 240 + d16 % 15, fc)]
    # kind 6: each operand a special (bit 8 + j of w3) or a random finite
    k6 = []
    for j, (s, r, f) in enumerate(((sa, ra, fa), (sb, rb, fb), (sc, rc, fc))):
        pick = field(w3, 8 + j, 1) == 1
        special = specials[field(w3, 16 + 8 * j, 0xFF) % n]
        k6.append(np.where(pick, special, _pack(s, r % 255, f)))
    # kind 7: short significands, c about half an ulp of the product: ties
    k7 = [
        _pack(sa, ea, _sparse(fa, ta % 12)),
        _pack(sb, eb, _sparse(fb, tb % 12)),
        _pack(sc, _clamp(ea + eb - 127 - 24 + d8 % 5 - 2), _sparse(fc, tc % 4)),
    ]
    kinds = [k0, k1, k2, k3, k4, k5, k6, k7]
    columns = []
    for j, crossed in enumerate((ca, cb, cc)):
        chosen = np.select([kind == k for k in range(8)], [k[j] for k in kinds])
        columns.append(np.where(cross, crossed, chosen).astype(np.uint32))
    return columns


def records(indices: np.ndarray) -> np.ndarray:
    """Rows ``a, b, c, fma(a, b, c)`` (uint32) of stream vectors ``indices``."""
    a, b, c = operands(indices)
    return np.stack([a, b, c, fma_arrays(a, b, c)], axis=1).astype(np.uint32)


def chunk_digest(rows: np.ndarray) -> str:
    return "0x" + hashlib.sha256(rows.astype(">u4").tobytes()).hexdigest()


def sample_indices() -> np.ndarray:
    return np.arange(0, TOTAL, SAMPLE_EVERY, dtype=np.int64)


def outputs() -> Outputs:
    digests = [chunk_digest(records(np.arange(s, s + CHUNK, dtype=np.int64))) for s in range(0, TOTAL, CHUNK)]
    sample = records(sample_indices())
    for a, b, c, result in sample.tolist():
        if fma_bits(a, b, c) != result:
            raise AssertionError(f"fma_arrays and fma_bits disagree on {a:#x} {b:#x} {c:#x}")
    document = {
        "version": 1,
        "generator": "python -m tools.generate.float32_fma_vectors (exact fma, RNE, NaN -> 7fc00000)",
        "seed": f"0x{SEED:016x}",
        "total": TOTAL,
        "chunk": CHUNK,
        "cross_product": CROSS,
        "specials": [f"0x{s:08x}" for s in SPECIALS],
        "digests": digests,
    }
    return {
        STREAM_PATH: (json.dumps(document, indent=1) + "\n").encode(),
        BINARY_PATH: sample.astype(">u4").tobytes(),
    }


main = generator_main("tools.generate.float32_fma_vectors", __doc__, outputs)

if __name__ == "__main__":
    sys.exit(main())
