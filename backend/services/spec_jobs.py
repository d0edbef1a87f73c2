"""Spec jobs: the record of a spec whose roots a background job computes, shared by every API
process and the Celery worker through the database.

A job is ``pending`` when posted, ``running`` once a worker picks it up, then ``done`` (with the
spec's commitments) or ``failed`` (with the reason). One that is neither done nor failed within the
backend's job timeout is reported failed (its worker stopped, or the queue is too long), and recorded
so when it is read: the outcome is final, so a worker that finishes it late changes nothing, and a
repost starts a new job (the content-addressed store keeps one copy of the spec either way).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.db.models import SpecJob
from backend.services.errors import NotFound

JobStatus = Literal["pending", "running", "done", "failed"]
PENDING: Final = "pending"
RUNNING: Final = "running"
DONE: Final = "done"
FAILED: Final = "failed"
LIVE = (PENDING, RUNNING)


@dataclass(frozen=True)
class JobView:
    """A job as clients see it: a live job past its timeout reads as failed."""

    id: str
    spec_hash: str
    status: JobStatus
    result: dict[str, Any] | None
    error: str | None
    created_at: float
    elapsed_s: float


def view(job: SpecJob, timeout_s: float, now: float | None = None) -> JobView:
    now = time.time() if now is None else now
    status, error = cast(JobStatus, job.status), job.error
    elapsed = (job.finished_at if job.finished_at is not None else now) - job.created_at
    if status in LIVE and elapsed > timeout_s:
        status, elapsed = FAILED, timeout_s
        error = (f"not done within {timeout_s:g} s of being posted (still {job.status}): the jobs "
                 "worker may be stopped or busy; post the spec again")
    return JobView(job.id, job.spec_hash, status, job.result if status == DONE else None, error,
                   job.created_at, max(0.0, elapsed))


def _seen(session: Session, job: SpecJob, timeout_s: float) -> JobView:
    """`view`, recording a live job past its timeout as failed, as it has been reported."""
    seen = view(job, timeout_s)
    if job.status not in LIVE or seen.status != FAILED:
        return seen
    job_id, gave_up_at = job.id, job.created_at + timeout_s
    session.rollback()  # a write after this session's reads: on SQLite, from a fresh snapshot
    session.execute(update(SpecJob).where(SpecJob.id == job_id, SpecJob.status.in_(LIVE))
                    .values(status=FAILED, error=seen.error, finished_at=gave_up_at))
    session.commit()
    recorded = session.get(SpecJob, job_id)
    assert recorded is not None  # INVARIANT: jobs are never deleted
    return view(recorded, timeout_s)  # done, if its worker finished in between


def get(session: Session, job_id: str, timeout_s: float) -> JobView:
    job = session.get(SpecJob, job_id)
    if job is None:
        raise NotFound(f"no spec job {job_id}: POST the spec to /api/specs to start one")
    return _seen(session, job, timeout_s)


def reusable(session: Session, spec_hash: str, timeout_s: float) -> JobView | None:
    """A job that spares a new one: the spec prepared already (done), else a live job within its
    time. Failed and timed-out jobs are not reused: posting again retries."""
    done = session.scalars(
        select(SpecJob).where(SpecJob.spec_hash == spec_hash, SpecJob.status == DONE).limit(1)
    ).first()
    if done is not None:
        return view(done, timeout_s)
    newest = session.scalars(
        select(SpecJob).where(SpecJob.spec_hash == spec_hash).order_by(SpecJob.created_at.desc()).limit(1)
    ).first()
    if newest is not None:
        seen = _seen(session, newest, timeout_s)
        if seen.status in LIVE:
            return seen
    return None


def create(session: Session, spec_hash: str) -> JobView:
    session.rollback()  # a write after this session's reads: on SQLite, from a fresh snapshot
    job = SpecJob(id=uuid.uuid4().hex, spec_hash=spec_hash, status=PENDING, created_at=time.time())
    session.add(job)
    session.commit()
    return view(job, float("inf"))


def start(session: Session, job_id: str) -> bool:
    """Mark the job running; False if it is no longer live (done, failed or gone)."""
    started = session.execute(
        update(SpecJob).where(SpecJob.id == job_id, SpecJob.status.in_(LIVE))
        .values(status=RUNNING, started_at=time.time())
    )
    session.commit()
    return bool(getattr(started, "rowcount", 0))


def finish(session: Session, job_id: str, result: dict[str, Any]) -> bool:
    """Record the job done; False if it is no longer live (it was reported failed meanwhile)."""
    return _end(session, job_id, status=DONE, result=result, error=None)


def fail(session: Session, job_id: str, error: str) -> bool:
    """Record the job failed; False if it is no longer live."""
    return _end(session, job_id, status=FAILED, error=error)


def _end(session: Session, job_id: str, **outcome: Any) -> bool:
    session.rollback()
    ended = session.execute(update(SpecJob).where(SpecJob.id == job_id, SpecJob.status.in_(LIVE))
                            .values(finished_at=time.time(), **outcome))
    session.commit()
    return bool(getattr(ended, "rowcount", 0))
