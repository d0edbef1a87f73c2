"""A response cache for the read API, exact rather than time-based.

Every chain-derived answer depends only on what the indexer has committed, plus progress reports
and stats snapshots. One cheap query reads that "version" (the indexer's last commit time and reorg
count, the newest progress report and snapshot ids); a cached body is served only while the version
it was rendered at is still current, so an answer is never staler than the database. Hot lists, a
popular task, the stats: rendered once per indexed batch instead of once per request.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

VERSION_SQL = (
    "SELECT (SELECT updated_at FROM indexer_state WHERE id = 1), "
    "(SELECT reorgs FROM indexer_state WHERE id = 1), "
    "(SELECT max(id) FROM progress_reports), (SELECT max(id) FROM stats_snapshots)"
)
UNCACHED_PREFIXES = ("/api/events/stream", "/api/artifacts", "/api/indexer")


class ResponseCache:
    """Pure ASGI middleware caching 200 answers of GET /api/... keyed by path and query."""

    def __init__(self, app: ASGIApp, engine: Engine, max_entries: int = 4_096) -> None:
        self.app = app
        self.engine = engine
        self.max_entries = max_entries
        self._entries: OrderedDict[bytes, tuple[Any, list[Message]]] = OrderedDict()

    def _version(self) -> Any:
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(VERSION_SQL)
            fetched = cursor.fetchone()
            # INVARIANT: a SELECT of scalar subqueries returns exactly one row
            assert fetched is not None
            row = tuple(fetched)
            cursor.close()
            connection.rollback()
            return row
        finally:
            connection.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope.get("method") != "GET"
            or not path.startswith("/api/")
            or path.startswith(UNCACHED_PREFIXES)
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
