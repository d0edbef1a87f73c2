"""/api/tasks: listing, detail, timeline, training progress, evaluations."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status

from backend import metrics
from backend.api.deps import MAX_ID, AddressQuery, Limit, Offset, SessionDep, StateDep, respond
from backend.api.schemas import (
    ErrorOut,
    EvaluationIn,
    EvaluationOut,
    EventOut,
    ModelCheckOut,
    Page,
    ProgressIn,
    ProgressOut,
    TaskDetail,
    TaskOut,
    TaskStatusName,
)
from backend.services import evaluations as evaluation_service
from backend.services import model_check, model_file
from backend.services import tasks as task_service
from backend.services.errors import ServiceError
from backend.services.progress import record_progress
from tribunal.evaluation import EvaluationReport

router = APIRouter(prefix="/tasks", tags=["tasks"])
TaskId = Annotated[int, Path(ge=0, le=MAX_ID, description="the task's id on the TaskMarket")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "no such task"}}


@router.get("", response_model=Page[TaskOut], summary="List tasks")
async def list_tasks(
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    status_: Annotated[TaskStatusName | None, Query(alias="status")] = None,
    submitter: AddressQuery = None,
    operator: AddressQuery = None,
    order: Literal["newest", "oldest"] = "newest",
) -> Response:
    """Tasks filtered by status, submitter and operator, newest first by default."""
    filters = task_service.TaskFilters(status=status_, submitter=submitter, operator=operator)
    rows, total = task_service.list_tasks(session, filters, limit, offset, newest_first=order == "newest")
    return respond(
        Page[TaskOut](
            items=[TaskOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
        )
    )


@router.get("/{task_id}", response_model=TaskDetail, responses=NOT_FOUND, summary="One task")
async def get_task(session: SessionDep, task_id: TaskId) -> Response:
    """The task's state with its submissions, dispute games and latest training progress."""
    return respond(TaskDetail.model_validate(task_service.detail(session, task_id)))


@router.get(
    "/{task_id}/model",
    response_model=ModelCheckOut,
    responses=NOT_FOUND,
    summary="The result's model file, checked",
)
def task_model(session: SessionDep, state: StateDep, task_id: TaskId) -> Response:
    """Whether the checkpoint the result's model hash names is the committed final state h_S (its state
    hashes to the on-chain finalStateRoot, its h_0..h_S to the trace root), and where to download it
    when it is. A file that does not match is refused (no download link), with what differs."""
    task = task_service.get_task(session, task_id)
    checked = model_check.check(state.store, task, state.diloco)
    matches = checked.status == "matches"
    return respond(
        ModelCheckOut(
            task_id=task_id,
            status=checked.status,
            mismatch=checked.mismatch,  # type: ignore[arg-type]
            detail=checked.detail,
            trace_root=task.trace_root,
            final_state_root=task.final_state_root,
            model_hash=task.model_hash,
            download_url=f"/api/artifacts/{task.model_hash}" if matches else None,
            safetensors_url=f"/api/tasks/{task_id}/model/safetensors" if matches else None,
        )
    )


@router.get(
    "/{task_id}/model/safetensors",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}},
              "description": "the checked parameters as safetensors (task-<id>.safetensors)"},
        404: {"model": ErrorOut, "description": "no such task, no submitted result, or the model file (or "
              "its spec) not in the artifact store yet"},
        409: {"model": ErrorOut, "description": "the model file is refused: not the committed final state"},
        503: {"model": ErrorOut,
              "description": "the chain is not indexed yet, or the file cannot be converted"},
    },
    summary="The result's model parameters, checked, as safetensors",
)
def task_model_safetensors(session: SessionDep, state: StateDep, task_id: TaskId) -> Response:
    """The parameters (param.* slots; not the optimizer state) of the checkpoint the result's model hash
    names, once it is checked to be the committed final state h_S, as a safetensors file named by slot.
    Its metadata holds the spec, the model's input and output sizes and what the chain verified (spec
    hash, task id, chain id, h_S, trace root, model hash): `tribunal.models.to_torch` loads it alone."""
    task = task_service.get_task(session, task_id)
    data = model_file.safetensors_file(session, state.store, task, state.diloco)
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{model_file.filename(task_id)}"'})


@router.get(
    "/{task_id}/timeline", response_model=Page[EventOut], responses=NOT_FOUND, summary="A task's timeline"
)
async def task_timeline(
    session: SessionDep, task_id: TaskId, limit: Limit = 100, offset: Offset = 0
) -> Response:
    """Every chain event about the task (market and dispute games), oldest first."""
    rows, total = task_service.timeline(session, task_id, limit, offset)
    return respond(
        Page[EventOut](
            items=[EventOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
        )
    )


@router.get(
    "/{task_id}/progress",
    response_model=Page[ProgressOut],
    responses=NOT_FOUND,
    summary="A task's training progress",
)
async def task_progress(
    session: SessionDep, task_id: TaskId, limit: Limit = 500, offset: Offset = 0
) -> Response:
    """Progress reports by step (step, loss, steps/s), as the operator signed them."""
    rows, total = task_service.progress_history(session, task_id, limit, offset)
    return respond(
        Page[ProgressOut](
            items=[ProgressOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
        )
    )


@router.post(
    "/{task_id}/progress",
    response_model=ProgressOut,
    status_code=status.HTTP_201_CREATED,
    summary="Report training progress (operator only)",
    responses={
        400: {"model": ErrorOut, "description": "the body is not JSON"},
        401: {"model": ErrorOut, "description": "bad or foreign signature, or stale timestamp"},
        403: {"model": ErrorOut, "description": "the signer is not training this task"},
        404: {"model": ErrorOut, "description": "no such task"},
        409: {"model": ErrorOut, "description": "this step was already reported"},
        503: {"model": ErrorOut, "description": "the indexer has not started"},
    },
)
def post_progress(session: SessionDep, state: StateDep, task_id: TaskId, body: ProgressIn) -> ProgressOut:
    """Store a progress report signed by the task's operator with `tribunal.progress.sign_progress`.

    The signed message binds the chain id, the market address, the task, the step, the loss, the
    speed and the time; the signer must be the task's current operator (Claimed or Submitted).
    """
    try:
        row = record_progress(
            session,
            task_id,
            body.operator,
            body.step,
            body.loss,
            body.steps_per_s,
            body.timestamp,
            body.signature,
            state.settings.progress_max_skew_s,
        )
    except ServiceError as exc:
        metrics.PROGRESS_REPORTS.labels(outcome=type(exc).__name__).inc()
        raise
    metrics.PROGRESS_REPORTS.labels(outcome="stored").inc()
    return ProgressOut.model_validate(row)


@router.get(
    "/{task_id}/evaluations",
    response_model=list[EvaluationOut],
    responses=NOT_FOUND,
    summary="A task's model evaluations",
)
async def task_evaluations(session: SessionDep, task_id: TaskId) -> list[EvaluationOut]:
    """The final model's test loss and accuracy: the operator's report, then any verifier's."""
    task_service.get_task(session, task_id)
    return [EvaluationOut.model_validate(r) for r in evaluation_service.evaluations(session, task_id)]


@router.post(
    "/{task_id}/evaluations",
    response_model=EvaluationOut,
    status_code=status.HTTP_201_CREATED,
    summary="Report the model's test evaluation (operator or staked verifier)",
    responses={
        400: {"model": ErrorOut, "description": "the body is not JSON"},
        401: {"model": ErrorOut, "description": "bad or foreign signature, or stale timestamp"},
        403: {"model": ErrorOut, "description": "the signer may not report on this task now"},
        404: {"model": ErrorOut, "description": "no such task"},
        409: {"model": ErrorOut, "description": "this signer already reported this step"},
        503: {"model": ErrorOut, "description": "the indexer has not started"},
    },
)
def post_evaluation(
    session: SessionDep, state: StateDep, task_id: TaskId, body: EvaluationIn
) -> EvaluationOut:
    """Store an evaluation signed with `tribunal.evaluation.EvaluationReport.sign`: by the task's operator
    once it has trained, or by a staked verifier who recomputed it once there is a result.

    The signed message binds the chain id, the market address, the task, the step, the test loss,
    accuracy and rows, and the time. Evaluation is not part of the trace: it is reported, never disputed.
    """
    report = EvaluationReport(
        task_id, body.step, body.test_loss, body.test_accuracy, body.test_rows, body.timestamp
    )
    row = evaluation_service.record_evaluation(
        session, task_id, report, body.signer, body.signature, state.settings.progress_max_skew_s
    )
    return EvaluationOut.model_validate(row)
