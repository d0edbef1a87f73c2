"""Tasks: listing with filters, one task with its submissions, disputes, progress and timeline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar, Unpack

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from backend.db.models import Dispute, EvaluationReport, Event, ProgressReport, Submission, Task
from backend.services.diloco import task_ref
from backend.services.errors import NotFound


@dataclass(frozen=True)
class TaskFilters:
    status: str | None = None
    submitter: str | None = None
    operator: str | None = None


# any SELECT: the filters add WHERE clauses and keep the selected columns' types
_Query = TypeVar("_Query", bound="Select[Unpack[tuple[Any, ...]]]")


def _filtered(query: _Query, filters: TaskFilters) -> _Query:
    if filters.status:
        query = query.where(Task.status == filters.status)
    if filters.submitter:
        query = query.where(Task.submitter == filters.submitter.lower())
    if filters.operator:
        query = query.where(Task.operator == filters.operator.lower())
    return query


def list_tasks(
    session: Session, filters: TaskFilters, limit: int, offset: int, newest_first: bool = True
) -> tuple[list[Task], int]:
    order = Task.task_id.desc() if newest_first else Task.task_id.asc()
    rows = session.scalars(_filtered(select(Task), filters).order_by(order).limit(limit).offset(offset)).all()
    total = session.scalar(_filtered(select(func.count()).select_from(Task), filters))
    return list(rows), int(total or 0)


def get_task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id} (indexed tasks are listed at /api/tasks)")
    return task


def timeline(session: Session, task_id: int, limit: int, offset: int) -> tuple[list[Event], int]:
    """The task's chain events (its own and its games'), oldest first."""
    get_task(session, task_id)
    where = Event.task_id == task_id
    rows = session.scalars(
        select(Event).where(where).order_by(Event.block_number, Event.log_index).limit(limit).offset(offset)
    ).all()
    total = session.scalar(select(func.count()).select_from(Event).where(where))
    return list(rows), int(total or 0)


def progress_history(
    session: Session, task_id: int, limit: int, offset: int
) -> tuple[list[ProgressReport], int]:
    get_task(session, task_id)
    where = ProgressReport.task_id == task_id
    rows = session.scalars(
        select(ProgressReport).where(where).order_by(ProgressReport.step).limit(limit).offset(offset)
    ).all()
    total = session.scalar(select(func.count()).select_from(ProgressReport).where(where))
    return list(rows), int(total or 0)


def detail(session: Session, task_id: int) -> dict[str, Any]:
    """The task with its submissions, disputes, latest progress and evaluations, as plain rows (the API's hot
    path: Core queries skip the ORM's per-object bookkeeping)."""
    conn = session.connection()
    task = conn.execute(select(Task.__table__).where(Task.task_id == task_id)).mappings().first()
    if task is None:
        raise NotFound(f"no task {task_id} (indexed tasks are listed at /api/tasks)")
    latest = (
        session.execute(
            select(ProgressReport.__table__)
            .where(ProgressReport.task_id == task_id)
            .order_by(ProgressReport.step.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return {
        **task,
        "diloco": task_ref(conn, task_id),
        "submissions": conn.execute(
            select(Submission.__table__).where(Submission.task_id == task_id).order_by(Submission.attempt)
        )
        .mappings()
        .all(),
        "disputes": conn.execute(
            select(Dispute.__table__).where(Dispute.task_id == task_id).order_by(Dispute.game_id)
        )
        .mappings()
        .all(),
        "latest_progress": latest,
        "evaluations": sorted(
            conn.execute(
                select(EvaluationReport.__table__)
                .where(EvaluationReport.task_id == task_id)
                .order_by(EvaluationReport.id)
            )
            .mappings()
            .all(),
            key=lambda r: r["role"] != "operator",
        ),
    }
