"""Whether the file a result's model hash names is its committed final state (GET /api/tasks/{id}/model).

A result's model is ``h_S``, the final state commitment `submitResult` checked to be leaf S of the
trace root; the model hash only locates the final checkpoint in the artifact store
(`tribunal.model_check`). Before the dashboard offers that file for download, the server checks
it the way every client does: its state must be the on-chain ``h_S`` and its ``h_0..h_S`` must hash
to the trace root. Artifacts are content-addressed and a result's roots never change, so a verdict
on a file that was found is kept (per process); "unavailable" is asked again each time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from backend.artifacts.store import ArtifactStore
from backend.db.models import Task
from backend.services.errors import BadRequest
from backend.services.task_inputs import cache_task_inputs, read_artifact
from backend.services.task_specs import DilocoSource, spec_of
from tribunal.checkpoint_manifest import Unpublished
from tribunal.graph import StepGraph
from tribunal.model_check import ModelMismatch, check_model_bytes, task_graph
from tribunal.task_fetch import SpecUnavailable, TaskMismatch

Status = Literal["matches", "mismatch", "unavailable", "no_result"]
CACHE_SIZE = 256


@dataclass(frozen=True)
class ModelCheck:
    status: Status
    detail: str
    mismatch: str | None = None
    """What differs when ``status`` is "mismatch" (`tribunal.checkpoint_manifest.ModelMismatch.what`)."""


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Lru(Generic[K, V]):
    """A small thread-safe least-recently-stored cache."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_verdicts: _Lru[tuple[str, ...], ModelCheck] = _Lru(CACHE_SIZE)
_graphs: _Lru[str, StepGraph] = _Lru(CACHE_SIZE // 8)


def _graph(store: ArtifactStore, task: Task, diloco: DilocoSource | None) -> StepGraph | str:
    """The step graph of the task's spec (stored, or derived for a DiLoCo task), or why it cannot be
    had."""
    known = _graphs.get(task.spec_hash)
    if known is not None:
        return known
    try:
        spec = spec_of(store, task, diloco)
        cache_task_inputs(store, spec)
        graph = task_graph(spec)
    except SpecUnavailable as exc:
        return f"the task's spec is not in the artifact store, so the file cannot be checked: {exc}"
    except (TaskMismatch, ValueError, BadRequest, Unpublished) as exc:
        return f"the task's spec cannot be read: {exc}"
    _graphs.put(task.spec_hash, graph)
    return graph


def check(store: ArtifactStore, task: Task, diloco: DilocoSource | None = None) -> ModelCheck:
    """Whether the file ``task.model_hash`` names is the result's committed final state (checked against
    the spec ``diloco`` derives when the DiLoCo jobs contract posted the task)."""
    if task.model_hash is None or task.trace_root is None:
        return ModelCheck("no_result", f"task {task.task_id} has no submitted result")
    if task.final_state_root is None:
        return ModelCheck("unavailable", "the result was indexed without its final state root (a database "
                          "from before migration 0004): re-index to check the model")
    key = (task.model_hash, task.final_state_root, task.trace_root, task.spec_hash, str(task.steps))
    known = _verdicts.get(key)
    if known is not None:
        return known
    data = read_artifact(store, task.model_hash)
    if data is None:
        return ModelCheck("unavailable",
                          f"the checkpoint {task.model_hash} is not in the artifact store (yet)")
    graph = _graph(store, task, diloco)
    if isinstance(graph, str):
        return ModelCheck("unavailable", graph)
    try:
        # a DiLoCo task's checkpoints carry the chain's spec hash, not the derived spec's
        check_model_bytes(data, model_hash=bytes.fromhex(task.model_hash[2:]),
                          spec_hash=bytes.fromhex(task.spec_hash[2:]), graph=graph, steps=task.steps,
                          trace_root=bytes.fromhex(task.trace_root[2:]),
                          final_state_root=bytes.fromhex(task.final_state_root[2:]))
    except ModelMismatch as exc:
        verdict = ModelCheck("mismatch", f"refused: the file does not match the committed final state: {exc}",
                             exc.what)
    else:
        verdict = ModelCheck("matches", "the file's state is the committed final state h_S, and its "
                             "h_0..h_S hash to the trace root")
    _verdicts.put(key, verdict)
    return verdict
