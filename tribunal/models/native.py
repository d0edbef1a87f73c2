"""The same models in plain torch (library matmuls, autograd): the yardstick, not the protocol.

Parameter names, shapes and layouts match the step graph's state slots exactly, so a
native run starts from the same initial state and the two can be compared.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F

from tribunal.models.dims import LN_EPS, ModelDims
from tribunal.spec import CnnConfig, EncoderConfig, MlpConfig, TransformerConfig

Params = Mapping[str, torch.Tensor]


def forward(dims: ModelDims, params: Params, features: torch.Tensor) -> torch.Tensor:
    """The model's output for a batch of feature rows: logits or regression outputs.

    A transformer returns logits of shape ``(batch * context, vocab)``; an encoder ``(batch, classes)``.
    """
    config = dims.config
    if isinstance(config, MlpConfig):
        return _mlp(config, params, features)
    if isinstance(config, CnnConfig):
        return _cnn(config, params, features)
    if isinstance(config, EncoderConfig):
        return _encoder(config, params, features)
    return _transformer(config, params, features)


def _dense(params: Params, prefix: str, x: torch.Tensor) -> torch.Tensor:
    return x @ params[f"{prefix}.weight"] + params[f"{prefix}.bias"]


def _mlp(config: MlpConfig, params: Params, x: torch.Tensor) -> torch.Tensor:
    for layer in range(len(config.hidden)):
        x = torch.relu(_dense(params, f"param.dense{layer}", x))
    return _dense(params, f"param.dense{len(config.hidden)}", x)


def _cnn(config: CnnConfig, params: Params, x: torch.Tensor) -> torch.Tensor:
    c, h, w = config.image
    batch = x.shape[0]
    columns = F.unfold(x.reshape(batch, c, h, w), config.kernel)  # (B, C*k*k, P)
    conv = torch.relu(_dense(params, "param.conv", columns.transpose(1, 2)))  # (B, P, Cout)
    hidden = torch.relu(_dense(params, "param.hidden", conv.reshape(batch, -1)))
    return _dense(params, "param.out", hidden)


def _layer_norm(params: Params, prefix: str, x: torch.Tensor, eps: float = LN_EPS) -> torch.Tensor:
    gain, bias = params[f"{prefix}.gain"], params[f"{prefix}.bias"]
    return F.layer_norm(x, (x.shape[-1],), gain, bias, eps)


def _attention(config: TransformerConfig, params: Params, prefix: str, x: torch.Tensor) -> torch.Tensor:
    q, k, v = (x @ params[f"{prefix}.w{name}"] for name in "qkv")
    return _mix_heads(config.heads, q, k, v, causal=True) @ params[f"{prefix}.wo"]


def _mix_heads(
    heads: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *, causal: bool,
    key_bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """Scaled dot-product attention of ``(batch, context, width)`` projections, per head;
    ``key_bias`` ``(batch, context)`` is added to every query's score of each key."""
    batch, context, width = q.shape
    head_dim = width // heads

    def split(t: torch.Tensor) -> torch.Tensor:
        return t.reshape(batch, context, heads, head_dim).transpose(1, 2)

    scores = (split(q) @ split(k).transpose(-1, -2)) * (head_dim**-0.5)
    if causal:
        mask = torch.ones(context, context, dtype=torch.bool, device=q.device).tril()
        scores = scores.masked_fill(~mask, float("-inf"))
    if key_bias is not None:
        scores = scores + key_bias[:, None, None, :]
    probs = torch.softmax(scores, dim=-1)
    return (probs @ split(v)).transpose(1, 2).reshape(batch, context, width)


def _encoder(config: EncoderConfig, params: Params, ids: torch.Tensor) -> torch.Tensor:
    batch, context = ids.shape
    eps = config.layer_norm_eps
    x = params["param.tok_emb"][ids.long()] + params["param.pos_emb"].reshape(context, -1)
    x = _layer_norm(params, "param.emb_ln", x, eps)
    keep, key_bias = torch.ones_like(ids, dtype=x.dtype), None
    if config.pad_id is not None:
        keep = torch.ne(ids, config.pad_id).to(x.dtype)
        key_bias = (keep - 1) * 1e9
    for layer in range(config.layers):
        prefix = f"param.l{layer}"
        q, v = (_dense(params, f"{prefix}.attn.{name}", x) for name in "qv")
        k = x @ params[f"{prefix}.attn.k.weight"]
        mixed = _mix_heads(config.heads, q, k, v, causal=False, key_bias=key_bias)
        x = _layer_norm(params, f"{prefix}.ln1", x + _dense(params, f"{prefix}.attn.o", mixed), eps)
        hidden = F.gelu(_dense(params, f"{prefix}.mlp1", x), approximate="tanh")
        x = _layer_norm(params, f"{prefix}.ln2", x + _dense(params, f"{prefix}.mlp2", hidden), eps)
    pooled = (x * keep[:, :, None]).sum(dim=1) / keep.sum(dim=1, keepdim=True)
    return _dense(params, "param.head", pooled)


def _transformer(config: TransformerConfig, params: Params, ids: torch.Tensor) -> torch.Tensor:
    batch, context = ids.shape
    x = params["param.tok_emb"][ids.long()] + params["param.pos_emb"].reshape(context, -1)
    for layer in range(config.layers):
        prefix = f"param.l{layer}"
        x = x + _attention(config, params, f"{prefix}.attn", _layer_norm(params, f"{prefix}.ln1", x))
        hidden = torch.relu(_dense(params, f"{prefix}.mlp1", _layer_norm(params, f"{prefix}.ln2", x)))
        x = x + _dense(params, f"{prefix}.mlp2", hidden)
    logits = _dense(params, "param.head", _layer_norm(params, "param.lnf", x))
    return logits.reshape(batch * context, -1)


def loss(dims: ModelDims, output: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean loss of a batch: cross-entropy over class ids, or mean squared error."""
    if dims.loss == "cross_entropy":
        return F.cross_entropy(output, targets.reshape(-1).long())
    return F.mse_loss(output, targets)
