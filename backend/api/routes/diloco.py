"""/api/diloco/jobs: DiLoCo jobs, and one job as its rounds × shards grid of market tasks."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from backend.api.deps import MAX_ID, AddressQuery, Limit, Offset, SessionDep, respond
from backend.api.schemas import DilocoJobDetail, DilocoJobOut, DilocoJobStatusName, ErrorOut, Page
from backend.services import diloco as diloco_service

router = APIRouter(prefix="/diloco", tags=["diloco"])
JobId = Annotated[int, Path(ge=0, le=MAX_ID, description="the job's id on DilocoJobs")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "no such job"}}


@router.get("/jobs", response_model=Page[DilocoJobOut], summary="List DiLoCo jobs")
async def list_jobs(
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    status_: Annotated[DilocoJobStatusName | None, Query(alias="status")] = None,
    submitter: AddressQuery = None,
) -> Response:
    """DiLoCo jobs filtered by status and submitter, newest first."""
    filters = diloco_service.JobFilters(status=status_, submitter=submitter)
    rows, total = diloco_service.list_jobs(session, filters, limit, offset)
    return respond(
        Page[DilocoJobOut](
            items=[DilocoJobOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
        )
    )


@router.get("/jobs/{job_id}", response_model=DilocoJobDetail, responses=NOT_FOUND, summary="One DiLoCo job")
async def get_job(session: SessionDep, job_id: JobId) -> Response:
    """The job and its grid: per posted round, each shard's segment task and the outer task with their
    market state and reported loss, the roots the job recorded, the round's global root and its loss."""
    return respond(DilocoJobDetail.model_validate(diloco_service.detail(session, job_id)))
