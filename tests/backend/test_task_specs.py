"""The dashboard checks and serves the model of a DiLoCo task (its spec derived, none stored under its
chain hash) like any task's; an ordinary task's spec is read from the store without touching the chain.

Offline: a small job trained task by task (`tests.support.diloco_job`), the backend's store on disk, the
chain's side a stand-in behind a `DilocoSource`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
import safetensors.numpy
from sqlalchemy.orm import Session

from backend.artifacts.store import LocalDiskStore
from backend.db.models import Task as IndexedTask
from backend.services import model_check, model_file
from backend.services.task_specs import DilocoSource, spec_of, store_client
from tests.support.diloco_job import JOBS, OUTER_TASK, FakeJobs, FakeMarket, World, build_world
from tribunal.artifact_cache import CACHE_ENV
from tribunal.chain.diloco_jobs import DilocoJobs
from tribunal.chain.task_market import Task, TaskMarket
from tribunal.diloco import global_from_checkpoint
from tribunal.diloco.resolve import DilocoResolver
from tribunal.merkle import keccak256
from tribunal.models.model_file import read_safetensors_metadata
from tribunal.spec import canonical_json


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("diloco-backend")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(tmp / "cache"))
        yield build_world(tmp)


@pytest.fixture(autouse=True)
def artifact_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _disk(world: World, root: Path) -> LocalDiskStore:
    store = LocalDiskStore(root)
    for data in world.store.values():
        asyncio.run(store.put(_chunks(data), max_bytes=1 << 30))
    return store


class Opened(DilocoSource):
    """A `DilocoSource` whose chain session is already open (the stand-in chain); counts its uses."""

    def __init__(self, world: World, store: LocalDiskStore) -> None:
        self._opened_resolver = DilocoResolver(cast(DilocoJobs, FakeJobs(world)),
                                               cast(TaskMarket, FakeMarket(world.tasks)), store_client(store),
                                               publish=False)
        self.uses = 0

    def resolver(self) -> DilocoResolver | None:
        self.uses += 1
        return self._opened_resolver


def _row(task: Task) -> IndexedTask:
    def hex_(data: bytes) -> str:
        return "0x" + data.hex()

    return IndexedTask(task_id=task.task_id, submitter=task.submitter, status=task.status.name,
                       spec_hash=hex_(task.spec_hash), spec_uri="", steps=task.steps,
                       checkpoint_every=task.checkpoint_every, trace_root=hex_(task.trace_root),
                       model_hash=hex_(task.model_hash), final_state_root=hex_(task.final_state_root))


def test_the_model_of_a_diloco_task_is_checked_and_served_against_its_derived_spec(
    world: World, tmp_path: Path
) -> None:
    store = _disk(world, tmp_path / "artifacts")
    outer = _row(world.tasks[OUTER_TASK])
    unknown = model_check.check(store, outer)
    assert unknown.status == "unavailable" and "not in the artifact store" in unknown.detail

    source = Opened(world, store)
    checked = model_check.check(store, outer, source)
    assert (checked.status, checked.mismatch) == ("matches", None), checked.detail
    indexed = cast(Session, SimpleNamespace(get=lambda model, key: SimpleNamespace(chain_id=31337)))
    data = model_file.safetensors_file(indexed, store, outer, source)
    meta = read_safetensors_metadata(data)
    # the file carries the derived spec (what rebuilds the model) and the chain's h_S and task id
    derived = "0x" + keccak256(canonical_json(world.specs[OUTER_TASK])).hex()
    assert meta["tribunal.spec_hash"] == derived != outer.spec_hash
    assert meta["tribunal.task_id"] == str(OUTER_TASK)
    assert meta["tribunal.final_state_root"] == outer.final_state_root
    params = safetensors.numpy.load(data)
    final = world.checkpoints[OUTER_TASK][-1]
    names = [n for n in final.names if n.startswith("param.")]
    assert sorted(params) == sorted(names)
    global_params = global_from_checkpoint(world.job, final)[: len(names)]
    for name, expected in zip([n for n in final.names if n in params], global_params, strict=True):
        assert params[name].tobytes() == expected.tobytes()


def test_an_ordinary_tasks_spec_is_read_from_the_store_without_the_chain(
    world: World, tmp_path: Path
) -> None:
    store = _disk(world, tmp_path / "artifacts")
    spec = world.specs[1]
    spec_bytes = canonical_json(spec)
    asyncio.run(store.put(_chunks(spec_bytes), max_bytes=1 << 20))
    ordinary = _row(world.tasks[1])
    ordinary.submitter, ordinary.spec_hash = "0x" + "5b" * 20, "0x" + keccak256(spec_bytes).hex()
    source = Opened(world, store)
    assert spec_of(store, ordinary, source) == spec and source.uses == 0
    # the DiLoCo segment itself (submitted by the jobs contract, no spec stored) is derived
    assert world.tasks[1].submitter == JOBS
    assert spec_of(store, _row(world.tasks[1]), source) == spec and source.uses == 1
