"""Fast paths (compiled CPU kernels, direct indexing) equal the programs' loop order."""

import re
import subprocess
from collections.abc import Callable

import numpy as np
import pytest
import torch

from tests.repops.helpers import (
    SPECIAL,
    assert_all_paths_match_interpreter,
    assert_matches_interpreter,
    class_ids,
    random_floats,
)
from tests.repops.test_ops import CASES
from tribunal.repops import AffineMap, OpSpec, execute, ops
from tribunal.repops.core.opdef import ElementwiseOp, cached_loop_program
from tribunal.repops.core.opspec import Broadcast
from tribunal.repops.core.primitives import Opcode
from tribunal.repops.cpu import cext, fused, kernels
from tribunal.repops.cpu.kernels import compile_kernel, cpu_kernels_available
from tribunal.repops.ops.linear import MatmulOp
from tribunal.repops.registry import op_def

FMA = re.compile(r"\bv?f(n)?m(add|sub)\w*")
DOUBLE_ARITHMETIC = re.compile(r"\bv?(add|sub|mul|div|sqrt)[sp]d\b")
"""float64 arithmetic: every primitive must round to float32 (argument unboxing may
convert a float32 through a double, which is exact)."""
UINT64_TO_DOUBLE = re.compile(
    r"\bv?punpckldq\b[^\n]*\n\s*v?subpd\b[^\n]*\n\s*v?(permilpd|unpckhpd|movapd|shufpd)\b[^\n]*\n"
    r"\s*v?addsd\b[^\n]*\n"
)
"""LLVM's conversion of an unsigned 64-bit integer to a double on a CPU without AVX-512 (no
`vcvtusi2sd`): exact integer bookkeeping (numba compares a loop bound as a double), not float64
arithmetic on data; removed before looking for float64 arithmetic."""
MATMUL_BACKENDS = ["numba", pytest.param("c", marks=pytest.mark.skipif(cext.load() is None, reason="no C"))]


def _bits(t: torch.Tensor | np.ndarray) -> np.ndarray:
    array = t.contiguous().numpy() if isinstance(t, torch.Tensor) else np.ascontiguousarray(t)
    return array.reshape(-1).view(np.uint32)


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
        (ops.matmul_bt(), (2, 3, 9, 33), (2, 3, 17, 33)),
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


@pytest.mark.parametrize("backend", MATMUL_BACKENDS)
@pytest.mark.parametrize(
    ("batch", "m", "k", "n"),
    [
        (1, 1, 1, 1),
        (1, 7, 5, 3),
        (3, 13, 9, 16),
        (1, 17, 31, 17),
        (2, 6, 4, 32),
        (1, 9, 70, 33),
        (1, 25, 3, 100),
    ],
)
@pytest.mark.parametrize(("transpose_a", "transpose_b"), [(False, False), (True, False), (False, True)])
def test_matmul_backends_equal_the_k_sequential_chain(
    backend: str, batch: int, m: int, k: int, n: int, transpose_a: bool, transpose_b: bool
) -> None:
    """Every tile shape, padding and remainder of both kernels, against the chain
    acc = acc + a*b evaluated in numpy (one float32 rounding per step)."""
    rng = np.random.default_rng([batch, m, k, n])
    a = random_floats(rng, (batch, m, k), special_rate=0.05, scale=4.0)
    b = random_floats(rng, (batch, k, n), special_rate=0.05, scale=4.0)
    a[0, 0, 0] = np.float32(1e-38)  # products that round to subnormals
    b[0, 0, :] = np.float32(3e-8)
    expected = np.zeros((batch, m, n), dtype=np.float32)
    with np.errstate(all="ignore"):
        for kk in range(k):
            expected = expected + a[:, :, kk : kk + 1] * b[:, kk : kk + 1, :]
    expected[np.isnan(expected)] = np.float32(np.nan)  # canonical 0x7FC00000
    stored_a = np.ascontiguousarray(np.swapaxes(a, 1, 2)) if transpose_a else a
    stored_b = np.ascontiguousarray(np.swapaxes(b, 1, 2)) if transpose_b else b
    run = kernels.matmul_plan(stored_a.shape, stored_b.shape, transpose_a, transpose_b, backend=backend)
    np.testing.assert_array_equal(_bits(run(stored_a, stored_b)), _bits(expected))


@pytest.mark.skipif(cext.load() is None, reason="the C kernel did not build here")
@pytest.mark.parametrize("threads", [2, 3, 5])
def test_c_matmul_split_across_threads_is_exact(threads: int) -> None:
    """The C kernel's own split (by batches, columns or rows, on its helper threads) gives
    the one-thread bits, for every transpose, ragged tiles and depths across several blocks."""
    rng = np.random.default_rng(threads)
    matmul = cext.load().matmul
    shapes = [(1, 45, 20, 40), (5, 8, 6, 19), (1, 130, 400, 70), (1, 20, 300, 200), (2, 33, 513, 9)]
    shapes.append((1, 7, 3, 100))
    for batch, m, k, n in shapes:
        for transpose_a, transpose_b in [(False, False), (True, False), (False, True)]:
            a = random_floats(rng, (batch, k, m) if transpose_a else (batch, m, k), special_rate=0.02)
            b = random_floats(rng, (batch, n, k) if transpose_b else (batch, k, n), special_rate=0.02)
            a_rs, a_cs = (1, m) if transpose_a else (k, 1)
            b_rs, b_cs = (1, k) if transpose_b else (n, 1)
            sizes = (m, k, n, m * k, a_rs, a_cs, k * n, b_rs, b_cs)
            one, several = np.empty((batch, m, n), np.float32), np.empty((batch, m, n), np.float32)
            matmul(a, b, one, *sizes, 0, batch, 0, m, 0, n, 1)
            matmul(a, b, several, *sizes, 0, batch, 0, m, 0, n, threads)
            np.testing.assert_array_equal(_bits(several), _bits(one))
            # a part of the output, as a caller may ask for, matches the whole
            part = np.zeros((batch, m, n), np.float32)
            matmul(a, b, part, *sizes, 0, batch, m // 3, m, n // 4, n, threads)
            corner = (slice(None), slice(m // 3, None), slice(n // 4, None))
            np.testing.assert_array_equal(_bits(part[corner]), _bits(one[corner]))


def test_c_matmul_threads_in_parallel_products_are_exact() -> None:
    """Products started from several Python threads at once (the kernel releases the GIL;
    one of them gets the helper threads, the others run on their own thread) are exact."""
    if cext.load() is None:
        pytest.skip("the C kernel did not build here")
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(7)
    a = random_floats(rng, (1, 128, 256), special_rate=0.01)
    b = random_floats(rng, (1, 256, 200), special_rate=0.01)
    run = kernels.matmul_plan(a.shape, b.shape, False, False, backend="c")
    whole = run(a, b)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: run(a, b), range(32)))
    for result in results:
        np.testing.assert_array_equal(_bits(result), _bits(whole))


@pytest.mark.skipif(cext.compiler() is None, reason="no C compiler")
def test_c_matmul_has_no_fma(tmp_path) -> None:  # noqa: ANN001
    """The assembly of the C kernel, built with the same flags, has no fused multiply-add."""
    for tune in (True, False):
        output = tmp_path / f"cmatmul_{tune}.s"
        done = subprocess.run(
            cext.build_command(cext.compiler(), output, tune=tune, assembly=True), capture_output=True
        )
        if done.returncode != 0:
            continue
        assembly = output.read_text()
        assert not FMA.search(assembly), "the C matmul contains an FMA"
        assert not DOUBLE_ARITHMETIC.search(assembly), "the C matmul computes in float64"
        assert re.search(r"\bv?mulps\b", assembly)
        wide = re.search(r"^tile_wide:(.*?)\.size\s+tile_wide", assembly, re.S | re.M)
        if tune and wide and "zmm" in wide.group(1):  # AVX-512: A is broadcast inside the multiplies
            broadcast_in_multiply = re.search(r"vmulps\s+\S*\{1to16\}", wide.group(1))
            assert broadcast_in_multiply, "the wide tile lost its in-multiply broadcast"
        return
    pytest.fail("the C kernel does not compile to assembly")


def _sample_arguments(function: Callable) -> tuple:
    m3 = np.ones((1, 8, 8), np.float32)
    m2 = np.ones((8, 8), np.float32)
    v = np.ones(8, np.float32)
    one = np.float32(1.0)
    index = np.zeros(8, np.int64)
    return {
        kernels.matmul_kernel: (m3, m3, m3.copy()),
        kernels.reduce_kernel: (m3, 1, one, m2.copy()),
        kernels.mse_loss_kernel: (v, v, one, v.copy()),
        kernels.ln_rstd_kernel: (m2, v, one, v.copy()),
        kernels.ln_grad_stats_kernel: (m2, m2, v, v, v, 1, v.copy()),
        kernels.ln_grad_gain_kernel: (m2, m2, v, v, v.copy()),
        kernels.pick_kernel: (m2, v, v.copy()),
        kernels.embedding_kernel: (v, m2, m2.copy()),
        kernels.embedding_grad_kernel: (v, m2, m2.copy()),
        kernels.causal_mask_kernel: (m3, one, m3.copy()),
        kernels.batch_gather_kernel: (m2, index, m2.copy()),
        kernels.canonical_copy_kernel: (v, v.copy()),
        kernels.gather_copy_kernel: (v, index.astype(np.int32), v.copy()),
        kernels.gather_sum_kernel: (v, index.astype(np.int32).reshape(1, 8), v.copy()),
    }[function]


ARITHMETIC_FREE = (
    kernels.pick_kernel,
    kernels.embedding_kernel,
    kernels.causal_mask_kernel,
    kernels.batch_gather_kernel,
    kernels.canonical_copy_kernel,
    kernels.gather_copy_kernel,
)


def _check_assembly(kernel, arithmetic: bool) -> None:  # noqa: ANN001
    for assembly in kernel.inspect_asm().values():
        assert not FMA.search(assembly), "the kernel contains an FMA"
        arithmetic64 = DOUBLE_ARITHMETIC.search(UINT64_TO_DOUBLE.sub("", assembly))
        assert not arithmetic64, "the kernel computes in float64"
        if arithmetic:
            assert re.search(r"\bv?(mul|add|sub|div)[ps]s\b", assembly)


@pytest.mark.parametrize("function", kernels.KERNELS, ids=lambda f: f.__name__)
def test_cpu_kernels_have_no_fma(function: Callable) -> None:
    kernel = compile_kernel(function, cache=False)  # cached code cannot be inspected
    kernel(*_sample_arguments(function))
    _check_assembly(kernel, function not in ARITHMETIC_FREE)


def _may_contract(steps) -> bool:  # noqa: ANN001
    """Whether some MUL result feeds an ADD or SUB (where a compiler could fuse an FMA)."""
    products = {i for i, st in enumerate(steps) if st.opcode is Opcode.MUL}
    return any(
        st.opcode in (Opcode.ADD, Opcode.SUB)
        and any(ref.kind.name == "TMP" and ref.value in products for ref in st.refs)
        for st in steps
    )


def _fused_cases() -> list[str]:
    names = []
    for name, (spec, make) in sorted(CASES.items()):
        definition = op_def(spec)
        if isinstance(definition, ElementwiseOp):
            shapes = tuple(x.shape for x in make(np.random.default_rng(0), 0.0))
            if _may_contract(cached_loop_program(definition, spec, shapes).epilogue):
                names.append(name)
    return names


@pytest.mark.parametrize("name", _fused_cases())
def test_fused_kernels_have_no_fma(name: str) -> None:
    """Every generated elementwise kernel where a multiply feeds an add (exp, log,
    layer norm, the optimizers): compiled afresh, its assembly has no FMA."""
    spec, make = CASES[name]
    definition = op_def(spec)
    shapes = tuple(x.shape for x in make(np.random.default_rng(0), 0.0))
    program = cached_loop_program(definition, spec, shapes)
    made = fused.structure(
        program.epilogue, [int(r) for r in definition.roles(spec)], definition.loop_const_is_column
    )
    assert made is not None
    kernel = fused.compile_fused(made[0], cache=False)
    kernel(*fused.sample_arguments(made[0]))
    _check_assembly(kernel, arithmetic=True)


def test_fused_source_is_one_statement_per_step() -> None:
    spec = ops.exp()
    steps = cached_loop_program(op_def(spec), spec, ((4,),)).epilogue
    made = fused.structure(steps, [0], False)
    assert made is not None
    text = fused.source(made[0])
    statements = re.findall(r"^\s+t(\d+) = ", text, flags=re.MULTILINE)
    assert [int(s) for s in statements] == list(range(len(steps)))
    assert "fastmath" not in text


LARGER: dict[str, tuple[OpSpec, Callable[[np.random.Generator], list[np.ndarray]]]] = {
    "bias_add": (ops.bias_add(), lambda r: [random_floats(r, (37, 131), 0.1), random_floats(r, (131,), 0.1)]),
    "row_div": (ops.row_div(), lambda r: [random_floats(r, (37, 131), 0.1), random_floats(r, (37,), 0.1)]),
    "scalar_sub": (
        ops.binary(Opcode.SUB, Broadcast.SCALAR),
        lambda r: [random_floats(r, (4001,), 0.1), random_floats(r, (), 0.0)],
    ),
    "exp": (ops.exp(), lambda r: [random_floats(r, (4001,), 0.05, scale=40.0)]),
    "log": (ops.log(), lambda r: [np.abs(random_floats(r, (4001,), 0.05, scale=1e4))]),
    "xent_grad": (
        ops.xent_grad(),
        lambda r: [
            np.abs(random_floats(r, (67, 19), 0.05)),
            np.abs(random_floats(r, (67,), 0.05)),
            class_ids(r, (67,), 19),
        ],
    ),
    "ln_grad_input": (
        ops.ln_grad_input(),
        lambda r: [random_floats(r, (29, 70), 0.05) for _ in range(2)]
        + [random_floats(r, (29,), 0.05) for _ in range(2)]
        + [random_floats(r, (70,), 0.05)]
        + [random_floats(r, (29,), 0.05) for _ in range(2)],
    ),
    "adam_update": (
        ops.adam_update(1e-3, 1e-8),
        lambda r: [
            random_floats(r, (1001,), 0.05),
            random_floats(r, (1001,), 0.05),
            np.abs(random_floats(r, (1001,), 0.05)),
            np.array(0.9, np.float32),
            np.array(0.999, np.float32),
        ],
    ),
    "reduce_sum_last": (ops.reduce_sum(1, 2), lambda r: [random_floats(r, (45, 77), 0.05)]),
    "reduce_max_last": (ops.reduce_max(1, 2), lambda r: [random_floats(r, (45, 77), 0.05)]),
    "reduce_min_first": (ops.reduce_min(0, 1), lambda r: [random_floats(r, (45, 77), 0.05)]),
    "reduce_mean_all": (ops.reduce_mean(0, 2), lambda r: [random_floats(r, (45, 77), 0.05)]),
    "ln_rstd": (ops.ln_rstd(1e-5), lambda r: [random_floats(r, (33, 40), 0.05), random_floats(r, (33,))]),
    "ln_grad_gain": (
        ops.ln_grad_gain(),
        lambda r: [random_floats(r, (33, 40), 0.05), random_floats(r, (33, 40), 0.05)]
        + [random_floats(r, (33,)), random_floats(r, (33,))],
    ),
    "embedding_grad": (
        ops.embedding_grad(23),
        lambda r: [class_ids(r, (300,), 23), random_floats(r, (300, 9), 0.05)],
    ),
    "causal_mask": (ops.causal_mask(), lambda r: [random_floats(r, (3, 17, 17), 0.1)]),
    "adam_m_on_threads": (  # over PARALLEL_ELEMENTWISE_MIN elements: row ranges in parallel
        ops.adam_m(0.9),
        lambda r: [random_floats(r, (700, 384), 0.01), random_floats(r, (700, 384), 0.01)],
    ),
    "col2im": (
        ops.col2im(2, 3, 6, 5, kernel=3, stride=1, pad=1),
        lambda r: [random_floats(r, (60, 27), 0.1)],
    ),
}


@pytest.mark.parametrize("name", sorted(LARGER))
def test_fast_paths_on_larger_inputs(name: str) -> None:
    """Inputs long enough for the kernels' vector loops and their remainders."""
    spec, make = LARGER[name]
    inputs = make(np.random.default_rng(len(name)))
    tensors = [torch.from_numpy(np.array(x, dtype=np.float32)) for x in inputs]
    fast = execute(spec, tensors)
    np.testing.assert_array_equal(_bits(fast), _bits(op_def(spec).execute_torch(spec, tensors)))
    rng = np.random.default_rng(0)
    sample = rng.choice(fast.numel(), size=min(fast.numel(), 25), replace=False)
    assert_matches_interpreter(spec, inputs, elements=list(sample), result=fast)


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


def test_execute_takes_views_and_autograd_tensors() -> None:
    """The CPU fast path copies what is not contiguous and detaches what needs grad."""
    rng = np.random.default_rng(5)
    x = torch.from_numpy(random_floats(rng, (6, 8))).requires_grad_(True)
    y = torch.from_numpy(random_floats(rng, (8, 6)))
    out = execute(ops.add(), [x, y.t()])
    np.testing.assert_array_equal(_bits(out), _bits(execute(ops.add(), [x.detach(), y.t().contiguous()])))
    assert not out.requires_grad
    with pytest.raises(TypeError):
        execute(ops.add(), [x.double(), y.t()])


def test_results_do_not_depend_on_thread_count() -> None:
    import numba

    rng = np.random.default_rng(9)
    cases = [
        (ops.matmul(), [random_floats(rng, (96, 80)), random_floats(rng, (80, 72))]),
        (ops.matmul(), [random_floats(rng, (330, 320)), random_floats(rng, (320, 320))]),  # split
        (ops.matmul_bt(), [random_floats(rng, (8, 40, 128)), random_floats(rng, (8, 120, 128))]),
        (ops.reduce_sum(0, 1), [random_floats(rng, (300, 40))]),
        (ops.exp(), [random_floats(rng, (5000,), scale=20.0)]),
        (ops.ln_rstd(), [random_floats(rng, (64, 48)), random_floats(rng, (64,))]),
        (ops.mse_loss(), [random_floats(rng, (512,)), random_floats(rng, (512,))]),
        # elementwise ops over >= PARALLEL_ELEMENTWISE_MIN elements run on row ranges in parallel
        (ops.adam_m(0.9), [random_floats(rng, (700, 384), 0.01), random_floats(rng, (700, 384), 0.01)]),
        (ops.bias_add(), [random_floats(rng, (1001, 300), 0.01), random_floats(rng, (300,), 0.01)]),
        (ops.row_sub(), [random_floats(rng, (1001, 300), 0.01), random_floats(rng, (1001,), 0.01)]),
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


def test_gather_sum_of_one_identity_term_still_adds_to_plus_zero() -> None:
    """A one-term GATHER_SUM is ADD(+0.0, x), not a copy: -0.0 becomes +0.0."""
    n = SPECIAL.size
    spec = ops.gather_sum(AffineMap((n,), (1,), (n,), ((1, 0),), (0,), (1,), (n,)))
    assert_all_paths_match_interpreter(spec, [SPECIAL.copy()])
    out = _bits(execute(spec, [torch.from_numpy(SPECIAL.copy())]))
    assert out[1] == 0  # SPECIAL[1] is -0.0
