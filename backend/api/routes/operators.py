"""/api/operators: stake, record and earnings of the accounts that stake or train."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from backend.api.deps import Limit, Offset, SessionDep, respond
from backend.api.schemas import ErrorOut, OperatorDetail, OperatorOut, Page, PayoutOut, SlashOut, TaskOut
from backend.services import operators as operator_service

router = APIRouter(prefix="/operators", tags=["operators"])
AddressPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="the account (any case)")]


@router.get("", response_model=Page[OperatorOut], summary="List operators")
async def list_operators(
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    order_by: operator_service.OperatorOrder = "bonded",
) -> Response:
    """Accounts that stake or have claimed a task, by bonded stake (or earnings, completed tasks, address)."""
    rows, total = operator_service.list_operators(session, order_by, limit, offset)
    items = [OperatorOut.model_validate(operator_service.summary(r)) for r in rows]
    return respond(Page[OperatorOut](items=items, total=total, limit=limit, offset=offset))


@router.get(
    "/{address}",
    response_model=OperatorDetail,
    summary="One operator",
    responses={404: {"model": ErrorOut, "description": "the chain never mentioned this account"}},
)
async def get_operator(session: SessionDep, address: AddressPath) -> Response:
    """Stake (bonded, locked, free, unbonding), credit, record (wins, losses), earnings, its tasks,
    the slashes it suffered and its payouts."""
    account = operator_service.get_account(session, address)
    return respond(
        OperatorDetail(
            **operator_service.summary(account),
            tasks=[TaskOut.model_validate(t) for t in operator_service.tasks_of(session, address)],
            slashes=[SlashOut.model_validate(s) for s in operator_service.slashes_of(session, address)],
            payouts=[PayoutOut.model_validate(p) for p in operator_service.payouts_of(session, address)],
        )
    )
