"""Compiled CPU kernels (numba) that keep the programs' order exactly.

numba compiles without fast-math: LLVM then neither reassociates float adds nor
contracts a multiply and an add into an FMA (tests/repops check the generated
assembly for FMA instructions and every result bit against the interpreter).
Parallelism is across output elements only; each element's reduction stays one
sequential chain, so results do not depend on the number of threads.
"""

from functools import cache

import numpy as np
import torch

try:
    import numba
except ImportError:  # pragma: no cover - numba is a declared dependency
    numba = None

ROW_BLOCK = 4
ELEMENT_BLOCK = 512
CANONICAL_NAN = 0x7FC00000
COLUMN_CHUNK = 64


def cpu_kernels_available() -> bool:
    return numba is not None


def matmul_blocked(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """out[bi] += a[bi] @ b[bi], k ascending per element (numba compiles this).

    a (batch, M, K), b (batch, K, N), out (batch, M, N) zero-filled, C-contiguous.
    """
    batch, m, depth = a.shape
    n = b.shape[2]
    blocks = (m + ROW_BLOCK - 1) // ROW_BLOCK
    for task in numba.prange(batch * blocks):
        bi = task // blocks
        i0 = (task % blocks) * ROW_BLOCK
        i1 = min(i0 + ROW_BLOCK, m)
        if i1 - i0 == ROW_BLOCK:
            acc0 = out[bi, i0]
            acc1 = out[bi, i0 + 1]
            acc2 = out[bi, i0 + 2]
            acc3 = out[bi, i0 + 3]
            for k in range(depth):
                a0 = a[bi, i0, k]
                a1 = a[bi, i0 + 1, k]
                a2 = a[bi, i0 + 2, k]
                a3 = a[bi, i0 + 3, k]
                row = b[bi, k]
                for j in range(n):
                    bj = row[j]
                    acc0[j] = acc0[j] + a0 * bj
                    acc1[j] = acc1[j] + a1 * bj
                    acc2[j] = acc2[j] + a2 * bj
                    acc3[j] = acc3[j] + a3 * bj
        else:
            for i in range(i0, i1):
                acc = out[bi, i]
                for k in range(depth):
                    aik = a[bi, i, k]
                    row = b[bi, k]
                    for j in range(n):
                        acc[j] = acc[j] + aik * row[j]


def reduce_axis(x: np.ndarray, out: np.ndarray, opcode: int) -> None:
    """out[o, i] = op(...op(op(out[o, i], x[o, 0, i]), x[o, 1, i])..., x[o, n-1, i]).

    x (outer, n, inner); out (outer, inner) holds the identity. opcode: 1 ADD,
    6 MAX, 7 MIN (Opcode numbers), with MAX/MIN as the ordered selects of the spec.
    """
    outer, n, inner = x.shape
    for o in numba.prange(outer):
        acc = out[o]
        if inner == 1:
            total = acc[0]
            for k in range(n):
                v = x[o, k, 0]
                if opcode == 1:
                    total = total + v
                elif opcode == 6:
                    total = total if (total > v or total != total) else v
                else:
                    total = total if (total < v or total != total) else v
            acc[0] = total
            continue
        for k in range(n):
            row = x[o, k]
            if opcode == 1:
                for i in range(inner):
                    acc[i] = acc[i] + row[i]
            elif opcode == 6:
                for i in range(inner):
                    a = acc[i]
                    acc[i] = a if (a > row[i] or a != a) else row[i]
            else:
                for i in range(inner):
                    a = acc[i]
                    acc[i] = a if (a < row[i] or a != a) else row[i]


def squared_error_sum(pred: np.ndarray, target: np.ndarray) -> np.float32:
    """MSE_LOSS's loop: acc = acc + (p - t) * (p - t) in flat order."""
    acc = np.float32(0.0)
    for k in range(pred.size):
        d = pred[k] - target[k]
        acc = acc + d * d
    return acc


def centered_square_sums(x: np.ndarray, mean: np.ndarray, out: np.ndarray) -> None:
    """LN_RSTD's loop per row: acc = acc + (x - mean)^2 over the last axis."""
    rows, width = x.shape
    for r in numba.prange(rows):
        acc = np.float32(0.0)
        m = mean[r]
        for d in range(width):
            c = x[r, d] - m
            acc = acc + c * c
        out[r] = acc


def layer_norm_grad_sums(
    dy: np.ndarray,
    x: np.ndarray,
    mean: np.ndarray,
    rstd: np.ndarray,
    gain: np.ndarray,
    moment: int,
    out: np.ndarray,
) -> None:
    """LN_GRAD_STATS's loop per row: sum of dy*gain (moment 0) or of
    (dy*gain)*((x - mean)*rstd) (moment 1)."""
    rows, width = x.shape
    for r in numba.prange(rows):
        acc = np.float32(0.0)
        if moment == 0:
            for d in range(width):
                acc = acc + dy[r, d] * gain[d]
        else:
            m = mean[r]
            s = rstd[r]
            for d in range(width):
                h = (x[r, d] - m) * s
                g = dy[r, d] * gain[d]
                acc = acc + g * h
        out[r] = acc


def layer_norm_gain_sums(
    dy: np.ndarray, x: np.ndarray, mean: np.ndarray, rstd: np.ndarray, out: np.ndarray
) -> None:
    """LN_GRAD_GAIN's loop per column: acc = acc + dy * ((x - mean) * rstd) over rows."""
    rows, width = x.shape
    chunks = (width + COLUMN_CHUNK - 1) // COLUMN_CHUNK
    for chunk in numba.prange(chunks):
        d0 = chunk * COLUMN_CHUNK
        d1 = min(d0 + COLUMN_CHUNK, width)
        for r in range(rows):
            m = mean[r]
            s = rstd[r]
            for d in range(d0, d1):
                out[d] = out[d] + dy[r, d] * ((x[r, d] - m) * s)


OPERAND_TMP = 0
OPERAND_CONST = 1
OPERAND_SLOT = 2
OPERAND_COLUMN_INDEX = 3
ROLE_FULL, ROLE_ROW, ROLE_COLUMN, ROLE_SCALAR = 0, 1, 2, 3


def elementwise_steps(
    opcodes: np.ndarray,
    operand_kinds: np.ndarray,
    operand_values: np.ndarray,
    consts: np.ndarray,
    data: np.ndarray,
    slot_offsets: np.ndarray,
    slot_roles: np.ndarray,
    width: int,
    out: np.ndarray,
) -> None:
    """Evaluate a loop-free element program for every element, step by step over
    blocks of elements (each step one primitive, exactly as the program says).

    opcodes (L,); operand_kinds/values (L, 3): TMP (value = step), CONST (value =
    index into consts), SLOT (value = input slot, read through its role: FULL e,
    ROW e // width, COLUMN e % width, SCALAR 0, at slot_offsets[slot] in `data`),
    COLUMN_INDEX (the float e % width). Writes NaNs as 0x7FC00000.
    """
    steps = opcodes.shape[0]
    total = out.shape[0]
    blocks = (total + ELEMENT_BLOCK - 1) // ELEMENT_BLOCK
    out_bits = out.view(np.uint32)
    for block in numba.prange(blocks):
        e0 = block * ELEMENT_BLOCK
        count = min(ELEMENT_BLOCK, total - e0)
        temps = np.empty((steps, ELEMENT_BLOCK), dtype=np.float32)
        buffers = np.empty((3, ELEMENT_BLOCK), dtype=np.float32)
        for st in range(steps):
            for j in range(3):
                kind = operand_kinds[st, j]
                value = operand_values[st, j]
                buffer = buffers[j]
                if kind == OPERAND_CONST:
                    buffer[:count] = consts[value]
                elif kind == OPERAND_SLOT:
                    base = slot_offsets[value]
                    role = slot_roles[value]
                    if role == ROLE_FULL:
                        buffer[:count] = data[base + e0 : base + e0 + count]
                    elif role == ROLE_SCALAR:
                        buffer[:count] = data[base]
                    else:
                        row, column = e0 // width, e0 % width
                        for i in range(count):
                            buffer[i] = data[base + (row if role == ROLE_ROW else column)]
                            column += 1
                            if column == width:
                                column = 0
                                row += 1
                elif kind == OPERAND_COLUMN_INDEX:
                    column = e0 % width
                    for i in range(count):
                        buffer[i] = np.float32(column)
                        column = column + 1 if column + 1 < width else 0
            a = temps[operand_values[st, 0]] if operand_kinds[st, 0] == OPERAND_TMP else buffers[0]
            b = temps[operand_values[st, 1]] if operand_kinds[st, 1] == OPERAND_TMP else buffers[1]
            c = temps[operand_values[st, 2]] if operand_kinds[st, 2] == OPERAND_TMP else buffers[2]
            result = temps[st]
            op = opcodes[st]
            if op == 1:
                for i in range(count):
                    result[i] = a[i] + b[i]
            elif op == 2:
                for i in range(count):
                    result[i] = a[i] - b[i]
            elif op == 3:
                for i in range(count):
                    result[i] = a[i] * b[i]
            elif op == 4:
                for i in range(count):
                    result[i] = a[i] / b[i]
            elif op == 5:
                for i in range(count):
                    result[i] = np.sqrt(a[i])
            elif op == 6:
                for i in range(count):
                    result[i] = a[i] if (a[i] > b[i] or a[i] != a[i]) else b[i]
            elif op == 7:
                for i in range(count):
                    result[i] = a[i] if (a[i] < b[i] or a[i] != a[i]) else b[i]
            elif op == 8:
                for i in range(count):
                    result[i] = b[i] if a[i] != 0 else c[i]
            elif op == 9:
                for i in range(count):
                    result[i] = np.float32(1.0) if a[i] < b[i] else np.float32(0.0)
            elif op == 10:
                for i in range(count):
                    result[i] = np.float32(1.0) if a[i] <= b[i] else np.float32(0.0)
            elif op == 11:
                for i in range(count):
                    result[i] = np.float32(1.0) if a[i] == b[i] else np.float32(0.0)
            elif op == 12:
                for i in range(count):
                    result[i] = -a[i]
            elif op == 13:
                for i in range(count):
                    result[i] = abs(a[i])
            else:
                for i in range(count):
                    result[i] = a[i]
        last = temps[steps - 1]
        for i in range(count):
            value = last[i]
            out[e0 + i] = value
            if value != value:
                out_bits[e0 + i] = CANONICAL_NAN


def gather_copy(x: np.ndarray, flat: np.ndarray, valid: np.ndarray, out: np.ndarray) -> None:
    """out[e] = x[flat[e]] where valid[e], else +0.0 (COPY's one instruction)."""
    for e in numba.prange(out.shape[0]):
        out[e] = x[flat[e]] if valid[e] else np.float32(0.0)


def gather_add(x: np.ndarray, flat: np.ndarray, valid: np.ndarray, acc: np.ndarray) -> None:
    """acc[e] = acc[e] + (x[flat[e]] or +0.0) (one GATHER_SUM iteration)."""
    for e in numba.prange(acc.shape[0]):
        acc[e] = acc[e] + (x[flat[e]] if valid[e] else np.float32(0.0))


def compile_kernel(function, *, cache: bool = True):  # type: ignore[no-untyped-def]
    """The njit-compiled kernel, never with fast-math (no FMA contraction, no reordering)."""
    assert numba is not None
    parallel = function is not squared_error_sum  # one sequential chain: nothing to split
    return numba.njit(parallel=parallel, cache=cache, fastmath=False, nogil=True, error_model="numpy")(
        function
    )


KERNELS = (
    matmul_blocked,
    reduce_axis,
    squared_error_sum,
    centered_square_sums,
    layer_norm_grad_sums,
    layer_norm_gain_sums,
    elementwise_steps,
    gather_copy,
    gather_add,
)


@cache
def compiled(function):  # type: ignore[no-untyped-def]
    """The cached compiled version of one of `KERNELS`."""
    return compile_kernel(function)


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.contiguous().numpy()


def reduce_cpu(x: torch.Tensor, outer: int, n: int, inner: int, opcode: int, init: float) -> torch.Tensor:
    out = np.full((outer, inner), init, dtype=np.float32)
    compiled(reduce_axis)(_numpy(x).reshape(outer, n, inner), out, opcode)
    return torch.from_numpy(out)


def squared_error_sum_cpu(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    total = compiled(squared_error_sum)(_numpy(pred).reshape(-1), _numpy(target).reshape(-1))
    return torch.tensor(np.float32(total), dtype=torch.float32)


def centered_square_sums_cpu(x: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
    width = x.shape[-1]
    x2 = _numpy(x).reshape(-1, width)
    out = np.empty(x2.shape[0], dtype=np.float32)
    compiled(centered_square_sums)(x2, _numpy(mean).reshape(-1), out)
    return torch.from_numpy(out).reshape(mean.shape)


def layer_norm_grad_sums_cpu(
    dy: torch.Tensor,
    x: torch.Tensor,
    mean: torch.Tensor,
    rstd: torch.Tensor,
    gain: torch.Tensor,
    moment: int,
) -> torch.Tensor:
    width = x.shape[-1]
    x2 = _numpy(x).reshape(-1, width)
    out = np.empty(x2.shape[0], dtype=np.float32)
    compiled(layer_norm_grad_sums)(
        _numpy(dy).reshape(-1, width),
        x2,
        _numpy(mean).reshape(-1),
        _numpy(rstd).reshape(-1),
        _numpy(gain),
        moment,
        out,
    )
    return torch.from_numpy(out).reshape(mean.shape)


def layer_norm_gain_sums_cpu(
    dy: torch.Tensor, x: torch.Tensor, mean: torch.Tensor, rstd: torch.Tensor
) -> torch.Tensor:
    width = x.shape[-1]
    out = np.zeros(width, dtype=np.float32)
    compiled(layer_norm_gain_sums)(
        _numpy(dy).reshape(-1, width),
        _numpy(x).reshape(-1, width),
        _numpy(mean).reshape(-1),
        _numpy(rstd).reshape(-1),
        out,
    )
    return torch.from_numpy(out)


def matmul_cpu(a: torch.Tensor, b: torch.Tensor, *, transpose_a: bool, transpose_b: bool) -> torch.Tensor:
    """(A or A^T) @ (B or B^T) over equal leading batch dims, k-sequential per element.

    Not NaN-canonicalised (the caller does it once).
    """
    a = a.transpose(-1, -2) if transpose_a else a
    b = b.transpose(-1, -2) if transpose_b else b
    batch_shape = a.shape[:-2]
    m, depth = a.shape[-2], a.shape[-1]
    n = b.shape[-1]
    a3 = a.reshape(-1, m, depth).contiguous().numpy()
    b3 = b.reshape(-1, depth, n).contiguous().numpy()
    out = np.zeros((a3.shape[0], m, n), dtype=np.float32)
    compiled(matmul_blocked)(a3, b3, out)
    return torch.from_numpy(out).reshape(*batch_shape, m, n)


def elementwise_cpu(
    tables: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    inputs: list[torch.Tensor],
    width: int,
    count: int,
) -> torch.Tensor:
    """Run `elementwise_steps` with tables (opcodes, kinds, values, consts, roles)."""
    opcodes, kinds, values, consts, roles = tables
    arrays = [_numpy(t).reshape(-1) for t in inputs]
    offsets = np.cumsum([0] + [a.size for a in arrays[:-1]]).astype(np.int64)
    data = np.concatenate(arrays) if arrays else np.zeros(0, np.float32)
    out = np.empty(count, dtype=np.float32)
    compiled(elementwise_steps)(opcodes, kinds, values, consts, data, offsets, roles, width, out)
    return torch.from_numpy(out)


def affine_gather_cpu(
    x: torch.Tensor, addresses: list[tuple[np.ndarray, np.ndarray]], accumulate: bool
) -> torch.Tensor:
    """COPY (one address set) or GATHER_SUM (one per k, summed in order from +0.0)."""
    flat_x = _numpy(x).reshape(-1)
    count = addresses[0][0].shape[0]
    if not accumulate:
        out = np.empty(count, dtype=np.float32)
        compiled(gather_copy)(flat_x, *addresses[0], out)
        return torch.from_numpy(out)
    acc = np.zeros(count, dtype=np.float32)
    for flat, valid in addresses:
        compiled(gather_add)(flat_x, flat, valid, acc)
    return torch.from_numpy(acc)
