"""A response cache for the read API, exact rather than time-based.

Every chain-derived answer depends only on what the indexer has committed, plus progress and
evaluation reports and stats snapshots. One cheap query reads that "version" (the indexer's last
commit time and reorg count, the newest progress report, evaluation report and snapshot ids, and on
PostgreSQL the transaction snapshot, which moves with every commit even when concurrent writers
commit out of id order); a cached body is
served only while the version it was rendered at is still current, so an answer is never staler
than the database. Hot lists, a popular task, the stats: rendered once per indexed batch instead
of once per request.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.pool import PoolProxiedConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

VERSION_SQL = (
    "SELECT (SELECT updated_at FROM indexer_state WHERE id = 1), "
    "(SELECT reorgs FROM indexer_state WHERE id = 1), "
    "(SELECT max(id) FROM progress_reports), (SELECT max(id) FROM stats_snapshots), "
    "(SELECT max(id) FROM evaluation_reports)"
)
# PostgreSQL: API processes insert progress reports concurrently, and the one holding the lower id
# may commit last, after max(id) has already moved past it. The transaction snapshot (xmin, xmax and
# the in-progress xids) moves with every commit in whatever order, and equal snapshots see equal data.
POSTGRES_VERSION_SQL = VERSION_SQL + ", pg_current_snapshot()::text"
# spec jobs change without the database version moving, and so do the datasets (an upload records
# an artifact, which the version does not read)
UNCACHED_PREFIXES = (
    "/api/events/stream", "/api/artifacts", "/api/indexer", "/api/specs/jobs", "/api/datasets",
)
# answers that depend on the artifact store (an upload does not move the version): the model check
UNCACHED_SUFFIXES = ("/model",)


class ResponseCache:
    """Pure ASGI middleware caching 200 answers of GET /api/... keyed by path and query."""

    def __init__(
        self, app: ASGIApp, engine: Engine, max_entries: int = 4_096, max_age_s: float = 0.0
    ) -> None:
        self.app = app
        self.engine = engine
        self.max_entries = max_entries
        # > 0: the version read is reused for this long (answers at most that much staler than the
        # database; a write through this process forgets it at once). 0: read on every request.
        self.max_age_s = max_age_s
        self._version_read: tuple[float, Any] | None = None
        self._entries: OrderedDict[bytes, tuple[Any, list[Message]]] = OrderedDict()
        # One connection kept for the version query, in autocommit: each read is its own snapshot,
        # and a cache hit costs one round trip (not a pool checkout, a ping and a rollback).
        self._connection: PoolProxiedConnection | None = None
        self._lock = threading.Lock()

    def _open(self) -> PoolProxiedConnection:
        connection = self.engine.raw_connection()
        driver = connection.driver_connection
        if self.engine.dialect.name == "postgresql":
            driver.autocommit = True  # type: ignore[union-attr]
        # SQLite: make_engine sets isolation_level=None, so statements outside BEGIN autocommit
        return connection

    def _version(self) -> Any:
        if self.max_age_s > 0:
            read = self._version_read
            now = time.monotonic()
            if read is not None and now - read[0] < self.max_age_s:
                return read[1]
            version = self._read_version()
            self._version_read = (now, version)
            return version
        return self._read_version()

    def _read_version(self) -> Any:
        with self._lock:
            if self._connection is None:
                self._connection = self._open()
            try:
                cursor = self._connection.cursor()
                postgres = self.engine.dialect.name == "postgresql"
                cursor.execute(POSTGRES_VERSION_SQL if postgres else VERSION_SQL)
                fetched = cursor.fetchone()
                cursor.close()
            except Exception:
                self._connection.invalidate()  # the next request opens a new one
                self._connection = None
                raise
            # INVARIANT: a SELECT of scalar subqueries returns exactly one row
            assert fetched is not None
            return tuple(fetched)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and scope.get("method") not in ("GET", "HEAD"):
            try:
                await self.app(scope, receive, send)
            finally:
                self._version_read = None  # read this process's own writes at once
            return
        if (
            scope["type"] != "http"
            or scope.get("method") != "GET"
            or not path.startswith("/api/")
            or path.startswith(UNCACHED_PREFIXES)
            or path.endswith(UNCACHED_SUFFIXES)
            or b"fresh=true" in scope.get("query_string", b"")  # /api/stats computed on demand
        ):
            await self.app(scope, receive, send)
            return
        key = path.encode() + b"?" + scope.get("query_string", b"")
        try:
            version = self._version()
        except Exception:  # noqa: BLE001 - no schema yet, database down: answer uncached
            await self.app(scope, receive, send)
            return
        cached = self._entries.get(key)
        if cached is not None and cached[0] == version:
            self._entries.move_to_end(key)
            for message in cached[1]:
                await send(message)
            return
        messages: list[Message] = []
        status = 0

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            messages.append(message)
            await send(message)

        await self.app(scope, receive, capture)
        if status == 200 and all(
            not m.get("more_body") for m in messages if m["type"] == "http.response.body"
        ):
            self._entries[key] = (version, messages)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
