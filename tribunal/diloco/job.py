"""A DiLoCo job on the market: its document, the spec of each of its tasks, and its wiring.

The job (``docs/diloco-jobs.md``) is a :class:`DilocoJobSpec`: a schedule whose shards' rows are
uploaded datasets, named by their ``0x`` hashes (:func:`make_job` splits and serialises them). Its
canonical JSON (:func:`job_json`) hashes to the job's ``specHash`` (:func:`job_hash`).

Every segment and every outer step runs as an ordinary task whose spec any agent derives from the
job and the finalised results before it:

- :func:`segment_spec` ``(r, i)``: the inner spec on ``shard_datasets[i]`` with seed
  ``segment_seed(seed, r, i)`` and ``init`` = a safetensors file of round ``r``'s global
  parameters (:func:`init_file`, written deterministically so every agent gets the same hash);
- :func:`outer_spec` ``(r)``: the inner spec with ``outer`` set, one step, and ``init`` holding
  every slot of the outer step (``outer_layout``): the global state and each shard's trainable
  parameters, read from the segments' final checkpoints (:func:`shard_params_from_checkpoint`).
  Its final checkpoint holds round ``r + 1``'s global state (:func:`global_from_checkpoint`).

:func:`job_wiring` computes what the job contract is told at ``postJob`` (:class:`Wiring`), and
:func:`segment_init_root`, :func:`outer_init_root`, :func:`shard_roots_from_leaves` and
:func:`global_roots_from_leaves` mirror the contract's arithmetic on it.
"""

from __future__ import annotations

import dataclasses
import json
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, model_validator

from tribunal.artifact_cache import is_digest
from tribunal.artifact_client import content_hash
from tribunal.checkpoints import Checkpoint, CheckpointError
from tribunal.commitments import tensor_root
from tribunal.datasets import Dataset, dataset_to_bytes, load_dataset
from tribunal.diloco.outer_step import (
    OuterLayout,
    initial_global_state,
    momentum_slot,
    outer_layout,
    outer_step_graph,
    shard_slot,
)
from tribunal.diloco.schedule import MAX_ROUNDS, MAX_SHARDS, DilocoSchedule, segment_seed, shard_dataset
from tribunal.graph import PARAM_PREFIX, StepGraph, graph_root
from tribunal.merkle import keccak256, merkle_root
from tribunal.models import build_step_graph, state_layout
from tribunal.models.builder import Constant
from tribunal.models.init import initial_values
from tribunal.spec import Float32, TaskSpec, canonical_json

JOB_VERSION: Final = 1
CONSTANT_SLOT: Final = 0xFFFF
"""``segmentInit[j]`` of a segment slot whose initial root is the constant ``segmentConst[j]``."""
NO_CONSTANT: Final = bytes(32)
"""``segmentConst[j]`` of a slot read from the global state."""


class DilocoJobSpec(BaseModel):
    """A DiLoCo job: ``rounds`` rounds of ``shards`` segments of ``task`` (``task.steps`` = H inner
    steps each) and one outer step each, shard ``i`` training on the uploaded dataset
    ``shard_datasets[i]``. ``task.dataset`` is the whole dataset: the round-0 parameters are drawn
    for it and the outer tasks name it. ``task.init`` and ``task.trainable`` apply as in any task."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    version: Literal[1] = JOB_VERSION
    task: TaskSpec
    rounds: int
    shards: int
    outer_lr: Float32 = 0.7
    outer_momentum: Float32 = 0.9
    nesterov: bool = True
    shard_datasets: tuple[str, ...]

    @model_validator(mode="after")
    def _ranges(self) -> DilocoJobSpec:
        if not 1 <= self.rounds <= MAX_ROUNDS:
            raise ValueError(f"rounds must be 1..{MAX_ROUNDS}, got {self.rounds}")
        if not 1 <= self.shards <= MAX_SHARDS:
            raise ValueError(f"shards must be 1..{MAX_SHARDS}, got {self.shards}")
        if self.task.outer is not None:
            raise ValueError("task is the inner training task of each segment: it must not set outer")
        if self.outer_lr <= 0.0:
            raise ValueError(f"outer_lr must be > 0, got {self.outer_lr}")
        if not 0.0 <= self.outer_momentum < 1.0:
            raise ValueError(f"outer_momentum must be in [0, 1), got {self.outer_momentum}")
        if len(self.shard_datasets) != self.shards:
            raise ValueError(
                f"shard_datasets must name one dataset per shard ({self.shards}), "
                f"got {len(self.shard_datasets)}"
            )
        for i, name in enumerate(self.shard_datasets):
            if not is_digest(name) or name != name.lower():
                raise ValueError(
                    f"shard_datasets[{i}] must be an uploaded dataset's 0x hash (64 lower-case hex digits, "
                    f"as make_job returns it), got {name!r}"
                )
        return self


def job_json(job: DilocoJobSpec) -> bytes:
    """Canonical bytes: sorted keys, no whitespace, ASCII; the task as its own canonical JSON."""
    fields = job.model_dump(mode="json", exclude={"task"})
    fields["task"] = json.loads(canonical_json(job.task))
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def job_hash(job: DilocoJobSpec) -> bytes:
    """keccak256 of :func:`job_json`: the job's ``specHash``."""
    return keccak256(job_json(job))


def parse_job(data: bytes | str | dict[str, Any]) -> DilocoJobSpec:
    """A job from JSON bytes/text or a dict; raises pydantic.ValidationError with the reason."""
    if isinstance(data, dict):
        return DilocoJobSpec.model_validate(data)
    return DilocoJobSpec.model_validate_json(data)


def schedule_of(job: DilocoJobSpec) -> DilocoSchedule:
    """The job's schedule. For a job made by :func:`make_job` its reference runs
    (``run_sequential``, ``run_parallel``) train on the same shard rows as the job's tasks."""
    return DilocoSchedule(
        task=job.task,
        rounds=job.rounds,
        shards=job.shards,
        inner_steps=job.task.steps,
        outer_lr=job.outer_lr,
        outer_momentum=job.outer_momentum,
        nesterov=job.nesterov,
    )


def make_job(schedule: DilocoSchedule) -> tuple[DilocoJobSpec, dict[str, bytes]]:
    """Split the schedule's dataset into its shards (``shard_dataset``) and serialise each as a
    dataset artifact: the job, and each shard dataset's bytes by hash, to upload (or put in the
    local artifact cache) so that ``load_dataset(hash)`` reads the shard back."""
    dataset = load_dataset(schedule.task.dataset)
    schedule.check_dataset(dataset.num_rows)
    artifacts: dict[str, bytes] = {}
    hashes: list[str] = []
    for shard in range(schedule.shards):
        data = dataset_to_bytes(shard_dataset(dataset, schedule.shards, shard))
        digest = content_hash(data)
        artifacts[digest] = data
        hashes.append(digest)
    job = DilocoJobSpec(
        task=schedule.task,
        rounds=schedule.rounds,
        shards=schedule.shards,
        outer_lr=schedule.outer_lr,
        outer_momentum=schedule.outer_momentum,
        nesterov=schedule.nesterov,
        shard_datasets=tuple(hashes),
    )
    return job, artifacts


def _layout(job: DilocoJobSpec, dataset: Dataset | None = None) -> OuterLayout:
    return outer_layout(schedule_of(job), dataset or load_dataset(job.task.dataset))


def initial_global(job: DilocoJobSpec) -> list[NDArray[np.float32]]:
    """Round 0's global state in ``outer_layout``'s slot order: the parameters ``initial_state``
    draws for ``job.task`` (its seed; its ``init`` applies), then a zero outer momentum."""
    return initial_global_state(schedule_of(job), load_dataset(job.task.dataset))


def init_file(named: Mapping[str, NDArray[np.float32]]) -> bytes:
    """The safetensors bytes of ``named`` (float32 tensors by slot name), the same bytes on every
    machine and with every safetensors version: tensors in name order, their data in that order,
    the header canonical JSON (sorted keys, no whitespace, no metadata) padded with spaces to a
    multiple of 8 bytes."""
    header: dict[str, dict[str, Any]] = {}
    chunks: list[bytes] = []
    offset = 0
    for name in sorted(named):
        array = np.asarray(named[name])
        if array.dtype != np.float32:
            raise ValueError(f"tensor {name!r} is {array.dtype}; an init file holds float32 tensors")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"tensor {name!r} holds NaN or infinite values")
        if name == "__metadata__":
            raise ValueError("'__metadata__' is safetensors' metadata key, not a tensor name")
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {
            "data_offsets": [offset, offset + len(data)], "dtype": "F32", "shape": list(array.shape)
        }
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    encoded += b" " * (-len(encoded) % 8)
    return struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks)


def init_digest(data: bytes) -> str:
    """What a spec's ``init`` takes for ``data``: ``"0x"`` + keccak256 of the bytes."""
    return content_hash(data)


def _derived(task: TaskSpec, **changes: object) -> TaskSpec:
    """``task`` with ``changes``, validated again."""
    return TaskSpec.model_validate({**task.model_dump(), **changes})


def _check_round(job: DilocoJobSpec, round_: int) -> None:
    if not 0 <= round_ < job.rounds:
        raise ValueError(f"round must be 0..{job.rounds - 1}, got {round_}")


def _check_global(layout: OuterLayout, global_state: Sequence[NDArray[np.float32]]) -> None:
    slots = layout.slots()[: layout.global_slots]
    if len(global_state) != len(slots):
        raise ValueError(
            f"the global state has {len(slots)} slots (parameters, then outer momentum), "
            f"got {len(global_state)}"
        )
    for slot, value in zip(slots, global_state, strict=True):
        if tuple(value.shape) != slot.shape:
            raise ValueError(f"global slot {slot.name}: shape {tuple(value.shape)}, expected {slot.shape}")


def segment_spec(
    job: DilocoJobSpec, round_: int, shard: int, global_state: Sequence[NDArray[np.float32]]
) -> tuple[TaskSpec, bytes]:
    """Segment ``(round_, shard)``'s spec and its init file (round ``round_``'s global parameters;
    the caller puts it in the artifact store or cache). ``global_state``: parameters then outer
    momentum, as :func:`initial_global` or :func:`global_from_checkpoint` give it."""
    _check_round(job, round_)
    if not 0 <= shard < job.shards:
        raise ValueError(f"shard must be 0..{job.shards - 1}, got {shard}")
    layout = _layout(job, load_dataset(job.shard_datasets[shard]))
    _check_global(layout, global_state)
    data = init_file({p.name: global_state[k] for k, p in enumerate(layout.params)})
    spec = _derived(
        job.task,
        dataset=job.shard_datasets[shard],
        seed=segment_seed(job.task.seed, round_, shard),
        init=init_digest(data),
    )
    return spec, data


def outer_spec(
    job: DilocoJobSpec,
    round_: int,
    global_state: Sequence[NDArray[np.float32]],
    shard_params: Sequence[Sequence[NDArray[np.float32]]],
) -> tuple[TaskSpec, bytes]:
    """Round ``round_``'s outer step: its spec (one step, ``outer`` set) and its init file holding
    every slot: ``global_state``, then each shard's trainable parameters (``shard_params[i]``, as
    :func:`shard_params_from_checkpoint` gives them)."""
    _check_round(job, round_)
    schedule = schedule_of(job)
    layout = _layout(job)
    _check_global(layout, global_state)
    if len(shard_params) != job.shards:
        raise ValueError(
            f"the outer step needs the parameters of {job.shards} shards, got {len(shard_params)}"
        )
    slots = layout.slots()
    values = [*global_state, *(value for params in shard_params for value in params)]
    if len(values) != len(slots):
        raise ValueError(
            f"each shard sends its {len(layout.trainable)} trainable parameters; got "
            f"{[len(params) for params in shard_params]}"
        )
    for slot, value in zip(slots, values, strict=True):
        if tuple(value.shape) != slot.shape:
            raise ValueError(f"{slot.name}: shape {tuple(value.shape)}, expected {slot.shape}")
    data = init_file({slot.name: value for slot, value in zip(slots, values, strict=True)})
    spec = _derived(job.task, steps=1, checkpoint_every=1, outer=schedule.outer, init=init_digest(data))
    return spec, data


def global_from_checkpoint(job: DilocoJobSpec, checkpoint: Checkpoint) -> list[NDArray[np.float32]]:
    """The next round's global state (parameters, then outer momentum) from the final checkpoint of
    an outer task of ``job``; CheckpointError if the checkpoint is not one."""
    params = [n for n in checkpoint.names if n.startswith(PARAM_PREFIX)]
    trainable = [n for n in params if job.task.is_trainable(n)]
    global_names = [*params, *(momentum_slot(n) for n in trainable)]
    shard_names = [shard_slot(i, n) for i in range(job.shards) for n in trainable]
    if list(checkpoint.names) != [*global_names, *shard_names] or checkpoint.step != 1:
        raise CheckpointError(
            f"not the final checkpoint of this job's outer step (step 1, slots {global_names[:2]}… then "
            f"{job.shards} shards'): step {checkpoint.step}, slots {list(checkpoint.names)[:4]}…"
        )
    return [np.array(a, dtype=np.float32) for a in checkpoint.state[: len(global_names)]]


def shard_params_from_checkpoint(job: DilocoJobSpec, checkpoint: Checkpoint) -> list[NDArray[np.float32]]:
    """A segment's trainable parameters, in model order (``outer_layout``'s), from its final
    checkpoint; CheckpointError if the checkpoint is not a segment's last."""
    if checkpoint.step != job.task.steps:
        raise CheckpointError(
            f"a segment's final checkpoint is at step {job.task.steps}, this one at step {checkpoint.step}"
        )
    trainable = [
        j for j, n in enumerate(checkpoint.names) if n.startswith(PARAM_PREFIX) and job.task.is_trainable(n)
    ]
    if not trainable:
        raise CheckpointError("the checkpoint holds none of the job's trainable parameters")
    return [np.array(checkpoint.state[j], dtype=np.float32) for j in trainable]


@dataclass(frozen=True)
class Wiring:
    """What ``DilocoJobs.postJob`` is told (the contract's fields in snake case), and the roots an
    agent checks the job's tasks against."""

    global_slots: int
    """G: the global state's slots, parameters then outer momentum (``outer_layout``)."""
    shard_slots: int
    """T: the trainable parameters a shard sends back."""
    segment_nodes: int
    """Nodes of the segment step graph: the leaves of a segment's ``h_H``."""
    outer_nodes: int
    """Nodes of the outer step graph: the leaves of the outer task's ``h_1``."""
    segment_init: list[int]
    """Per segment state slot: the global slot whose root it starts from, or :data:`CONSTANT_SLOT`."""
    segment_const: list[bytes]
    """Per segment state slot: its constant initial root (fresh optimizer state), else zero bytes."""
    segment_out: list[int]
    """Per trainable parameter: the node (leaf of ``h_H``) holding its final value."""
    outer_out: list[int]
    """Per global slot: the node (leaf of the outer ``h_1``) holding its new value."""
    initial_global: list[bytes]
    """Round 0's global tensor roots."""
    segment_graph_roots: list[bytes]
    """Graph root of segment ``(r, i)`` at ``r * shards + i`` (the seed differs per segment)."""
    shard_dataset_roots: list[bytes]
    outer_graph_root: bytes
    outer_dataset_root: bytes


def _segment_graph(job: DilocoJobSpec, base: StepGraph, round_: int, shard: int) -> StepGraph:
    """The graph of segment ``(round_, shard)``: its shard's graph with the segment's seed (only
    ``BATCH_GATHER``'s descriptor reads it), as ``build_step_graph(segment_spec(...))`` builds it."""
    return dataclasses.replace(base, seed=segment_seed(job.task.seed, round_, shard))


def job_wiring(job: DilocoJobSpec) -> Wiring:
    """The job's :class:`Wiring`. Needs the job's datasets (the whole one and every shard's) in the
    local artifact cache; ValueError if a shard's dataset does not fit the task, or if a segment
    optimizer slot's initial value depends on the seed (it could not be a constant root)."""
    schedule = schedule_of(job)
    full = load_dataset(job.task.dataset)
    layout = outer_layout(schedule, full)
    if layout.global_slots >= CONSTANT_SLOT:
        raise ValueError(
            f"{layout.global_slots} global slots: the contract indexes at most {CONSTANT_SLOT - 1}"
        )
    shards = [load_dataset(name) for name in job.shard_datasets]
    for i, data in enumerate(shards):
        if _layout(job, data).params != layout.params:
            raise ValueError(
                f"shard {i}'s dataset {job.shard_datasets[i]} gives the model other parameter shapes"
            )
        try:
            job.task.check_dataset(data.num_rows)
        except ValueError as exc:
            raise ValueError(f"shard {i}'s dataset {job.shard_datasets[i]}: {exc}") from exc
    graphs = [build_step_graph(job.task, data) for data in shards]
    base = graphs[0]
    slots = state_layout(job.task, shards[0])
    values = initial_values(slots, job.task.seed)
    global_index = {p.name: g for g, p in enumerate(layout.params)}
    segment_init: list[int] = []
    segment_const: list[bytes] = []
    for slot, value in zip(slots, values, strict=True):
        if slot.name in global_index:
            segment_init.append(global_index[slot.name])
            segment_const.append(NO_CONSTANT)
        elif isinstance(slot.init, Constant):
            segment_init.append(CONSTANT_SLOT)
            segment_const.append(tensor_root(value))
        else:
            raise ValueError(
                f"segment slot {slot.name} starts from a seeded value: its root differs per segment and "
                "cannot be a constant of the job"
            )
    producers = {slot.name: slot.producer for slot in base.slots}
    outer = outer_step_graph(schedule, full)
    return Wiring(
        global_slots=layout.global_slots,
        shard_slots=len(layout.trainable),
        segment_nodes=len(base.nodes),
        outer_nodes=len(outer.nodes),
        segment_init=segment_init,
        segment_const=segment_const,
        segment_out=[producers[p.name] for p in layout.trainable],
        outer_out=[slot.producer for slot in outer.slots[: layout.global_slots]],
        initial_global=[tensor_root(a) for a in initial_global_state(schedule, full)],
        segment_graph_roots=[
            graph_root(_segment_graph(job, graphs[i], r, i))
            for r in range(job.rounds)
            for i in range(job.shards)
        ],
        shard_dataset_roots=[data.root for data in shards],
        outer_graph_root=graph_root(outer),
        outer_dataset_root=full.root,
    )


def segment_init_root(wiring: Wiring, global_roots: Sequence[bytes]) -> bytes:
    """A segment's ``h_0`` from the round's global roots, as the contract computes it."""
    if len(global_roots) != wiring.global_slots:
        raise ValueError(f"expected {wiring.global_slots} global roots, got {len(global_roots)}")
    return merkle_root(
        [
            constant if index == CONSTANT_SLOT else global_roots[index]
            for index, constant in zip(wiring.segment_init, wiring.segment_const, strict=True)
        ]
    )


def outer_init_root(global_roots: Sequence[bytes], shard_roots: Sequence[Sequence[bytes]]) -> bytes:
    """The outer task's ``h_0``: ``merkleRoot(global ‖ shard 0 ‖ … ‖ shard N-1)``."""
    return merkle_root([*global_roots, *(root for roots in shard_roots for root in roots)])


def shard_roots_from_leaves(wiring: Wiring, leaves: Sequence[bytes]) -> list[bytes]:
    """A shard's trainable parameter roots, read out of its segment's ``h_H`` leaves."""
    if len(leaves) != wiring.segment_nodes:
        raise ValueError(f"a segment's h_H has {wiring.segment_nodes} leaves, got {len(leaves)}")
    return [leaves[node] for node in wiring.segment_out]


def global_roots_from_leaves(wiring: Wiring, leaves: Sequence[bytes]) -> list[bytes]:
    """The next round's global roots, read out of the outer task's ``h_1`` leaves."""
    if len(leaves) != wiring.outer_nodes:
        raise ValueError(f"the outer step's h_1 has {wiring.outer_nodes} leaves, got {len(leaves)}")
    return [leaves[node] for node in wiring.outer_out]
