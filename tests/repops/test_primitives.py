"""The float32 primitives: scalar reference vs numpy, tensors vs the reference."""

import itertools

import numpy as np
import pytest
import torch

from tests.repops.helpers import SPECIAL_BITS, random_bits
from tribunal.repops.core import tensor_primitives as tp
from tribunal.repops.core.primitives import (
    ARITY,
    CANONICAL_NAN,
    NEG_ZERO,
    ONE,
    POS_ZERO,
    Opcode,
    apply_arrays,
    apply_bits,
    f32_to_bits,
)

BINARY_NUMPY = {
    Opcode.ADD: np.add,
    Opcode.SUB: np.subtract,
    Opcode.MUL: np.multiply,
    Opcode.DIV: np.divide,
}


def _canonical(values: np.ndarray) -> np.ndarray:
    bits = values.astype(np.float32).view(np.uint32)
    return np.where(np.isnan(values), np.uint32(CANONICAL_NAN), bits)


def _operands(rng: np.random.Generator, arity: int, count: int) -> list[np.ndarray]:
    """Random bit patterns, every pair of special values, and subnormal-heavy ones."""
    specials = [
        np.array(p, dtype=np.uint32)
        for p in zip(*itertools.product(SPECIAL_BITS, repeat=min(arity, 2)), strict=True)
    ]
    columns = []
    for index in range(arity):
        uniform = random_bits(rng, (count,)).view(np.uint32)
        subnormal = uniform[: count // 4] & np.uint32(0x807FFFFF)
        special = specials[min(index, len(specials) - 1)]
        columns.append(np.concatenate([uniform, subnormal, special]))
    return columns


def test_opcode_numbers_are_stable() -> None:
    assert {op.name: int(op) for op in Opcode} == {
        "ADD": 1,
        "SUB": 2,
        "MUL": 3,
        "DIV": 4,
        "SQRT": 5,
        "MAX": 6,
        "MIN": 7,
        "SELECT": 8,
        "LT": 9,
        "LE": 10,
        "EQ": 11,
        "NEG": 12,
        "ABS": 13,
        "COPY": 14,
    }


@pytest.mark.parametrize("opcode", list(BINARY_NUMPY))
def test_arithmetic_matches_numpy_float32(opcode: Opcode) -> None:
    rng = np.random.default_rng(int(opcode))
    a, b = _operands(rng, 2, 20_000)
    with np.errstate(all="ignore"):
        expected = _canonical(BINARY_NUMPY[opcode](a.view(np.float32), b.view(np.float32)))
    np.testing.assert_array_equal(apply_arrays(opcode, [a, b]), expected)
    for i in rng.choice(a.size, 300, replace=False):
        assert apply_bits(opcode, [int(a[i]), int(b[i])]) == int(expected[i])


def test_sqrt_matches_numpy_float32() -> None:
    rng = np.random.default_rng(5)
    (a,) = _operands(rng, 1, 50_000)
    with np.errstate(all="ignore"):
        expected = _canonical(np.sqrt(a.view(np.float32)))
    np.testing.assert_array_equal(apply_arrays(Opcode.SQRT, [a]), expected)
    assert apply_bits(Opcode.SQRT, [NEG_ZERO]) == NEG_ZERO
    assert apply_bits(Opcode.SQRT, [f32_to_bits(-1.0)]) == CANONICAL_NAN


def test_rounding_is_to_nearest_even() -> None:
    one = f32_to_bits(1.0)
    half_ulp = f32_to_bits(2.0**-24)
    assert apply_bits(Opcode.ADD, [one, half_ulp]) == one  # tie -> even (1.0)
    odd = f32_to_bits(1.0 + 2.0**-23)
    assert apply_bits(Opcode.ADD, [odd, half_ulp]) == f32_to_bits(1.0 + 2.0**-22)
    big = f32_to_bits(2.0**24)
    assert apply_bits(Opcode.ADD, [big, one]) == big  # 2**24 + 1 ties to 2**24


def test_subnormals_are_kept() -> None:
    smallest = 0x00000001
    assert apply_bits(Opcode.ADD, [smallest, smallest]) == 0x00000002
    assert apply_bits(Opcode.MUL, [0x00800000, f32_to_bits(0.5)]) == 0x00400000
    assert apply_bits(Opcode.DIV, [smallest, f32_to_bits(2.0)]) == POS_ZERO  # tie to even 0
    assert apply_bits(Opcode.DIV, [0x00000003, f32_to_bits(2.0)]) == 0x00000002


def test_max_and_min_are_ordered_selects() -> None:
    assert apply_bits(Opcode.MAX, [POS_ZERO, NEG_ZERO]) == NEG_ZERO
    assert apply_bits(Opcode.MAX, [NEG_ZERO, POS_ZERO]) == POS_ZERO
    assert apply_bits(Opcode.MIN, [POS_ZERO, NEG_ZERO]) == NEG_ZERO
    assert apply_bits(Opcode.MIN, [NEG_ZERO, POS_ZERO]) == POS_ZERO
    for nan in (0x7FC00000, 0xFFC00000, 0x7F800001):
        assert apply_bits(Opcode.MAX, [nan, ONE]) == CANONICAL_NAN
        assert apply_bits(Opcode.MAX, [ONE, nan]) == CANONICAL_NAN
        assert apply_bits(Opcode.MIN, [nan, ONE]) == CANONICAL_NAN


def test_select_compares_and_sign_ops() -> None:
    a, b = f32_to_bits(3.0), f32_to_bits(4.0)
    assert apply_bits(Opcode.SELECT, [ONE, a, b]) == a
    assert apply_bits(Opcode.SELECT, [NEG_ZERO, a, b]) == b
    assert apply_bits(Opcode.SELECT, [CANONICAL_NAN, a, b]) == a
    assert apply_bits(Opcode.SELECT, [ONE, 0xFFC00000, b]) == CANONICAL_NAN
    assert apply_bits(Opcode.EQ, [POS_ZERO, NEG_ZERO]) == ONE
    assert apply_bits(Opcode.EQ, [CANONICAL_NAN, CANONICAL_NAN]) == POS_ZERO
    assert apply_bits(Opcode.LT, [CANONICAL_NAN, a]) == POS_ZERO
    assert apply_bits(Opcode.LE, [a, a]) == ONE
    assert apply_bits(Opcode.NEG, [POS_ZERO]) == NEG_ZERO
    assert apply_bits(Opcode.NEG, [CANONICAL_NAN]) == CANONICAL_NAN
    assert apply_bits(Opcode.ABS, [0xFFC00001]) == CANONICAL_NAN
    assert apply_bits(Opcode.COPY, [0x7F800001]) == CANONICAL_NAN


def test_every_result_nan_is_canonical() -> None:
    rng = np.random.default_rng(11)
    for opcode in Opcode:
        operands = _operands(rng, ARITY[opcode], 5_000)
        result = apply_arrays(opcode, operands)
        nan = np.isnan(result.view(np.float32))
        assert np.all(result[nan] == CANONICAL_NAN), opcode.name


@pytest.mark.parametrize("opcode", list(Opcode))
def test_tensor_primitive_matches_reference(opcode: Opcode) -> None:
    rng = np.random.default_rng(100 + int(opcode))
    operands = _operands(rng, ARITY[opcode], 50_000)
    tensors = [torch.from_numpy(o.view(np.float32).copy()) for o in operands]
    got = tp.canonicalize(tp.apply_tensor(opcode, tensors)).numpy().view(np.uint32)
    np.testing.assert_array_equal(got, apply_arrays(opcode, operands))


def test_tensor_sqrt_is_correctly_rounded() -> None:
    """torch's own float32 sqrt misrounds some inputs on CPU; ours goes through float64."""
    rng = np.random.default_rng(3)
    x = np.abs(random_bits(rng, (200_000,)))
    x = x[np.isfinite(x)]
    with np.errstate(all="ignore"):
        reference = np.sqrt(x).view(np.uint32)
    ours = tp.sqrt(torch.from_numpy(x)).numpy().view(np.uint32)
    np.testing.assert_array_equal(ours, reference)
