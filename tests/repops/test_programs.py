"""The shape of element programs: O(1) instructions, earlier temps only, documented lengths."""

import numpy as np
import pytest

from tests.repops.test_ops import CASES
from tribunal.repops import (
    OperandKind,
    OpKind,
    ShapeError,
    instruction,
    ops,
    output_shape,
    program,
    program_length,
    run_element,
)
from tribunal.repops.core.primitives import ARITY


@pytest.mark.parametrize("name", sorted(CASES))
def test_instructions_are_well_formed(name: str) -> None:
    spec, make = CASES[name]
    inputs = make(np.random.default_rng(0), 0.0)
    shapes = [x.shape for x in inputs]
    count = int(np.prod(output_shape(spec, shapes)))
    for element in sorted({0, count // 2, count - 1}):
        instrs = program(spec, shapes, element)
        assert len(instrs) == program_length(spec, shapes, element) > 0
        for i, instr in enumerate(instrs):
            assert instr == instruction(spec, shapes, element, i)
            assert len(instr.operands) == ARITY[instr.opcode]
            for operand in instr.operands:
                if operand.kind is OperandKind.TEMP:
                    assert 0 <= operand.a < i
                elif operand.kind is OperandKind.INPUT:
                    assert 0 <= operand.a < len(inputs)
                    assert 0 <= operand.b < inputs[operand.a].size
                else:
                    assert 0 <= operand.a < 2**32
        assert len(run_element(spec, inputs, element)) == len(instrs)


def test_program_lengths_are_as_documented() -> None:
    m, k, n = 3, 7, 5
    assert program_length(ops.matmul(), [(m, k), (k, n)], 0) == 2 * k
    assert program_length(ops.matmul_at(), [(k, m), (k, n)], 0) == 2 * k
    assert program_length(ops.matmul_bt(), [(2, m, k), (2, n, k)], 0) == 2 * k
    assert program_length(ops.bias_add(), [(4, 6), (6,)], 0) == 1
    assert program_length(ops.relu_grad(), [(4,), (4,)], 0) == 2
    assert program_length(ops.exp(), [(4,)], 0) == 71
    assert program_length(ops.log(), [(4,)], 0) == 103
    assert program_length(ops.reduce_sum(1, 2), [(4, 9)], 0) == 9
    assert program_length(ops.reduce_mean(0, 2), [(4, 9)], 0) == 37
    assert program_length(ops.pick(), [(4, 9), (4,)], 0) == 18
    assert program_length(ops.xent_grad(), [(4, 9), (4,), (4,)], 0) == 4
    assert program_length(ops.mse_loss(), [(4, 3), (4, 3)], 0) == 37
    assert program_length(ops.mse_grad(), [(4, 3), (4, 3)], 0) == 3
    assert program_length(ops.ln_rstd(), [(4, 8), (4,)], 0) == 3 * 8 + 4
    assert program_length(ops.ln_apply(), [(4, 8), (4,), (4,), (8,), (8,)], 0) == 4
    stats = [(4, 8), (4, 8), (4,), (4,), (8,)]
    assert program_length(ops.ln_grad_stats(0), stats, 0) == 2 * 8 + 1
    assert program_length(ops.ln_grad_stats(1), stats, 0) == 5 * 8 + 1
    grad_input = [(4, 8), (4, 8), (4,), (4,), (8,), (4,), (4,)]
    assert program_length(ops.ln_grad_input(), grad_input, 0) == 7
    assert program_length(ops.ln_grad_gain(), [(4, 8), (4, 8), (4,), (4,)], 0) == 4 * 4
    assert program_length(ops.sgd(0.1), [(3,), (3,)], 0) == 2
    assert program_length(ops.momentum(0.9), [(3,), (3,)], 0) == 2
    assert program_length(ops.adam_m(0.9), [(3,), (3,)], 0) == 3
    assert program_length(ops.adam_v(0.99), [(3,), (3,)], 0) == 4
    assert program_length(ops.adam_update(1e-3), [(3,), (3,), (3,), (), ()], 0) == 9
    assert program_length(ops.transpose((2, 3), (1, 0)), [(2, 3)], 0) == 1
    assert program_length(ops.col2im(1, 1, 4, 4, 3, 1, 1), [(16, 9)], 0) == 9
    assert program_length(ops.embedding(), [(5,), (11, 3)], 0) == 22
    assert program_length(ops.embedding_grad(11), [(5,), (5, 3)], 0) == 15
    assert program_length(ops.causal_mask(), [(4, 4)], 0) == 1
    assert program_length(ops.batch_gather([1, 2]), [(3, 4)], 0) == 1


def test_matmul_instruction_addresses() -> None:
    shapes = [(2, 3, 4), (2, 4, 5)]
    element = 1 * 15 + 2 * 5 + 3  # batch 1, i = 2, j = 3
    mul = instruction(ops.matmul(), shapes, element, 2 * 2)  # k = 2
    assert [(o.kind, o.a, o.b) for o in mul.operands] == [
        (OperandKind.INPUT, 0, 1 * 12 + 2 * 4 + 2),
        (OperandKind.INPUT, 1, 1 * 20 + 2 * 5 + 3),
    ]
    add = instruction(ops.matmul(), shapes, element, 2 * 2 + 1)
    assert [(o.kind, o.a) for o in add.operands] == [(OperandKind.TEMP, 3), (OperandKind.TEMP, 4)]
    first = instruction(ops.matmul(), shapes, element, 1)
    assert [(o.kind, o.a) for o in first.operands] == [(OperandKind.CONST, 0), (OperandKind.TEMP, 0)]


def test_bad_shapes_are_rejected_with_the_reason() -> None:
    with pytest.raises(ShapeError, match="contraction sizes differ"):
        output_shape(ops.matmul(), [(2, 3), (4, 5)])
    with pytest.raises(ShapeError, match="expected"):
        output_shape(ops.bias_add(), [(2, 3), (4,)])
    with pytest.raises(ShapeError, match="takes 2 inputs"):
        output_shape(ops.add(), [(2, 3)])
    with pytest.raises(ShapeError, match="outside the dataset"):
        output_shape(ops.batch_gather([5]), [(3, 2)])
    with pytest.raises(IndexError):
        program_length(ops.add(), [(2,), (2,)], 2)


def test_op_kind_numbers_are_stable() -> None:
    assert [int(kind) for kind in OpKind] == list(range(1, 31))
    assert OpKind.MATMUL == 1 and OpKind.GATHER_SUM == 30
