"""A BERT checkpoint (all-MiniLM-L6-v2, and a tiny random one of the same layout) as an encoder's
pretrained start: the RepOps forward's mean-pooled embedding is what a plain torch BERT computes
on the original Hugging Face tensors (key bias and token-type row included)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.typing import NDArray

from tests.support.tokens import upload_token_classes
from tribunal.models.minilm import BertMismatch, bert_start, minilm_start, read_minilm
from tribunal.models.pretrained import upload_initial_state
from tribunal.spec import Sgd, TaskSpec
from tribunal.training import train

Gelu = Callable[[torch.Tensor], torch.Tensor]

TINY_BERT = {
    "hidden_act": "gelu", "position_embedding_type": "absolute", "max_position_embeddings": 12,
    "vocab_size": 50, "hidden_size": 24, "num_attention_heads": 6, "intermediate_size": 48,
    "num_hidden_layers": 2, "layer_norm_eps": 1e-12, "type_vocab_size": 2, "pad_token_id": 0,
}


def tiny_bert_tensors(bert: Mapping[str, Any]) -> dict[str, NDArray[np.float32]]:
    """Random tensors under Hugging Face's ``BertModel`` names and layouts (Linear ``(out, in)``)."""
    rng = np.random.default_rng(5)
    d, ff = bert["hidden_size"], bert["intermediate_size"]

    def normal(*shape: int, scale: float = 0.3) -> NDArray[np.float32]:
        return (scale * rng.standard_normal(shape)).astype(np.float32)

    tensors = {
        "embeddings.word_embeddings.weight": normal(bert["vocab_size"], d),
        "embeddings.position_embeddings.weight": normal(bert["max_position_embeddings"], d),
        "embeddings.token_type_embeddings.weight": normal(bert["type_vocab_size"], d),
        "embeddings.LayerNorm.weight": 1 + normal(d, scale=0.1),
        "embeddings.LayerNorm.bias": normal(d, scale=0.1),
    }
    shapes = {"attention.self.query": (d, d), "attention.self.key": (d, d), "attention.self.value": (d, d),
              "attention.output.dense": (d, d), "intermediate.dense": (ff, d), "output.dense": (d, ff)}
    for layer in range(bert["num_hidden_layers"]):
        prefix = f"encoder.layer.{layer}."
        for module, (out, inp) in shapes.items():
            tensors[f"{prefix}{module}.weight"] = normal(out, inp, scale=inp**-0.5)
            tensors[f"{prefix}{module}.bias"] = normal(out, scale=0.1)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            tensors[f"{prefix}{norm}.weight"] = 1 + normal(d, scale=0.1)
            tensors[f"{prefix}{norm}.bias"] = normal(d, scale=0.1)
    return tensors


def bert_mean_pooled(bert: Mapping[str, Any], tensors: Mapping[str, NDArray[Any]], ids: torch.Tensor,
                     gelu: Gelu) -> torch.Tensor:
    """Hugging Face BERT's forward, written out on its own tensors, then sentence-transformers'
    mean pooling; padding (``pad_token_id``) masked from both as their attention mask does."""
    w = {name: torch.from_numpy(np.asarray(value)) for name, value in tensors.items()}
    batch, context = ids.shape
    d, heads = bert["hidden_size"], bert["num_attention_heads"]
    keep = (ids != bert["pad_token_id"]).float()
    key_mask = ((1 - keep) * torch.finfo(torch.float32).min)[:, None, None, :]

    def linear(x: torch.Tensor, name: str) -> torch.Tensor:
        return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]

    def norm(x: torch.Tensor, name: str) -> torch.Tensor:
        return F.layer_norm(x, (d,), w[f"{name}.weight"], w[f"{name}.bias"], bert["layer_norm_eps"])

    def split(x: torch.Tensor) -> torch.Tensor:
        return x.reshape(batch, context, heads, d // heads).transpose(1, 2)

    x = (w["embeddings.word_embeddings.weight"][ids.long()]
         + w["embeddings.position_embeddings.weight"][:context]
         + w["embeddings.token_type_embeddings.weight"][0])
    x = norm(x, "embeddings.LayerNorm")
    for layer in range(bert["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."
        q, k, v = (split(linear(x, f"{p}attention.self.{n}")) for n in ("query", "key", "value"))
        probs = torch.softmax(q @ k.transpose(-1, -2) / (d // heads) ** 0.5 + key_mask, dim=-1)
        mixed = (probs @ v).transpose(1, 2).reshape(batch, context, d)
        x = norm(x + linear(mixed, f"{p}attention.output.dense"), f"{p}attention.output.LayerNorm")
        hidden = gelu(linear(x, f"{p}intermediate.dense"))
        x = norm(x + linear(hidden, f"{p}output.dense"), f"{p}output.LayerNorm")
    return (x * keep[:, :, None]).sum(dim=1) / keep.sum(dim=1, keepdim=True)


def repops_pooled(start_tensors: Mapping[str, NDArray[np.float32]], spec_model: Any, context: int,
                  batch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The token ids of step 0's batch and the step graph's mean-pooled embedding of them, for a
    head-only fine-tune started from ``start_tensors``."""
    spec = TaskSpec(model=spec_model, dataset=upload_token_classes(vocab=spec_model.vocab, context=context),
                    optimizer=Sgd(lr=0.1), batch_size=batch, steps=1, checkpoint_every=1,
                    init=upload_initial_state(start_tensors, None), trainable=("param.head",))
    result = train(spec, capture_step=0)
    assert result.captured is not None
    index = {node.name: node.index for node in result.graph.nodes}
    ids = torch.from_numpy(result.captured[index["batch.features"]]).reshape(batch, context)
    assert bool((ids == 0).any()), "the batch should hold padding, so that the mask is checked"
    return ids, torch.from_numpy(result.captured[index["pool"]])


def tanh_gelu(x: torch.Tensor) -> torch.Tensor:
    return F.gelu(x, approximate="tanh")


def test_a_bert_checkpoint_maps_onto_the_encoders_slots() -> None:
    tensors = tiny_bert_tensors(TINY_BERT)
    start = bert_start(TINY_BERT, {f"bert.{n}": t for n, t in tensors.items()}, context=8)
    assert (start.config.heads, start.config.d_ff, start.config.layers) == (6, 48, 2)
    weights, layer0, layer1 = start.tensors, "encoder.layer.0.", "encoder.layer.1."
    assert np.array_equal(weights["param.l1.mlp1.weight"], tensors[f"{layer1}intermediate.dense.weight"].T)
    assert np.array_equal(weights["param.l0.ln1.gain"], tensors[f"{layer0}attention.output.LayerNorm.weight"])
    positions = tensors["embeddings.position_embeddings.weight"][:8]
    folded = positions + tensors["embeddings.token_type_embeddings.weight"][0]
    assert np.array_equal(weights["param.pos_emb"], folded.reshape(-1))
    assert "param.l0.attn.k.bias" not in weights and not any(n.startswith("param.head") for n in weights)


def test_a_tiny_berts_pooled_embedding_is_the_reference_berts() -> None:
    tensors = tiny_bert_tensors(TINY_BERT)
    start = bert_start(TINY_BERT, tensors, context=8)
    ids, pooled = repops_pooled(start.tensors, start.config, context=8, batch=4)
    expected = bert_mean_pooled(TINY_BERT, tensors, ids, tanh_gelu)
    torch.testing.assert_close(pooled, expected, rtol=1e-5, atol=2e-6)
    # BERT's own GELU is erf's; the encoder's tanh form is within a few thousandths of it
    torch.testing.assert_close(pooled, bert_mean_pooled(TINY_BERT, tensors, ids, F.gelu), rtol=0, atol=1e-2)


@pytest.mark.parametrize(
    ("field", "value"), [("hidden_act", "relu"), ("position_embedding_type", "relative_key")]
)
def test_a_bert_the_encoder_cannot_represent_is_refused(field: str, value: str) -> None:
    with pytest.raises(BertMismatch, match=value):
        bert_start({**TINY_BERT, field: value}, tiny_bert_tensors(TINY_BERT), context=8)


def test_minilm_pooled_embedding_is_the_reference_berts() -> None:
    """The one test that reads the 90 MB model (about 10 s on a 2-core CPU); `make setup` installs
    the package that ships it, so its absence fails here."""
    bert, tensors = read_minilm()
    start = minilm_start(context=16)
    config = start.config
    assert (config.d_model, config.heads, config.layers, config.vocab) == (384, 12, 6, 30522)
    ids, pooled = repops_pooled(start.tensors, start.config, context=16, batch=4)
    expected = bert_mean_pooled(bert, tensors, ids, tanh_gelu)
    torch.testing.assert_close(pooled, expected, rtol=1e-5, atol=1e-5)
    assert float(F.cosine_similarity(pooled, bert_mean_pooled(bert, tensors, ids, F.gelu)).min()) > 0.9999
