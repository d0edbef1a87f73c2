"""The shared float32 vector file: current, big enough, and right by a second oracle."""

import json

import numpy as np
import pytest
import torch

from tribunal.repops import tensor_primitives as tp
from tribunal.repops.primitives import ARITY, CANONICAL_NAN, Opcode, apply_bits
from tribunal.repops.vectors import DEFAULT_PATH, generate, render


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(DEFAULT_PATH.read_text())


def _columns(document: dict, opcode: Opcode) -> list[np.ndarray]:
    rows = document["vectors"][opcode.name]
    width = ARITY[opcode] + 1
    flat = np.array(
        [int(row[8 * i : 8 * i + 8], 16) for row in rows for i in range(width)], dtype=np.uint64
    ).astype(np.uint32)
    return [flat[i::width] for i in range(width)]


def test_committed_file_is_what_the_generator_writes() -> None:
    assert DEFAULT_PATH.read_text() == render(
        generate()
    ), "tribunal/vectors/float32_ops.json is stale: run `python -m tribunal.repops.vectors`"


def test_file_has_enough_vectors_and_stays_small(document: dict) -> None:
    assert sum(len(rows) for rows in document["vectors"].values()) >= 100_000
    assert DEFAULT_PATH.stat().st_size < 10_000_000
    assert document["opcodes"] == {op.name: int(op) for op in Opcode}


@pytest.mark.parametrize("opcode", [Opcode.ADD, Opcode.SUB, Opcode.MUL, Opcode.DIV, Opcode.SQRT])
def test_arithmetic_vectors_agree_with_float64_then_round(document: dict, opcode: Opcode) -> None:
    """A second oracle: exact-enough float64 arithmetic rounded once to float32."""
    *operands, result = _columns(document, opcode)
    with np.errstate(all="ignore"):
        wide = [o.view(np.float32).astype(np.float64) for o in operands]
        if opcode is Opcode.SQRT:
            exact = np.sqrt(wide[0])
        else:
            exact = {
                Opcode.ADD: np.add,
                Opcode.SUB: np.subtract,
                Opcode.MUL: np.multiply,
                Opcode.DIV: np.divide,
            }[opcode](*wide)
        rounded = exact.astype(np.float32)
    expected = np.where(np.isnan(rounded), np.uint32(CANONICAL_NAN), rounded.view(np.uint32))
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("opcode", list(Opcode))
def test_tensor_primitives_reproduce_every_vector(document: dict, opcode: Opcode) -> None:
    *operands, result = _columns(document, opcode)
    tensors = [torch.from_numpy(o.view(np.float32).copy()) for o in operands]
    got = tp.canonicalize(tp.apply_tensor(opcode, tensors)).numpy().view(np.uint32)
    np.testing.assert_array_equal(got, result)
    for i in range(0, result.size, max(1, result.size // 200)):
        assert apply_bits(opcode, [int(o[i]) for o in operands]) == int(result[i])
