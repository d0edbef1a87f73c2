"""A small decoder-only transformer: token and learned position embeddings, pre-norm blocks
of causal self-attention and a ReLU MLP with residuals, a final layer norm and an LM head.

Activations are ``(batch * context, d_model)``; attention works on ``(batch, heads, context,
head_dim)``. Attention projections have no bias.
"""

from __future__ import annotations

from math import sqrt

from tribunal.graph import Ref
from tribunal.models.builder import GraphBuilder, SlotDef, Uniform, dense_slots, embedding_slots, norm_slots
from tribunal.models.dims import LN_EPS, ModelDims
from tribunal.models.layers import (
    Backward,
    Chain,
    Grads,
    accumulate,
    backward_chain,
    dense,
    layer_norm,
    matmul_weight,
    relu,
    reshape,
    residual,
    self_attention,
)
from tribunal.repops import ops
from tribunal.spec import TransformerConfig


def _config(dims: ModelDims) -> TransformerConfig:
    assert isinstance(dims.config, TransformerConfig)
    return dims.config


def parameters(dims: ModelDims) -> list[SlotDef]:
    config = _config(dims)
    d = config.d_model
    slots = embedding_slots(config.vocab, config.context, d)
    for layer in range(config.layers):
        prefix = f"param.l{layer}"
        slots += norm_slots(f"{prefix}.ln1", d)
        slots += [SlotDef(f"{prefix}.attn.w{name}", (d, d), Uniform(1 / sqrt(d))) for name in "qkvo"]
        slots += norm_slots(f"{prefix}.ln2", d)
        slots += dense_slots(f"{prefix}.mlp1", d, config.d_ff)
        slots += dense_slots(f"{prefix}.mlp2", config.d_ff, d)
    slots += norm_slots("param.lnf", d)
    slots += dense_slots("param.head", d, config.vocab)
    return slots


def _attention(
    b: GraphBuilder, config: TransformerConfig, batch: int, grads: Grads, x: Ref, prefix: str
) -> tuple[Ref, Backward]:
    def project(source: Ref, name: str) -> tuple[Ref, Backward]:
        return matmul_weight(b, grads, source, f"{prefix}.w{name}")

    return self_attention(b, x, prefix, project, batch=batch, heads=config.heads, causal=True)


def _block(
    b: GraphBuilder, config: TransformerConfig, batch: int, grads: Grads, x: Ref, prefix: str
) -> tuple[Ref, Backward]:
    normed, ln1_back = layer_norm(b, grads, x, f"{prefix}.ln1", LN_EPS)
    attended, attn_back = _attention(b, config, batch, grads, normed, f"{prefix}.attn")
    x1 = residual(b, x, attended, f"{prefix}.residual1")
    normed2, ln2_back = layer_norm(b, grads, x1, f"{prefix}.ln2", LN_EPS)
    hidden, mlp1_back = dense(b, grads, normed2, f"{prefix}.mlp1")
    hidden, relu_back = relu(b, hidden, f"{prefix}.mlp.relu")
    out, mlp2_back = dense(b, grads, hidden, f"{prefix}.mlp2")
    x2 = residual(b, x1, out, f"{prefix}.residual2")

    def backward(dy: Ref) -> Ref:
        # A branch whose output depends on nothing trainable (its own weights or anything under
        # it) adds no gradient; without one under x, the block's input gradient is not needed.
        dx1 = dy
        if b.requires_grad(out):
            dmlp = ln2_back(mlp1_back(relu_back(mlp2_back(dy))))
            dx1 = b.add(ops.add(), [dy, dmlp], f"{prefix}.residual2.grad")
        if not b.requires_grad(attended):
            return dx1
        dattn = ln1_back(attn_back(dx1))
        if not b.requires_grad(x):
            return dx1
        return b.add(ops.add(), [dx1, dattn], f"{prefix}.residual1.grad")

    return x2, backward


def forward(b: GraphBuilder, dims: ModelDims, grads: Grads, ids: Ref) -> tuple[Ref, Backward]:
    """Logits ``(batch * context, vocab)`` from token ids ``(batch * context,)``."""
    config = _config(dims)
    batch, t, d = dims.batch, config.context, config.d_model
    tokens = b.add(ops.embedding(), [ids, b.state("param.tok_emb")], "tok_emb")
    per_example = reshape(b, tokens, (batch, t * d), "tok_emb.flatten")
    positioned = b.add(ops.bias_add(), [per_example, b.state("param.pos_emb")], "pos_emb")
    x = reshape(b, positioned, (batch * t, d), "pos_emb.unflatten")
    chain: Chain = []
    for layer in range(config.layers):
        x, back = _block(b, config, batch, grads, x, f"param.l{layer}")
        chain.append((back, x))
    normed, lnf_back = layer_norm(b, grads, x, "param.lnf", LN_EPS)
    chain.append((lnf_back, normed))
    logits, head_back = dense(b, grads, normed, "param.head", need_dx=b.requires_grad(normed))
    chain.append((head_back, logits))

    def backward(dy: Ref) -> Ref:
        dx = backward_chain(b, chain, dy)
        if not b.requires_grad(positioned):
            return dx
        if b.trainable("param.pos_emb"):
            dpos = reshape(b, dx, (batch, t * d), "pos_emb.grad.flatten")
            accumulate(b, grads, "param.pos_emb", b.add(ops.reduce_sum(0, 1), [dpos], "pos_emb.grad"))
        if b.trainable("param.tok_emb"):
            dtok = b.add(ops.embedding_grad(config.vocab), [ids, dx], "tok_emb.grad")
            accumulate(b, grads, "param.tok_emb", dtok)
        return dx

    return logits, backward
