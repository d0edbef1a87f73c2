"""The float32 vectors the Solidity soft-float and the torch primitives are tested against:
current, complete, in both encodings, and right by a second oracle."""

import json

import numpy as np
import pytest
import torch

from tools.generate.float32_vectors import BINARY_DIR, JSON_PATH, binary_path, outputs
from tribunal.repops.core import tensor_primitives as tp
from tribunal.repops.core.primitives import ARITY, CANONICAL_NAN, Opcode, apply_bits


def _records(opcode: Opcode) -> np.ndarray:
    data = np.frombuffer(binary_path(opcode).read_bytes(), dtype=">u4")
    return data.reshape(-1, ARITY[opcode] + 1).astype(np.uint32)


def test_committed_files_are_what_the_generator_writes() -> None:
    stale = [str(path) for path, data in outputs().items() if path.read_bytes() != data]
    assert not stale, f"{stale} stale: run `python -m tools.generate.float32_vectors`"


def test_files_hold_enough_vectors_and_only_these_files() -> None:
    assert sum(len(_records(op)) for op in Opcode) >= 100_000
    # FMA.bin: the fused multiply-add, no opcode (tools.generate.float32_fma_vectors)
    assert sorted(p.name for p in BINARY_DIR.iterdir()) == sorted(
        [*(f"{op.name}.bin" for op in Opcode), "FMA.bin"]
    )


def test_json_holds_the_binary_files_vectors() -> None:
    document = json.loads(JSON_PATH.read_text())
    assert JSON_PATH.stat().st_size < 10_000_000
    assert document["opcodes"] == {op.name: int(op) for op in Opcode}
    for opcode in Opcode:
        rows = document["vectors"][opcode.name]
        assert rows == ["".join(f"{v:08x}" for v in row) for row in _records(opcode).tolist()]


@pytest.mark.parametrize("opcode", [Opcode.ADD, Opcode.SUB, Opcode.MUL, Opcode.DIV, Opcode.SQRT])
def test_arithmetic_vectors_agree_with_float64_then_round(opcode: Opcode) -> None:
    """A second oracle: exact-enough float64 arithmetic rounded once to float32."""
    *operands, result = _records(opcode).T
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
def test_tensor_primitives_reproduce_every_vector(opcode: Opcode) -> None:
    *operands, result = (np.ascontiguousarray(c) for c in _records(opcode).T)
    tensors = [torch.from_numpy(o.view(np.float32).copy()) for o in operands]
    got = tp.canonicalize(tp.apply_tensor(opcode, tensors)).numpy().view(np.uint32)
    np.testing.assert_array_equal(got, result)


@pytest.mark.parametrize(
    ("opcode", "operands", "result"),
    [
        (Opcode.ADD, (0x7F800000, 0xFF800000), CANONICAL_NAN),  # inf - inf
        (Opcode.MUL, (0x00000000, 0x7F800000), CANONICAL_NAN),  # 0 * inf
        (Opcode.DIV, (0x00000000, 0x80000000), CANONICAL_NAN),  # 0 / -0
        (Opcode.DIV, (0x3F800000, 0x80000000), 0xFF800000),  # 1 / -0
        (Opcode.SQRT, (0x80000001,), CANONICAL_NAN),  # sqrt of a negative subnormal
        (Opcode.SQRT, (0x80000000,), 0x80000000),  # sqrt(-0)
        (Opcode.MUL, (0x00000001, 0x3F000000), 0x00000000),  # tie on the subnormal grid
        (Opcode.ADD, (0x007FFFFF, 0x00000001), 0x00800000),  # into the normal range
        (Opcode.ADD, (0x7F7FFFFF, 0x7F7FFFFF), 0x7F800000),  # overflow
        (Opcode.MAX, (0x00000000, 0x80000000), 0x80000000),  # max(+0, -0) = -0
        (Opcode.MIN, (0x7FBFFFFF, 0x3F800000), CANONICAL_NAN),  # NaN payload
        (Opcode.SELECT, (0x80000000, 0x3F000000, 0x4B000000), 0x4B000000),  # -0 is false
        (Opcode.SELECT, (0x7F800001, 0x3F000000, 0x4B000000), 0x3F000000),  # NaN is true
        (Opcode.NEG, (0xFFFFFFFF,), CANONICAL_NAN),
    ],
)
def test_edge_cases_are_in_the_files(opcode: Opcode, operands: tuple[int, ...], result: int) -> None:
    assert apply_bits(opcode, operands) == result
    records = _records(opcode)
    match = np.all(records[:, :-1] == np.array(operands, dtype=np.uint32), axis=1)
    assert match.any(), f"{opcode.name}{tuple(hex(o) for o in operands)} is missing"
    assert int(records[match][0, -1]) == result
