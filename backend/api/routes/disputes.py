"""/api/disputes: dispute games and the progress of their descent."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from backend.api.deps import MAX_ID, AddressQuery, Limit, Offset, SessionDep, respond
from backend.api.schemas import DisputeDetail, DisputeOut, ErrorOut, MoveOut, Page
from backend.services import disputes as dispute_service

router = APIRouter(prefix="/disputes", tags=["disputes"])


@router.get("", response_model=Page[DisputeOut], summary="List dispute games")
async def list_disputes(
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    status: Literal["QUEUED", "ACTIVE", "OPERATOR_WON", "CHALLENGER_WON", "WITHDRAWN"] | None = None,
    task_id: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    account: AddressQuery = None,
) -> Response:
    """Games, newest first, filtered by status, task, or an account on either side. A QUEUED game waits
    for the operator's collateral (no clock runs); a WITHDRAWN one was closed while queued, its bond
    returned (``moot``: by the chain, the result having been voided)."""
    rows, total = dispute_service.list_disputes(session, status, task_id, account, limit, offset)
    items = [DisputeOut.model_validate(dispute_service.view(g)) for g in rows]
    return respond(Page[DisputeOut](items=items, total=total, limit=limit, offset=offset))


@router.get(
    "/{game_id}",
    response_model=DisputeDetail,
    summary="One dispute game",
    responses={404: {"model": ErrorOut, "description": "no such game"}},
)
async def get_dispute(session: SessionDep, game_id: Annotated[int, Path(ge=0, le=MAX_ID)]) -> Response:
    """The game's state, its descent (levels done, position, what each level found) and every move."""
    game = dispute_service.get_dispute(session, game_id)
    return respond(
        DisputeDetail(
            **dispute_service.view(game),
            moves=[MoveOut.model_validate(m) for m in dispute_service.moves(session, game_id)],
        )
    )
