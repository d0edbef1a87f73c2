"""Checkpoints: deterministic bytes, a content-addressed store, and resumes that change nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.support.specs import SPECS, mlp_spec
from tribunal.checkpoints import Checkpoint, CheckpointError, LocalCheckpointStore
from tribunal.merkle import keccak256
from tribunal.spec import spec_hash
from tribunal.training import train


@pytest.fixture(scope="module")
def stored_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[LocalCheckpointStore, object]:
    store = LocalCheckpointStore(tmp_path_factory.mktemp("checkpoints"))
    return store, train(mlp_spec(), store=store)


def test_checkpoint_bytes_roundtrip_and_hash(stored_run: tuple) -> None:
    store, result = stored_run
    checkpoint = store.get(result.checkpoints[4])
    data = checkpoint.to_bytes()
    assert keccak256(data) == result.checkpoints[4] == checkpoint.content_hash
    again = Checkpoint.from_bytes(data)
    assert again.to_bytes() == data
    assert again.step == 4 and len(again.state_commitments) == 5
    assert again.state_commitments == tuple(result.state_commitments[:5])


def test_store_lists_the_task_checkpoints_and_finds_the_latest(stored_run: tuple) -> None:
    store, result = stored_run
    digest = spec_hash(mlp_spec())
    assert store.steps(digest) == result.checkpoints
    latest = store.latest(digest, at_most=5)
    assert latest is not None and latest.step == 4
    assert store.latest(b"\x00" * 32) is None


def test_store_detects_a_corrupt_object(tmp_path: Path) -> None:
    store = LocalCheckpointStore(tmp_path)
    result = train(mlp_spec(steps=2, checkpoint_every=2), store=store)
    content = result.checkpoints[2]
    path = tmp_path / "objects" / content.hex()[:2] / content.hex()
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt"):
        store.get(content)
    with pytest.raises(KeyError):
        store.get(b"\x01" * 32)


def test_store_leaves_no_temporary_files(stored_run: tuple) -> None:
    store, _ = stored_run
    assert not [p for p in Path(store.root).rglob(".*") if p.is_file()]


@pytest.mark.parametrize("kind", ["mlp", "transformer"])
def test_resume_from_a_middle_checkpoint_reproduces_the_trace(kind: str, tmp_path: Path) -> None:
    spec = SPECS[kind]()
    store = LocalCheckpointStore(tmp_path)
    full = train(spec, store=store)
    middle = store.get(full.checkpoints[spec.checkpoint_every])
    resumed = train(spec, resume=Checkpoint.from_bytes(middle.to_bytes()))
    assert resumed.trace_root == full.trace_root
    assert resumed.model_hash == full.model_hash
    for a, b in zip(resumed.final_state, full.final_state, strict=True):
        assert a.tobytes() == b.tobytes()


def test_resume_refuses_a_tampered_state(stored_run: tuple) -> None:
    store, result = stored_run
    checkpoint = store.get(result.checkpoints[2])
    state = list(checkpoint.state)
    state[0] = state[0].copy()
    state[0].flat[0] = np.float32(state[0].flat[0]) + np.float32(1.0)
    tampered = Checkpoint(
        checkpoint.spec_hash,
        checkpoint.step,
        checkpoint.names,
        tuple(state),
        checkpoint.state_commitments,
        checkpoint.leaves,
    )
    with pytest.raises(CheckpointError, match="does not match h_2"):
        train(mlp_spec(), resume=tampered)


def test_resume_refuses_another_task(stored_run: tuple) -> None:
    store, result = stored_run
    checkpoint = store.get(result.checkpoints[2])
    with pytest.raises(CheckpointError, match="checkpoint is for spec"):
        train(mlp_spec(seed=3), resume=checkpoint)


def test_malformed_bytes_are_refused() -> None:
    with pytest.raises(CheckpointError, match="bad magic"):
        Checkpoint.from_bytes(b"not a checkpoint")
