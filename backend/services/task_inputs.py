"""The artifacts a spec names by hash (an uploaded dataset), taken from this backend's own store.

The code that prepares a spec (`tribunal.tasks.prepare_task`) reads them from the machine's
artifact cache (`tribunal.artifact_cache`); the backend fills that cache from its store rather
than over HTTP from itself.
"""

from __future__ import annotations

from backend.artifacts.store import ArtifactStore
from backend.services.errors import BadRequest
from tribunal.artifact_cache import ArtifactNotCached, cached_artifact, store_artifact
from tribunal.spec import TaskSpec
from tribunal.tasks import task_input_digests


class MissingInput(BadRequest):
    """The spec names an artifact this backend does not hold."""

    status_code = 422


def read_artifact(store: ArtifactStore, content_hash: str) -> bytes | None:
    """The stored bytes of ``content_hash`` (None if absent)."""
    size = store.size(content_hash)
    if size is None:
        return None
    return b"".join(store.open_range(content_hash, 0, size - 1)) if size else b""


def cache_task_inputs(store: ArtifactStore | None, spec: TaskSpec) -> None:
    """Copy each artifact ``spec`` names by hash from ``store`` into the local cache, once.
    `MissingInput` names one that is neither cached nor stored."""
    for digest in task_input_digests(spec):
        try:
            cached_artifact(digest)
            continue
        except ArtifactNotCached:
            pass
        data = None if store is None else read_artifact(store, digest)
        if data is None:
            what = "dataset" if digest == spec.dataset else "initial weights (init)"
            how = ("POST /api/datasets, or tribunal dataset add FILE" if what == "dataset"
                   else "the safetensors file, with PUT /api/artifacts/HASH")
            raise MissingInput(f"the spec's {what} {digest} is not in this backend's artifact store: "
                               f"upload it first ({how})")
        if store_artifact(data) != digest:
            raise MissingInput(f"the stored artifact {digest} no longer hashes to its name: upload it again")
