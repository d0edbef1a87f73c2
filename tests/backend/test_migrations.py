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
