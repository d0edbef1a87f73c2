"""The CPU backend's plans: for each op class, the compiled kernels that compute its output.

A plan is built once per (spec, shapes) (see `OpDef.cpu_plan`): it validates the
shapes, picks the kernel and its array views, and returns a function from the
inputs (C-contiguous float32 arrays) to the NaN-canonicalised output. `install()`
registers them with the op model; `tribunal.repops.registry` calls it.
"""

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from numpy.typing import NDArray

from tribunal.repops.core.opdef import (
    CpuPlan,
    CpuPlanner,
    ElementwiseOp,
    OpDef,
    Role,
    Shapes,
    cached_loop_program,
    install_cpu_backend,
    numel,
)
from tribunal.repops.core.opspec import OpKind, OpSpec
from tribunal.repops.cpu import fused, kernels
from tribunal.repops.ops.layout import AffineGatherOp, BatchGatherOp, CausalMaskOp, address_table
from tribunal.repops.ops.linear import MatmulOp
from tribunal.repops.ops.reductions import (
    EmbeddingGradOp,
    EmbeddingOp,
    LnGradGainOp,
    LnGradStatsOp,
    LnRstdOp,
    MseLossOp,
    PickOp,
    ReduceOp,
)


def elementwise_plan(op: ElementwiseOp, spec: OpSpec, shapes: Shapes) -> CpuPlan | None:
    """One fused kernel evaluating the whole program per element (see `fused`)."""
    out_shape = op.output_shape(spec, shapes)
    roles = op.roles(spec)
    made = fused.structure(
        cached_loop_program(op, spec, shapes).epilogue,
        [int(role) for role in roles],
        op.loop_const_is_column,
    )
    if made is None:
        return None
    struct, consts = made
    count = numel(out_shape)
    if count == 0:
        return lambda arrays: np.empty(out_shape, dtype=np.float32)
    by_rows = op.loop_const_is_column or any(r in (Role.ROW, Role.COLUMN) for r in roles)
    rows, width = _grid(tuple(out_shape), by_rows)
    views = {Role.FULL: (rows, width), Role.ROW: (rows,), Role.COLUMN: (width,), Role.SCALAR: ()}
    slot_shapes = [views[role] for role in roles]
    # Which inputs already have their kernel shape (no reshape per call).
    keep = [tuple(shape) == view for shape, view in zip(shapes, slot_shapes, strict=True)]
    same_out = tuple(out_shape) == (rows, width)
    try:
        kernel = fused.fused_kernel(struct)
    except OSError:  # nowhere to write the generated kernel: the torch path runs
        return None

    threads = _threads(count, rows)
    by_row = [role in (Role.FULL, Role.ROW) for role in roles]

    def plan(arrays: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
        out = np.empty((rows, width), dtype=np.float32)
        args = [a if k else a.reshape(s) for a, k, s in zip(arrays, keep, slot_shapes, strict=True)]
        if threads > 1:
            _in_parallel(kernel, args, by_row, consts, out, threads)
        else:
            kernel(*args, consts, out)
        return out if same_out else out.reshape(out_shape)

    return plan


def _grid(out_shape: tuple[int, ...], by_rows: bool) -> tuple[int, int]:
    """(rows, width) a fused kernel walks for an output of `out_shape`: width is the last
    axis where an input is read by row or column (`by_rows`, or the column is a constant);
    otherwise any split will do: a 2-D output's own (no reshapes per call) unless its rows
    are too short to vectorise a large output, else one row."""
    count = numel(out_shape)
    natural = len(out_shape) == 2 and (out_shape[-1] >= 64 or count <= 4096)
    width = out_shape[-1] if out_shape and (by_rows or natural) else count
    return count // width, width


def _threads(count: int, rows: int) -> int:
    """How many threads a fused kernel over `count` elements in `rows` rows runs on."""
    return min(torch.get_num_threads(), rows) if count >= PARALLEL_ELEMENTWISE_MIN else 1


ChainPlan = Callable[[Sequence[NDArray[np.float32]]], list[NDArray[np.float32]]]


def chain_plan(
    chain: Sequence[tuple[ElementwiseOp, OpSpec]],
    bindings: Sequence[Sequence[fused.Binding]],
    shapes: Shapes,
) -> ChainPlan | None:
    """One pass computing several elementwise ops of one output shape, each reading the
    chain's inputs (`shapes`) or earlier ops' outputs as `bindings` say (see
    `fused.chain_source`); a plan returns every op's output, with the bits of running
    the ops one by one. None when the chain does not fit one pass (an input read by row
    or column, a column constant, or ops of different shapes): run the ops one by one."""
    structs: list[fused.Structure] = []
    constants: list[NDArray[np.float32]] = []
    input_roles: dict[int, Role] = {}
    out_shape: tuple[int, ...] | None = None
    for (op, spec), binding in zip(chain, bindings, strict=True):
        roles = op.roles(spec)
        if op.loop_const_is_column or len(roles) != len(binding):
            return None
        op_shapes = []
        for role, (kind, index) in zip(roles, binding, strict=True):
            if kind == "input":
                if input_roles.setdefault(index, role) is not role or role not in (Role.FULL, Role.SCALAR):
                    return None
                op_shapes.append(tuple(shapes[index]))
            elif kind == "output" and index < len(structs) and role is Role.FULL and out_shape is not None:
                op_shapes.append(out_shape)
            else:
                return None
        shape = tuple(op.output_shape(spec, tuple(op_shapes)))
        if out_shape is not None and shape != out_shape:
            return None
        out_shape = shape
        program = cached_loop_program(op, spec, tuple(op_shapes))
        made = fused.structure(program.epilogue, [int(r) for r in roles], False)
        if made is None:
            return None
        structs.append(made[0])
        constants.append(made[1])
    if out_shape is None or sorted(input_roles) != list(range(len(shapes))):
        return None
    count = numel(out_shape)
    if count == 0:
        return None
    offsets = tuple(int(sum(c.size for c in constants[:j])) for j in range(len(constants)))
    consts = np.concatenate(constants).astype(np.float32)
    roles_in = tuple(int(input_roles[i]) for i in range(len(shapes)))
    structure = (tuple(structs), tuple(tuple(b) for b in bindings), roles_in, offsets)
    rows, width = _grid(out_shape, False)
    views = [(rows, width) if input_roles[i] is Role.FULL else () for i in range(len(shapes))]
    by_row = [input_roles[i] is Role.FULL for i in range(len(shapes))]
    try:
        kernel = fused.chain_kernel(structure)
    except OSError:  # nowhere to write the generated kernel: run the ops one by one
        return None
    threads = _threads(count, rows)
    final_shape = out_shape

    def plan(arrays: Sequence[NDArray[np.float32]]) -> list[NDArray[np.float32]]:
        outs = [np.empty((rows, width), dtype=np.float32) for _ in structs]
        args = [a.reshape(v) for a, v in zip(arrays, views, strict=True)]
        if threads > 1:
            _in_parallel(kernel, args, by_row, consts, outs, threads)
        else:
            kernel(*args, consts, *outs)
        return [out.reshape(final_shape) for out in outs]

    return plan


PARALLEL_ELEMENTWISE_MIN = 1 << 18
"""An elementwise op over at least this many elements (~0.3 ms on one core for Adam's
programs) runs its fused kernel on `torch.get_num_threads()` threads, each on its own
rows (the kernels release the GIL; an element's program does not depend on its
neighbours, so the bits do not depend on the split). Such ops are memory-bound: the
second core adds bandwidth, not only arithmetic."""

_POOL: dict[int, ThreadPoolExecutor] = {}


def _pool() -> ThreadPoolExecutor:
    """The helper threads of this process (a forked child makes its own)."""
    pid = os.getpid()
    if pid not in _POOL:
        _POOL.clear()
        _POOL[pid] = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) - 1))
    return _POOL[pid]


def _in_parallel(
    kernel: Callable[..., None],
    args: list[NDArray[np.float32]],
    by_row: list[bool],
    consts: NDArray[np.float32],
    outs: NDArray[np.float32] | list[NDArray[np.float32]],
    threads: int,
) -> None:
    """`kernel` on `threads` row ranges of its output(s) (inputs read by row are cut alike)."""
    out_list = outs if isinstance(outs, list) else [outs]
    rows = out_list[0].shape[0]
    cuts = [rows * t // threads for t in range(threads + 1)]

    def part(t: int) -> None:
        lo, hi = cuts[t], cuts[t + 1]
        cut_args = [a[lo:hi] if cut else a for a, cut in zip(args, by_row, strict=True)]
        kernel(*cut_args, consts, *[out[lo:hi] for out in out_list])

    futures = [_pool().submit(part, t) for t in range(1, threads)]
    part(0)
    for future in futures:
        future.result()


def matmul_plan(op: MatmulOp, spec: OpSpec, shapes: Shapes) -> CpuPlan:
    op.output_shape(spec, shapes)
    run = kernels.matmul_plan(shapes[0], shapes[1], op.transpose_a, op.transpose_b)
    return lambda arrays: run(arrays[0], arrays[1])


def reduce_plan(op: ReduceOp, spec: OpSpec, shapes: Shapes) -> CpuPlan:
    out_shape = op.output_shape(spec, shapes)
    program = cached_loop_program(op, spec, shapes)
    outer, n, inner = op.split(spec, shapes[0])
    opcode = spec.param("opcode")
    divisor = np.float32(n if program.epilogue else 0)  # the mean's DIV(acc, n)
    kernel = kernels.serial(kernels.reduce_kernel)

    def plan(arrays: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
        out = np.empty((outer, inner), dtype=np.float32)
        kernel(arrays[0].reshape(outer, n, inner), opcode, divisor, out)
        return out.reshape(out_shape)

    return plan


def mse_loss_plan(op: MseLossOp, spec: OpSpec, shapes: Shapes) -> CpuPlan:
    cached_loop_program(op, spec, shapes)  # validates, and the count fits float32
    divisor = np.float32(numel(shapes[0]))
    kernel = kernels.serial(kernels.mse_loss_kernel)

    def plan(arrays: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
        out = np.empty(1, dtype=np.float32)
        kernel(arrays[0].reshape(-1), arrays[1].reshape(-1), divisor, out)
        return out.reshape(())

    return plan


def ln_rstd_plan(op: LnRstdOp, spec: OpSpec, shapes: Shapes) -> CpuPlan:
    cached_loop_program(op, spec, shapes)
    x_shape, mean_shape = shapes
    rows, width = numel(mean_shape), x_shape[-1]
    eps = np.array([spec.param("eps")], dtype=np.uint32).view(np.float32)[0]
    kernel = kernels.serial(kernels.ln_rstd_kernel)

    def plan(arrays: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
        x, mean = arrays
        out = np.empty(rows, dtype=np.float32)
        kernel(x.reshape(rows, width), mean.reshape(rows), eps, out)
        return out.reshape(mean_shape)

    return plan


def ln_grad_stats_plan(op: LnGradStatsOp, spec: OpSpec, shapes: Shapes) -> CpuPlan:
    cached_loop_program(op, spec, shapes)
    out_shape = shapes[2]
    rows, width = numel(out_shape), shapes[0][-1]
    moment = spec.param("moment")
    kernel = kernels.serial(kernels.ln_grad_stats_kernel)

    def plan(arrays: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
        dy, x, mean, rstd, gain = arrays
        out = np.empty(rows, dtype=np.float32)
        kernel(
            dy.reshape(rows, width),
            x.reshape(rows, width),
            mean.reshape(rows),
            rstd.reshape(rows),
            gain,
            moment,
            out,
        )
        return out.reshape(out_shape)

    return plan


def ln_grad_gain_plan(op: LnGradGainOp, spec: OpSpec, shapes: Shapes) -> CpuPlan:
    cached_loop_program(op, spec, shapes)
    rows, width = numel(shapes[2]), shapes[0][-1]
    kernel = kernels.serial(kernels.ln_grad_gain_kernel)

    def plan(arrays: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
        dy, x, mean, rstd = arrays
        out = np.empty(width, dtype=np.float32)
        matrix = (rows, width)
        kernel(dy.reshape(matrix), x.reshape(matrix), mean.reshape(rows), rstd.reshape(rows), out)
        return out

    return plan


def pick_plan(op: PickOp, spec: OpSpec, shapes: Shapes) -> CpuPlan:
    out_shape = op.output_shape(spec, shapes)
    rows, classes = numel(out_shape), shapes[0][-1]
    kernel = kernels.serial(kernels.pick_kernel)

    def plan(arrays: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
        x, ids = arrays
        out = np.empty(rows, dtype=np.float32)
        kernel(x.reshape(rows, classes), ids.reshape(rows), out)
        return out.reshape(out_shape)

    return plan


def embedding_plan(op: EmbeddingOp, spec: OpSpec, shapes: Shapes) -> CpuPlan:
    out_shape = op.output_shape(spec, shapes)
    kernel = kernels.serial(kernels.embedding_kernel)

    def plan(arrays: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
        ids, table = arrays
        out = np.empty((ids.size, table.shape[1]), dtype=np.float32)
        kernel(ids.reshape(-1), table, out)
        return out.reshape(out_shape)

    return plan


def embedding_grad_plan(op: EmbeddingGradOp, spec: OpSpec, shapes: Shapes) -> CpuPlan:
    vocab, width = op.output_shape(spec, shapes)
    positions = numel(shapes[0])
    kernel = kernels.serial(kernels.embedding_grad_kernel)

    def plan(arrays: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
        ids, dout = arrays
        out = np.empty((vocab, width), dtype=np.float32)
        kernel(ids.reshape(positions), dout.reshape(positions, width), out)
        return out

    return plan


def affine_gather_plan(op: AffineGatherOp, spec: OpSpec, shapes: Shapes) -> CpuPlan:
    out_shape = op.output_shape(spec, shapes)
    table = address_table(op.affine_map(spec))
    count = numel(out_shape)
    copy = op.kind is OpKind.COPY
    if table is None and copy:
        kernel = kernels.serial(kernels.canonical_copy_kernel)

        def copy_plan(arrays: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
            out = np.empty(count, dtype=np.float32)
            kernel(arrays[0].reshape(-1), out)
            return out.reshape(out_shape)

        return copy_plan
    if table is None:  # GATHER_SUM of one identity term: still ADD(+0.0, x)
        table = np.arange(count, dtype=np.int32).reshape(1, count)
    kernel = kernels.serial(kernels.gather_copy_kernel if copy else kernels.gather_sum_kernel)
    addresses = table[0] if copy else table

    def plan(arrays: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
        out = np.empty(count, dtype=np.float32)
        kernel(arrays[0].reshape(-1), addresses, out)
        return out.reshape(out_shape)

    return plan


def causal_mask_plan(op: CausalMaskOp, spec: OpSpec, shapes: Shapes) -> CpuPlan:
    (shape,) = shapes
    op.output_shape(spec, shapes)
    fill = np.array([spec.param("fill")], dtype=np.uint32).view(np.float32)[0]
    t = shape[-1]
    batch = numel(shape[:-2])
    kernel = kernels.serial(kernels.causal_mask_kernel)

    def plan(arrays: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
        out = np.empty(shape, dtype=np.float32)
        kernel(arrays[0].reshape(batch, t, t), fill, out.reshape(batch, t, t))
        return out

    return plan


def batch_gather_plan(op: BatchGatherOp, spec: OpSpec, shapes: Shapes) -> CpuPlan:
    (shape,) = shapes
    out_shape = op.output_shape(spec, shapes)
    rows = np.array(spec.params, dtype=np.int64)
    row_len = numel(shape[1:])
    kernel = kernels.serial(kernels.batch_gather_kernel)

    def plan(arrays: Sequence[NDArray[np.float32]]) -> NDArray[np.float32]:
        out = np.empty((rows.size, row_len), dtype=np.float32)
        kernel(arrays[0].reshape(shape[0], row_len), rows, out)
        return out.reshape(out_shape)

    return plan


PLANNERS: dict[type[OpDef], CpuPlanner] = {
    ElementwiseOp: elementwise_plan,  # type: ignore[type-abstract]  # abstract: a key its subclasses match
    MatmulOp: matmul_plan,
    ReduceOp: reduce_plan,
    MseLossOp: mse_loss_plan,
    LnRstdOp: ln_rstd_plan,
    LnGradStatsOp: ln_grad_stats_plan,
    LnGradGainOp: ln_grad_gain_plan,
    PickOp: pick_plan,
    EmbeddingOp: embedding_plan,
    EmbeddingGradOp: embedding_grad_plan,
    AffineGatherOp: affine_gather_plan,
    CausalMaskOp: causal_mask_plan,
    BatchGatherOp: batch_gather_plan,
}


def install() -> None:
    """Make `execute` run these kernels on CPU inputs (where numba is installed)."""
    install_cpu_backend(kernels.cpu_kernels_available, PLANNERS)
