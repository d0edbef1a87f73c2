"""/api/stats, /api/indexer, /api/events and the live stream /api/events/stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from backend.api.deps import MAX_ID, Limit, Offset, SessionDep, StateDep, respond
from backend.api.schemas import EventOut, IndexerOut, Page, StatsOut
from backend.services import events as event_service
from backend.services import network as network_service
from backend.services import stats as stats_service

router = APIRouter(tags=["network"])
BlockQuery = Annotated[int | None, Query(ge=0, le=MAX_ID)]
STREAM_KINDS = ("chain", "progress", "block", "reorg")


@router.get("/stats", response_model=StatsOut, summary="Network statistics")
async def stats(session: SessionDep, fresh: bool = False) -> Response:
    """Tasks by status, operators, disputes, stake, escrow, payouts and slashes, from the newest
    aggregation by the background job (`fresh=true` computes them now)."""
    return respond(StatsOut.model_validate(stats_service.current(session, fresh=fresh)))


@router.get("/indexer", response_model=IndexerOut, summary="Indexer status")
async def indexer(session: SessionDep, state: StateDep) -> Response:
    """Indexed block, chain head, lag, reorgs, the getLogs range in use and the last error."""
    return respond(IndexerOut.model_validate(network_service.indexer_view(session, state.indexer_status)))


@router.get("/events", response_model=Page[EventOut], summary="Chain events")
async def list_events(
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    contract: Annotated[str | None, Query(max_length=64)] = None,
    name: Annotated[str | None, Query(max_length=64)] = None,
    task_id: BlockQuery = None,
    game_id: BlockQuery = None,
    from_block: BlockQuery = None,
    to_block: BlockQuery = None,
) -> Response:
    """Every decoded event of the followed contracts, newest first."""
    filters = event_service.EventFilters(contract, name, task_id, game_id, from_block, to_block)
    rows, total = event_service.list_events(session, filters, limit, offset)
    return respond(
        Page[EventOut](
            items=[EventOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
        )
    )


@router.get(
    "/events/stream",
    response_class=EventSourceResponse,
    summary="Live stream (Server-Sent Events)",
    description=(
        "New chain events (`event: chain`, data as in /api/events), progress reports (`progress`), the "
        "indexed block (`block`) and reorgs (`reorg`, data `{rolled_back_to}`; events after it are sent "
        "again as they are re-indexed). Filter with `kinds` and `task_id`."
    ),
)
async def stream(
    request: Request,
    state: StateDep,
    kinds: Annotated[
        str, Query(pattern=r"^(chain|progress|block|reorg)(,(chain|progress|block|reorg))*$")
    ] = ("chain,progress,block,reorg"),
    task_id: BlockQuery = None,
) -> AsyncIterator[ServerSentEvent]:
    wanted = set(kinds.split(","))
    queue = state.hub.subscribe()
    try:
        yield ServerSentEvent(comment="connected", retry=2000)
        while not await request.is_disconnected():
            try:
                message = await asyncio.wait_for(queue.get(), timeout=5.0)
            except TimeoutError:
                continue
            if message is None:
                return
            if message.kind not in wanted:
                continue
            if task_id is not None and message.kind in ("chain", "progress") and message.task_id != task_id:
                continue
            yield ServerSentEvent(data=message.data, event=message.kind, id=message.id)
    finally:
        state.hub.unsubscribe(queue)
