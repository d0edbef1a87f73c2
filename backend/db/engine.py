"""Engines and sessions for SQLite (default) and PostgreSQL, and schema migrations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

BACKEND_DIR = Path(__file__).resolve().parent.parent
ALEMBIC_INI = BACKEND_DIR / "alembic.ini"


class DatabaseError(RuntimeError):
    """The database cannot be opened or migrated; the message says what to check."""


def _json_dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def make_engine(url: str, sqlite_begin: Literal["DEFERRED", "IMMEDIATE"] = "DEFERRED", **kw: Any) -> Engine:
    """An engine with the settings each backend needs.

    SQLite: WAL (readers never block the writer), a busy timeout, and an explicit BEGIN so a writer
    can take the write lock up front (``IMMEDIATE``) instead of failing to upgrade a read lock.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=_json_dumps,
            **kw,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql(f"BEGIN {sqlite_begin}")

        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, json_serializer=_json_dumps, pool_pre_ping=True, **kw)
    raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(BACKEND_DIR / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    from alembic import command

    try:
        command.upgrade(alembic_config(url), "head")
    except Exception as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        raise DatabaseError(f"could not migrate {shown}: {exc}") from exc


def describe_database(url: str, timeout_s: int = 5) -> str:
    """Connect, and say where the schema stands against the newest migration; changes nothing."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    postgres = parsed.get_backend_name() == "postgresql"
    options: dict[str, Any] = {"connect_args": {"connect_timeout": timeout_s}} if postgres else {}
    engine = make_engine(url, **options)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception as exc:  # noqa: BLE001 - every driver error means the same: it does not answer
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(f"{shown} does not answer ({reason}): check DATABASE_URL (is the server "
                            "running? does the database exist? may this user connect?)") from exc
    finally:
        engine.dispose()
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    if current == head:
        return f"{shown} answers, schema at the newest migration"
    return (f"{shown} answers, schema at {current or 'no migration yet'} (newest {head}): "
            "`python -m backend migrate`, or let serve/index migrate at start")
