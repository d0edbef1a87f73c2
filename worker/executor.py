"""Where training jobs run: in this process (embedded) or on Celery executors (Redis).

The agent only submits jobs and polls them; the executor answers with a `JobStatus`. Both
run the same Celery task (`worker.tasks.train_task`): the embedded one calls it eagerly on a
thread (one at a time: one device), the Celery one queues it for ``worker executor``
processes, one per device, on as many machines as share the broker.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from celery import Celery
from kombu.utils.url import maybe_sanitize_url

from worker.tasks import TRAIN_TASK, JobProgress, TrainingJob, TrainingOutcome, listen, unlisten

log = logging.getLogger(__name__)


class JobState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    UNKNOWN = "unknown"
    """The executor has no record of the job (embedded: not submitted in this process)."""


@dataclass(frozen=True)
class JobStatus:
    state: JobState
    progress: JobProgress | None = None
    outcome: TrainingOutcome | None = None
    error: str = ""


class Executor(Protocol):
    remote: bool
    """True if jobs outlive this process (a restarted agent re-attaches instead of resubmitting)."""

    def submit(self, job: TrainingJob) -> None: ...

    def poll(self, job_id: str) -> JobStatus: ...

    def forget(self, job_id: str) -> None: ...

    def shutdown(self) -> None: ...

    def describe(self) -> str: ...


class EmbeddedExecutor:
    """Runs jobs on one background thread in this process (Celery's eager mode)."""

    remote = False

    def __init__(self, app: Celery) -> None:
        if not app.conf.task_always_eager:
            raise ValueError("the embedded executor needs an eager Celery app (no broker)")
        self.app = app
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="training")
        self._futures: dict[str, Future[TrainingOutcome]] = {}
        self._progress: dict[str, JobProgress] = {}
        self._cancel = threading.Event()
        self._lock = threading.Lock()

    def submit(self, job: TrainingJob) -> None:
        def publish(progress: JobProgress) -> None:
            with self._lock:
                self._progress[job.job_id] = JobProgress.from_json(progress.to_json())

        listen(job.job_id, publish, self._cancel)
        self._futures[job.job_id] = self._pool.submit(self._run, job)

    def _run(self, job: TrainingJob) -> TrainingOutcome:
        try:
            result = self.app.tasks[TRAIN_TASK].apply(args=(job.to_json(),), task_id=job.job_id).get()
            return TrainingOutcome.from_json(result)
        finally:
            unlisten(job.job_id)

    def poll(self, job_id: str) -> JobStatus:
        future = self._futures.get(job_id)
        if future is None:
            return JobStatus(JobState.UNKNOWN)
        with self._lock:
            progress = self._progress.get(job_id)
        if not future.done():
            return JobStatus(JobState.RUNNING if progress else JobState.QUEUED, progress)
        error = future.exception()
        if error is not None:
            return JobStatus(JobState.FAILED, progress, error=f"{type(error).__name__}: {error}")
        return JobStatus(JobState.DONE, progress, outcome=future.result())

    def forget(self, job_id: str) -> None:
        self._futures.pop(job_id, None)
        with self._lock:
            self._progress.pop(job_id, None)

    def shutdown(self) -> None:
        """Stop the running job at its next step (its checkpoints stay for the resume)."""
        self._cancel.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def describe(self) -> str:
        return "embedded (in-process, one job at a time)"


class CeleryExecutor:
    """Queues jobs on the broker for ``worker executor`` processes; progress via the result backend."""

    remote = True

    def __init__(self, app: Celery, queue: str) -> None:
        if app.conf.task_always_eager:
            raise ValueError("the Celery executor needs a broker URL")
        self.app = app
        self.queue = queue

    def submit(self, job: TrainingJob) -> None:
        self.app.send_task(TRAIN_TASK, args=[job.to_json()], task_id=job.job_id, queue=self.queue)

    def poll(self, job_id: str) -> JobStatus:
        # The backend's stored meta, not an AsyncResult: no result subscription to clean up.
        meta = self.app.backend.get_task_meta(job_id)
        state, result = meta.get("status", "PENDING"), meta.get("result")
        if state == "SUCCESS":
            return JobStatus(JobState.DONE, outcome=TrainingOutcome.from_json(meta["result"]))
        if state in ("FAILURE", "REVOKED"):
            return JobStatus(JobState.FAILED, error=f"{state.lower()}: {result!r}")
        if state == "PROGRESS" and isinstance(result, dict):
            return JobStatus(JobState.RUNNING, JobProgress.from_json(result))
        if state in ("STARTED", "RETRY"):
            return JobStatus(JobState.RUNNING)
        return JobStatus(JobState.QUEUED)

    def forget(self, job_id: str) -> None:
        self.app.backend.forget(job_id)

    def shutdown(self) -> None:
        """Jobs keep running on the executors; a restarted agent re-attaches to them."""

    def describe(self) -> str:
        return f"Celery queue {self.queue!r} on {maybe_sanitize_url(self.app.conf.broker_url)}"
