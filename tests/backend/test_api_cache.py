"""The response cache with `cache_max_age_s`: hits reuse the version read for that long, and a
write through the same process makes the next read see the database at once. On PostgreSQL the
version moves with every commit, whatever order concurrent writers commit in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from backend.api.app import create_app
from backend.api.cache import ResponseCache
from backend.db.engine import make_engine, session_factory, upgrade_database
from backend.db.models import StatsSnapshot
from backend.services.stats import take_snapshot
from tests.support.backend import settings_for
from tests.support.waiting import wait_for


def test_a_cached_answer_lasts_its_max_age_and_a_write_ends_it(
    new_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = new_database("sqlite")
    sessions = session_factory(make_engine(url))

    def snapshots() -> int:
        with sessions() as session:
            return int(session.scalar(select(func.count()).select_from(StatsSnapshot)) or 0)

    settings = settings_for(url, tmp_path, cache_max_age_s=60, stats_interval_s=600)
    with TestClient(create_app(settings)) as client:
        wait_for(snapshots, 30, 0.05, what="the start-up stats snapshot")  # the schedule's first
        first = client.get("/api/stats").json()
        with sessions() as session:
            take_snapshot(session)
        assert client.get("/api/stats").json() == first, "served again within its max age"
        assert client.post("/api/tasks/1/progress", json={}).status_code == 422
        fresh = client.get("/api/stats").json()
        assert fresh["aggregated_at"] > first["aggregated_at"]


def test_postgres_version_moves_when_an_earlier_id_commits_last(
    new_database: Callable[[str], str], tmp_path: Path
) -> None:
    """Two API processes insert progress reports at once: the one holding the lower id commits last.
    max(id) was already at the higher id, so a version of max(id)s alone stayed put and the cache
    kept serving an answer without that row; PostgreSQL's snapshot moves with every commit."""
    url = new_database("postgresql")
    upgrade_database(url)
    engine = make_engine(url)
    cache = ResponseCache(app=lambda *_: None, engine=engine)  # type: ignore[arg-type]
    insert = text(
        "INSERT INTO progress_reports (task_id, operator, step, loss, steps_per_s, reported_at, "
        "received_at, signature) VALUES (1, :operator, :step, 1.0, 1.0, 0, 0, '0x') RETURNING id"
    )
    with engine.connect() as first, engine.connect() as second:
        low = first.execute(insert, {"operator": "0x" + "11" * 20, "step": 1}).scalar_one()
        high = second.execute(insert, {"operator": "0x" + "22" * 20, "step": 2}).scalar_one()
        second.commit()
        assert low < high
        before = cache._read_version()
        first.commit()  # the lower id becomes visible; max(id) does not move
    after = cache._read_version()
    assert before != after, "a commit became visible without the cache's version moving"
    engine.dispose()
