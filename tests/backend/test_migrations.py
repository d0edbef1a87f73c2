"""The Alembic migrations build exactly the schema the models describe, and undo it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from backend.db.engine import alembic_config, make_engine, upgrade_database
from backend.db.models import Base
from tribunal.paths import REPO_ROOT


def test_migrations_match_the_models_and_downgrade_cleanly(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: run `alembic revision --autogenerate`: {diff}"
    command.downgrade(alembic_config(db_url), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade_database(db_url)
    upgrade_database(db_url)  # idempotent
    assert {t.name for t in Base.metadata.sorted_tables} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_bad_settings_stop_the_start_with_a_clear_message(tmp_path: Path) -> None:
    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "backend", *args],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env={"PATH": "/usr/bin:/bin", "TRIBUNAL_ARTIFACT_DIR": str(tmp_path / "a"), **env},
        )

    bad_url = run("migrate", DATABASE_URL="mysql://nobody@localhost/x")
    assert bad_url.returncode == 2 and "DATABASE_URL" in bad_url.stderr and "sqlite:///" in bad_url.stderr
    no_rpc = run(
        "index", DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", TRIBUNAL_RPC_URL="http://127.0.0.1:9"
    )
    assert no_rpc.returncode == 2 and "cannot reach TRIBUNAL_RPC_URL" in no_rpc.stderr


# what migration 0002 adds: each list filter with its order (name: columns)
READ_INDEXES = {
    "tasks": {
        "ix_tasks_status": ["status", "task_id"],
        "ix_tasks_submitter": ["submitter", "task_id"],
        "ix_tasks_operator": ["operator", "task_id"],
    },
    "events": {"ix_events_task": ["task_id", "block_number", "log_index"]},
    "payouts": {"ix_payouts_account": ["account", "block_number", "log_index"]},
    "slashes": {"ix_slashes_account": ["account", "block_number", "log_index"]},
    "disputes": {
        "ix_disputes_task": ["task_id", "game_id"],
        "ix_disputes_status": ["status", "game_id"],
        "ix_disputes_operator": ["operator", "game_id"],
        "ix_disputes_challenger": ["challenger", "game_id"],
    },
}


def test_upgrade_adds_the_read_indexes_and_a_filtered_page_sorts_nothing(db_url: str, db_kind: str) -> None:
    engine = make_engine(db_url)
    try:
        command.downgrade(alembic_config(db_url), "0001")
        assert inspect(engine).get_indexes("disputes") and not any(
            ix["name"] == "ix_disputes_operator" for ix in inspect(engine).get_indexes("disputes")
        )
        upgrade_database(db_url)
        inspector = inspect(engine)
        for table, expected in READ_INDEXES.items():
            found = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes(table)}
            for name, columns in expected.items():
                assert found.get(name) == columns, f"{table}.{name}: {found.get(name)}"
        if db_kind == "sqlite":
            with engine.connect() as conn:
                plan = " | ".join(
                    str(row[-1])
                    for row in conn.exec_driver_sql(
                        "EXPLAIN QUERY PLAN SELECT * FROM tasks WHERE status = 'OPEN' "
                        "ORDER BY task_id DESC LIMIT 20"
                    )
                )
            assert "ix_tasks_status" in plan and "TEMP B-TREE" not in plan, plan
    finally:
        engine.dispose()
