"""The fused multiply-add reference (`fma_bits`, exact integers; `fma_arrays`, float64 round-to-odd)
against C's `fmaf` on the whole 10^6-vector stream that `Float32Fma.t.sol` replays, and the
committed vectors and digests that the Solidity soft-float is held to."""

import ctypes
import ctypes.util
import json

import numpy as np
import pytest

from tools.generate.float32_fma_vectors import (
    BINARY_PATH,
    CHUNK,
    CROSS,
    SAMPLE_EVERY,
    STREAM_PATH,
    TOTAL,
    chunk_digest,
    operands,
    outputs,
    records,
)
from tools.generate.float32_vectors import SPECIALS
from tribunal.repops.core.primitives import (
    CANONICAL_NAN,
    NEG_ZERO,
    ONE,
    POS_INF,
    POS_ZERO,
    Opcode,
    apply_arrays,
    fma_arrays,
    fma_bits,
    round_exact_bits,
)

NEG_ONE = 0xBF800000
NEG_INF = 0xFF800000
MAX_FINITE = 0x7F7FFFFF


@pytest.fixture(scope="module")
def stream() -> np.ndarray:
    """All TOTAL rows a, b, c, fma(a, b, c)."""
    return records(np.arange(TOTAL, dtype=np.int64))


def _libm_fmaf() -> "ctypes._CFuncPtr | None":
    name = ctypes.util.find_library("m")
    if name is None:
        return None
    function = getattr(ctypes.CDLL(name), "fmaf", None)
    if function is not None:
        function.argtypes = [ctypes.c_float] * 3
        function.restype = ctypes.c_float
    return function


def test_committed_files_are_what_the_generator_writes() -> None:
    stale = [str(path) for path, data in outputs().items() if path.read_bytes() != data]
    assert not stale, f"{stale} stale: run `python -m tools.generate.float32_fma_vectors`"


def test_the_stream_is_a_million_vectors_starting_with_every_special_triple(stream: np.ndarray) -> None:
    assert len(stream) == TOTAL >= 1_000_000
    assert len(SPECIALS) ** 3 == CROSS
    first = stream[: len(SPECIALS)]
    assert first[:, 0].tolist() == [SPECIALS[0]] * len(SPECIALS)
    assert first[:, 2].tolist() == list(SPECIALS)
    values = stream[:, 3].view(np.float32)
    # every kind of result is well represented
    assert np.isnan(values).mean() > 0.01
    assert np.isinf(values).mean() > 0.01
    assert (values == 0).mean() > 0.005
    subnormal = ((stream[:, 3] & 0x7F800000) == 0) & ((stream[:, 3] & 0x7FFFFF) != 0)
    assert subnormal.mean() > 0.01


def test_sampled_file_holds_every_fortieth_vector(stream: np.ndarray) -> None:
    rows = np.frombuffer(BINARY_PATH.read_bytes(), dtype=">u4").reshape(-1, 4).astype(np.uint32)
    np.testing.assert_array_equal(rows, stream[::SAMPLE_EVERY])


def test_digests_cover_the_whole_stream(stream: np.ndarray) -> None:
    document = json.loads(STREAM_PATH.read_text())
    assert document["total"] == TOTAL and document["chunk"] == CHUNK
    assert document["digests"] == [chunk_digest(stream[s : s + CHUNK]) for s in range(0, TOTAL, CHUNK)]
    assert [int(s, 16) for s in document["specials"]] == list(SPECIALS)


def test_exact_reference_equals_the_vectorised_one_on_the_whole_stream(stream: np.ndarray) -> None:
    exact = np.array([fma_bits(a, b, c) for a, b, c in stream[:, :3].tolist()], dtype=np.uint32)
    mismatch = np.flatnonzero(exact != stream[:, 3])
    assert not mismatch.size, [hex(int(v)) for v in stream[mismatch[0]]]


def test_reference_equals_c_fmaf_on_the_whole_stream(stream: np.ndarray) -> None:
    fmaf = _libm_fmaf()
    if fmaf is None:
        pytest.skip("no fmaf in this C library")
    with np.errstate(all="ignore"):
        floats = stream[:, :3].view(np.float32).astype(np.float64).tolist()
        got = np.array([fmaf(a, b, c) for a, b, c in floats], dtype=np.float32)
    bits = np.where(np.isnan(got), np.uint32(CANONICAL_NAN), got.view(np.uint32))
    mismatch = np.flatnonzero(bits != stream[:, 3])
    if mismatch.size:
        first = [hex(int(v)) for v in stream[mismatch[0]]]
        pytest.fail(f"{mismatch.size} differ, first {first}: fmaf {bits[mismatch[0]]:#x}")


def test_identities_on_the_stream(stream: np.ndarray) -> None:
    a, b, c = (np.ascontiguousarray(stream[:, j]) for j in range(3))
    ones = np.full_like(a, ONE)
    minus_zero = np.full_like(a, NEG_ZERO)
    np.testing.assert_array_equal(fma_arrays(a, ones, c), apply_arrays(Opcode.ADD, [a, c]))
    np.testing.assert_array_equal(fma_arrays(a, b, minus_zero), apply_arrays(Opcode.MUL, [a, b]))
    np.testing.assert_array_equal(fma_arrays(b, a, c), stream[:, 3])


@pytest.mark.parametrize(
    ("a", "b", "c", "result"),
    [
        (0x7FC00001, ONE, ONE, CANONICAL_NAN),  # NaN payload
        (POS_ZERO, POS_INF, 0x7FC00000, CANONICAL_NAN),  # 0 * inf + NaN
        (POS_ZERO, POS_INF, ONE, CANONICAL_NAN),  # 0 * inf + 1
        (POS_INF, ONE, NEG_INF, CANONICAL_NAN),  # inf - inf
        (POS_INF, NEG_ONE, NEG_INF, NEG_INF),
        (ONE, ONE, NEG_INF, NEG_INF),
        (MAX_FINITE, MAX_FINITE, NEG_INF, NEG_INF),  # the finite product does not overflow first
        (MAX_FINITE, 0x40000000, 0xFF7FFFFF, MAX_FINITE),  # 2 max - max: exact
        (MAX_FINITE, MAX_FINITE, 0xFF7FFFFF, POS_INF),  # overflow
        (NEG_ZERO, ONE, NEG_ZERO, NEG_ZERO),  # -0 + -0
        (NEG_ZERO, ONE, POS_ZERO, POS_ZERO),
        (ONE, ONE, NEG_ONE, POS_ZERO),  # exact cancellation
        (0x80000001, 0x00000001, POS_ZERO, NEG_ZERO),  # -2^-298 underflows with its sign
        (0x3F800800, 0x3F800800, NEG_ONE, 0x3A000400),  # (1 + 2^-12)^2 - 1 = 2^-11 + 2^-24
        (0x3F800800, 0x3F800800, POS_ZERO, 0x3F801000),  # a tie, to even
        (0x3F800800, 0x3F800800, 0x00000001, 0x3F801001),  # the tie broken by 2^-149
        (0x3F800800, 0x3F800800, 0x80000001, 0x3F801000),
        (0x00000001, 0x3F000000, POS_ZERO, POS_ZERO),  # subnormal tie, to even
        (0x00000001, 0x3F000001, POS_ZERO, 0x00000001),
        (0x00800000, 0x3F000000, 0x00000001, 0x00400001),
        (0x007FFFFF, ONE, 0x00000001, 0x00800000),  # into the normal range
    ],
)
def test_named_cases(a: int, b: int, c: int, result: int) -> None:
    assert fma_bits(a, b, c) == result
    column = np.array([a], dtype=np.uint32), np.array([b], dtype=np.uint32), np.array([c], dtype=np.uint32)
    assert int(fma_arrays(*column)[0]) == result


def test_one_rounding_where_float64_then_float32_rounds_twice() -> None:
    a = b = 0x3F800800  # 1 + 2^-12
    c = 0x00000001  # 2^-149
    wide = float(np.uint32(a).view(np.float32)) ** 2 + float(np.uint32(c).view(np.float32))
    assert int(np.float32(wide).view(np.uint32)) == 0x3F801000  # the naive way loses the 2^-149
    assert fma_bits(a, b, c) == 0x3F801001


@pytest.mark.parametrize(
    ("sign", "m", "e", "bits"),
    [
        (0, 1, -149, 0x00000001),
        (0, 1, -150, 0x00000000),  # tie to even
        (0, 3, -151, 0x00000001),  # 0.75 ulp
        (1, (1 << 24) - 1, -150, 0x80800000),  # a tie that rounds up into the normal range
        (0, (1 << 24) + 1, 0, 0x4B800000),  # 2^24 + 1: a tie, to even
        (0, (1 << 24) + 3, 0, 0x4B800002),  # 2^24 + 3: a tie, to even (up)
    ],
)
def test_round_exact_bits(sign: int, m: int, e: int, bits: int) -> None:
    assert round_exact_bits(sign, m, e) == bits


def test_round_exact_bits_overflow_and_range() -> None:
    assert round_exact_bits(0, (1 << 24) - 1, 104) == MAX_FINITE
    assert round_exact_bits(0, (1 << 25) - 1, 103) == POS_INF  # the overflow threshold is a tie, to even
    assert round_exact_bits(1, (1 << 26) - 3, 102) == 0xFF7FFFFF  # just below the threshold
    assert round_exact_bits(0, 0, 0) == POS_ZERO and round_exact_bits(1, 0, 0) == NEG_ZERO


def test_operands_are_deterministic() -> None:
    indices = np.array([0, CROSS - 1, CROSS, TOTAL - 1], dtype=np.int64)
    first, second = operands(indices), operands(indices)
    for x, y in zip(first, second, strict=True):
        np.testing.assert_array_equal(x, y)
