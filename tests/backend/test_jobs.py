"""Background jobs: Celery with the real Redis broker, and the in-process runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from backend.artifacts.store import LocalDiskStore
from backend.db.engine import make_engine, session_factory
from backend.db.models import Artifact, StatsSnapshot
from backend.jobs.celery_app import Jobs, configure, make_celery
from backend.jobs.work import JobResources
from backend.services import artifacts as artifact_service
from tests.support.backend import settings_for
from tests.support.waiting import wait_for

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}); CI runs this test against a real server")


async def _chunks(data: bytes):  # type: ignore[no-untyped-def]
    yield data


def _resources(db_url: str, tmp_path: Path) -> JobResources:
    return JobResources(
        sessions=session_factory(make_engine(db_url)), store=LocalDiskStore(tmp_path / "artifacts")
    )


def _stored(resources: JobResources, data: bytes) -> str:
    import asyncio

    stored = asyncio.run(resources.store.put(_chunks(data), max_bytes=1 << 20))
    with resources.sessions() as session:
        artifact_service.record(session, stored.hash, stored.size, "other")
    return stored.hash


@pytest.mark.redis  # the server at REDIS_URL
def test_celery_worker_on_redis_runs_the_jobs(db_url: str, tmp_path: Path) -> None:
    _redis_or_skip()
    from celery.contrib.testing.worker import start_worker

    settings = settings_for(db_url, tmp_path, celery_broker_url=REDIS_URL)
    app = make_celery(settings)
    assert not app.conf.task_always_eager
    resources = _resources(db_url, tmp_path)
    configure(resources)
    digest = _stored(resources, b"checked by a celery worker")
    jobs = Jobs(app)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert jobs.verify_artifact(digest) is None  # queued on Redis, not run here
        jobs.aggregate_stats()

        def both_ran() -> tuple[bool | None, list[StatsSnapshot]] | None:
            with resources.sessions() as session:
                verified = session.get(Artifact, digest).verified
                snapshots = list(session.scalars(select(StatsSnapshot)).all())
            return (verified, snapshots) if verified and snapshots else None

        verified, snapshots = wait_for(both_ran, 20, 0.1, what="the worker to verify and aggregate")
    assert verified is True and len(snapshots) == 1
    assert snapshots[0].payload["artifacts"] == 1


def test_without_a_broker_jobs_run_in_process(db_url: str, tmp_path: Path) -> None:
    app = make_celery(settings_for(db_url, tmp_path))
    assert app.conf.task_always_eager
    resources = _resources(db_url, tmp_path)
    configure(resources)
    digest = _stored(resources, b"checked in process")
    jobs = Jobs(app)
    try:
        future = jobs.verify_artifact(digest)
        assert future is not None and future.result(timeout=10) is True
        assert jobs.aggregate_stats().result(timeout=10) == 0  # type: ignore[union-attr]
        jobs.start_schedule(0.05)

        def snapshots() -> int:
            with resources.sessions() as session:
                return len(session.scalars(select(StatsSnapshot)).all())

        wait_for(lambda: snapshots() >= 3, 30, 0.05, what="three scheduled stats snapshots")
    finally:
        jobs.shutdown()
    with resources.sessions() as session:
        assert session.get(Artifact, digest).verified is True
