"""Dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from backend.api.state import AppState

MAX_ID = 2**63 - 1  # SQL BIGINT; larger ids cannot exist


async def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.tribunal
    return state


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session per request. Handlers are `async def` and query synchronously on the event loop:
    the queries are index lookups of a millisecond or less, and skipping the thread pool's hops is
    what keeps the latency low (bench/api.py)."""
    state: AppState = request.app.state.tribunal
    with state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
StateDep = Annotated[AppState, Depends(app_state)]
Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="items to skip")]
AddressQuery = Annotated[
    str | None, Query(pattern=r"^0x[0-9a-fA-F]{40}$", description="an address (any case)")
]


def respond(model: BaseModel) -> Response:
    """The model as JSON, serialized once. The route's `response_model` documents it; returning a
    `Response` spares FastAPI validating the model a second time on the way out."""
    return Response(model.model_dump_json(), media_type="application/json")
