"""A result's checked model as the dashboard hands it over (GET /api/tasks/{id}/model/safetensors).

Only once `model_check.check` finds the file the model hash names to be the committed final state
``h_S``: its parameters (the ``param.…`` slots; the optimizer's state is not the model) as safetensors,
named by their slots, with the spec, the model's sizes and what the chain verified in the metadata
(`tribunal.models.model_file`), so `tribunal.models.to_torch` loads the file alone, without the
training data.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.artifacts.store import ArtifactStore
from backend.db.models import IndexerState, Task
from backend.services import model_check
from backend.services.errors import Conflict, NotFound, ServiceError, Unavailable
from backend.services.task_inputs import cache_task_inputs, read_artifact
from backend.services.task_specs import DilocoSource, spec_of
from tribunal.checkpoints import Checkpoint, CheckpointError
from tribunal.datasets import load_dataset
from tribunal.models import model_dims
from tribunal.models.model_file import ModelCard, ModelProvenance, ModelSizes, safetensors_bytes
from tribunal.task_fetch import SpecUnavailable, TaskMismatch


def filename(task_id: int) -> str:
    """The name the download is saved under."""
    return f"task-{task_id}.safetensors"


def safetensors_file(session: Session, store: ArtifactStore, task: Task,
                     diloco: DilocoSource | None = None) -> bytes:
    """The parameters of ``task``'s checked model as safetensors (its spec derived by ``diloco`` when the
    DiLoCo jobs contract posted the task). `NotFound` without a result or while the file (or its spec)
    is not in the artifact store (ask again later), `Conflict` when the file is refused (not the
    committed final state)."""
    checked = model_check.check(store, task, diloco)
    if checked.status in ("no_result", "unavailable"):
        raise NotFound(checked.detail)
    if checked.status == "mismatch":
        raise Conflict(checked.detail)
    assert task.model_hash is not None and task.trace_root is not None and task.final_state_root is not None
    data = read_artifact(store, task.model_hash)
    try:
        spec = spec_of(store, task, diloco)
    except SpecUnavailable as exc:
        raise NotFound(f"the spec of task {task.task_id} is no longer available: {exc}") from exc
    except TaskMismatch as exc:
        raise Unavailable(f"the checked model of task {task.task_id} cannot be converted: {exc}") from exc
    if data is None:
        raise NotFound(f"the checkpoint {task.model_hash} is no longer in the artifact store")
    state = session.get(IndexerState, 1)
    if state is None:
        raise Unavailable("the indexer has not recorded the chain yet; retry in a moment")
    spec_hash = bytes.fromhex(task.spec_hash[2:])
    try:
        checkpoint = Checkpoint.from_bytes(data)
        cache_task_inputs(store, spec)
        sizes = ModelSizes.of(model_dims(spec, load_dataset(spec.dataset)))
    except (CheckpointError, ValueError, ServiceError) as exc:
        raise Unavailable(f"the checked model of task {task.task_id} cannot be converted: {exc}") from exc
    provenance = ModelProvenance(task.task_id, state.chain_id, spec_hash,
                                 bytes.fromhex(task.final_state_root[2:]), bytes.fromhex(task.trace_root[2:]),
                                 bytes.fromhex(task.model_hash[2:]))
    return safetensors_bytes(dict(zip(checkpoint.names, checkpoint.state, strict=True)),
                             ModelCard(spec, sizes, provenance))
