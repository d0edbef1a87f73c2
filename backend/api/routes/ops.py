"""/healthz and /metrics (outside /api: they are for the machines that run the service)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from backend.api.deps import SessionDep, StateDep
from backend.api.schemas import HealthOut, IndexerOut
from backend.services import network as network_service

router = APIRouter(tags=["ops"])


@router.get(
    "/healthz",
    response_model=HealthOut,
    summary="Liveness and readiness",
    responses={503: {"model": HealthOut, "description": "the database is unreachable"}},
)
async def healthz(session: SessionDep, state: StateDep) -> Response:
    """`ok`, or `degraded` when the indexer reports an error; 503 when the database does not answer."""
    try:
        session.execute(text("SELECT 1"))
        indexer = IndexerOut.model_validate(network_service.indexer_view(session, state.indexer_status))
    except Exception as exc:  # noqa: BLE001 - any database failure means "not ready"
        body = HealthOut(
            status="degraded",
            database=f"error: {type(exc).__name__}: {exc}"[:500],
            indexer=IndexerOut(
                running=False,
                chain_id=None,
                contracts={},
                cursor_block=None,
                finalized_block=None,
                head=None,
                lag_blocks=None,
                range_size=None,
                reorgs=0,
                error=None,
            ),
        )
        return JSONResponse(body.model_dump(mode="json"), status_code=503)
    body = HealthOut(
        status="degraded" if indexer.error else "ok", database=state.engine.dialect.name, indexer=indexer
    )
    return JSONResponse(body.model_dump(mode="json"))


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
            "description": "metrics in the Prometheus text format",
        }
    },
)
async def prometheus_metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
