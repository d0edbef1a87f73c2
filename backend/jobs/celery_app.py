"""The Celery application and its tasks.

With ``TRIBUNAL_CELERY_BROKER_URL`` (e.g. ``redis://127.0.0.1:6379/0``) the API queues jobs and
``celery -A backend.jobs.worker worker -B`` runs them (``-B`` also schedules the stats
aggregation). Without it, `Jobs` runs the same tasks in-process on a background thread and a timer
schedules the aggregation: nothing to start, nothing lost but parallelism.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from celery import Celery, Task

from backend.artifacts.store import LocalDiskStore
from backend.db.engine import make_engine, session_factory
from backend.jobs import work
from backend.jobs.work import JobResources
from backend.settings import BackendSettings, get_settings

log = logging.getLogger(__name__)


VERIFY_ARTIFACT = "tribunal.verify_artifact"
AGGREGATE_STATS = "tribunal.aggregate_stats"
PREPARE_SPEC = "tribunal.prepare_spec"


def make_celery(settings: BackendSettings) -> Celery:
    """A Celery app with the backend's tasks; eager (in-process) when no broker is configured."""
    broker = settings.celery_broker_url
    app = Celery("tribunal", broker=broker or "memory://", set_as_current=False)
    app.conf.update(
        task_always_eager=broker is None,
        task_eager_propagates=True,
        task_ignore_result=True,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        beat_schedule={
            "aggregate-stats": {"task": AGGREGATE_STATS, "schedule": settings.stats_interval_s},
        },
    )
    app.task(name=VERIFY_ARTIFACT, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)(
        verify_artifact
    )
    app.task(name=AGGREGATE_STATS)(aggregate_stats)
    app.task(name=PREPARE_SPEC)(prepare_spec)
    return app


_resources: JobResources | None = None
_resources_lock = threading.Lock()


def configure(resources: JobResources) -> None:
    """Use these resources for tasks run in this process (the API does this at start-up)."""
    global _resources
    _resources = resources


def resources() -> JobResources:
    """The resources of this process; a Celery worker builds them from the environment."""
    global _resources
    with _resources_lock:
        if _resources is None:
            settings = get_settings()
            _resources = JobResources(
                sessions=session_factory(make_engine(settings.database_url)),
                store=LocalDiskStore(settings.artifact_dir),
            )
        return _resources


def verify_artifact(content_hash: str) -> bool:
    return work.verify_artifact(resources(), content_hash)


def aggregate_stats() -> int:
    return work.aggregate_stats(resources())


def prepare_spec(job_id: str, spec_json: str) -> str:
    return work.prepare_spec(resources(), job_id, spec_json)


class Jobs:
    """Hands jobs to Celery's broker, or runs them on an in-process thread when there is none."""

    def __init__(self, app: Celery) -> None:
        self.app = app
        self.embedded = bool(app.conf.task_always_eager)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobs") if self.embedded else None
        self._timer_stop = threading.Event()
        self._timer: threading.Thread | None = None
        self._last_soon = float("-inf")

    def _submit(self, task: Task, *args: Any) -> Future[Any] | None:
        if self._pool is not None:
            return self._pool.submit(self._run_eagerly, task, args)
        task.apply_async(args=args)
        return None

    @staticmethod
    def _run_eagerly(task: Task, args: tuple[Any, ...]) -> Any:
        try:
            return task.apply(args=args).get()
        except Exception:
            log.exception("job %s%s failed", task.name, args)
            raise

    def verify_artifact(self, content_hash: str) -> Future[Any] | None:
        return self._submit(self.app.tasks[VERIFY_ARTIFACT], content_hash)

    def aggregate_stats(self) -> Future[Any] | None:
        return self._submit(self.app.tasks[AGGREGATE_STATS])

    def prepare_spec(self, job_id: str, spec_json: str) -> Future[Any] | None:
        """Compute a posted spec's roots (`work.prepare_spec`); the outcome goes to the job's record."""
        return self._submit(self.app.tasks[PREPARE_SPEC], job_id, spec_json)

    def aggregate_stats_soon(self, min_interval_s: float = 2.0) -> None:
        """Refresh the stats after new data, at most once per `min_interval_s` (the indexer calls
        this after each batch, so /api/stats follows the chain without waiting for the schedule)."""
        now = time.monotonic()
        if now - self._last_soon >= min_interval_s:
            self._last_soon = now
            self.aggregate_stats()

    def start_schedule(self, interval_s: float) -> None:
        """Embedded mode: aggregate the stats every `interval_s` (Celery beat does it otherwise)."""
        if not self.embedded or self._timer is not None:
            return

        def tick() -> None:
            self.aggregate_stats()  # at start-up, so /api/stats has a snapshot to serve at once
            while not self._timer_stop.wait(interval_s):
                self.aggregate_stats()

        self._timer = threading.Thread(target=tick, name="jobs-schedule", daemon=True)
        self._timer.start()

    def shutdown(self) -> None:
        self._timer_stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
