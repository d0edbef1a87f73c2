"""The live stream's source: one poller per API process fans new rows out to every subscriber.

It polls the database, not the indexer, so it works the same whether the indexer runs in this
process or elsewhere: new chain events (in chain order), new progress reports, the indexed block,
and reorgs (the indexer counts them in `indexer_state`, with the common ancestor), after which the
events above the ancestor stream again as they are (re-)indexed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from backend import metrics
from backend.api.schemas import EventOut, ProgressOut
from backend.services import events as event_service

log = logging.getLogger(__name__)
QUEUE_SIZE = 2_000


@dataclass(frozen=True)
class StreamMessage:
    kind: str  # chain, progress, block, reorg
    data: dict[str, Any]
    task_id: int | None = None
    id: str | None = None


class EventHub:
    def __init__(self, sessions: sessionmaker[Session], poll_s: float) -> None:
        self.sessions = sessions
        self.poll_s = poll_s
        self._subscribers: set[asyncio.Queue[StreamMessage | None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._position: tuple[int, int] = (-1, -1)
        self._progress_id = 0
        self._block: int | None = None
        self._reorgs = 0

    def subscribe(self) -> asyncio.Queue[StreamMessage | None]:
        queue: asyncio.Queue[StreamMessage | None] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.add(queue)
        metrics.STREAM_CLIENTS.set(len(self._subscribers))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="event-hub")
        return queue

    def unsubscribe(self, queue: asyncio.Queue[StreamMessage | None]) -> None:
        self._subscribers.discard(queue)
        metrics.STREAM_CLIENTS.set(len(self._subscribers))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)

    def publish(self, message: StreamMessage) -> None:
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(message)
            except asyncio.QueueFull:
                # A client that cannot keep up is cut off (it reconnects and re-reads the API).
                self.unsubscribe(queue)
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait(None)

    async def _run(self) -> None:
        await asyncio.to_thread(self._start_positions)
        while self._subscribers:
            try:
                messages = await asyncio.to_thread(self._poll)
            except Exception:  # noqa: BLE001 - a database hiccup must not end the stream
                log.exception("live stream poll failed")
                messages = []
            for message in messages:
                self.publish(message)
            await asyncio.sleep(self.poll_s)

    def _start_positions(self) -> None:
        with self.sessions() as session:
            self._position = event_service.last_event_position(session)
            self._progress_id = event_service.last_progress_id(session)
            self._block = event_service.indexed_block(session)
            self._reorgs, _ = event_service.reorg_marker(session)

    def _poll(self) -> list[StreamMessage]:
        out: list[StreamMessage] = []
        with self.sessions() as session:
            block = event_service.indexed_block(session)
            reorgs, ancestor = event_service.reorg_marker(session)
            if reorgs != self._reorgs and ancestor is not None:
                # Events above the ancestor were replaced (maybe already re-indexed): send them again.
                self._reorgs = reorgs
                out.append(StreamMessage("reorg", {"rolled_back_to": ancestor}))
                if self._position[0] > ancestor:
                    self._position = (ancestor, 2**31 - 1)  # past any log index of the block
            rows = event_service.events_after(session, *self._position)
            for row in rows:
                data = EventOut.model_validate(row).model_dump(mode="json")
                out.append(StreamMessage("chain", data, row.task_id, f"{row.block_number}-{row.log_index}"))
            if rows:
                self._position = (rows[-1].block_number, rows[-1].log_index)
            for report in event_service.progress_after(session, self._progress_id):
                data = ProgressOut.model_validate(report).model_dump(mode="json")
                out.append(StreamMessage("progress", data, report.task_id))
                self._progress_id = report.id
            if block is not None and block != self._block:
                out.append(StreamMessage("block", {"block_number": block}))
            self._block = block
        return out
