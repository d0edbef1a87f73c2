"""/api/specs, /api/datasets, /api/config: what the dashboard needs to post a task."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, Response

from backend.api.deps import SessionDep, StateDep
from backend.api.schemas import ConfigOut, DatasetOut, ErrorOut, PreparedSpecOut
from backend.services import artifacts as artifact_service
from backend.services import specs as spec_service
from backend.services.errors import PayloadTooLarge, Unavailable
from tribunal.chain.client import connect
from tribunal.chain.deployment import DeploymentError, load_deployment

router = APIRouter(tags=["specs"])
MAX_SPEC_BYTES = 64 * 1024


@router.post(
    "/specs",
    status_code=201,
    response_model=PreparedSpecOut,
    responses={422: {"model": ErrorOut, "description": "the spec is invalid (the reason is given)"},
               413: {"model": ErrorOut, "description": "larger than 64 KiB"}},
    summary="Validate a task spec, store it, and return the roots postTask needs",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "description": "a task spec (tribunal.spec.TaskSpec) as JSON"}}}}},
)
async def post_spec(request: Request, response: Response, state: StateDep,
                    session: SessionDep) -> PreparedSpecOut:
    body = await request.body()
    if len(body) > MAX_SPEC_BYTES:
        raise PayloadTooLarge(f"a spec is at most {MAX_SPEC_BYTES} bytes, got {len(body)}")
    _, prepared = await asyncio.to_thread(spec_service.parse_and_prepare, body)
    data = prepared.spec_bytes

    async def chunks() -> AsyncIterator[bytes]:
        yield data

    stored = await state.store.put(chunks(), state.settings.max_artifact_bytes,
                                   expected_hash="0x" + prepared.spec_hash.hex())
    artifact_service.record(session, stored.hash, stored.size, "spec")
    if not stored.created:
        response.status_code = 200
    spec_uri = str(request.base_url).rstrip("/") + f"/api/artifacts/{stored.hash}"
    return PreparedSpecOut.model_validate(spec_service.describe(prepared, spec_uri))


@router.get("/datasets", response_model=list[DatasetOut], summary="The datasets a task can train on")
async def get_datasets() -> list[DatasetOut]:
    return [DatasetOut.model_validate(d) for d in await asyncio.to_thread(spec_service.datasets)]


@router.get(
    "/config",
    response_model=ConfigOut,
    summary="The chain and contracts this backend follows",
    responses={503: {"model": ErrorOut, "description": "the RPC or the deployment file is unavailable"}},
)
async def get_config(state: StateDep) -> ConfigOut:
    settings = state.settings

    def read() -> ConfigOut:
        chain_id = connect(settings.rpc_url, timeout_s=5).eth.chain_id
        deployment = load_deployment(settings.deployment, chain_id=chain_id)
        return ConfigOut.model_validate({
            "chain_id": chain_id,
            "rpc_url": settings.public_rpc_url or settings.rpc_url,
            "contracts": {"task_market": deployment.task_market,
                          "stake_manager": deployment.stake_manager,
                          "dispute_game": deployment.dispute_game},
            "params": deployment.params,
            "explorer_url": None,
        })

    try:
        return await asyncio.to_thread(read)
    except (DeploymentError, OSError, ValueError) as exc:
        raise Unavailable(f"chain configuration unavailable: {exc}") from exc
