"""Layers as nodes: each forward records its nodes and returns a backward that records the
gradient nodes (hand-written; no autograd), adding parameter gradients to ``grads``.

A frozen parameter (``GraphBuilder.trainable``) gets no gradient node, and a model's backward
stops where nothing below it trains (``GraphBuilder.requires_grad``): the input gradient of a
layer is recorded only when something under the layer needs it.

Layouts are row-major and channels-last; a backward is called at most once, after every
forward, in reverse order, so node order is forward, loss, backward — topological.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod

from tribunal.graph import Ref
from tribunal.models.builder import GraphBuilder
from tribunal.repops import AffineMap, ops

Grads = dict[str, Ref]
Backward = Callable[[Ref], Ref]
Chain = list[tuple[Backward, Ref]]
"""A sequential model's layers as ``(backward, output)``, bottom to top."""


def backward_chain(b: GraphBuilder, chain: Chain, dy: Ref) -> Ref:
    """Run a sequential chain's backwards top down, stopping under the last layer whose output
    depends on a trainable parameter (nothing below it needs a gradient)."""
    for back, output in reversed(chain):
        if not b.requires_grad(output):
            break
        dy = back(dy)
    return dy


def accumulate(b: GraphBuilder, grads: Grads, name: str, grad: Ref) -> None:
    """Add ``grad`` into the gradient of parameter ``name`` (a parameter used twice sums)."""
    grads[name] = b.add(ops.add(), [grads[name], grad], f"grad.{name}") if name in grads else grad


def reshape(b: GraphBuilder, x: Ref, shape: tuple[int, ...], name: str) -> Ref:
    """The same elements in the same order, seen with another shape (one COPY node)."""
    source = b.shape(x)
    if prod(source) != prod(shape):
        raise ValueError(f"{name}: cannot reshape {source} to {shape}")
    if source == shape:
        return x
    return b.add(ops.reshape(source, shape), [x], name)


def columns(
    b: GraphBuilder, x: Ref, start: int, count: int, name: str, shape: tuple[int, ...] | None = None
) -> Ref:
    """Columns ``start .. start+count-1`` of a matrix ``(rows, width)``, row-major, with
    shape ``(rows, count)`` or ``shape`` (same number of elements) — one COPY node."""
    rows, width = b.shape(x)
    amap = AffineMap(
        out_view=(rows, count),
        loop_view=(),
        in_view=(rows, width),
        coef=((1, 0), (0, 1)),
        offset=(0, start),
        div=(1, 1),
        out_shape=shape or (rows, count),
    )
    return b.add(ops.affine_copy(amap), [x], name)


def dense(
    b: GraphBuilder, grads: Grads, x: Ref, prefix: str, *, need_dx: bool = True
) -> tuple[Ref, Backward]:
    """``y = x W + bias`` over ``x (rows, in)``; W ``(in, out)``, bias ``(out,)``. Without
    ``need_dx`` the backward records no input gradient and returns ``dy``."""
    weight, bias = b.state(f"{prefix}.weight"), b.state(f"{prefix}.bias")
    z = b.add(ops.matmul(), [x, weight], f"{prefix}.matmul")
    y = b.add(ops.bias_add(), [z, bias], f"{prefix}.bias_add")

    def backward(dy: Ref) -> Ref:
        if b.trainable(f"{prefix}.weight"):
            accumulate(b, grads, f"{prefix}.weight", b.add(ops.matmul_at(), [x, dy], f"{prefix}.dW"))
        if b.trainable(f"{prefix}.bias"):
            rank = len(b.shape(dy))
            accumulate(b, grads, f"{prefix}.bias", b.add(ops.reduce_sum(0, rank - 1), [dy], f"{prefix}.db"))
        if not need_dx:
            return dy
        return b.add(ops.matmul_bt(), [dy, weight], f"{prefix}.dx")

    return y, backward


def matmul_weight(b: GraphBuilder, grads: Grads, x: Ref, name: str) -> tuple[Ref, Backward]:
    """``y = x W`` without bias."""
    weight = b.state(name)
    y = b.add(ops.matmul(), [x, weight], f"{name}.matmul")

    def backward(dy: Ref) -> Ref:
        if b.trainable(name):
            accumulate(b, grads, name, b.add(ops.matmul_at(), [x, dy], f"{name}.dW"))
        return b.add(ops.matmul_bt(), [dy, weight], f"{name}.dx")

    return y, backward


def relu(b: GraphBuilder, x: Ref, name: str) -> tuple[Ref, Backward]:
    y = b.add(ops.relu(), [x], name)

    def backward(dy: Ref) -> Ref:
        return b.add(ops.relu_grad(), [x, dy], f"{name}.grad")

    return y, backward


def layer_norm(b: GraphBuilder, grads: Grads, x: Ref, prefix: str, eps: float) -> tuple[Ref, Backward]:
    """Layer norm over the last axis with gain and bias ``(D,)``."""
    gain, bias = b.state(f"{prefix}.gain"), b.state(f"{prefix}.bias")
    rank = len(b.shape(x))
    mean = b.add(ops.reduce_mean(rank - 1, rank), [x], f"{prefix}.mean")
    rstd = b.add(ops.ln_rstd(eps), [x, mean], f"{prefix}.rstd")
    y = b.add(ops.ln_apply(), [x, mean, rstd, gain, bias], f"{prefix}.apply")

    def backward(dy: Ref) -> Ref:
        m0 = b.add(ops.ln_grad_stats(0), [dy, x, mean, rstd, gain], f"{prefix}.m0")
        m1 = b.add(ops.ln_grad_stats(1), [dy, x, mean, rstd, gain], f"{prefix}.m1")
        dx = b.add(ops.ln_grad_input(), [dy, x, mean, rstd, gain, m0, m1], f"{prefix}.dx")
        if b.trainable(f"{prefix}.gain"):
            dgain = b.add(ops.ln_grad_gain(), [dy, x, mean, rstd], f"{prefix}.dgain")
            accumulate(b, grads, f"{prefix}.gain", dgain)
        if b.trainable(f"{prefix}.bias"):
            dbias = b.add(ops.reduce_sum(0, rank - 1), [dy], f"{prefix}.dbias")
            accumulate(b, grads, f"{prefix}.bias", dbias)
        return dx

    return y, backward


def softmax(b: GraphBuilder, x: Ref, name: str) -> tuple[Ref, Backward]:
    """Softmax over the last axis: max-shifted exp over its row sum."""
    rank = len(b.shape(x))
    peak = b.add(ops.reduce_max(rank - 1, rank), [x], f"{name}.max")
    shifted = b.add(ops.row_sub(), [x, peak], f"{name}.shift")
    e = b.add(ops.exp(), [shifted], f"{name}.exp")
    total = b.add(ops.reduce_sum(rank - 1, rank), [e], f"{name}.sum")
    p = b.add(ops.row_div(), [e, total], f"{name}.probs")

    def backward(dp: Ref) -> Ref:
        pd = b.add(ops.mul(), [dp, p], f"{name}.grad.pd")
        rd = b.add(ops.reduce_sum(rank - 1, rank), [pd], f"{name}.grad.rowdot")
        u = b.add(ops.row_sub(), [dp, rd], f"{name}.grad.centre")
        return b.add(ops.mul(), [p, u], f"{name}.grad")

    return p, backward


def residual(b: GraphBuilder, x: Ref, fx: Ref, name: str) -> Ref:
    return b.add(ops.add(), [x, fx], name)
