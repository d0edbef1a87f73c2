"""The ``encoder`` model kind: its spec, the datasets it can read, and fine-tuning a classifier
on top of it — the head alone, or the top block and the head — with frozen weights keeping
their bits."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from pydantic import ValidationError

from tests.support.specs import SMALL_ENCODER, encoder_spec
from tests.support.tokens import token_classes
from tribunal.datasets import load_dataset
from tribunal.datasets.store import upload_dataset
from tribunal.models import build_step_graph, initial_state, model_dims, state_layout
from tribunal.repops import OpKind
from tribunal.spec import EncoderConfig, Sgd, canonical_json, parse_spec
from tribunal.training import param_arrays, run_step, train, train_native


def test_an_encoder_spec_round_trips_through_its_canonical_json() -> None:
    spec = encoder_spec()
    encoded = canonical_json(spec)
    assert b'"kind":"encoder"' in encoded
    assert b'"layer_norm_eps":9.999999960041972e-13' in encoded
    assert parse_spec(encoded) == spec
    assert canonical_json(parse_spec(encoded)) == encoded


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"heads": 5}, "d_model must be a multiple of heads"),
        ({"heads": 0}, "heads must be 1..64"),
        ({"vocab": 1}, "vocab must be 2..65536"),
        ({"layer_norm_eps": 0.0}, "layer_norm_eps must be > 0"),
    ],
)
def test_encoder_sizes_out_of_range_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        EncoderConfig.model_validate({**SMALL_ENCODER.model_dump(), **changes})


def test_an_encoder_classifies_so_its_loss_is_cross_entropy() -> None:
    with pytest.raises(ValidationError, match="an encoder classifies sequences"):
        encoder_spec(loss="mse")


def _all_padding_row() -> str:
    dataset = token_classes()
    rows = np.array(dataset.rows)
    rows[3, : dataset.num_features] = 0
    return upload_dataset(replace(dataset, rows=rows), None)


REFUSED = {
    "real-valued features": (lambda: "digits", 64, "features must be token ids"),
    "next-token targets": (lambda: "char_copy", 8, "needs a dataset with one class-id target"),
    "another length": (lambda: upload_dataset(token_classes(context=6), None), 8, "model.context must equal"),
    "ids past the vocabulary": (lambda: upload_dataset(token_classes(vocab=80), None), 8,
                                r"integers in 0..49 \(model.vocab 50\)"),
    "a row of padding only": (_all_padding_row, 8, "a row of the rows is all padding"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_dataset_an_encoder_cannot_read_is_refused_saying_why(case: str) -> None:
    dataset, context, message = REFUSED[case]
    spec = encoder_spec(dataset=dataset(), model=SMALL_ENCODER.model_copy(update={"context": context}))
    with pytest.raises(ValueError, match=message):
        model_dims(spec, load_dataset(spec.dataset))


def test_the_graph_is_built_from_existing_ops_with_gelu_and_no_causal_mask() -> None:
    spec = encoder_spec()
    graph = build_step_graph(spec, load_dataset(spec.dataset))
    kinds = {node.op.kind for node in graph.nodes}
    assert OpKind.CAUSAL_MASK not in kinds
    names = {node.name for node in graph.nodes}
    assert {"param.l0.mlp.gelu", "param.l0.mlp.gelu.grad", "pool", "pool.grad"} <= names
    assert graph.nodes[graph.output].shape == (spec.batch_size, 2)


def test_gelu_nodes_compute_the_tanh_gelu_and_its_derivative() -> None:
    spec = encoder_spec(optimizer=Sgd(lr=0.1))
    dataset = load_dataset(spec.dataset)
    graph = build_step_graph(spec, dataset)
    state = [torch.from_numpy(a) for a in initial_state(spec, dataset)]
    outputs = run_step(graph, state, torch.from_numpy(np.array(dataset.rows)), 0)
    index = {node.name: node.index for node in graph.nodes}
    x = outputs[index["param.l0.mlp1.bias_add"]].detach().clone().requires_grad_(True)
    expected = F.gelu(x, approximate="tanh")
    torch.testing.assert_close(outputs[index["param.l0.mlp.gelu"]], expected.detach(), rtol=1e-5, atol=1e-6)
    dy = outputs[index["param.l0.mlp2.dx"]]
    (expected_dx,) = torch.autograd.grad(expected, x, dy)
    torch.testing.assert_close(outputs[index["param.l0.mlp.gelu.grad"]], expected_dx, rtol=1e-4, atol=1e-7)


FINE_TUNES = {"head": ("param.head",), "top-block-and-head": ("param.head", "param.l1")}


@pytest.mark.parametrize("trainable", sorted(FINE_TUNES))
def test_fine_tuning_on_a_frozen_encoder_learns_and_keeps_the_frozen_bits(trainable: str) -> None:
    spec = encoder_spec(steps=24, checkpoint_every=24, optimizer=Sgd(lr=0.2), trainable=FINE_TUNES[trainable])
    dataset = load_dataset(spec.dataset)
    result = train(spec, dataset=dataset)
    losses = [result.losses[t] for t in range(spec.steps)]
    assert np.mean(losses[-6:]) < 0.8 * np.mean(losses[:6]), losses
    start = initial_state(spec, dataset)
    for j, slot in enumerate(state_layout(spec, dataset)):
        if slot.name.startswith("param."):
            unchanged = result.final_state[j].tobytes() == start[j].tobytes()
            assert unchanged is not spec.is_trainable(slot.name), slot.name


def test_without_a_pad_id_every_position_is_attended_and_pooled_as_autograd_says() -> None:
    spec = encoder_spec(
        model=SMALL_ENCODER.model_copy(update={"pad_id": None}),
        dataset=upload_dataset(token_classes(padded=False), None), steps=2, optimizer=Sgd(lr=0.1),
    )
    graph = build_step_graph(spec, load_dataset(spec.dataset))
    assert not any(node.name.startswith("pad.") for node in graph.nodes)
    repops, native = train(spec), train_native(spec)
    np.testing.assert_allclose(list(repops.losses.values()), list(native.losses.values()), rtol=1e-5)
    for name, value in param_arrays(repops.graph, repops.final_state).items():
        np.testing.assert_allclose(value, native.params[name], rtol=0, atol=2e-6, err_msg=name)
