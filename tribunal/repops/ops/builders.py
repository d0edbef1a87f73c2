"""Builders: one function per op (or op variant) returning its `OpSpec`.

Float parameters are rounded to float32 once, here, and stored as bits.
"""

from collections.abc import Sequence

from tribunal.repops.core.opspec import Broadcast, OpKind, OpSpec, Shape
from tribunal.repops.core.primitives import Opcode, f32_to_bits
from tribunal.repops.ops.layout import AffineMap


def matmul() -> OpSpec:
    """A (*b, M, K) @ B (*b, K, N)."""
    return OpSpec(OpKind.MATMUL)


def matmul_at() -> OpSpec:
    """A (*b, K, M)^T @ B (*b, K, N), e.g. dW = X^T dY."""
    return OpSpec(OpKind.MATMUL_AT)


def matmul_bt() -> OpSpec:
    """A (*b, M, K) @ B (*b, N, K)^T, e.g. dX = dY W^T, attention scores Q K^T."""
    return OpSpec(OpKind.MATMUL_BT)


def binary(opcode: Opcode, broadcast: Broadcast = Broadcast.SAME) -> OpSpec:
    return OpSpec(OpKind.BINARY, (int(opcode), int(broadcast)))


def add() -> OpSpec:
    return binary(Opcode.ADD)


def sub() -> OpSpec:
    return binary(Opcode.SUB)


def mul() -> OpSpec:
    return binary(Opcode.MUL)


def div() -> OpSpec:
    return binary(Opcode.DIV)


def maximum() -> OpSpec:
    return binary(Opcode.MAX)


def minimum() -> OpSpec:
    return binary(Opcode.MIN)


def bias_add() -> OpSpec:
    """x (..., N) + b (N,)."""
    return binary(Opcode.ADD, Broadcast.COLUMN)


def row_sub() -> OpSpec:
    """x (..., N) - v (...), e.g. logits minus their row max."""
    return binary(Opcode.SUB, Broadcast.ROW)


def row_div() -> OpSpec:
    """x (..., N) / v (...), e.g. exponentials over their row sum."""
    return binary(Opcode.DIV, Broadcast.ROW)


def const_binary(opcode: Opcode, value: float, *, const_first: bool = False) -> OpSpec:
    return OpSpec(OpKind.BINARY_CONST, (int(opcode), f32_to_bits(value), int(const_first)))


def scale(factor: float) -> OpSpec:
    """x * factor."""
    return const_binary(Opcode.MUL, factor)


def add_const(value: float) -> OpSpec:
    return const_binary(Opcode.ADD, value)


def relu() -> OpSpec:
    """MAX(x, +0.0): x if x > +0.0 else +0.0 (NaN stays NaN, -0.0 becomes +0.0)."""
    return const_binary(Opcode.MAX, 0.0)


def relu_grad() -> OpSpec:
    """inputs (x, dy)."""
    return OpSpec(OpKind.RELU_GRAD)


def unary(opcode: Opcode) -> OpSpec:
    return OpSpec(OpKind.UNARY, (int(opcode),))


def sqrt() -> OpSpec:
    return unary(Opcode.SQRT)


def neg() -> OpSpec:
    return unary(Opcode.NEG)


def absolute() -> OpSpec:
    return unary(Opcode.ABS)


def exp() -> OpSpec:
    return OpSpec(OpKind.EXP)


def log() -> OpSpec:
    return OpSpec(OpKind.LOG)


def _reduce(opcode: Opcode, start: int, stop: int | None, mean: bool, rank: int | None) -> OpSpec:
    if stop is None:
        if rank is None:
            raise ValueError("give stop, or rank to reduce up to the last dim")
        stop = rank
    return OpSpec(OpKind.REDUCE, (int(opcode), start, stop, int(mean)))


def reduce_sum(start: int, stop: int | None = None, *, rank: int | None = None) -> OpSpec:
    """Sum over dims [start, stop) in row-major order; `reduce_sum(0, rank)` sums all."""
    return _reduce(Opcode.ADD, start, stop, False, rank)


def reduce_mean(start: int, stop: int | None = None, *, rank: int | None = None) -> OpSpec:
    return _reduce(Opcode.ADD, start, stop, True, rank)


def reduce_max(start: int, stop: int | None = None, *, rank: int | None = None) -> OpSpec:
    return _reduce(Opcode.MAX, start, stop, False, rank)


def reduce_min(start: int, stop: int | None = None, *, rank: int | None = None) -> OpSpec:
    return _reduce(Opcode.MIN, start, stop, False, rank)


def pick() -> OpSpec:
    """inputs (x (..., C), ids (...)): x[..., id]."""
    return OpSpec(OpKind.PICK)


def xent_grad() -> OpSpec:
    """inputs (e, s, labels): gradient of the mean cross-entropy w.r.t. the logits."""
    return OpSpec(OpKind.XENT_GRAD)


def mse_loss() -> OpSpec:
    return OpSpec(OpKind.MSE_LOSS)


def mse_grad() -> OpSpec:
    return OpSpec(OpKind.MSE_GRAD)


def ln_rstd(eps: float = 1e-5) -> OpSpec:
    return OpSpec(OpKind.LN_RSTD, (f32_to_bits(eps),))


def ln_apply() -> OpSpec:
    return OpSpec(OpKind.LN_APPLY)


def ln_grad_stats(moment: int) -> OpSpec:
    return OpSpec(OpKind.LN_GRAD_STATS, (moment,))


def ln_grad_input() -> OpSpec:
    return OpSpec(OpKind.LN_GRAD_INPUT)


def ln_grad_gain() -> OpSpec:
    return OpSpec(OpKind.LN_GRAD_GAIN)


def sgd(lr: float) -> OpSpec:
    return OpSpec(OpKind.SGD, (f32_to_bits(lr),))


def momentum(mu: float) -> OpSpec:
    return OpSpec(OpKind.MOMENTUM, (f32_to_bits(mu),))


def adam_m(beta1: float) -> OpSpec:
    return OpSpec(OpKind.ADAM_M, (f32_to_bits(beta1), f32_to_bits(1.0 - beta1)))


def adam_v(beta2: float) -> OpSpec:
    return OpSpec(OpKind.ADAM_V, (f32_to_bits(beta2), f32_to_bits(1.0 - beta2)))


def adam_update(lr: float, eps: float = 1e-8) -> OpSpec:
    """inputs (w, m', v', beta1^t, beta2^t)."""
    return OpSpec(OpKind.ADAM_UPDATE, (f32_to_bits(lr), f32_to_bits(eps)))


def embedding() -> OpSpec:
    """inputs (ids (...) as float32, table (V, D))."""
    return OpSpec(OpKind.EMBEDDING)


def embedding_grad(vocab: int) -> OpSpec:
    """inputs (ids (...), dout (..., D)) -> (vocab, D)."""
    return OpSpec(OpKind.EMBEDDING_GRAD, (vocab,))


def causal_mask(fill: float = float("-inf")) -> OpSpec:
    """Keep (row, col) with col <= row, set the rest to `fill` (-inf forward, 0.0 backward)."""
    return OpSpec(OpKind.CAUSAL_MASK, (f32_to_bits(fill),))


def batch_gather(rows: Sequence[int]) -> OpSpec:
    """dataset (num_rows, ...) -> (len(rows), ...): row r = dataset[rows[r]]."""
    return OpSpec(OpKind.BATCH_GATHER, tuple(int(r) for r in rows))


def affine_copy(amap: AffineMap) -> OpSpec:
    return OpSpec(OpKind.COPY, amap.encode())


def gather_sum(amap: AffineMap) -> OpSpec:
    return OpSpec(OpKind.GATHER_SUM, amap.encode())


def _contiguous_strides(shape: Shape) -> list[int]:
    strides, step = [], 1
    for dim in reversed(shape):
        strides.append(step)
        step *= dim
    return strides[::-1]


def transpose(shape: Shape, perm: Sequence[int], out_shape: Shape | None = None) -> OpSpec:
    """Output dim d is input dim perm[d] (like `x.reshape(shape).permute(perm)`).

    `shape` is the input viewed with that shape (its numel must match the input's);
    `out_shape` defaults to the permuted shape.
    """
    if sorted(perm) != list(range(len(shape))):
        raise ValueError(f"perm {perm} is not a permutation of {len(shape)} dims")
    out_view = tuple(shape[p] for p in perm)
    coef = tuple(tuple(1 if perm[d] == j else 0 for d in range(len(perm))) for j in range(len(shape)))
    return affine_copy(
        AffineMap(
            out_view=out_view,
            loop_view=(),
            in_view=tuple(shape),
            coef=coef,
            offset=(0,) * len(shape),
            div=(1,) * len(shape),
            out_shape=tuple(out_shape) if out_shape is not None else out_view,
        )
    )


def reshape(shape: Shape, new_shape: Shape) -> OpSpec:
    """Same elements in the same order under a new shape."""
    count = 1
    for dim in shape:
        count *= dim
    return affine_copy(AffineMap((count,), (), (count,), ((1,),), (0,), (1,), tuple(new_shape)))


def split_heads(batch: int, seq: int, heads: int, head_dim: int) -> OpSpec:
    """(B, T, H*Dh) -> (B, H, T, Dh)."""
    return transpose((batch, seq, heads, head_dim), (0, 2, 1, 3))


def merge_heads(batch: int, seq: int, heads: int, head_dim: int) -> OpSpec:
    """(B, H, T, Dh) -> (B, T, H*Dh)."""
    return transpose((batch, heads, seq, head_dim), (0, 2, 1, 3), out_shape=(batch, seq, heads * head_dim))


def conv_out_size(size: int, kernel: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - kernel) // stride + 1


def im2col(
    batch: int, channels: int, height: int, width: int, kernel: int, stride: int = 1, pad: int = 0
) -> OpSpec:
    """x (B, C, H, W) -> cols (B*OH*OW, C*K*K): row (b, oh, ow), column (c, kh, kw);
    zero padding. A convolution is then `matmul(cols, W (C*K*K, Cout))`."""
    oh = conv_out_size(height, kernel, stride, pad)
    ow = conv_out_size(width, kernel, stride, pad)
    # out view (b, oh, ow, c, kh, kw); input coords (b, c, h, w)
    coef = (
        (1, 0, 0, 0, 0, 0),
        (0, 0, 0, 1, 0, 0),
        (0, stride, 0, 0, 1, 0),
        (0, 0, stride, 0, 0, 1),
    )
    return affine_copy(
        AffineMap(
            out_view=(batch, oh, ow, channels, kernel, kernel),
            loop_view=(),
            in_view=(batch, channels, height, width),
            coef=coef,
            offset=(0, 0, -pad, -pad),
            div=(1, 1, 1, 1),
            out_shape=(batch * oh * ow, channels * kernel * kernel),
        )
    )


def col2im(
    batch: int, channels: int, height: int, width: int, kernel: int, stride: int = 1, pad: int = 0
) -> OpSpec:
    """The gradient of im2col: dcols (B*OH*OW, C*K*K) -> dx (B, C, H, W); element
    (b, c, h, w) sums, over (kh, kw) in order, dcols[(b, oh, ow), (c, kh, kw)] with
    oh = (h + pad - kh) / stride when that is an integer in range."""
    oh = conv_out_size(height, kernel, stride, pad)
    ow = conv_out_size(width, kernel, stride, pad)
    # out view (b, c, h, w) ++ loop (kh, kw); input coords (b, oh, ow, c, kh, kw)
    coef = (
        (1, 0, 0, 0, 0, 0),
        (0, 0, 1, 0, -1, 0),
        (0, 0, 0, 1, 0, -1),
        (0, 1, 0, 0, 0, 0),
        (0, 0, 0, 0, 1, 0),
        (0, 0, 0, 0, 0, 1),
    )
    return gather_sum(
        AffineMap(
            out_view=(batch, channels, height, width),
            loop_view=(kernel, kernel),
            in_view=(batch, oh, ow, channels, kernel, kernel),
            coef=coef,
            offset=(0, pad, pad, 0, 0, 0),
            div=(1, stride, stride, 1, 1, 1),
            out_shape=(batch, channels, height, width),
        )
    )
