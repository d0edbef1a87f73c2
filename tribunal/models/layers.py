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
from math import pi, prod, sqrt

from tribunal.graph import Ref
from tribunal.models.builder import GraphBuilder
from tribunal.repops import AffineMap, Broadcast, Opcode, ops

Grads = dict[str, Ref]
Backward = Callable[[Ref], Ref]
Chain = list[tuple[Backward, Ref]]
"""A sequential model's layers as ``(backward, output)``, bottom to top."""
Projection = Callable[[Ref, str], tuple[Ref, Backward]]
"""An attention projection: ``(x, "q" | "k" | "v" | "o") -> (x W [+ bias], backward)``."""

GELU_CUBIC = 0.044715
GELU_SCALE = sqrt(2 / pi)


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


def matmul_weight(
    b: GraphBuilder, grads: Grads, x: Ref, name: str, *, need_dx: bool = True
) -> tuple[Ref, Backward]:
    """``y = x W`` without bias; without ``need_dx`` the backward returns ``dy``."""
    weight = b.state(name)
    y = b.add(ops.matmul(), [x, weight], f"{name}.matmul")

    def backward(dy: Ref) -> Ref:
        if b.trainable(name):
            accumulate(b, grads, name, b.add(ops.matmul_at(), [x, dy], f"{name}.dW"))
        if not need_dx:
            return dy
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


def gelu(b: GraphBuilder, x: Ref, name: str) -> tuple[Ref, Backward]:
    """GELU in its tanh form from elementwise ops the EVM already proves:
    ``gelu(x) = x σ(2u)``, ``u = √(2/π)(x + 0.044715 x³)``, ``σ(v) = 1 / (1 + exp(−v))``
    (``tanh(u) = 2σ(2u) − 1``). exp overflowing to +inf for very negative x gives σ = +0."""
    square = b.add(ops.mul(), [x, x], f"{name}.square")
    cube = b.add(ops.mul(), [square, x], f"{name}.cube")
    cubic = b.add(ops.scale(GELU_CUBIC), [cube], f"{name}.cubic")
    inner = b.add(ops.add(), [x, cubic], f"{name}.inner")
    minus_2u = b.add(ops.scale(-2 * GELU_SCALE), [inner], f"{name}.arg")
    e = b.add(ops.exp(), [minus_2u], f"{name}.exp")
    denominator = b.add(ops.add_const(1.0), [e], f"{name}.denominator")
    sigma = b.add(ops.const_binary(Opcode.DIV, 1.0, const_first=True), [denominator], f"{name}.sigmoid")
    y = b.add(ops.mul(), [x, sigma], name)

    def backward(dy: Ref) -> Ref:
        # d/dx x σ(2u) = σ + x · 2σ(1 − σ) · √(2/π)(1 + 3 · 0.044715 x²)
        complement = b.add(ops.const_binary(Opcode.SUB, 1.0, const_first=True), [sigma],
                           f"{name}.grad.complement")
        slope = b.add(ops.mul(), [sigma, complement], f"{name}.grad.slope")
        du = b.add(ops.scale(3 * GELU_CUBIC), [square], f"{name}.grad.du.cubic")
        du = b.add(ops.add_const(1.0), [du], f"{name}.grad.du")
        chain = b.add(ops.mul(), [slope, du], f"{name}.grad.chain")
        chain = b.add(ops.scale(2 * GELU_SCALE), [chain], f"{name}.grad.chain.scaled")
        through_sigma = b.add(ops.mul(), [x, chain], f"{name}.grad.through_sigma")
        derivative = b.add(ops.add(), [sigma, through_sigma], f"{name}.grad.derivative")
        return b.add(ops.mul(), [dy, derivative], f"{name}.grad")

    return y, backward


def mean_pool(
    b: GraphBuilder, x: Ref, batch: int, name: str, keep: Ref | None = None
) -> tuple[Ref, Backward]:
    """The mean over each example's positions: ``x (batch * context, D) -> (batch, D)``; with
    ``keep`` (``(batch * context,)``, 1.0 or 0.0 per position) over the kept positions only."""
    rows, width = b.shape(x)
    context = rows // batch
    spread = AffineMap(
        out_view=(batch, context, width),
        loop_view=(),
        in_view=(batch, width),
        coef=((1, 0, 0), (0, 0, 1)),
        offset=(0, 0),
        div=(1, 1),
        out_shape=(rows, width),
    )
    if keep is None:
        per_example = reshape(b, x, (batch, context, width), f"{name}.view")
        pooled = b.add(ops.reduce_mean(1, 2), [per_example], name)

        def backward(dy: Ref) -> Ref:
            repeated = b.add(ops.affine_copy(spread), [dy], f"{name}.grad.repeat")
            return b.add(ops.const_binary(Opcode.DIV, float(context)), [repeated], f"{name}.grad")

        return pooled, backward

    row_mul = ops.binary(Opcode.MUL, Broadcast.ROW)
    kept = reshape(b, b.add(row_mul, [x, keep], f"{name}.kept"), (batch, context, width), f"{name}.view")
    total = b.add(ops.reduce_sum(1, 2), [kept], f"{name}.sum")
    count = b.add(ops.reduce_sum(1, 2), [reshape(b, keep, (batch, context), f"{name}.keep")], f"{name}.count")
    pooled = b.add(ops.row_div(), [total, count], name)

    def masked_backward(dy: Ref) -> Ref:
        dtotal = b.add(ops.row_div(), [dy, count], f"{name}.grad.sum")
        repeated = b.add(ops.affine_copy(spread), [dtotal], f"{name}.grad.repeat")
        return b.add(row_mul, [repeated, keep], f"{name}.grad")

    return pooled, masked_backward


def self_attention(
    b: GraphBuilder, x: Ref, prefix: str, project: Projection, *,
    batch: int, heads: int, causal: bool, need_dx: bool = True, score_bias: Ref | None = None,
) -> tuple[Ref, Backward]:
    """Multi-head self-attention over ``x (batch * context, D)``: ``project`` makes q, k, v and
    the output projection; scores are scaled by 1/√head_dim and, when ``causal``, masked so a
    position sees only itself and those before it; ``score_bias`` ``(batch, heads, context,
    context)`` is added to the scaled scores (a padding mask). Without ``need_dx`` the backward
    records the projections' parameter gradients only and returns ``dy``."""
    rows, width = b.shape(x)
    t, head_dim = rows // batch, width // heads
    split = ops.split_heads(batch, t, heads, head_dim)
    merge = ops.transpose((batch, heads, t, head_dim), (0, 2, 1, 3), out_shape=(rows, width))
    projections = {name: project(x, name) for name in "qkv"}
    q, k, v = (b.add(split, [projections[n][0]], f"{prefix}.{n}.split") for n in "qkv")
    scores = b.add(ops.matmul_bt(), [q, k], f"{prefix}.scores")
    scale = 1 / sqrt(head_dim)
    scaled = b.add(ops.scale(scale), [scores], f"{prefix}.scaled")
    if causal:
        scaled = b.add(ops.causal_mask(), [scaled], f"{prefix}.masked")
    if score_bias is not None:
        scaled = b.add(ops.add(), [scaled, score_bias], f"{prefix}.padded")
    probs, softmax_back = softmax(b, scaled, f"{prefix}.softmax")
    mixed = b.add(ops.matmul(), [probs, v], f"{prefix}.mix")
    merged = b.add(merge, [mixed], f"{prefix}.merge")
    out, out_back = project(merged, "o")

    def backward(dy: Ref) -> Ref:
        dmerged = out_back(dy)
        if not need_dx and not b.requires_grad(merged):
            return dy
        dmixed = b.add(split, [dmerged], f"{prefix}.merge.grad")
        dprobs = b.add(ops.matmul_bt(), [dmixed, v], f"{prefix}.mix.dprobs")
        dv = b.add(ops.matmul_at(), [probs, dmixed], f"{prefix}.mix.dv")
        # Masked positions have probability exactly 0, so their gradient is already ±0.
        dscaled = softmax_back(dprobs)
        dscores = b.add(ops.scale(scale), [dscaled], f"{prefix}.scaled.grad")
        dq = b.add(ops.matmul(), [dscores, k], f"{prefix}.scores.dq")
        dk = b.add(ops.matmul_at(), [dscores, q], f"{prefix}.scores.dk")
        dx: Ref | None = None
        for name, grad in (("q", dq), ("k", dk), ("v", dv)):
            flat = b.add(merge, [grad], f"{prefix}.{name}.split.grad")
            dpart = projections[name][1](flat)
            if need_dx:
                dx = dpart if dx is None else b.add(ops.add(), [dx, dpart], f"{prefix}.dx.{name}")
        return dx if dx is not None else dy

    return out, backward


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
