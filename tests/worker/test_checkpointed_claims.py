"""Claims rebuilt from the operator's own checkpoints are the same bits as a full replay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.support.specs import tiny_spec
from tribunal.checkpoints import CheckpointError, LocalCheckpointStore
from tribunal.dispute.checkpointed import CheckpointedClaims
from tribunal.dispute.claims import PartyClaims
from tribunal.tasks import prepare_task
from tribunal.training import train


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    prepared = prepare_task(tiny_spec(steps=7, checkpoint_every=3), "test://tiny")
    store = LocalCheckpointStore(tmp_path_factory.mktemp("ckpt"))
    result = train(prepared.spec, dataset=prepared.dataset, store=store)
    return prepared, store, result


def test_checkpointed_claims_match_a_full_replay(run) -> None:  # noqa: ANN001
    prepared, store, result = run
    hashes = store.steps(prepared.spec_hash)
    assert sorted(hashes) == [3, 6, 7]
    fast = CheckpointedClaims(prepared, hashes, store.get)
    slow = PartyClaims(prepared)
    assert fast.state_commitments == slow.state_commitments == result.state_commitments
    assert fast.trace_root == slow.trace_root == result.trace_root
    assert fast.model_hash == slow.model_hash == result.model_hash
    for t in range(prepared.spec.steps):
        a, b = fast.step(t), slow.step(t)
        assert a.prev_leaves == b.prev_leaves
        assert all(np.array_equal(x, y) for x, y in zip(a.state, b.state, strict=True))
        assert a.output_roots == b.output_roots
    assert fast.intermediates(5, 3, 0).tolist() == slow.intermediates(5, 3, 0).tolist()


def test_claims_need_the_final_checkpoint(run) -> None:  # noqa: ANN001
    prepared, store, _ = run
    hashes = store.steps(prepared.spec_hash)
    del hashes[prepared.spec.steps]
    with pytest.raises(KeyError):
        CheckpointedClaims(prepared, hashes, store.get)


def test_a_checkpoint_recorded_under_the_wrong_step_is_rejected(run, tmp_path: Path) -> None:  # noqa: ANN001
    prepared, store, _ = run
    hashes = store.steps(prepared.spec_hash)
    hashes[3], hashes[6] = hashes[6], hashes[3]
    claims = CheckpointedClaims(prepared, hashes, store.get)
    with pytest.raises(CheckpointError):
        claims.step(4)
