"""A task's spec as the backend reads it: `tribunal.task_fetch.task_spec` over this backend's own store.

An ordinary task's spec is in the store under its on-chain spec hash. A task the DiLoCo jobs contract
posted has none there: its spec is derived from the job's document and the chain
(`tribunal.diloco.resolve`), so the backend opens a read-only chain session for it, once, on the first
such task (`DilocoSource`). Both read artifacts from the store through `store_client`, without HTTP to
the backend itself.
"""

from __future__ import annotations

import threading

import httpx

from backend.artifacts.store import ArtifactStore
from backend.db.models import Task
from backend.services.task_inputs import read_artifact
from backend.settings import BackendSettings
from tribunal.artifact_client import ArtifactClient
from tribunal.chain import task_market
from tribunal.chain.deployment import DeploymentError
from tribunal.chain.session import open_session
from tribunal.diloco.resolve import DilocoResolver
from tribunal.protocol_enums import TaskStatus
from tribunal.spec import TaskSpec
from tribunal.task_fetch import SpecUnavailable, task_spec

ARTIFACTS_PATH = "/api/artifacts/"


class StoreTransport(httpx.BaseTransport):
    """Answers an `ArtifactClient`'s downloads (``GET {base}/api/artifacts/HASH``) from ``store``;
    read-only (anything else is 405)."""

    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method not in ("GET", "HEAD") or not path.startswith(ARTIFACTS_PATH):
            return httpx.Response(405, json={"detail": "this backend's store is read here, not written"})
        data = read_artifact(self.store, path[len(ARTIFACTS_PATH):])
        if data is None:
            return httpx.Response(404, json={"detail": "not in this backend's artifact store"})
        return httpx.Response(200, content=b"" if request.method == "HEAD" else data)


def store_client(store: ArtifactStore) -> ArtifactClient:
    """An `ArtifactClient` whose downloads read ``store`` in-process."""
    return ArtifactClient("backend-store://local", http=httpx.Client(transport=StoreTransport(store)))


class DilocoSource:
    """The `DilocoResolver` of the deployment's DiLoCo jobs contract, over a read-only chain session
    opened on first use (None when the deployment has no such contract). A failure to open is not
    kept: the next call tries again."""

    def __init__(self, settings: BackendSettings, store: ArtifactStore) -> None:
        self.settings = settings
        self.store = store
        self._lock = threading.Lock()
        self._resolver: DilocoResolver | None = None
        self._opened = False

    def resolver(self) -> DilocoResolver | None:
        with self._lock:
            if not self._opened:
                try:
                    session = open_session(self.settings.rpc_url, self.settings.deployment, read_only=True)
                except (DeploymentError, OSError) as exc:
                    raise SpecUnavailable(f"the chain at {self.settings.rpc_url} cannot be read to derive a "
                                          f"DiLoCo task's spec: {exc}") from exc
                if session.diloco_jobs is not None:
                    self._resolver = DilocoResolver(session.diloco_jobs, session.market,
                                                    store_client(self.store), publish=False)
                self._opened = True
            return self._resolver


def chain_task(row: Task) -> task_market.Task:
    """The indexed task as `tribunal.chain.task_market.Task`; zeros for what the row does not hold (no
    result yet, or a row built with only the fields a model check reads)."""
    def raw(value: str | None) -> bytes:
        return bytes.fromhex(value[2:]) if value else bytes(32)

    return task_market.Task(
        row.task_id, row.submitter or "", row.deadline or 0, row.steps or 0, row.operator or "",
        row.challenge_window or 0, row.checkpoint_every or 0,
        TaskStatus[row.status] if row.status else TaskStatus.NONE, row.claimed_at or 0,
        row.submitted_at or 0, row.open_disputes or 0, row.reward or 0, row.min_stake or 0,
        raw(row.spec_hash), raw(row.dataset_root), raw(row.init_state_root), raw(row.graph_root),
        raw(row.trace_root), raw(row.model_hash), raw(row.final_state_root))


def spec_of(store: ArtifactStore, row: Task, diloco: DilocoSource | None) -> TaskSpec:
    """The spec of the indexed task ``row``: stored, or derived when the DiLoCo jobs contract posted it
    (the chain is read only for a task whose spec is not stored). Raises
    `tribunal.task_fetch.SpecUnavailable` (ask again later) or `TaskMismatch`."""
    resolver = diloco.resolver() if diloco is not None and store.size(row.spec_hash) is None else None
    # no spec URI: the backend reads its own store, never a URL a task's submitter chose
    with store_client(store) as client:
        try:
            return task_spec(chain_task(row), "", client, resolver)
        except OSError as exc:
            raise SpecUnavailable(f"task {row.task_id}: the chain could not be read to derive its spec: "
                                  f"{exc}") from exc
