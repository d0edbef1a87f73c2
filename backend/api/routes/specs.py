"""/api/specs and /api/config: what the dashboard needs to post a task (datasets: routes/datasets.py).

Preparing a spec (its initial state and graph roots) costs CPU in proportion to the model, so
POST /api/specs only checks the spec and this backend's limits, rate-limited per client, and queues
the rest to the jobs worker (`backend.jobs`); GET /api/specs/jobs/{job_id} follows it.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse

from backend.api.deps import SessionDep, StateDep, respond
from backend.api.schemas import ConfigOut, ErrorOut, PreparedSpecOut, SpecJobOut
from backend.services import spec_jobs
from backend.services import specs as spec_service
from backend.services.errors import PayloadTooLarge, Unavailable
from backend.services.spec_jobs import JobView
from tribunal.chain.client import connect
from tribunal.chain.deployment import DeploymentError, load_deployment
from tribunal.config import mask_url_password
from tribunal.spec import TaskSpec, canonical_json, spec_hash

router = APIRouter(tags=["specs"])
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="the job's id, from POST /api/specs")]


async def limit_spec_uploads(request: Request, state: StateDep) -> None:
    await state.spec_rate_limit.check(request)


async def read_bounded(request: Request, max_bytes: int) -> bytes:
    """The body, refused (413) as soon as it is known to exceed `max_bytes`: by its Content-Length,
    else while it streams in."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"a spec is at most {max_bytes:,} bytes (TRIBUNAL_SPEC_MAX_BYTES), "
                              f"this one {int(declared):,}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise PayloadTooLarge(f"a spec is at most {max_bytes:,} bytes (TRIBUNAL_SPEC_MAX_BYTES), "
                                  "this one is more")
    return bytes(body)


def spec_uri(request: Request, content_hash: str) -> str:
    return str(request.base_url).rstrip("/") + f"/api/artifacts/{content_hash}"


def job_out(request: Request, job: JobView) -> SpecJobOut:
    result = None
    if job.result is not None:
        uri = spec_uri(request, job.spec_hash)
        result = PreparedSpecOut.model_validate(spec_service.describe(job.result, uri))
    return SpecJobOut(
        job_id=job.id, status=job.status,
        status_url=request.url_for("get_spec_job", job_id=job.id).path,
        spec_hash=job.spec_hash, created_at=job.created_at, elapsed_s=round(job.elapsed_s, 3),
        result=result, error=job.error,
    )


@router.post(
    "/specs",
    status_code=202,
    response_model=SpecJobOut,
    dependencies=[Depends(limit_spec_uploads)],
    responses={
        200: {"model": PreparedSpecOut,
              "description": "the same spec was prepared already: its fields at once, no job"},
        413: {"model": ErrorOut, "description": "the body exceeds TRIBUNAL_SPEC_MAX_BYTES (64 KiB)"},
        422: {"model": ErrorOut, "description": "the spec is invalid or beyond this backend's limits "
                                                "(the field and the limit are named)"},
        429: {"model": ErrorOut, "description": "too many spec uploads from this client: see Retry-After"},
        503: {"model": ErrorOut, "description": "the jobs broker cannot be reached"},
    },
    summary="Validate a task spec and queue the job that stores it and computes the roots postTask needs",
    description="Checks the spec and this backend's limits at once (413, 422), then answers 202 with "
                "a job to poll at `status_url` (also `Location`) until it is done (its `result` is "
                "the spec's on-chain fields) or failed (its `error`). A spec prepared before is "
                "answered at once (200), and one being prepared gets the same job.",
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "description": "a task spec (tribunal.spec.TaskSpec) as JSON"}}}}},
)
async def post_spec(request: Request, state: StateDep, session: SessionDep) -> Response:
    settings = state.settings
    body = await read_bounded(request, settings.spec_max_bytes)
    limits = spec_service.SpecLimits.from_settings(settings)

    def checked() -> TaskSpec:
        spec = spec_service.parse(body)
        spec_service.check_limits(spec, limits, state.store)
        return spec

    spec = await asyncio.to_thread(checked)
    content_hash = "0x" + spec_hash(spec).hex()
    job = spec_jobs.reusable(session, content_hash, settings.spec_job_timeout_s)
    if job is not None and job.status == spec_jobs.DONE and job.result is not None:
        if state.store.size(content_hash) is not None:
            return respond(PreparedSpecOut.model_validate(
                spec_service.describe(job.result, spec_uri(request, content_hash))))
        job = None  # the store lost the spec: prepare it again
    if job is None:
        job = spec_jobs.create(session, content_hash)
        try:
            state.jobs.prepare_spec(job.id, canonical_json(spec).decode("ascii"))
        except Exception as exc:
            reason = mask_url_password(str(exc))
            spec_jobs.fail(session, job.id, f"the job could not be queued: {reason}")
            raise Unavailable(f"the spec job could not be queued ({reason}): is the jobs broker "
                              "(TRIBUNAL_CELERY_BROKER_URL) up?") from exc
    out = job_out(request, job)
    return JSONResponse(out.model_dump(mode="json"), status_code=202, headers={"Location": out.status_url})


@router.get(
    "/specs/jobs/{job_id}",
    response_model=SpecJobOut,
    responses={404: {"model": ErrorOut, "description": "no such job"}},
    summary="A spec job: pending, running, done (with the spec's on-chain fields) or failed (with why)",
)
async def get_spec_job(job_id: JobId, request: Request, state: StateDep, session: SessionDep) -> Response:
    return respond(job_out(request, spec_jobs.get(session, job_id, state.settings.spec_job_timeout_s)))


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
                          "dispute_game": deployment.dispute_game,
                          "jackpot": deployment.jackpot,
                          "diloco_jobs": deployment.diloco_jobs},
            "params": deployment.params,
            "explorer_url": None,
        })

    try:
        return await asyncio.to_thread(read)
    except (DeploymentError, OSError, ValueError) as exc:
        raise Unavailable(f"chain configuration unavailable: {exc}") from exc
