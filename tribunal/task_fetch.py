"""Fetch a task's spec and check it against what the chain holds, before anyone works on it.

The chain holds the spec hash and the roots (dataset, initial state, step graph); the spec
itself lives in the artifact store under its hash (``specURI`` says where else to look). A
spec is usable only if its bytes hash to the on-chain spec hash, they are the spec's canonical
form, and ``prepare_task`` reproduces every on-chain root: otherwise the task can't be
trained or defended, and an operator must not claim it (a verifier must not judge it).

A task posted by the DiLoCo jobs contract has no spec in the store: its spec is derived from the
job's document and the chain (`tribunal.diloco.resolve`), then checked against the chain's roots
the same way.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import httpx
from pydantic import ValidationError

from tribunal.artifact_cache import ArtifactNotCached
from tribunal.artifact_client import ArtifactClient, ArtifactError, content_hash
from tribunal.chain.task_market import Task
from tribunal.spec import TaskSpec, canonical_json, parse_spec
from tribunal.tasks import PreparedTask, fetch_task_inputs, prepare_task

if TYPE_CHECKING:
    from tribunal.diloco.resolve import DilocoResolver

log = logging.getLogger(__name__)


class SpecUnavailable(RuntimeError):
    """The spec could not be fetched now (store down, not uploaded yet): try again later."""


class TaskMismatch(ValueError):
    """The spec does not match the chain: never work on this task. The message says why."""


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def fetch_spec_bytes(spec_hash: bytes, spec_uri: str, store: ArtifactClient | None) -> bytes:
    """The spec's bytes, from the artifact store by hash or else from an http(s) ``spec_uri``;
    only bytes hashing to ``spec_hash`` are returned."""
    wanted = _hex(spec_hash)
    problems: list[str] = []
    if store is not None:
        try:
            return store.download(wanted)
        except (ArtifactError, httpx.HTTPError) as exc:
            problems.append(f"artifact store {store.base_url}: {exc}")
    if spec_uri.startswith(("http://", "https://")):
        try:
            response = httpx.get(spec_uri, timeout=30.0, follow_redirects=True)
            response.raise_for_status()
            if content_hash(response.content) == wanted:
                return response.content
            problems.append(f"{spec_uri} served bytes hashing to {content_hash(response.content)}")
        except httpx.HTTPError as exc:
            problems.append(f"{spec_uri}: {exc}")
    elif store is None:
        problems.append(f"no artifact store configured and spec URI {spec_uri!r} is not http(s)")
    raise SpecUnavailable(f"spec {wanted} not available: " + "; ".join(problems))


def parse_task_spec(data: bytes, spec_hash: bytes) -> TaskSpec:
    """Parse spec bytes and check they are the canonical form committed by ``spec_hash``."""
    try:
        spec = parse_spec(data)
    except (ValidationError, ValueError) as exc:
        raise TaskMismatch(f"the spec with hash {_hex(spec_hash)} is not a valid task spec: {exc}") from exc
    if canonical_json(spec) != data:
        raise TaskMismatch(f"the spec with hash {_hex(spec_hash)} is not in canonical form")
    return spec


def task_spec(task: Task, spec_uri: str, store: ArtifactClient | None,
              diloco: DilocoResolver | None = None) -> TaskSpec:
    """The spec of ``task``, whoever reads it (an agent, the model download, the dashboard): the stored
    one, its bytes hashing to the on-chain spec hash; or, for a task posted by ``diloco``'s jobs
    contract, the derived one (its ``init`` file then in this machine's artifact cache). Raises
    SpecUnavailable (retry later) or TaskMismatch (never work on it). The spec's roots are checked
    against the chain's by `check_roots`, once prepared."""
    if diloco is not None and diloco.owns(task):
        return _derived_spec(task, diloco)
    return parse_task_spec(fetch_spec_bytes(task.spec_hash, spec_uri, store), task.spec_hash)


def _derived_spec(task: Task, diloco: DilocoResolver) -> TaskSpec:
    from tribunal.diloco.resolve import NotReady

    try:
        spec, _ = diloco.spec(task)
    except NotReady as exc:
        raise SpecUnavailable(f"task {task.task_id}: {exc}") from exc
    except ValueError as exc:
        raise TaskMismatch(f"task {task.task_id}: {exc}") from exc
    return spec


def check_roots(task: Task, prepared: PreparedTask) -> None:
    """Raise TaskMismatch naming every on-chain field the prepared spec does not reproduce."""
    pairs = [
        ("spec hash", prepared.spec_hash, task.spec_hash),
        ("dataset root", prepared.dataset_root, task.dataset_root),
        ("initial-state root", prepared.init_state_root, task.init_state_root),
        ("graph root", prepared.graph_root, task.graph_root),
    ]
    wrong = [f"{name} {_hex(mine)} ≠ on-chain {_hex(chain)}" for name, mine, chain in pairs if mine != chain]
    if prepared.spec.steps != task.steps:
        wrong.append(f"steps {prepared.spec.steps} ≠ on-chain {task.steps}")
    if prepared.spec.checkpoint_every != task.checkpoint_every:
        wrong.append(f"checkpoint_every {prepared.spec.checkpoint_every} ≠ on-chain {task.checkpoint_every}")
    if wrong:
        raise TaskMismatch(f"task {task.task_id}: the spec does not reproduce the chain's commitments: "
                           + "; ".join(wrong))


class TaskPreparer:
    """``prepare(task, spec_uri)``: fetched, parsed, prepared and checked, with a small cache
    (preparing loads the dataset and builds the graph; a worker needs it to screen, train and
    defend the same task)."""

    def __init__(self, store: ArtifactClient | None, cache_size: int = 16,
                 diloco: DilocoResolver | None = None) -> None:
        self.store = store
        self.diloco = diloco
        self.cache_size = cache_size
        self._cache: OrderedDict[bytes, PreparedTask] = OrderedDict()
        self._lock = threading.Lock()

    def prepare(self, task: Task, spec_uri: str) -> PreparedTask:
        """Raises SpecUnavailable (retry later) or TaskMismatch (refuse the task)."""
        with self._lock:
            cached = self._cache.get(task.spec_hash)
        if cached is None:
            derived = self.diloco is not None and self.diloco.owns(task)
            spec = task_spec(task, spec_uri, self.store, self.diloco)
            try:
                fetch_task_inputs(spec, self.store)
            except ArtifactNotCached as exc:
                raise SpecUnavailable(f"task {task.task_id}: {exc}") from exc
            try:
                cached = prepare_task(spec, spec_uri)
            except (KeyError, ValueError) as exc:
                raise TaskMismatch(f"task {task.task_id}: the spec cannot be prepared: {exc}") from exc
            if derived:
                # the chain names a DiLoCo task by (job, round, slot), not by the derived spec's hash:
                # checkpoints, manifests and games key on the chain's
                cached = dataclasses.replace(cached, spec_hash=task.spec_hash, derived=True)
            with self._lock:
                self._cache[task.spec_hash] = cached
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        check_roots(task, cached)
        return cached
