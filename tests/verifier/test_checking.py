"""Pure pieces of the verifier: the checkpoint manifest, interval sampling, the economics model."""

from __future__ import annotations

import random

import pytest

from bench.economics import Economy, best_cheat, cheat_gain, detection, griefing, self_challenge
from tribunal.checkpoint_manifest import CheckpointManifest, ManifestError
from verifier.checking import checkpoint_boundaries, first_difference, sample_intervals


def test_manifest_round_trips_in_canonical_form() -> None:
    manifest = CheckpointManifest(b"\x01" * 32, {4: b"\x04" * 32, 2: b"\x02" * 32})
    data = manifest.to_bytes()
    assert data.startswith(b'{"checkpoints":[{"hash":"0x0202')  # steps ascending, keys sorted
    assert CheckpointManifest.from_bytes(data) == manifest


@pytest.mark.parametrize("data", [
    b'{"checkpoints": [], "spec_hash": "0x' + b"11" * 32 + b'", "version": 1}',  # whitespace
    b'{"checkpoints":[],"spec_hash":"0x11","version":1}',
    b'{"checkpoints":[],"spec_hash":"0x' + b"11" * 32 + b'","version":2}',
    b"\xff",
])
def test_manifest_rejects_anything_else(data: bytes) -> None:
    with pytest.raises(ManifestError):
        CheckpointManifest.from_bytes(data)


def test_boundaries_cover_every_step_once() -> None:
    assert checkpoint_boundaries(5, 2) == [0, 2, 4, 5]
    assert checkpoint_boundaries(4, 4) == [0, 4]
    assert checkpoint_boundaries(3, 1) == [0, 1, 2, 3]


def test_sample_is_at_least_one_interval_and_at_most_all() -> None:
    bounds = checkpoint_boundaries(100, 10)
    assert len(sample_intervals(bounds, 0.0, random.Random(1))) == 1
    assert len(sample_intervals(bounds, 0.25, random.Random(1))) == 3
    assert sample_intervals(bounds, 1.0, random.Random(1)) == list(zip(bounds, bounds[1:], strict=False))


def test_first_difference_names_the_step() -> None:
    a, b, c = b"a" * 32, b"b" * 32, b"c" * 32
    assert first_difference([a, b, c], [a, b, c]) is None
    assert first_difference([a, b, c], [a, c, c]) == 0  # h_1 differs: step 0
    assert first_difference([a, b], [c, b]) == -1  # h_0 itself


def test_default_economy_makes_cheating_and_griefing_lose() -> None:
    e = Economy()
    assert best_cheat(e)[1] < 0
    assert detection(e, e.intervals) == pytest.approx(1.0)
    assert cheat_gain(e, 1) < 0
    assert griefing(e)["operator_net"] > 0 and griefing(e)["griefer_loss"] >= e.bond
    assert self_challenge(e) < 0
