"""The binary float32 vectors the Solidity soft-float is tested against: current and complete."""

import numpy as np
import pytest

from tribunal.repops.float32_vectors_forge import VECTORS_DIR, path_for, render
from tribunal.repops.primitives import ARITY, CANONICAL_NAN, Opcode, apply_bits


def _records(opcode: Opcode) -> np.ndarray:
    data = np.frombuffer(path_for(opcode).read_bytes(), dtype=">u4")
    return data.reshape(-1, ARITY[opcode] + 1).astype(np.uint32)


@pytest.mark.parametrize("opcode", list(Opcode))
def test_committed_file_is_what_the_generator_writes(opcode: Opcode) -> None:
    assert path_for(opcode).read_bytes() == render(
        opcode
    ), f"{path_for(opcode)} is stale: run `python -m tribunal.repops.float32_vectors_forge`"


def test_files_hold_enough_vectors_and_only_these_files() -> None:
    assert sum(len(_records(op)) for op in Opcode) >= 100_000
    assert sorted(p.name for p in VECTORS_DIR.iterdir()) == sorted(f"{op.name}.bin" for op in Opcode)


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
