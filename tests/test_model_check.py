"""`tribunal.model_check`: a model file is accepted only if its state is the committed final state h_S
(and its h_0..h_S hash to the trace root); every other file is refused, naming what differs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.disputes import OperatorRun, operator_run
from tests.support.specs import tiny_spec
from tribunal.checkpoint_manifest import ModelMismatch
from tribunal.checkpoints import Checkpoint
from tribunal.commitments import final_state_proof, trace_root, verify_final_state
from tribunal.merkle import keccak256
from tribunal.model_check import check_model_bytes, task_graph
from tribunal.tasks import PreparedTask, prepare_task


@pytest.fixture(scope="module")
def prepared() -> PreparedTask:
    return prepare_task(tiny_spec(seed=3, steps=5, batch_size=4), "artifact://spec")


@pytest.fixture(scope="module")
def run(prepared: PreparedTask) -> OperatorRun:
    return operator_run(prepared)


def _check(prepared: PreparedTask, run: OperatorRun, data: bytes, **roots: bytes) -> None:
    states = run.claims.state_commitments
    check_model_bytes(data, model_hash=roots.get("model_hash", keccak256(data)), spec_hash=prepared.spec_hash,
                      graph=prepared.graph, steps=prepared.spec.steps,
                      trace_root=roots.get("trace_root", trace_root(states)),
                      final_state_root=roots.get("final_state_root", states[-1]))


def test_the_final_checkpoint_is_the_committed_final_state(prepared: PreparedTask, run: OperatorRun) -> None:
    states = run.claims.state_commitments
    final, proof = final_state_proof(states)
    assert final == states[-1] and verify_final_state(final, proof, trace_root(states), len(states) - 1)
    assert not verify_final_state(states[-2], proof, trace_root(states), len(states) - 1)
    graph = task_graph(prepared.spec)
    checked = check_model_bytes(run.model.to_bytes(), model_hash=run.model.content_hash,
                                spec_hash=prepared.spec_hash, graph=graph, steps=prepared.spec.steps,
                                trace_root=trace_root(states), final_state_root=final)
    assert checked.state_commitments == states and checked.data == run.model.to_bytes()


def _other_state_posing_as_final(prepared: PreparedTask, run: OperatorRun) -> Checkpoint:
    states, other = run.claims.state_commitments, run.checkpoints[2]
    steps = prepared.spec.steps
    return Checkpoint(prepared.spec_hash, steps, other.names, other.state,
                      [*states[:steps], other.state_commitments[-1]], other.leaves)


CASES: dict[str, Callable[[PreparedTask, OperatorRun], tuple[bytes, dict[str, bytes]]]] = {
    # a well-formed checkpoint of another state, claiming to be the state after step S
    "final_state": lambda p, r: (_other_state_posing_as_final(p, r).to_bytes(), {}),
    # the checkpoint after step 2, as it is
    "step": lambda p, r: (r.checkpoints[2].to_bytes(), {}),
    # another state under the honest header: the state does not hash to its own h_S
    "checkpoint": lambda p, r: (Checkpoint(p.spec_hash, p.spec.steps, r.model.names, r.checkpoints[2].state,
                                           r.model.state_commitments, r.model.leaves).to_bytes(), {}),
    # the right h_S, but the header's earlier commitments are not the trace
    "trace_root": lambda p, r: (Checkpoint(p.spec_hash, p.spec.steps, r.model.names, r.model.state,
                                           [bytes(32), *r.model.state_commitments[1:]],
                                           r.model.leaves).to_bytes(), {}),
    # bytes that are not the file the model hash names
    "model_hash": lambda p, r: (r.model.to_bytes(), {"model_hash": keccak256(b"another file")}),
}


@pytest.mark.parametrize("what", sorted(CASES))
def test_any_other_file_is_refused_naming_what_differs(prepared: PreparedTask, run: OperatorRun,
                                                       what: str) -> None:
    data, roots = CASES[what](prepared, run)
    with pytest.raises(ModelMismatch) as refused:
        _check(prepared, run, data, **roots)
    assert refused.value.what == what


def test_garbage_is_not_a_checkpoint(prepared: PreparedTask, run: OperatorRun) -> None:
    with pytest.raises(ModelMismatch) as refused:
        _check(prepared, run, b"not a checkpoint")
    assert refused.value.what == "checkpoint"
