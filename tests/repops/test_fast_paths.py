"""Fast paths (compiled CPU kernel, direct indexing) equal the programs' loop order."""

import re

import numpy as np
import pytest
import torch

from tests.repops.helpers import assert_matches_interpreter, class_ids, random_floats
from tribunal.repops import OpSpec, execute, kernels, ops
from tribunal.repops.kernels import compile_kernel, cpu_kernels_available
from tribunal.repops.linear import MatmulOp
from tribunal.repops.registry import op_def


def _bits(t: torch.Tensor) -> np.ndarray:
    return t.contiguous().numpy().reshape(-1).view(np.uint32)


def test_numba_is_installed() -> None:
    assert cpu_kernels_available()


@pytest.mark.parametrize(
    ("spec", "shape_a", "shape_b"),
    [
        (ops.matmul(), (37, 53), (53, 29)),
        (ops.matmul(), (3, 9, 16), (3, 16, 8)),
        (ops.matmul_at(), (21, 13), (21, 18)),
        (ops.matmul_bt(), (2, 11, 7), (2, 5, 7)),
        (ops.matmul(), (64, 128), (128, 64)),
    ],
)
def test_cpu_matmul_kernel_equals_torch_loop(spec: OpSpec, shape_a: tuple, shape_b: tuple) -> None:
    rng = np.random.default_rng(7)
    a = torch.from_numpy(random_floats(rng, shape_a, special_rate=0.02, scale=3.0))
    b = torch.from_numpy(random_floats(rng, shape_b, special_rate=0.02, scale=3.0))
    matmul = op_def(spec)
    assert isinstance(matmul, MatmulOp)
    kernel = _bits(matmul.execute(spec, [a, b]))
    loop = _bits(matmul.execute_torch(spec, [a, b]))
    np.testing.assert_array_equal(kernel, loop)
    elements = rng.choice(kernel.size, size=min(kernel.size, 40), replace=False)
    assert_matches_interpreter(spec, [a.numpy(), b.numpy()], elements=list(elements))


def _sample_arguments(function) -> tuple:  # noqa: ANN001
    m3 = np.zeros((1, 8, 8), np.float32)
    m2 = np.zeros((8, 8), np.float32)
    v = np.zeros(8, np.float32)
    return {
        kernels.matmul_blocked: (m3, m3, m3.copy()),
        kernels.reduce_axis: (m3, m2, 1),
        kernels.squared_error_sum: (v, v),
        kernels.centered_square_sums: (m2, v, v.copy()),
        kernels.layer_norm_grad_sums: (m2, m2, v, v, v, 1, v.copy()),
        kernels.layer_norm_gain_sums: (m2, m2, v, v, v.copy()),
        kernels.gather_copy: (v, np.zeros(8, np.int64), np.ones(8, np.bool_), v.copy()),
        kernels.gather_add: (v, np.zeros(8, np.int64), np.ones(8, np.bool_), v.copy()),
        kernels.elementwise_steps: (
            np.array([3, 1], np.int64),
            np.array([[2, 2, -1], [0, 1, -1]], np.int64),
            np.array([[0, 1, 0], [0, 0, 0]], np.int64),
            np.ones(1, np.float32),
            np.ones(16, np.float32),
            np.array([0, 8], np.int64),
            np.zeros(2, np.int64),
            8,
            v.copy(),
        ),
    }[function]


@pytest.mark.parametrize("function", kernels.KERNELS, ids=lambda f: f.__name__)
def test_cpu_kernels_have_no_fma(function) -> None:  # noqa: ANN001
    kernel = compile_kernel(function, cache=False)  # cached code cannot be inspected
    kernel(*_sample_arguments(function))
    for assembly in kernel.inspect_asm().values():
        assert not re.search(r"\bv?f(n)?m(add|sub)\w*", assembly), "the kernel contains an FMA"
        if function is not kernels.gather_copy:  # the only kernel without arithmetic
            assert re.search(r"\bv?(mul|add)[ps]s\b", assembly)


@pytest.mark.parametrize(
    ("spec", "make"),
    [
        (ops.pick(), lambda rng: [random_floats(rng, (50, 9), 0.2), class_ids(rng, (50,), 9)]),
        (
            ops.embedding(),
            lambda rng: [class_ids(rng, (4, 30), 17), random_floats(rng, (17, 6), 0.2)],
        ),
        (
            ops.embedding_grad(17),
            lambda rng: [class_ids(rng, (4, 30), 17), random_floats(rng, (4, 30, 6), 0.1)],
        ),
    ],
)
def test_indexed_fast_paths_equal_select_chains(spec: OpSpec, make) -> None:  # noqa: ANN001
    rng = np.random.default_rng(3)
    inputs = [torch.from_numpy(x) for x in make(rng)]
    definition = op_def(spec)
    fast = _bits(definition.execute(spec, inputs))
    chain = _bits(definition.execute_loop(spec, inputs))  # type: ignore[attr-defined]
    np.testing.assert_array_equal(fast, chain)


def test_results_do_not_depend_on_thread_count() -> None:
    import numba

    rng = np.random.default_rng(9)
    cases = [
        (ops.matmul(), [random_floats(rng, (96, 80)), random_floats(rng, (80, 72))]),
        (ops.reduce_sum(0, 1), [random_floats(rng, (300, 40))]),
        (ops.exp(), [random_floats(rng, (5000,), scale=20.0)]),
        (ops.ln_rstd(), [random_floats(rng, (64, 48)), random_floats(rng, (64,))]),
        (ops.mse_loss(), [random_floats(rng, (512,)), random_floats(rng, (512,))]),
    ]
    threads, numba_threads = torch.get_num_threads(), numba.get_num_threads()
    results = []
    try:
        for count in (1, 2):
            torch.set_num_threads(count)
            numba.set_num_threads(min(count, numba.config.NUMBA_NUM_THREADS))
            results.append([_bits(execute(spec, [torch.from_numpy(x) for x in xs])) for spec, xs in cases])
    finally:
        torch.set_num_threads(threads)
        numba.set_num_threads(numba_threads)
    for one, two in zip(*results, strict=True):
        np.testing.assert_array_equal(one, two)
