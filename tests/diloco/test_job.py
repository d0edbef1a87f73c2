"""A DiLoCo job run as ordinary tasks: every segment and outer step prepared and trained from the
spec an agent derives, chained through their final checkpoints, gives the reference run's bits,
and every task's h_0 is what the contract computes from the roots of the tasks before it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
import torch
from numpy.typing import NDArray
from pydantic import ValidationError

from tests.diloco.schedules import MOMENTUM, tiny_schedule
from tribunal.artifact_cache import CACHE_ENV, store_artifact
from tribunal.checkpoints import Checkpoint, CheckpointError, LocalCheckpointStore
from tribunal.commitments import state_commitment, tensor_root
from tribunal.datasets import Dataset, load_dataset
from tribunal.diloco import (
    CONSTANT_SLOT,
    DilocoJobSpec,
    DilocoSchedule,
    global_from_checkpoint,
    global_roots_from_leaves,
    init_digest,
    init_file,
    initial_global,
    job_hash,
    job_json,
    job_wiring,
    make_job,
    outer_init_root,
    outer_layout,
    outer_spec,
    outer_step_graph,
    parse_job,
    run_outer_step,
    run_sequential,
    schedule_of,
    segment_init_root,
    segment_seed,
    segment_spec,
    shard_params_from_checkpoint,
    shard_roots_from_leaves,
)
from tribunal.diloco import job as job_module
from tribunal.merkle import keccak256
from tribunal.models.builder import SlotDef, Uniform
from tribunal.models.pretrained import PretrainedStateError, read_safetensors_state
from tribunal.spec import OuterStep, TaskSpec, canonical_json
from tribunal.tasks import prepare_task
from tribunal.training import train

CPU = torch.device("cpu")
DENSE1_ONLY = tiny_schedule(inner_steps=3, optimizer=MOMENTUM).task.model_copy(
    update={"trainable": ("param.dense1",)}
)
SCHEDULES = {
    "Adam, every parameter": tiny_schedule(rounds=2, shards=2, inner_steps=2),
    "momentum, dense1 only, heavy-ball outer": tiny_schedule(
        rounds=2, shards=3, inner_steps=3, optimizer=MOMENTUM, nesterov=False, task=DENSE1_ONLY
    ),
}


@pytest.fixture(autouse=True)
def artifact_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    cache = tmp_path / "artifacts"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    yield cache


def _job(schedule: DilocoSchedule) -> DilocoJobSpec:
    job, artifacts = make_job(schedule)
    for digest, data in artifacts.items():
        assert store_artifact(data) == digest
    return job


def _final_checkpoint(spec: TaskSpec, tmp: Path) -> tuple[Checkpoint, bytes, list[bytes]]:
    """Prepare and train ``spec`` as an operator does: its final checkpoint, trace root and h_0 .. h_S."""
    store = LocalCheckpointStore(tmp / "checkpoints")
    task = prepare_task(spec, "spec://test")
    result = train(spec, dataset=task.dataset, device=CPU, store=store)
    assert result.state_commitments[0] == task.init_state_root
    return store.get(result.model_hash), result.trace_root, result.state_commitments


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_a_job_run_task_by_task_gives_the_reference_run_bit_for_bit(name: str, tmp_path: Path) -> None:
    schedule = SCHEDULES[name]
    job = _job(schedule)
    assert schedule_of(job) == schedule
    wiring = job_wiring(job)
    reference = run_sequential(schedule)
    global_state = initial_global(job)
    global_roots = [tensor_root(a) for a in global_state]
    assert global_roots == wiring.initial_global
    assert state_commitment(global_roots) == reference.initial_global_root
    for round_ in range(job.rounds):
        record = reference.rounds[round_]
        shard_params, shard_roots = [], []
        for shard in range(job.shards):
            spec, data = segment_spec(job, round_, shard, global_state)
            assert store_artifact(data) == spec.init
            assert (spec.dataset, spec.seed, spec.steps) == (
                job.shard_datasets[shard], segment_seed(job.task.seed, round_, shard), job.task.steps
            )
            task = prepare_task(spec, "spec://segment")
            assert task.init_state_root == segment_init_root(wiring, global_roots)
            assert task.graph_root == wiring.segment_graph_roots[round_ * job.shards + shard]
            assert task.dataset_root == wiring.shard_dataset_roots[shard]
            checkpoint, trace, commitments = _final_checkpoint(spec, tmp_path)
            assert trace == record.segments[shard].trace_root
            assert commitments[-1] == record.segments[shard].final
            params = shard_params_from_checkpoint(job, checkpoint)
            roots = shard_roots_from_leaves(wiring, checkpoint.leaves)
            assert roots == [tensor_root(p) for p in params]
            shard_params.append(params)
            shard_roots.append(roots)
        spec, data = outer_spec(job, round_, global_state, shard_params)
        assert store_artifact(data) == spec.init
        task = prepare_task(spec, "spec://outer")
        assert task.init_state_root == outer_init_root(global_roots, shard_roots) == record.outer_before
        assert task.graph_root == wiring.outer_graph_root
        assert task.dataset_root == wiring.outer_dataset_root
        checkpoint, trace, commitments = _final_checkpoint(spec, tmp_path)
        assert commitments[-1] == record.outer_after and trace == record.outer_trace_root
        global_state = global_from_checkpoint(job, checkpoint)
        global_roots = global_roots_from_leaves(wiring, checkpoint.leaves)
        assert global_roots == [tensor_root(a) for a in global_state]
        assert state_commitment(global_roots) == record.global_root
    final = [*reference.params.values(), *reference.momentum.values()]
    assert [a.tobytes() for a in global_state] == [a.tobytes() for a in final]


def test_an_outer_task_trains_to_the_outer_step_of_the_schedule(tmp_path: Path) -> None:
    """train() on a spec with outer set runs outer_step_graph once from the init file's slots."""
    schedule = tiny_schedule(shards=3)
    job = _job(schedule)
    layout = outer_layout(schedule, load_dataset("digits"))
    rng = np.random.default_rng(5)
    global_slots = layout.slots()[: layout.global_slots]
    global_state = [rng.standard_normal(s.shape).astype(np.float32) for s in global_slots]
    params = global_state[: len(layout.trainable)]  # every parameter trains
    shard_params = [
        [(w + 0.1 * rng.standard_normal(w.shape)).astype(np.float32) for w in params] for _ in range(3)
    ]
    spec, data = outer_spec(job, 0, global_state, shard_params)
    store_artifact(data)
    assert spec.outer == OuterStep(shards=3, lr=0.7, momentum=0.9, nesterov=True)
    result = train(spec, device=CPU)
    assert len(result.state_commitments) == 2 and list(result.losses) == [0]
    graph = outer_step_graph(schedule, load_dataset("digits"))
    expected = run_outer_step(
        graph, global_state, [tensor_root(a) for a in global_state],
        shard_params, [[tensor_root(a) for a in s] for s in shard_params],
    )
    kept = result.final_state[: layout.global_slots]
    assert [a.tobytes() for a in kept] == [a.tobytes() for a in expected.state]
    assert result.state_commitments == [expected.before, expected.after]
    # the delivered model is the new global parameters
    assert result.graph.param_slots == tuple(range(len(layout.params)))


def test_an_outer_task_refuses_an_init_file_that_lacks_a_slot() -> None:
    schedule = tiny_schedule()
    job = _job(schedule)
    layout = outer_layout(schedule, load_dataset("digits"))
    slots = layout.slots()
    partial = init_file({s.name: np.zeros(s.shape, np.float32) for s in slots[:-1]})
    spec = TaskSpec.model_validate(
        {**job.task.model_dump(), "steps": 1, "checkpoint_every": 1, "outer": schedule.outer,
         "init": store_artifact(partial)}
    )
    with pytest.raises(PretrainedStateError, match=f"has no tensor '{slots[-1].name}'"):
        train(spec, device=CPU)


def test_the_wiring_maps_parameters_to_global_slots_and_optimizer_state_to_constants() -> None:
    job = _job(tiny_schedule(rounds=2, shards=2))  # Adam: m, v per parameter, then two beta powers
    wiring = job_wiring(job)
    params = 4
    assert (wiring.global_slots, wiring.shard_slots) == (2 * params, params)
    assert wiring.segment_init == [*range(params), *[CONSTANT_SLOT] * (2 * params + 2)]
    assert wiring.segment_const[:params] == [bytes(32)] * params
    assert all(len(c) == 32 and c != bytes(32) for c in wiring.segment_const[params:])
    assert len(wiring.segment_graph_roots) == 4 and len(set(wiring.segment_graph_roots)) == 4
    assert len(wiring.outer_out) == wiring.global_slots
    assert max(wiring.segment_out) < wiring.segment_nodes and max(wiring.outer_out) < wiring.outer_nodes
    with pytest.raises(ValueError, match="a segment's h_H has"):
        shard_roots_from_leaves(wiring, [bytes(32)])


def test_the_wiring_refuses_a_segment_slot_whose_start_depends_on_the_seed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = _job(tiny_schedule())
    real = job_module.state_layout

    def seeded_optimizer(spec: TaskSpec, dataset: Dataset) -> list[SlotDef]:
        slots = real(spec, dataset)
        return [*slots[:-1], dataclasses.replace(slots[-1], init=Uniform(0.1))]

    monkeypatch.setattr(job_module, "state_layout", seeded_optimizer)
    with pytest.raises(ValueError, match="segment slot opt.adam.beta2_power starts from a seeded value"):
        job_wiring(job)


def test_the_job_document_round_trips_and_hashes_its_canonical_json() -> None:
    job = _job(tiny_schedule())
    encoded = job_json(job)
    assert parse_job(encoded) == parse_job(encoded.decode()) == parse_job(job.model_dump()) == job
    assert job_json(parse_job(encoded)) == encoded
    assert job_hash(job) == keccak256(encoded)
    assert b" " not in encoded and b'"task":' + canonical_json(job.task) in encoded
    assert job_hash(job.model_copy(update={"rounds": 3})) != job_hash(job)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rounds": 0}, "rounds must be 1.."),
        ({"shards": 3}, r"shard_datasets must name one dataset per shard \(3\), got 2"),
        ({"outer_momentum": 1.0}, r"outer_momentum must be in \[0, 1\)"),
        ({"outer_lr": 0.0}, "outer_lr must be > 0"),
        ({"shard_datasets": ["digits", "0x" + "ab" * 32]}, r"shard_datasets\[0\] must be an uploaded"),
        ({"shard_datasets": ["0x" + "AB" * 32, "0x" + "ab" * 32]}, "64 lower-case hex digits"),
    ],
)
def test_a_job_document_is_validated(change: dict[str, object], message: str) -> None:
    fields = {**_job(tiny_schedule()).model_dump(), **change}
    with pytest.raises(ValidationError, match=message):
        parse_job(fields)


def test_a_job_task_must_be_an_inner_task() -> None:
    job = _job(tiny_schedule())
    outer = {**job.task.model_dump(), "steps": 1, "checkpoint_every": 1, "init": "0x" + "11" * 32,
             "outer": {"shards": 2, "lr": 0.7, "momentum": 0.9, "nesterov": True}}
    with pytest.raises(ValidationError, match="it must not set outer"):
        parse_job({**job.model_dump(), "task": outer})


def test_an_outer_spec_is_one_step_from_an_init_file() -> None:
    base = tiny_schedule().task.model_dump()
    outer = {"shards": 2, "lr": 0.7, "momentum": 0.9, "nesterov": True}
    init = "0x" + "11" * 32
    with pytest.raises(ValidationError, match="steps and checkpoint_every must be 1"):
        TaskSpec.model_validate({**base, "outer": outer, "init": init})
    with pytest.raises(ValidationError, match="reads its whole initial state from init"):
        TaskSpec.model_validate({**base, "outer": outer, "steps": 1, "checkpoint_every": 1})
    with pytest.raises(ValidationError, match="outer.shards must be >= 1"):
        OuterStep(shards=0, lr=0.7, momentum=0.9, nesterov=True)
    spec = TaskSpec.model_validate({**base, "outer": outer, "init": init, "steps": 1, "checkpoint_every": 1})
    assert b'"outer":{"lr":0.699999988079071,"momentum":0.8999999761581421,"nesterov":true,"shards":2}' in (
        canonical_json(spec)
    )
    assert b"outer" not in canonical_json(tiny_schedule().task)  # an inner spec keeps its bytes


def test_the_job_refuses_states_of_the_wrong_shape() -> None:
    job = _job(tiny_schedule())
    state = initial_global(job)
    with pytest.raises(ValueError, match="the global state has 8 slots"):
        segment_spec(job, 0, 0, state[:4])
    with pytest.raises(ValueError, match="round must be 0..1, got 2"):
        segment_spec(job, 2, 0, state)
    with pytest.raises(ValueError, match="shard must be 0..1, got 2"):
        segment_spec(job, 0, 2, state)
    with pytest.raises(ValueError, match="needs the parameters of 2 shards, got 1"):
        outer_spec(job, 0, state, [state[:4]])


def test_checkpoints_of_other_tasks_are_refused(tmp_path: Path) -> None:
    job = _job(tiny_schedule())
    spec, data = segment_spec(job, 0, 0, initial_global(job))
    store_artifact(data)
    checkpoint, _, _ = _final_checkpoint(spec, tmp_path)
    with pytest.raises(CheckpointError, match="not the final checkpoint of this job's outer step"):
        global_from_checkpoint(job, checkpoint)


def _tensors() -> dict[str, NDArray[np.float32]]:
    return {
        "param.b": np.array([1.5, -0.0, 3.0], np.float32),
        "param.a": np.arange(6, dtype=np.float32).reshape(2, 3),
        "outer.momentum.param.a": np.zeros((2, 3), np.float32),
    }


def test_init_files_are_the_same_bytes_for_the_same_tensors() -> None:
    tensors = _tensors()
    data = init_file(tensors)
    assert init_file(dict(reversed(list(tensors.items())))) == data
    assert init_file({k: v.copy(order="F") for k, v in tensors.items()}) == data
    # the layout is pinned: a change of it changes every derived spec's init hash
    assert init_digest(data) == "0x0e96e596eb5a072bcce3e2af1fb20babd86526c6f3b05719813c146693171f0f"
    assert init_digest(data) == "0x" + keccak256(data).hex()
    header = int.from_bytes(data[:8], "little")
    assert header % 8 == 0
    assert data[8 : 8 + header].startswith(b'{"outer.momentum.param.a":{"data_offsets":[0,24]')
    read = read_safetensors_state(data)
    assert sorted(read) == sorted(tensors)
    for name, value in tensors.items():
        assert read[name].tobytes() == value.tobytes()
    assert safetensors.numpy.load(data)["param.b"].tobytes() == tensors["param.b"].tobytes()
    with pytest.raises(ValueError, match="'param.x' is float64"):
        init_file({"param.x": np.zeros(2)})
    with pytest.raises(ValueError, match="NaN or infinite"):
        init_file({"param.x": np.array([np.nan], np.float32)})
