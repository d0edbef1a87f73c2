"""Every op: the torch implementation equals the scalar interpreter on every element."""

from collections.abc import Callable

import numpy as np
import pytest
import torch

from tests.repops.helpers import (
    SPECIAL,
    assert_all_paths_match_interpreter,
    class_ids,
    random_floats,
)
from tribunal.repops import OpKind, OpSpec, execute, ops
from tribunal.repops.core.opspec import Broadcast
from tribunal.repops.core.primitives import Opcode

Rng = np.random.Generator
Inputs = Callable[[Rng, float], list[np.ndarray]]


def floats(*shape: int, scale: float = 1.0, positive: bool = False) -> Callable[[Rng, float], np.ndarray]:
    def make(rng: Rng, special_rate: float) -> np.ndarray:
        x = random_floats(rng, shape, special_rate, scale)
        return np.abs(x) if positive else x

    return make


def ids(*shape: int, classes: int) -> Callable[[Rng, float], np.ndarray]:
    return lambda rng, special_rate: class_ids(rng, shape, classes)


def case(spec: OpSpec, *makers: Callable[[Rng, float], np.ndarray]) -> tuple[OpSpec, Inputs]:
    return spec, lambda rng, rate: [make(rng, rate) for make in makers]


CASES: dict[str, tuple[OpSpec, Inputs]] = {
    "matmul": case(ops.matmul(), floats(5, 7), floats(7, 3)),
    "matmul_batched": case(ops.matmul(), floats(2, 3, 4), floats(2, 4, 5)),
    "matmul_at": case(ops.matmul_at(), floats(6, 4), floats(6, 3)),
    "matmul_bt": case(ops.matmul_bt(), floats(2, 3, 5), floats(2, 4, 5)),
    "matmul_k1": case(ops.matmul(), floats(3, 1), floats(1, 2)),
    "add": case(ops.add(), floats(4, 5), floats(4, 5)),
    "sub": case(ops.sub(), floats(20), floats(20)),
    "mul": case(ops.mul(), floats(3, 2, 4), floats(3, 2, 4)),
    "div": case(ops.div(), floats(30), floats(30)),
    "maximum": case(ops.maximum(), floats(30), floats(30)),
    "minimum": case(ops.minimum(), floats(30), floats(30)),
    "bias_add": case(ops.bias_add(), floats(4, 6), floats(6)),
    "row_sub": case(ops.row_sub(), floats(2, 3, 5), floats(2, 3)),
    "row_div": case(ops.row_div(), floats(4, 5), floats(4)),
    "scalar_mul": case(ops.binary(Opcode.MUL, Broadcast.SCALAR), floats(4, 3), floats()),
    "compare_lt": case(ops.binary(Opcode.LT), floats(25), floats(25)),
    "scale": case(ops.scale(0.125), floats(4, 6)),
    "scale_inexact": case(ops.scale(0.1), floats(30)),
    "reciprocal": case(ops.const_binary(Opcode.DIV, 1.0, const_first=True), floats(30)),
    "add_const": case(ops.add_const(-3.5), floats(30)),
    "relu": case(ops.relu(), floats(5, 6)),
    "relu_grad": case(ops.relu_grad(), floats(5, 6), floats(5, 6)),
    "sqrt": case(ops.sqrt(), floats(30)),
    "neg": case(ops.neg(), floats(30)),
    "abs": case(ops.absolute(), floats(30)),
    "exp": case(ops.exp(), floats(40, scale=30.0)),
    "log": case(ops.log(), floats(40, scale=1e3, positive=True)),
    "reduce_sum_last": case(ops.reduce_sum(1, 2), floats(4, 9)),
    "reduce_sum_first": case(ops.reduce_sum(0, 1), floats(6, 3)),
    "reduce_sum_middle": case(ops.reduce_sum(1, 3), floats(2, 3, 2, 2)),
    "reduce_sum_all": case(ops.reduce_sum(0, 2), floats(5, 4)),
    "reduce_mean_leading": case(ops.reduce_mean(0, 2), floats(2, 3, 4)),
    "reduce_max": case(ops.reduce_max(1, 2), floats(5, 7)),
    "reduce_min": case(ops.reduce_min(0, 1), floats(5, 3)),
    "pick": case(ops.pick(), floats(12, 5), ids(12, classes=5)),
    "xent_grad": case(
        ops.xent_grad(), floats(6, 4, positive=True), floats(6, positive=True), ids(6, classes=4)
    ),
    "mse_loss": case(ops.mse_loss(), floats(4, 3), floats(4, 3)),
    "mse_grad": case(ops.mse_grad(), floats(4, 3), floats(4, 3)),
    "ln_rstd": case(ops.ln_rstd(1e-5), floats(2, 3, 6), floats(2, 3)),
    "ln_apply": case(ops.ln_apply(), floats(4, 6), floats(4), floats(4), floats(6), floats(6)),
    "ln_grad_stats_0": case(
        ops.ln_grad_stats(0), floats(3, 5), floats(3, 5), floats(3), floats(3), floats(5)
    ),
    "ln_grad_stats_1": case(
        ops.ln_grad_stats(1), floats(3, 5), floats(3, 5), floats(3), floats(3), floats(5)
    ),
    "ln_grad_input": case(
        ops.ln_grad_input(),
        floats(3, 5),
        floats(3, 5),
        floats(3),
        floats(3),
        floats(5),
        floats(3),
        floats(3),
    ),
    "ln_grad_gain": case(ops.ln_grad_gain(), floats(2, 3, 4), floats(2, 3, 4), floats(2, 3), floats(2, 3)),
    "sgd": case(ops.sgd(0.01), floats(5, 4), floats(5, 4)),
    "momentum": case(ops.momentum(0.9), floats(5, 4), floats(5, 4)),
    "adam_m": case(ops.adam_m(0.9), floats(5, 4), floats(5, 4)),
    "adam_v": case(ops.adam_v(0.999), floats(5, 4, positive=True), floats(5, 4)),
    "adam_update": case(
        ops.adam_update(1e-3, 1e-8),
        floats(5, 4),
        floats(5, 4),
        floats(5, 4, positive=True),
        floats(scale=0.5),
        floats(scale=0.5),
    ),
    "transpose": case(ops.transpose((3, 4, 5), (2, 0, 1)), floats(3, 4, 5)),
    "reshape": case(ops.reshape((3, 4), (2, 6)), floats(3, 4)),
    "split_heads": case(ops.split_heads(2, 3, 2, 4), floats(2, 3, 8)),
    "merge_heads": case(ops.merge_heads(2, 3, 2, 4), floats(2, 2, 3, 4)),
    "im2col": case(ops.im2col(2, 2, 5, 4, kernel=3, stride=1, pad=1), floats(2, 2, 5, 4)),
    "im2col_strided": case(ops.im2col(1, 2, 6, 6, kernel=2, stride=2, pad=0), floats(1, 2, 6, 6)),
    "col2im": case(ops.col2im(2, 2, 5, 4, kernel=3, stride=1, pad=1), floats(40, 18)),
    "col2im_strided": case(ops.col2im(1, 2, 5, 5, kernel=3, stride=2, pad=1), floats(9, 18)),
    "embedding": case(ops.embedding(), ids(2, 5, classes=6), floats(6, 3)),
    "embedding_grad": case(ops.embedding_grad(6), ids(2, 7, classes=6), floats(2, 7, 3)),
    "causal_mask": case(ops.causal_mask(), floats(2, 4, 4)),
    "causal_mask_zero": case(ops.causal_mask(0.0), floats(5, 5)),
    "batch_gather": case(ops.batch_gather([3, 0, 3, 7]), floats(8, 2, 3)),
}


def test_every_op_kind_has_a_case() -> None:
    assert {spec.kind for spec, _ in CASES.values()} == set(OpKind)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("special_rate", [0.0, 0.3], ids=["random", "edge_cases"])
def test_torch_matches_interpreter(name: str, special_rate: float) -> None:
    spec, make = CASES[name]
    rng = np.random.default_rng([len(name), int(special_rate * 10), *name.encode()])
    assert_all_paths_match_interpreter(spec, make(rng, special_rate))


@pytest.mark.parametrize("name", ["add", "mul", "div", "exp", "log", "sqrt", "relu", "maximum"])
def test_elementwise_ops_on_every_special_pair(name: str) -> None:
    spec, make = CASES[name]
    arity = len(make(np.random.default_rng(0), 0.0))
    if arity == 1:
        inputs = [SPECIAL.copy()]
    else:
        a, b = np.meshgrid(SPECIAL, SPECIAL)
        inputs = [a.reshape(-1).copy(), b.reshape(-1).copy()]
    assert_all_paths_match_interpreter(spec, inputs)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", sorted(CASES))
def test_cuda_matches_cpu(name: str) -> None:
    spec, make = CASES[name]
    inputs = make(np.random.default_rng(1), 0.2)
    cpu = [torch.from_numpy(np.array(x, dtype=np.float32)) for x in inputs]
    on_cpu = execute(spec, cpu).numpy().view(np.uint32)
    on_cuda = execute(spec, [t.cuda() for t in cpu]).cpu().numpy().view(np.uint32)
    np.testing.assert_array_equal(on_cuda, on_cpu)
