"""A BERT-style encoder that classifies token sequences: token and learned position embeddings,
an embedding layer norm, post-norm blocks (``x = LN(x + attention(x)); x = LN(x + MLP(x))``) of
bidirectional self-attention and a GELU MLP, mean pooling over the context, and a dense
classification head; with ``pad_id`` set, padding positions are neither attended to nor pooled.
Every projection has a bias but the key's: ``q·(k + b_k)`` adds ``q·b_k`` to all the scores of a
query's row, which softmax cancels, so its gradient is zero in exact arithmetic and float32
rounding noise in practice (Adam would turn that noise into steps of ±lr).

Activations are ``(batch * context, d_model)`` as in the transformer; the pooled features are
``(batch, d_model)`` and the logits ``(batch, classes)``. BERT's token-type embedding is not a
slot: a pretrained start folds its row 0 into the position embedding (`tribunal.models.minilm`).
"""

from __future__ import annotations

from math import sqrt

from tribunal.graph import Ref
from tribunal.models.builder import GraphBuilder, SlotDef, Uniform, dense_slots, embedding_slots, norm_slots
from tribunal.models.dims import ModelDims
from tribunal.models.layers import (
    Backward,
    Chain,
    Grads,
    accumulate,
    backward_chain,
    dense,
    gelu,
    layer_norm,
    matmul_weight,
    mean_pool,
    reshape,
    residual,
    self_attention,
)
from tribunal.repops import AffineMap, Opcode, ops
from tribunal.spec import EncoderConfig


def _config(dims: ModelDims) -> EncoderConfig:
    assert isinstance(dims.config, EncoderConfig)
    return dims.config


def parameters(dims: ModelDims) -> list[SlotDef]:
    config = _config(dims)
    d = config.d_model
    slots = [*embedding_slots(config.vocab, config.context, d), *norm_slots("param.emb_ln", d)]
    for layer in range(config.layers):
        prefix = f"param.l{layer}"
        slots += dense_slots(f"{prefix}.attn.q", d, d)
        slots.append(SlotDef(f"{prefix}.attn.k.weight", (d, d), Uniform(1 / sqrt(d))))
        slots += dense_slots(f"{prefix}.attn.v", d, d)
        slots += dense_slots(f"{prefix}.attn.o", d, d)
        slots += norm_slots(f"{prefix}.ln1", d)
        slots += dense_slots(f"{prefix}.mlp1", d, config.d_ff)
        slots += dense_slots(f"{prefix}.mlp2", config.d_ff, d)
        slots += norm_slots(f"{prefix}.ln2", d)
    slots += dense_slots("param.head", d, dims.num_outputs)
    return slots


PAD_SCORE = -1e9
"""Added to a padding key's scores: exp of it, less the row's peak, is exactly +0 in float32."""


def _padding(b: GraphBuilder, config: EncoderConfig, batch: int, ids: Ref) -> tuple[Ref, Ref]:
    """``keep`` ``(batch * context,)``: 1.0 where the id is not ``pad_id``, else 0.0 (ids are
    integers, so ``min(|id − pad|, 1)``); and the score bias ``(batch, heads, context, context)``:
    ``PAD_SCORE`` on every query's scores for a padding key, +0.0 elsewhere."""
    assert config.pad_id is not None
    t, heads = config.context, config.heads
    offset = ids if config.pad_id == 0 else b.add(ops.add_const(-float(config.pad_id)), [ids], "pad.offset")
    distance = b.add(ops.absolute(), [offset], "pad.distance")
    keep = b.add(ops.const_binary(Opcode.MIN, 1.0), [distance], "pad.keep")
    # keep · 1e9 − 1e9: exactly +0.0 for a kept key, −1e9 for a padding one
    scaled = b.add(ops.scale(-PAD_SCORE), [keep], "pad.scaled")
    key_bias = b.add(ops.add_const(PAD_SCORE), [scaled], "pad.key_bias")
    every_query = AffineMap(
        out_view=(batch, heads, t, t),
        loop_view=(),
        in_view=(batch * t,),
        coef=((t, 0, 0, 1),),
        offset=(0,),
        div=(1,),
        out_shape=(batch, heads, t, t),
    )
    return keep, b.add(ops.affine_copy(every_query), [key_bias], "pad.score_bias")


def _block(
    b: GraphBuilder, config: EncoderConfig, batch: int, grads: Grads, x: Ref, prefix: str,
    score_bias: Ref | None,
) -> tuple[Ref, Backward]:
    eps = config.layer_norm_eps

    def project(source: Ref, name: str) -> tuple[Ref, Backward]:
        need_dx = b.requires_grad(source)
        if name == "k":
            return matmul_weight(b, grads, source, f"{prefix}.attn.k.weight", need_dx=need_dx)
        return dense(b, grads, source, f"{prefix}.attn.{name}", need_dx=need_dx)

    attended, attn_back = self_attention(
        b, x, f"{prefix}.attn", project, batch=batch, heads=config.heads, causal=False,
        need_dx=b.requires_grad(x), score_bias=score_bias,
    )
    x1, ln1_back = layer_norm(b, grads, residual(b, x, attended, f"{prefix}.residual1"), f"{prefix}.ln1", eps)
    hidden, mlp1_back = dense(b, grads, x1, f"{prefix}.mlp1", need_dx=b.requires_grad(x1))
    activated, gelu_back = gelu(b, hidden, f"{prefix}.mlp.gelu")
    out, mlp2_back = dense(b, grads, activated, f"{prefix}.mlp2", need_dx=b.requires_grad(hidden))
    x2, ln2_back = layer_norm(b, grads, residual(b, x1, out, f"{prefix}.residual2"), f"{prefix}.ln2", eps)

    def backward(dy: Ref) -> Ref:
        # A branch whose output depends on nothing trainable adds no gradient; without one under
        # a sum, only the parameters above it need the sum's gradient.
        dsum2 = ln2_back(dy)
        dx1 = dsum2
        if b.requires_grad(out):
            dmlp = mlp2_back(dsum2)
            if b.requires_grad(hidden):
                dmlp = mlp1_back(gelu_back(dmlp))
            if b.requires_grad(x1):
                dx1 = b.add(ops.add(), [dsum2, dmlp], f"{prefix}.residual2.grad")
        if not b.requires_grad(x1):
            return dx1
        dsum1 = ln1_back(dx1)
        if not b.requires_grad(attended):
            return dsum1
        dattn = attn_back(dsum1)
        if not b.requires_grad(x):
            return dsum1
        return b.add(ops.add(), [dsum1, dattn], f"{prefix}.residual1.grad")

    return x2, backward


def forward(b: GraphBuilder, dims: ModelDims, grads: Grads, ids: Ref) -> tuple[Ref, Backward]:
    """Logits ``(batch, classes)`` from token ids ``(batch * context,)``."""
    config = _config(dims)
    batch, t, d = dims.batch, config.context, config.d_model
    tokens = b.add(ops.embedding(), [ids, b.state("param.tok_emb")], "tok_emb")
    per_example = reshape(b, tokens, (batch, t * d), "tok_emb.flatten")
    positioned = b.add(ops.bias_add(), [per_example, b.state("param.pos_emb")], "pos_emb")
    embedded = reshape(b, positioned, (batch * t, d), "pos_emb.unflatten")
    x, emb_ln_back = layer_norm(b, grads, embedded, "param.emb_ln", config.layer_norm_eps)
    keep, score_bias = _padding(b, config, batch, ids) if config.pad_id is not None else (None, None)
    chain: Chain = [(emb_ln_back, x)]
    for layer in range(config.layers):
        x, back = _block(b, config, batch, grads, x, f"param.l{layer}", score_bias)
        chain.append((back, x))
    pooled, pool_back = mean_pool(b, x, batch, "pool", keep)
    chain.append((pool_back, pooled))
    logits, head_back = dense(b, grads, pooled, "param.head", need_dx=b.requires_grad(pooled))
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
