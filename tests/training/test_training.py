"""Training with RepOps: losses fall, every step is committed, any step can be replayed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.support.specs import SPECS, mlp_spec
from tribunal.commitments import state_commitment, tensor_root, trace_root
from tribunal.datasets import load_dataset
from tribunal.graph import graph_root
from tribunal.models import initial_state
from tribunal.spec import TaskSpec
from tribunal.tasks import prepare_task
from tribunal.training import Progress, initial_commitment, output_roots, replay_step, train

LEARNING_STEPS = {"mlp": 24, "cnn": 24, "transformer": 16, "encoder": 16, "regression": 16}


@pytest.mark.parametrize("kind", sorted(SPECS))
def test_each_model_learns_with_repops(kind: str) -> None:
    steps = LEARNING_STEPS[kind]
    spec = SPECS[kind](steps=steps, checkpoint_every=steps)
    result = train(spec)
    losses = [result.losses[t] for t in range(steps)]
    assert all(np.isfinite(losses))
    assert np.mean(losses[-4:]) < np.mean(losses[:4]), losses


def test_trace_holds_h0_then_one_commitment_per_step() -> None:
    spec = mlp_spec()
    seen: list[Progress] = []
    result = train(spec, progress=seen.append)
    initial = initial_state(spec, load_dataset(spec.dataset))
    assert len(result.state_commitments) == spec.steps + 1
    assert result.state_commitments[0] == initial_commitment(initial)
    assert result.trace_root == trace_root(result.state_commitments)
    assert [p.step for p in seen] == list(range(1, spec.steps + 1))
    assert sorted(result.checkpoints) == [2, 4, 6]
    assert result.model_hash == result.checkpoints[6]


def test_next_state_is_proven_at_its_producer_leaf() -> None:
    spec = mlp_spec(steps=2, checkpoint_every=2)
    outputs = replay_step(spec, None, 1)
    leaves = output_roots([torch.from_numpy(o) for o in outputs])
    result = train(spec)
    assert state_commitment(leaves) == result.state_commitments[2]
    for slot, final in zip(result.graph.slots, result.final_state, strict=True):
        assert tensor_root(final) == leaves[slot.producer]


def test_captured_step_holds_every_node_output() -> None:
    spec = mlp_spec(steps=3, checkpoint_every=3)
    result = train(spec, capture_step=2)
    assert result.captured is not None
    assert [o.shape for o in result.captured] == [n.shape for n in result.graph.nodes]
    assert state_commitment([tensor_root(o) for o in result.captured]) == result.state_commitments[3]


def test_capture_outside_the_run_is_refused() -> None:
    with pytest.raises(ValueError, match="capture_step must be 0..5"):
        train(mlp_spec(), capture_step=6)


def test_run_can_stop_early_and_say_so() -> None:
    spec: TaskSpec = mlp_spec()
    partial = train(spec, until=3)
    full = train(spec)
    assert partial.state_commitments == full.state_commitments[:4]
    assert sorted(partial.checkpoints) == [2]


def test_prepared_task_commitments_match_the_run() -> None:
    spec = mlp_spec(steps=2, checkpoint_every=2)
    prepared = prepare_task(spec, "artifact://spec")
    result = train(spec)
    assert prepared.init_state_root == result.state_commitments[0]
    assert prepared.graph_root == graph_root(result.graph)
    assert prepared.dataset_root == load_dataset("digits").root
