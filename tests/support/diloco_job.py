"""A small DiLoCo job trained task by task, and a stand-in for the chain's side of it: what
`tribunal.diloco.resolve.DilocoResolver` reads of `DilocoJobs` and `TaskMarket`, for tests that derive
its tasks' specs offline (`tribunal.chain.task_market.Task` values built by hand)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import torch

from tests.diloco.schedules import tiny_schedule
from tribunal.artifact_cache import store_artifact
from tribunal.artifact_client import ArtifactClient
from tribunal.chain.diloco_jobs import OUTER_INDEX, DilocoJobs, TaskRef
from tribunal.chain.task_market import Task, TaskMarket
from tribunal.checkpoints import Checkpoint, LocalCheckpointStore
from tribunal.diloco import (
    DilocoJobSpec,
    initial_global,
    job_hash,
    job_json,
    job_wiring,
    make_job,
    outer_spec,
    segment_spec,
    shard_params_from_checkpoint,
)
from tribunal.diloco.resolve import DilocoResolver, task_spec_hash
from tribunal.protocol_enums import TaskStatus
from tribunal.spec import TaskSpec
from tribunal.tasks import prepare_task
from tribunal.training import train

CPU = torch.device("cpu")
JOBS = "0x" + "d1" * 20
JOB_ID = 1
SHARDS = 2
OUTER_TASK = SHARDS + 1  # segments are tasks 1..SHARDS


@dataclass
class World:
    job: DilocoJobSpec
    tasks: dict[int, Task]
    specs: dict[int, TaskSpec]
    """Each task's derived spec."""
    checkpoints: dict[int, list[Checkpoint]]
    """Each task's checkpoints, step 1 first; the last is its model file."""
    store: dict[str, bytes]
    """What the artifact store holds: the job document, the shard datasets and every model file."""


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _task(task_id: int, spec: TaskSpec, chain_hash: bytes, tmp: Path) -> tuple[Task, list[Checkpoint]]:
    """Train ``spec`` as the operator of a task named ``chain_hash`` on-chain; the finalised task."""
    prepared = prepare_task(spec, "spec://diloco")
    checkpoints = LocalCheckpointStore(tmp / "checkpoints")
    result = train(spec, dataset=prepared.dataset, device=CPU, store=checkpoints, spec_key=chain_hash)
    saved = [checkpoints.get(result.checkpoints[step]) for step in sorted(result.checkpoints)]
    task = Task(task_id, JOBS, 0, spec.steps, "0x" + "0e" * 20, 600, spec.checkpoint_every,
                TaskStatus.FINALIZED, 0, 0, 0, 10**18, 10**18, chain_hash, prepared.dataset_root,
                prepared.init_state_root, prepared.graph_root, result.trace_root, result.model_hash,
                result.state_commitments[-1])
    return task, saved


def build_world(tmp: Path) -> World:
    """Train a one-round job of SHARDS shards task by task (the artifact cache must be set to a
    temporary directory); its tasks finalised."""
    job, inputs = make_job(tiny_schedule(rounds=1, shards=SHARDS, inner_steps=2))
    store = {**inputs, _hex(job_hash(job)): job_json(job)}
    for data in inputs.values():
        store_artifact(data)
    tasks, specs, checkpoints = {}, {}, {}
    global_state = initial_global(job)
    for shard in range(SHARDS):
        spec, init = segment_spec(job, 0, shard, global_state)
        store_artifact(init)
        task_id = 1 + shard
        chain_hash = task_spec_hash(job_hash(job), 0, shard)
        tasks[task_id], checkpoints[task_id] = _task(task_id, spec, chain_hash, tmp)
        specs[task_id] = spec
    shards = [shard_params_from_checkpoint(job, checkpoints[1 + s][-1]) for s in range(SHARDS)]
    spec, init = outer_spec(job, 0, global_state, shards)
    store_artifact(init)
    tasks[OUTER_TASK], checkpoints[OUTER_TASK] = _task(
        OUTER_TASK, spec, task_spec_hash(job_hash(job), 0, OUTER_INDEX), tmp)
    specs[OUTER_TASK] = spec
    for saved in checkpoints.values():
        store[_hex(saved[-1].content_hash)] = saved[-1].to_bytes()
    return World(job, tasks, specs, checkpoints, store)


class FakeJobs:
    """The reads `DilocoResolver` makes of `DilocoJobs`, answered for the world's one job."""

    address = JOBS

    def __init__(self, world: World) -> None:
        self.world = world

    def task_ref(self, task_id: int) -> TaskRef | None:
        if task_id == OUTER_TASK:
            return TaskRef(JOB_ID, 0, OUTER_INDEX)
        return TaskRef(JOB_ID, 0, task_id - 1) if task_id in self.world.tasks else None

    def get_job(self, job_id: int) -> Any:
        return SimpleNamespace(spec_hash=job_hash(self.world.job))

    def wiring_of(self, job_id: int) -> Any:
        return job_wiring(self.world.job)

    def segment_task(self, job_id: int, round_: int, shard: int) -> int:
        return 1 + shard

    def outer_task(self, job_id: int, round_: int) -> int:
        return OUTER_TASK


class FakeMarket:
    """The reads of `TaskMarket` that `DilocoResolver` and `tribunal task model` make."""

    def __init__(self, tasks: dict[int, Task]) -> None:
        self.tasks = tasks

    def task(self, task_id: int) -> Task:
        return self.tasks[task_id]

    def task_count(self) -> int:
        return len(self.tasks)

    def spec_uri(self, task_id: int, from_block: int = 0) -> str:
        return "diloco://job"


def artifact_store(files: dict[str, bytes]) -> ArtifactClient:
    """An artifact store serving ``files``."""
    def serve(request: httpx.Request) -> httpx.Response:
        data = files.get(request.url.path.rsplit("/", 1)[-1])
        return httpx.Response(404) if data is None else httpx.Response(200, content=data)

    return ArtifactClient("http://store.test", http=httpx.Client(transport=httpx.MockTransport(serve)))


def fake_resolver(world: World, tasks: dict[int, Task] | None = None,
              files: dict[str, bytes] | None = None) -> DilocoResolver:
    """The real resolver over the stand-in chain and an artifact store serving ``files`` (default:
    the world's store)."""
    market = FakeMarket(tasks or world.tasks)
    return DilocoResolver(cast(DilocoJobs, FakeJobs(world)), cast(TaskMarket, market),
                          artifact_store(world.store if files is None else files), publish=False)
