"""A pretrained start (``spec.init``): the safetensors file's tensors are ``h_0``'s parameters,
read from the local artifact cache; what can't be a parameter is refused naming the tensor."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
import torch
from numpy.typing import NDArray
from pydantic import ValidationError
from safetensors.torch import save as save_torch

from tests.support.specs import mlp_spec
from tribunal.artifact_cache import CACHE_ENV, ArtifactNotCached, store_artifact
from tribunal.commitments import state_commitment, tensor_root
from tribunal.datasets import load_dataset
from tribunal.models import initial_state, state_layout
from tribunal.models.pretrained import (
    PretrainedStateError,
    read_safetensors_state,
    upload_initial_state,
    write_safetensors_state,
)
from tribunal.spec import canonical_json, parse_spec, spec_hash
from tribunal.task_fetch import TaskMismatch, parse_task_spec
from tribunal.tasks import demo_spec, fetch_task_inputs, prepare_task, task_input_digests

DEMO_SPEC_HASH = "af26e5abcb04c234abe800b5df779dadda6bc6a55c094e6a4d2e6388acda8f45"
"""``demo_spec()``'s hash before ``init`` and ``trainable`` existed: it must never change."""


@pytest.fixture(autouse=True)
def artifact_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "artifact-cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    return cache


def pretrained_weights() -> dict[str, NDArray[np.float32]]:
    """Values for two of ``mlp_spec()``'s four parameters (64 features, 32 hidden, 10 classes)."""
    rng = np.random.default_rng(11)
    return {
        "param.dense0.weight": rng.standard_normal((64, 32)).astype(np.float32),
        "param.dense1.bias": rng.standard_normal(10).astype(np.float32),
    }


def test_old_specs_keep_their_canonical_json_and_hash() -> None:
    spec = demo_spec()
    assert spec.init is None and spec.trainable is None
    assert spec_hash(spec).hex() == DEMO_SPEC_HASH
    encoded = canonical_json(spec)
    assert b"init" not in encoded and b"trainable" not in encoded
    assert canonical_json(parse_spec(encoded)) == encoded


def test_new_fields_are_written_when_set_and_trainable_is_normalised() -> None:
    digest = "0x" + "ab" * 32
    spec = mlp_spec(init=digest, trainable=["param.dense1", "param.dense0.bias", "param.dense1"])
    assert spec.trainable == ("param.dense0.bias", "param.dense1")
    encoded = canonical_json(spec)
    fields = json.loads(encoded)
    assert fields["init"] == digest
    assert fields["trainable"] == ["param.dense0.bias", "param.dense1"]
    assert canonical_json(parse_spec(encoded)) == encoded
    assert parse_task_spec(encoded, b"\x00" * 32) == spec


def test_an_explicit_null_is_not_canonical() -> None:
    encoded = canonical_json(mlp_spec())
    with_null = encoded[:-1] + b',"init":null}'
    assert parse_spec(with_null) == mlp_spec()
    with pytest.raises(TaskMismatch, match="not in canonical form"):
        parse_task_spec(with_null, b"\x00" * 32)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"init": "0xABCD"}, "init must be the 0x keccak256 hash"),
        ({"init": "0x" + "AB" * 32}, "64 lowercase hex digits"),
        ({"trainable": []}, "leave it out to train every parameter"),
        ({"trainable": ["dense0"]}, "got 'dense0'"),
        ({"trainable": ["param.dense0."]}, "dotted prefix"),
    ],
)
def test_invalid_new_fields_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        mlp_spec(**changes)


def test_pretrained_start_reproduces_the_uploaded_weights_in_h0() -> None:
    weights = pretrained_weights()
    digest = upload_initial_state(weights, store=None)
    spec = mlp_spec(init=digest)
    dataset = load_dataset(spec.dataset)
    seeded = initial_state(mlp_spec(), dataset)
    state = initial_state(spec, dataset)
    for j, slot in enumerate(state_layout(spec, dataset)):
        expected = weights.get(slot.name, seeded[j])
        assert state[j].dtype == np.float32
        assert state[j].tobytes() == expected.tobytes(), slot.name
    prepared = prepare_task(spec, "test://pretrained")
    assert prepared.init_state_root == state_commitment([tensor_root(a) for a in state])
    assert prepared.init_state_root != prepare_task(mlp_spec(), "test://seeded").init_state_root
    assert prepared.graph_root == prepare_task(mlp_spec(), "test://seeded").graph_root


def test_initial_state_reads_the_cache_and_fetch_task_inputs_fills_it(artifact_cache: Path) -> None:
    data = write_safetensors_state(pretrained_weights())
    digest = store_artifact(data)
    spec = mlp_spec(init=digest)
    assert task_input_digests(spec) == [digest]
    for path in artifact_cache.rglob("*"):
        if path.is_file():
            path.unlink()
    with pytest.raises(ArtifactNotCached, match=digest):
        initial_state(spec, load_dataset(spec.dataset))

    class Store:
        base_url = "test://store"
        downloads: list[str] = []

        def download_to(self, wanted: str, path: Path) -> None:
            assert wanted == digest
            self.downloads.append(wanted)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    store = Store()
    fetch_task_inputs(spec, store)  # type: ignore[arg-type]
    fetch_task_inputs(spec, store)  # type: ignore[arg-type]
    assert store.downloads == [digest]
    assert initial_state(spec, load_dataset(spec.dataset))[0].tobytes() == pretrained_weights()[
        "param.dense0.weight"
    ].tobytes()


def _upload(tensors: dict[str, NDArray[np.generic]]) -> str:
    return store_artifact(safetensors.numpy.save(tensors))


BIAS = "'param.dense0.bias'"


@pytest.mark.parametrize(
    ("tensors", "message"),
    [
        ({"param.dense9.weight": np.zeros((64, 32), np.float32)}, "'param.dense9.weight' names no parameter"),
        ({"opt.momentum.param.dense0.bias": np.zeros(32, np.float32)}, "names no parameter"),
        ({"param.dense0.weight": np.zeros((32, 64), np.float32)}, r"'param.dense0.weight' has shape \(32,"),
        ({"param.dense0.bias": np.zeros(31, np.float32)}, r"the parameter is \(32,\)"),
        ({"param.dense0.bias": np.full(32, np.nan, np.float32)}, BIAS + " holds NaN or infinite"),
        ({"param.dense0.bias": np.full(32, -np.inf, np.float32)}, BIAS + " holds NaN or infinite"),
        ({"param.dense0.bias": np.full(32, 0.1, np.float64)}, BIAS + r" \(F64\) holds values float32"),
        ({"param.dense0.bias": np.full(32, 2**24 + 1, np.int64)}, "'param.dense0.bias' \\(I64\\)"),
        ({"param.dense0.bias": np.zeros(32, np.bool_)}, "'param.dense0.bias' has dtype BOOL"),
    ],
)
def test_a_file_that_cannot_be_the_initial_state_is_refused_naming_the_tensor(
    tensors: dict[str, NDArray[np.generic]], message: str
) -> None:
    spec = mlp_spec(init=_upload(tensors))
    with pytest.raises(PretrainedStateError, match=message):
        initial_state(spec, load_dataset(spec.dataset))


def test_bytes_that_are_not_safetensors_are_refused() -> None:
    with pytest.raises(PretrainedStateError, match="not a safetensors file"):
        read_safetensors_state(b"\x08\x00\x00\x00\x00\x00\x00\x00{broken}")


def test_exact_conversions_to_float32_are_accepted() -> None:
    halves = np.linspace(-2, 2, 32).astype(np.float16)
    bf16 = torch.linspace(-3, 3, 32, dtype=torch.bfloat16)
    data = safetensors.numpy.save(
        {
            "f16": halves,
            "f64": halves.astype(np.float64),
            "i32": np.arange(-16, 16, dtype=np.int32),
        }
    )
    tensors = read_safetensors_state(data)
    assert all(t.dtype == np.float32 for t in tensors.values())
    assert np.array_equal(tensors["f16"], halves.astype(np.float32))
    assert np.array_equal(tensors["f64"], halves.astype(np.float32))
    assert np.array_equal(tensors["i32"], np.arange(-16, 16, dtype=np.float32))
    assert np.array_equal(read_safetensors_state(save_torch({"bf16": bf16}))["bf16"], bf16.float().numpy())


def test_writing_refuses_a_lossy_conversion() -> None:
    with pytest.raises(PretrainedStateError, match="'w'"):
        write_safetensors_state({"w": np.array([0.1], dtype=np.float64)})


def test_a_delivered_model_file_with_metadata_is_a_valid_start() -> None:
    weights = {name: torch.from_numpy(value) for name, value in pretrained_weights().items()}
    data = save_torch(weights, metadata={"tribunal.format": "tribunal-model/1"})
    spec = mlp_spec(init=store_artifact(data))
    state = dict(zip((s.name for s in state_layout(spec, load_dataset(spec.dataset))),
                     initial_state(spec, load_dataset(spec.dataset)), strict=True))
    assert state["param.dense1.bias"].tobytes() == pretrained_weights()["param.dense1.bias"].tobytes()
