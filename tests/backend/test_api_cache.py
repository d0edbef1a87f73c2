"""The response cache with `cache_max_age_s`: hits reuse the version read for that long, and a
write through the same process makes the next read see the database at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backend.api.app import create_app
from backend.db.engine import make_engine, session_factory
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
