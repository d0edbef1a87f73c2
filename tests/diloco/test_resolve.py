"""Deriving a DiLoCo task's spec refuses what the chain does not vouch for, and the model a DiLoCo job
delivers (its outer task's final checkpoint) is read like any task's through `task_spec`.

A one-round, two-shard job is trained task by task, as operators would (`tests.support.diloco_job`);
the chain's side is a stand-in holding `Task` values built by hand. Every artifact lives in a temporary
artifact cache, or behind an `ArtifactClient` serving a dict (the artifact store).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.support.diloco_job import OUTER_TASK, World, artifact_store, build_world, fake_resolver
from tribunal.artifact_cache import CACHE_ENV, store_artifact
from tribunal.checkpoints import Checkpoint
from tribunal.diloco import global_from_checkpoint, job_wiring, shard_params_from_checkpoint
from tribunal.diloco.resolve import NotReady, _check_roots, checked_checkpoint
from tribunal.model_check import Unpublished
from tribunal.model_delivery import find_model, task_graph_and_state
from tribunal.protocol_enums import TaskStatus
from tribunal.task_fetch import SpecUnavailable, TaskMismatch, task_spec


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("diloco-resolve")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(tmp / "cache"))
        yield build_world(tmp)


@pytest.fixture(autouse=True)
def artifact_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache per test: what a test needs comes from the store or is put there by the test."""
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    return cache


def _cache(checkpoint: Checkpoint) -> bytes:
    """Put ``checkpoint``'s file in the artifact cache; its content hash (a model hash naming it)."""
    store_artifact(checkpoint.to_bytes())
    return checkpoint.content_hash


def test_a_task_not_finalised_is_not_ready(world: World) -> None:
    segment = world.tasks[1]
    _cache(world.checkpoints[1][-1])
    assert checked_checkpoint(segment, None).leaves == world.checkpoints[1][-1].leaves
    for status in (TaskStatus.CLAIMED, TaskStatus.SUBMITTED):
        with pytest.raises(NotReady, match="is not finalised yet"):
            checked_checkpoint(dataclasses.replace(segment, status=status), None)


def test_a_model_file_not_in_the_cache_or_the_store_is_not_ready(world: World) -> None:
    with pytest.raises(NotReady, match="is not available"):
        checked_checkpoint(world.tasks[1], None)


def test_a_model_file_whose_leaves_are_not_the_final_state_is_refused(world: World) -> None:
    # the model hash names the other shard's final checkpoint: a real file, the same step, not this state
    other = _cache(world.checkpoints[2][-1])
    with pytest.raises(ValueError, match="do not hash to the final state root"):
        checked_checkpoint(dataclasses.replace(world.tasks[1], model_hash=other), None)


def test_a_model_file_of_another_step_is_refused(world: World) -> None:
    earlier = _cache(world.checkpoints[1][0])
    assert world.checkpoints[1][0].step == 1 < world.tasks[1].steps
    with pytest.raises(ValueError, match=f"is step 1, not {world.tasks[1].steps}"):
        checked_checkpoint(dataclasses.replace(world.tasks[1], model_hash=earlier), None)


def _with_wrong_tensors(checkpoint: Checkpoint) -> Checkpoint:
    """The same leaves (so the same h_S), every tensor moved."""
    return dataclasses.replace(checkpoint, state=tuple((a + np.float32(1.0)).astype(np.float32)
                                                       for a in checkpoint.state))


def test_a_model_file_whose_leaves_are_right_but_tensors_are_not_is_refused(world: World) -> None:
    job, segment = world.job, world.tasks[1]
    wiring = job_wiring(job)
    real = world.checkpoints[1][-1]
    _check_roots(segment, real, shard_params_from_checkpoint(job, real), wiring.segment_out)
    forged = _with_wrong_tensors(real)
    task = dataclasses.replace(segment, model_hash=_cache(forged))
    assert checked_checkpoint(task, None).leaves == real.leaves  # the leaves alone do not tell
    with pytest.raises(ValueError, match="tensor 0 of its model file is not the state its result commits to"):
        _check_roots(task, forged, shard_params_from_checkpoint(job, forged), wiring.segment_out)
    outer = world.checkpoints[OUTER_TASK][-1]
    forged_outer = _with_wrong_tensors(outer)
    with pytest.raises(ValueError, match="is not the state its result commits to"):
        _check_roots(world.tasks[OUTER_TASK], forged_outer, global_from_checkpoint(job, forged_outer),
                     wiring.outer_out)


def test_an_outer_spec_built_on_a_forged_segment_file_is_refused(world: World) -> None:
    forged = _with_wrong_tensors(world.checkpoints[1][-1])
    files = {**world.store, "0x" + forged.content_hash.hex(): forged.to_bytes()}
    tasks = {**world.tasks, 1: dataclasses.replace(world.tasks[1], model_hash=forged.content_hash)}
    with pytest.raises(TaskMismatch, match="is not the state its result commits to"):
        task_spec(world.tasks[OUTER_TASK], "", None, fake_resolver(world, tasks, files))


def test_an_outer_spec_waits_for_every_segment_to_be_finalised(world: World) -> None:
    tasks = {**world.tasks, 2: dataclasses.replace(world.tasks[2], status=TaskStatus.SUBMITTED)}
    with pytest.raises(SpecUnavailable, match="task 2 is not finalised yet"):
        task_spec(world.tasks[OUTER_TASK], "", None, fake_resolver(world, tasks))


def test_task_spec_derives_a_diloco_tasks_spec(world: World) -> None:
    resolver = fake_resolver(world)
    for task_id, task in world.tasks.items():
        assert task_spec(task, "", None, resolver) == world.specs[task_id]
    with pytest.raises(TaskMismatch, match="is not the job's"):
        task_spec(dataclasses.replace(world.tasks[1], spec_hash=bytes(32)), "", None, resolver)


def test_the_model_of_a_diloco_job_is_fetched_and_checked_like_any_tasks(world: World) -> None:
    """The job's model: its last outer task's final checkpoint, whose ``param.*`` slots are the final
    global parameters, checked against the task's h_S through the derived spec."""
    outer, store = world.tasks[OUTER_TASK], artifact_store(world.store)
    model, failures = find_model(outer, "", [store], fake_resolver(world))
    assert model is not None and failures == []
    final = world.checkpoints[OUTER_TASK][-1]
    assert model.data == final.to_bytes() and model.checkpoint.spec_hash == outer.spec_hash
    graph, init = task_graph_and_state(outer, "", store, fake_resolver(world))
    params = [j for j, slot in enumerate(graph.slots) if slot.name.startswith("param.")]
    global_params = global_from_checkpoint(world.job, final)[: len(params)]
    assert [model.checkpoint.state[j].tobytes() for j in params] == [a.tobytes() for a in global_params]
    assert len(init) == len(graph.slots)
    # without the resolver the task's spec is looked up by its chain hash, which names no stored spec
    model, failures = find_model(outer, "", [store])
    assert model is None and isinstance(failures[0][1], Unpublished)
