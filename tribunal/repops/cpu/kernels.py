"""Compiled CPU kernels (numba) that keep the programs' order exactly.

numba compiles without fast-math: LLVM then neither reassociates float adds nor
contracts a multiply and an add into an FMA (tests/repops check the generated
assembly for FMA instructions and every result bit against the interpreter).
All arithmetic is on float32 scalars (constants are `np.float32`, never Python
floats, which would promote to float64); float32 division and `np.sqrt` are
correctly rounded, like the reference.

Each kernel computes an op's whole program, epilogue included, and stores its
output NaN-canonicalised (`v if v == v else CANONICAL_NAN_F32`): whether a
result is NaN never depends on a NaN operand's payload, so canonicalising once
at the end equals canonicalising every primitive.

Every numba kernel runs on one thread (numba's parallel launch costs tens of
microseconds, more than most ops of a training step take). Large matrix
products run the C kernel (`cmatmul.c`, see `cext`) on several threads (its own
helper threads), split by batches, output columns or rows: each element's
reduction stays one sequential chain, so results do not depend on the number of
threads.

Kernels are compiled on first use and cached on disk (`cache=True`, in
`__pycache__` beside this file, git-ignored).
"""

import math
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from tribunal.repops.cpu import cext

try:
    import numba
except ImportError:  # pragma: no cover - numba is a declared dependency
    numba = None


def _allow_wide_vectors() -> None:
    """Let LLVM vectorise with 512-bit registers on CPUs that have them.

    LLVM's tuning for recent x86 CPUs prefers 256-bit vectors ("prefer-256-bit");
    RepOps' kernels are long chains of vector arithmetic, and 512-bit vectors run
    them about 1.5x faster there. Vector width never changes a result: every
    element is computed by its own lanes, with the same operations in the same
    order. Numba reads this once, when it first compiles in the process (cached
    code is keyed by the features, so both settings can share a cache); set
    `NUMBA_CPU_FEATURES` to choose yourself.
    """
    if numba is None or numba.config.CPU_FEATURES is not None:
        return
    try:
        import llvmlite.binding as llvm

        llvm.initialize_native_target()
        features = llvm.get_host_cpu_features()
    except (ImportError, RuntimeError):  # pragma: no cover - unknown host
        return
    if features.get("avx512f") and features.get("prefer-256-bit") is not True:
        numba.config.CPU_FEATURES = features.flatten() + ",-prefer-256-bit"


_allow_wide_vectors()

F32Array = NDArray[np.float32]
CANONICAL_NAN_F32 = np.array([0x7FC00000], dtype=np.uint32).view(np.float32)[0]
ZERO = np.float32(0.0)
ONE = np.float32(1.0)
NEG_INF = np.float32(-np.inf)
POS_INF = np.float32(np.inf)
OP_ADD, OP_MAX, OP_MIN = 1, 6, 7  # Opcode numbers (REDUCE's opcodes)

PARALLEL_MATMUL_MIN_WORK = 1 << 22
"""A product with at least this many multiply-adds (batch*M*N*K, about 0.1 ms on one
core) is split across `torch.get_num_threads()` threads by the C kernel (each element
stays one chain). Its helper threads spin briefly between products, so a split costs a
few microseconds; below this size it saved nothing measurable."""

PARALLEL_BATCHES_MIN_WORK = 1 << 18
"""The same for a batch of products (attention's heads), which splits by batches without
packing anything twice: 48 heads of 16 x 16 x 64 (A^T B) went from 0.09 to 0.05 ms."""


def cpu_kernels_available() -> bool:
    return numba is not None


def matmul_kernel(a: F32Array, b: F32Array, out: F32Array) -> None:
    """out[bi] = a[bi] @ b[bi] with `acc = acc + a[i,k]*b[k,j]`, k ascending, acc0 = +0.0.

    a (batch, M, K), b (batch, K, N), out (batch, M, N), C-contiguous; out is
    overwritten. Blocks of 4 rows; each pass over a row reads 4 values of k, so
    the accumulator is loaded and stored once per 4 sequential mul/add pairs (the
    additions stay in k order: ((acc + p0) + p1) + p2 ...). Vectorised across j.
    """
    batch, m, depth = a.shape
    n = b.shape[2]
    blocks = (m + 3) // 4
    for task in range(batch * blocks):
        bi = task // blocks
        i0 = (task % blocks) * 4
        i1 = min(i0 + 4, m)
        for i in range(i0, i1):
            row = out[bi, i]
            for j in range(n):
                row[j] = ZERO
        if i1 - i0 == 4:
            o0 = out[bi, i0]
            o1 = out[bi, i0 + 1]
            o2 = out[bi, i0 + 2]
            o3 = out[bi, i0 + 3]
            k = 0
            while k + 4 <= depth:
                b0 = b[bi, k]
                b1 = b[bi, k + 1]
                b2 = b[bi, k + 2]
                b3 = b[bi, k + 3]
                a00 = a[bi, i0, k]
                a01 = a[bi, i0, k + 1]
                a02 = a[bi, i0, k + 2]
                a03 = a[bi, i0, k + 3]
                a10 = a[bi, i0 + 1, k]
                a11 = a[bi, i0 + 1, k + 1]
                a12 = a[bi, i0 + 1, k + 2]
                a13 = a[bi, i0 + 1, k + 3]
                a20 = a[bi, i0 + 2, k]
                a21 = a[bi, i0 + 2, k + 1]
                a22 = a[bi, i0 + 2, k + 2]
                a23 = a[bi, i0 + 2, k + 3]
                a30 = a[bi, i0 + 3, k]
                a31 = a[bi, i0 + 3, k + 1]
                a32 = a[bi, i0 + 3, k + 2]
                a33 = a[bi, i0 + 3, k + 3]
                for j in range(n):
                    x0 = b0[j]
                    x1 = b1[j]
                    x2 = b2[j]
                    x3 = b3[j]
                    o0[j] = (((o0[j] + a00 * x0) + a01 * x1) + a02 * x2) + a03 * x3
                    o1[j] = (((o1[j] + a10 * x0) + a11 * x1) + a12 * x2) + a13 * x3
                    o2[j] = (((o2[j] + a20 * x0) + a21 * x1) + a22 * x2) + a23 * x3
                    o3[j] = (((o3[j] + a30 * x0) + a31 * x1) + a32 * x2) + a33 * x3
                k += 4
            while k < depth:
                bk = b[bi, k]
                a0 = a[bi, i0, k]
                a1 = a[bi, i0 + 1, k]
                a2 = a[bi, i0 + 2, k]
                a3 = a[bi, i0 + 3, k]
                for j in range(n):
                    x = bk[j]
                    o0[j] = o0[j] + a0 * x
                    o1[j] = o1[j] + a1 * x
                    o2[j] = o2[j] + a2 * x
                    o3[j] = o3[j] + a3 * x
                k += 1
        else:
            for i in range(i0, i1):
                o = out[bi, i]
                k = 0
                while k + 4 <= depth:
                    b0 = b[bi, k]
                    b1 = b[bi, k + 1]
                    b2 = b[bi, k + 2]
                    b3 = b[bi, k + 3]
                    c0 = a[bi, i, k]
                    c1 = a[bi, i, k + 1]
                    c2 = a[bi, i, k + 2]
                    c3 = a[bi, i, k + 3]
                    for j in range(n):
                        o[j] = (((o[j] + c0 * b0[j]) + c1 * b1[j]) + c2 * b2[j]) + c3 * b3[j]
                    k += 4
                while k < depth:
                    bk = b[bi, k]
                    c = a[bi, i, k]
                    for j in range(n):
                        o[j] = o[j] + c * bk[j]
                    k += 1
        for i in range(i0, i1):
            row = out[bi, i]
            for j in range(n):
                v = row[j]
                row[j] = v if v == v else CANONICAL_NAN_F32


def reduce_kernel(x: F32Array, opcode: int, divisor: np.float32, out: F32Array) -> None:
    """REDUCE: out[o, i] = op(...op(op(init, x[o, 0, i]), x[o, 1, i])..., x[o, n-1, i]),
    then DIV(acc, divisor) when divisor != 0 (the mean).

    x (outer, n, inner); out (outer, inner). opcode: 1 ADD (init +0.0), 6 MAX
    (init -inf), 7 MIN (init +inf), with MAX/MIN as the ordered selects of the spec
    (`acc if (acc > v or acc != acc) else v`). Each element's chain stays
    sequential; independent chains run side by side: in vector lanes across
    `inner`, or, when inner == 1, 8 rows at a time (interleaved scalar chains).
    """
    outer, n, inner = x.shape
    init = ZERO if opcode == OP_ADD else (NEG_INF if opcode == OP_MAX else POS_INF)
    if inner == 1:
        x2 = x.reshape(outer, n)
        o = 0
        while o + 8 <= outer:
            s0 = init
            s1 = init
            s2 = init
            s3 = init
            s4 = init
            s5 = init
            s6 = init
            s7 = init
            if opcode == OP_ADD:
                for k in range(n):
                    v0 = x2[o + 0, k]
                    v1 = x2[o + 1, k]
                    v2 = x2[o + 2, k]
                    v3 = x2[o + 3, k]
                    v4 = x2[o + 4, k]
                    v5 = x2[o + 5, k]
                    v6 = x2[o + 6, k]
                    v7 = x2[o + 7, k]
                    s0 = s0 + v0
                    s1 = s1 + v1
                    s2 = s2 + v2
                    s3 = s3 + v3
                    s4 = s4 + v4
                    s5 = s5 + v5
                    s6 = s6 + v6
                    s7 = s7 + v7
            elif opcode == OP_MAX:
                for k in range(n):
                    v0 = x2[o + 0, k]
                    v1 = x2[o + 1, k]
                    v2 = x2[o + 2, k]
                    v3 = x2[o + 3, k]
                    v4 = x2[o + 4, k]
                    v5 = x2[o + 5, k]
                    v6 = x2[o + 6, k]
                    v7 = x2[o + 7, k]
                    s0 = s0 if (s0 > v0 or s0 != s0) else v0
                    s1 = s1 if (s1 > v1 or s1 != s1) else v1
                    s2 = s2 if (s2 > v2 or s2 != s2) else v2
                    s3 = s3 if (s3 > v3 or s3 != s3) else v3
                    s4 = s4 if (s4 > v4 or s4 != s4) else v4
                    s5 = s5 if (s5 > v5 or s5 != s5) else v5
                    s6 = s6 if (s6 > v6 or s6 != s6) else v6
                    s7 = s7 if (s7 > v7 or s7 != s7) else v7
            else:
                for k in range(n):
                    v0 = x2[o + 0, k]
                    v1 = x2[o + 1, k]
                    v2 = x2[o + 2, k]
                    v3 = x2[o + 3, k]
                    v4 = x2[o + 4, k]
                    v5 = x2[o + 5, k]
                    v6 = x2[o + 6, k]
                    v7 = x2[o + 7, k]
                    s0 = s0 if (s0 < v0 or s0 != s0) else v0
                    s1 = s1 if (s1 < v1 or s1 != s1) else v1
                    s2 = s2 if (s2 < v2 or s2 != s2) else v2
                    s3 = s3 if (s3 < v3 or s3 != s3) else v3
                    s4 = s4 if (s4 < v4 or s4 != s4) else v4
                    s5 = s5 if (s5 < v5 or s5 != s5) else v5
                    s6 = s6 if (s6 < v6 or s6 != s6) else v6
                    s7 = s7 if (s7 < v7 or s7 != s7) else v7
            out[o + 0, 0] = s0
            out[o + 1, 0] = s1
            out[o + 2, 0] = s2
            out[o + 3, 0] = s3
            out[o + 4, 0] = s4
            out[o + 5, 0] = s5
            out[o + 6, 0] = s6
            out[o + 7, 0] = s7
            o += 8
        while o < outer:
            s = init
            if opcode == OP_ADD:
                for k in range(n):
                    s = s + x2[o, k]
            elif opcode == OP_MAX:
                for k in range(n):
                    v = x2[o, k]
                    s = s if (s > v or s != s) else v
            else:
                for k in range(n):
                    v = x2[o, k]
                    s = s if (s < v or s != s) else v
            out[o, 0] = s
            o += 1
    else:
        for o in range(outer):
            acc = out[o]
            for i in range(inner):
                acc[i] = init
            for k in range(n):
                row = x[o, k]
                if opcode == OP_ADD:
                    for i in range(inner):
                        acc[i] = acc[i] + row[i]
                elif opcode == OP_MAX:
                    for i in range(inner):
                        s = acc[i]
                        v = row[i]
                        acc[i] = s if (s > v or s != s) else v
                else:
                    for i in range(inner):
                        s = acc[i]
                        v = row[i]
                        acc[i] = s if (s < v or s != s) else v
    for o in range(outer):
        acc = out[o]
        if divisor != ZERO:
            for i in range(inner):
                v = acc[i] / divisor
                acc[i] = v if v == v else CANONICAL_NAN_F32
        else:
            for i in range(inner):
                v = acc[i]
                acc[i] = v if v == v else CANONICAL_NAN_F32


def mse_loss_kernel(pred: F32Array, target: F32Array, divisor: np.float32, out: F32Array) -> None:
    """MSE_LOSS: acc = acc + (p - t) * (p - t) in flat order from +0.0; out[0] = DIV(acc, n)."""
    acc = ZERO
    for k in range(pred.size):
        d = pred[k] - target[k]
        acc = acc + d * d
    v = acc / divisor
    out[0] = v if v == v else CANONICAL_NAN_F32


def ln_rstd_kernel(x: F32Array, mean: F32Array, eps: np.float32, out: F32Array) -> None:
    """LN_RSTD per row: acc = acc + (x - mean)^2 over the last axis from +0.0, then
    v = DIV(acc, D), v = ADD(v, eps), r = SQRT(v), DIV(1.0, r). Four rows' chains
    are interleaved (each stays sequential)."""
    rows, width = x.shape
    r0 = 0
    while r0 < rows:
        if r0 + 4 <= rows:
            a0 = ZERO
            a1 = ZERO
            a2 = ZERO
            a3 = ZERO
            m0 = mean[r0]
            m1 = mean[r0 + 1]
            m2 = mean[r0 + 2]
            m3 = mean[r0 + 3]
            for d in range(width):
                c0 = x[r0, d] - m0
                c1 = x[r0 + 1, d] - m1
                c2 = x[r0 + 2, d] - m2
                c3 = x[r0 + 3, d] - m3
                a0 = a0 + c0 * c0
                a1 = a1 + c1 * c1
                a2 = a2 + c2 * c2
                a3 = a3 + c3 * c3
            out[r0] = a0
            out[r0 + 1] = a1
            out[r0 + 2] = a2
            out[r0 + 3] = a3
            r0 += 4
        else:
            a = ZERO
            m = mean[r0]
            for d in range(width):
                c = x[r0, d] - m
                a = a + c * c
            out[r0] = a
            r0 += 1
    count = np.float32(width)
    for r in range(rows):
        v = out[r] / count
        v = v + eps
        v = np.sqrt(v)
        v = ONE / v
        out[r] = v if v == v else CANONICAL_NAN_F32


def ln_grad_stats_kernel(
    dy: F32Array,
    x: F32Array,
    mean: F32Array,
    rstd: F32Array,
    gain: F32Array,
    moment: int,
    out: F32Array,
) -> None:
    """LN_GRAD_STATS per row: acc of dy*gain (moment 0) or of (dy*gain)*((x - mean)*rstd)
    (moment 1) over the last axis from +0.0, then DIV(acc, D). Four rows' chains are
    interleaved (each stays sequential)."""
    rows, width = x.shape
    r0 = 0
    while r0 < rows:
        if r0 + 4 <= rows:
            a0 = ZERO
            a1 = ZERO
            a2 = ZERO
            a3 = ZERO
            if moment == 0:
                for d in range(width):
                    g = gain[d]
                    a0 = a0 + dy[r0, d] * g
                    a1 = a1 + dy[r0 + 1, d] * g
                    a2 = a2 + dy[r0 + 2, d] * g
                    a3 = a3 + dy[r0 + 3, d] * g
            else:
                m0 = mean[r0]
                m1 = mean[r0 + 1]
                m2 = mean[r0 + 2]
                m3 = mean[r0 + 3]
                s0 = rstd[r0]
                s1 = rstd[r0 + 1]
                s2 = rstd[r0 + 2]
                s3 = rstd[r0 + 3]
                for d in range(width):
                    g = gain[d]
                    a0 = a0 + (dy[r0, d] * g) * ((x[r0, d] - m0) * s0)
                    a1 = a1 + (dy[r0 + 1, d] * g) * ((x[r0 + 1, d] - m1) * s1)
                    a2 = a2 + (dy[r0 + 2, d] * g) * ((x[r0 + 2, d] - m2) * s2)
                    a3 = a3 + (dy[r0 + 3, d] * g) * ((x[r0 + 3, d] - m3) * s3)
            out[r0] = a0
            out[r0 + 1] = a1
            out[r0 + 2] = a2
            out[r0 + 3] = a3
            r0 += 4
        else:
            a = ZERO
            if moment == 0:
                for d in range(width):
                    a = a + dy[r0, d] * gain[d]
            else:
                m = mean[r0]
                s = rstd[r0]
                for d in range(width):
                    a = a + (dy[r0, d] * gain[d]) * ((x[r0, d] - m) * s)
            out[r0] = a
            r0 += 1
    count = np.float32(width)
    for r in range(rows):
        v = out[r] / count
        out[r] = v if v == v else CANONICAL_NAN_F32


def ln_grad_gain_kernel(dy: F32Array, x: F32Array, mean: F32Array, rstd: F32Array, out: F32Array) -> None:
    """LN_GRAD_GAIN per column: acc = acc + dy * ((x - mean) * rstd) over rows from +0.0
    (vectorised across columns, rows in order)."""
    rows, width = x.shape
    for d in range(width):
        out[d] = ZERO
    for r in range(rows):
        m = mean[r]
        s = rstd[r]
        for d in range(width):
            out[d] = out[d] + dy[r, d] * ((x[r, d] - m) * s)
    for d in range(width):
        v = out[d]
        out[d] = v if v == v else CANONICAL_NAN_F32


def pick_kernel(x: F32Array, ids: F32Array, out: F32Array) -> None:
    """PICK, the program itself: acc = +0.0; for c: acc = SELECT(EQ(id, c), x[c], acc)."""
    rows, classes = x.shape
    for r in range(rows):
        idx = ids[r]
        acc = ZERO
        for c in range(classes):
            if idx == np.float32(c):
                acc = x[r, c]
        out[r] = acc if acc == acc else CANONICAL_NAN_F32


def embedding_kernel(ids: F32Array, table: F32Array, out: F32Array) -> None:
    """EMBEDDING: out[n] = table[id] for an id equal to an integer in [0, V) (the one
    row whose EQ is true in the select chain), else +0.0 (the chain's init)."""
    vocab, width = table.shape
    for n in range(ids.shape[0]):
        value = ids[n]
        row = -1
        if value >= ZERO and value < np.float32(vocab) and np.floor(value) == value:
            row = int(value)
        if row < 0:
            for d in range(width):
                out[n, d] = ZERO
        else:
            for d in range(width):
                v = table[row, d]
                out[n, d] = v if v == v else CANONICAL_NAN_F32


def embedding_grad_kernel(ids: F32Array, dout: F32Array, out: F32Array) -> None:
    """EMBEDDING_GRAD: out[v] = sum over n in order of SELECT(EQ(ids[n], v), dout[n], +0.0)
    from +0.0. A position whose id is not v adds +0.0, which leaves every value the
    accumulator can hold unchanged (it starts at +0.0 and a round-to-nearest sum is
    -0.0 only when both terms are), so only matching positions are added, in order.
    out (V, D) is overwritten."""
    vocab, width = out.shape
    for v in range(vocab):
        for d in range(width):
            out[v, d] = ZERO
    for n in range(ids.shape[0]):
        value = ids[n]
        if value >= ZERO and value < np.float32(vocab) and np.floor(value) == value:
            row = int(value)
            for d in range(width):
                out[row, d] = out[row, d] + dout[n, d]
    for v in range(vocab):
        for d in range(width):
            x = out[v, d]
            out[v, d] = x if x == x else CANONICAL_NAN_F32


def causal_mask_kernel(x: F32Array, fill: np.float32, out: F32Array) -> None:
    """CAUSAL_MASK on x (B, T, T): COPY(x) where col <= row, else COPY(fill)."""
    batch, t, _ = x.shape
    f = fill if fill == fill else CANONICAL_NAN_F32
    for bi in range(batch):
        for r in range(t):
            for c in range(t):
                if c <= r:
                    v = x[bi, r, c]
                    out[bi, r, c] = v if v == v else CANONICAL_NAN_F32
                else:
                    out[bi, r, c] = f


def batch_gather_kernel(dataset: F32Array, rows: NDArray[np.int64], out: F32Array) -> None:
    """BATCH_GATHER: out[r] = COPY(dataset[rows[r]]) (dataset (num_rows, L))."""
    width = dataset.shape[1]
    for r in range(rows.shape[0]):
        src = rows[r]
        for i in range(width):
            v = dataset[src, i]
            out[r, i] = v if v == v else CANONICAL_NAN_F32


def canonical_copy_kernel(x: F32Array, out: F32Array) -> None:
    """COPY of every element in place (the identity address map, e.g. a reshape)."""
    for e in range(out.shape[0]):
        v = x[e]
        out[e] = v if v == v else CANONICAL_NAN_F32


def gather_copy_kernel(x: F32Array, addresses: NDArray[np.integer[Any]], out: F32Array) -> None:
    """COPY through precomputed addresses: out[e] = COPY(x[addresses[e]]), or of +0.0
    where the address is -1 (padding)."""
    for e in range(out.shape[0]):
        i = addresses[e]
        v = x[i] if i >= 0 else ZERO
        out[e] = v if v == v else CANONICAL_NAN_F32


def gather_sum_kernel(x: F32Array, addresses: NDArray[np.integer[Any]], out: F32Array) -> None:
    """GATHER_SUM: out[e] = +0.0, then out[e] = ADD(out[e], x[addresses[k, e]] or +0.0)
    for k in order (addresses (trips, count), -1 = padding)."""
    trips, count = addresses.shape
    for e in range(count):
        out[e] = ZERO
    for k in range(trips):
        row = addresses[k]
        for e in range(count):
            i = row[e]
            out[e] = out[e] + (x[i] if i >= 0 else ZERO)
    for e in range(count):
        v = out[e]
        out[e] = v if v == v else CANONICAL_NAN_F32


KERNELS = (
    matmul_kernel,
    reduce_kernel,
    mse_loss_kernel,
    ln_rstd_kernel,
    ln_grad_stats_kernel,
    ln_grad_gain_kernel,
    pick_kernel,
    embedding_kernel,
    embedding_grad_kernel,
    causal_mask_kernel,
    batch_gather_kernel,
    canonical_copy_kernel,
    gather_copy_kernel,
    gather_sum_kernel,
)


def compile_kernel(function: Callable[..., None], *, cache: bool = True) -> Callable[..., None]:
    """The njit-compiled kernel, never with fast-math (no FMA contraction, no reordering).

    Never `parallel=True`: numba's thread launch costs more than most ops take."""
    assert numba is not None
    compiled: Callable[..., None] = numba.njit(cache=cache, fastmath=False, nogil=True, error_model="numpy")(
        function
    )
    return compiled


@cache
def serial(function: Callable[..., None]) -> Callable[..., None]:
    """The cached compiled version of one of `KERNELS`."""
    return compile_kernel(function)


def matmul_plan(
    a_shape: tuple[int, ...],
    b_shape: tuple[int, ...],
    transpose_a: bool,
    transpose_b: bool,
    backend: str = "auto",
) -> Callable[[F32Array, F32Array], F32Array]:
    """A function (a, b) -> (A or A^T) @ (B or B^T) over equal leading batch dims,
    k-sequential per element, NaN-canonicalised (a, b: C-contiguous float32 of these
    shapes). backend "auto" runs the C kernel (`cmatmul.c`) when it builds, else
    `matmul_kernel` (numba); "c" or "numba" asks for one (both give the same bits)."""
    batch_shape = a_shape[:-2]
    batch = math.prod(batch_shape)
    m, depth = (a_shape[-1], a_shape[-2]) if transpose_a else (a_shape[-2], a_shape[-1])
    n = b_shape[-2] if transpose_b else b_shape[-1]
    out_shape = (*batch_shape, m, n)
    work = batch * m * n * depth
    ext = cext.load() if backend in ("auto", "c") else None
    if backend == "c" and ext is None:
        raise RuntimeError("the C matmul kernel is not available here")
    if ext is None:

        def run_numba(a: F32Array, b: F32Array) -> F32Array:
            a3 = a.reshape(batch, *a_shape[-2:])
            b3 = b.reshape(batch, *b_shape[-2:])
            if transpose_a:
                a3 = np.ascontiguousarray(np.swapaxes(a3, 1, 2))
            if transpose_b:
                b3 = np.ascontiguousarray(np.swapaxes(b3, 1, 2))
            out = np.empty((batch, m, n), dtype=np.float32)
            serial(matmul_kernel)(a3, b3, out)
            return out.reshape(out_shape)

        return run_numba

    # Element strides of A(i, k) and B(k, j) in the stored (untransposed) arrays.
    a_rs, a_cs = (1, m) if transpose_a else (depth, 1)
    b_rs, b_cs = (1, depth) if transpose_b else (n, 1)
    sizes = (m, depth, n, m * depth, a_rs, a_cs, depth * n, b_rs, b_cs)
    call = ext.matmul
    least = PARALLEL_BATCHES_MIN_WORK if batch > 1 else PARALLEL_MATMUL_MIN_WORK
    threads = torch.get_num_threads() if work >= least else 1

    def run_c(a: F32Array, b: F32Array) -> F32Array:
        out = np.empty(out_shape, dtype=np.float32)
        call(a, b, out, *sizes, 0, batch, 0, m, 0, n, threads)
        return out

    return run_c
