"""The task spec: validation messages, float32 hyperparameters, canonical bytes and hash."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from tests.support.specs import mlp_spec
from tribunal.datasets import load_dataset
from tribunal.merkle import keccak256
from tribunal.models import model_dims
from tribunal.spec import Adam, MlpConfig, TaskSpec, TransformerConfig, canonical_json, parse_spec, spec_hash


def test_spec_roundtrips_through_canonical_json() -> None:
    spec = mlp_spec(optimizer=Adam(lr=0.003))
    assert parse_spec(canonical_json(spec)) == spec
    assert canonical_json(parse_spec(canonical_json(spec))) == canonical_json(spec)


def test_canonical_json_is_sorted_compact_and_complete() -> None:
    encoded = canonical_json(mlp_spec()).decode()
    assert " " not in encoded
    assert encoded.startswith('{"batch_size":16,"checkpoint_every":2,"dataset":"digits",')
    assert '"version":1' in encoded


def test_hyperparameters_are_rounded_to_float32() -> None:
    spec = mlp_spec(optimizer=Adam(lr=0.05))
    assert spec.optimizer.lr == 0.05000000074505806
    assert spec.optimizer.beta1 == 0.8999999761581421  # defaults are rounded too


def test_spec_hash_is_keccak_of_the_canonical_bytes() -> None:
    spec = mlp_spec()
    assert spec_hash(spec) == keccak256(canonical_json(spec))
    assert spec_hash(spec) != spec_hash(mlp_spec(seed=1))


def test_spec_hash_is_pinned() -> None:
    spec = TaskSpec(model=MlpConfig(hidden=(64,)), dataset="digits")
    assert spec_hash(spec).hex() == "fca567366632811c43c5c60a536101e9589b2247aeb321baaafb13d5b7eedca3"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"batch_size": 0}, "batch_size must be 1..65536"),
        ({"steps": 0}, "steps must be 1.."),
        ({"checkpoint_every": 7, "steps": 6}, "checkpoint_every must be 1..steps (6)"),
        ({"seed": -1}, "seed must be 0..2**64-1"),
        ({"model": {"kind": "mlp", "hidden": []}}, "hidden must list 1..8 layer widths"),
        ({"model": {"kind": "cnn", "kernel": 9}}, "kernel must be 1..8 for a 8x8 image"),
        ({"model": {"kind": "transformer", "heads": 3}}, "d_model must be a multiple of heads"),
        ({"model": {"kind": "transformer", "heads": 65}}, "heads must be 1..64"),
        ({"model": {"kind": "transformer", "layers": 25}}, "layers must be 1..24"),
        ({"model": {"kind": "transformer"}, "loss": "mse"}, "use loss 'cross_entropy'"),
        ({"optimizer": {"kind": "adam", "beta1": 1.0}}, "beta1 must be in [0, 1)"),
        ({"optimizer": {"kind": "sgd", "lr": 0.0}}, "optimizer.lr must be > 0"),
        ({"colour": "blue"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_spec_says_what_is_wrong(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=_escaped(message)):
        mlp_spec(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"batch_size": 5000}, "batch_size must be 1..1438"),
        ({"loss": "mse"}, "use loss 'cross_entropy'"),
        ({"dataset": "char_copy"}, "use model kind 'transformer'"),
        ({"model": TransformerConfig(context=8)}, "a transformer needs a next-token dataset"),
        ({"model": {"kind": "cnn", "image": (1, 4, 4)}}, "holds 16 values"),
    ],
)
def test_spec_that_does_not_fit_its_dataset_is_rejected(changes: dict[str, object], message: str) -> None:
    spec = mlp_spec(**changes)
    with pytest.raises(ValueError, match=_escaped(message)):
        model_dims(spec, load_dataset(spec.dataset))


def test_transformer_context_must_match_the_dataset() -> None:
    spec = mlp_spec(model=TransformerConfig(context=8), dataset="char_copy")
    with pytest.raises(ValueError, match="model.context must equal the dataset's sequence length 16"):
        model_dims(spec, load_dataset("char_copy"))


def _escaped(message: str) -> str:
    return re.escape(message)
