"""DiLoCo jobs: the list, and one job as its rounds × shards grid of market tasks with each round's loss.

Losses are off-chain: what the tasks' operators reported with their signed progress
(`ProgressReport`), never checked by anyone. A task's reported loss is the one of the highest step
its current operator reported (an evicted or voided operator's reports are not its result's). A
segment's loss is the training loss of its last reported step; the outer task's graph reports as its
"loss" the size of the outer update, Σ_X mean((θ_X − θ'_X)²) (`tribunal.diloco.outer_step`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.orm import Session

from backend.db.models import DilocoJob, DilocoRound, DilocoSegment, ProgressReport, Task
from backend.services.errors import NotFound


@dataclass(frozen=True)
class JobFilters:
    status: str | None = None
    submitter: str | None = None


def list_jobs(session: Session, filters: JobFilters, limit: int, offset: int) -> tuple[list[DilocoJob], int]:
    """Jobs newest first."""
    where = []
    if filters.status:
        where.append(DilocoJob.status == filters.status)
    if filters.submitter:
        where.append(DilocoJob.submitter == filters.submitter.lower())
    rows = session.scalars(
        select(DilocoJob).where(*where).order_by(DilocoJob.job_id.desc()).limit(limit).offset(offset)
    ).all()
    total = session.scalar(select(func.count()).select_from(DilocoJob).where(*where))
    return list(rows), int(total or 0)


def task_ref(conn: Connection, task_id: int) -> dict[str, Any] | None:
    """The job, round and shard (None: the outer step) a market task is, if it is a DiLoCo job's."""
    segment = conn.execute(
        select(DilocoSegment.job_id, DilocoSegment.round, DilocoSegment.shard).where(
            DilocoSegment.task_id == task_id
        )
    ).first()
    if segment is not None:
        return {"job_id": segment.job_id, "round": segment.round, "shard": segment.shard}
    outer = conn.execute(
        select(DilocoRound.job_id, DilocoRound.round).where(DilocoRound.outer_task_id == task_id)
    ).first()
    return None if outer is None else {"job_id": outer.job_id, "round": outer.round, "shard": None}


def _tasks(conn: Connection, task_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not task_ids:
        return {}
    rows = conn.execute(select(Task.__table__).where(Task.task_id.in_(task_ids))).mappings()
    return {row["task_id"]: dict(row) for row in rows}


def _reported_losses(conn: Connection, tasks: dict[int, dict[str, Any]]) -> dict[int, tuple[int, float]]:
    """(step, loss) of each task's highest step reported by its current operator."""
    if not tasks:
        return {}
    report = ProgressReport.__table__
    newest = (
        select(report.c.task_id, report.c.operator, func.max(report.c.step).label("step"))
        .where(report.c.task_id.in_(list(tasks)))
        .group_by(report.c.task_id, report.c.operator)
        .subquery()
    )
    rows = conn.execute(
        select(report.c.task_id, report.c.operator, report.c.step, report.c.loss).join(
            newest,
            and_(
                report.c.task_id == newest.c.task_id,
                report.c.operator == newest.c.operator,
                report.c.step == newest.c.step,
            ),
        )
    )
    return {
        row.task_id: (row.step, row.loss) for row in rows if tasks[row.task_id]["operator"] == row.operator
    }


def _cell(
    task_id: int, tasks: dict[int, dict[str, Any]], losses: dict[int, tuple[int, float]]
) -> dict[str, Any]:
    """A grid cell's market side: the task's state as indexed (None before its TaskPosted is)."""
    task = tasks.get(task_id)
    step, loss = losses.get(task_id, (None, None))
    return {
        "task_id": task_id,
        "status": task["status"] if task else None,
        "operator": task["operator"] if task else None,
        "open_disputes": task["open_disputes"] if task else 0,
        "attempts": task["attempts"] if task else 0,
        "loss": loss,
        "loss_step": step,
    }


def _mean(values: Iterable[float | None], count: int) -> float | None:
    """The mean of `count` values, or None unless all of them are known."""
    known = [v for v in values if v is not None]
    return sum(known) / count if count and len(known) == count else None


def _round_status(round_: dict[str, Any]) -> str:
    if round_["global_root"] is not None:
        return "CLOSED"
    return "AVERAGING" if round_["outer_task_id"] is not None else "TRAINING"


def detail(session: Session, job_id: int) -> dict[str, Any]:
    """The job with every posted round: its segments by shard, its outer step, its global root and loss."""
    conn = session.connection()
    job = conn.execute(select(DilocoJob.__table__).where(DilocoJob.job_id == job_id)).mappings().first()
    if job is None:
        raise NotFound(f"no DiLoCo job {job_id} (indexed jobs are listed at /api/diloco/jobs)")
    rounds = [
        dict(r)
        for r in conn.execute(
            select(DilocoRound.__table__).where(DilocoRound.job_id == job_id).order_by(DilocoRound.round)
        ).mappings()
    ]
    segments = (
        conn.execute(
            select(DilocoSegment.__table__)
            .where(DilocoSegment.job_id == job_id)
            .order_by(DilocoSegment.round, DilocoSegment.shard)
        )
        .mappings()
        .all()
    )
    task_ids = [s["task_id"] for s in segments] + [r["outer_task_id"] for r in rounds if r["outer_task_id"]]
    tasks = _tasks(conn, task_ids)
    losses = _reported_losses(conn, tasks)
    by_round: dict[int, list[dict[str, Any]]] = {r["round"]: [] for r in rounds}
    for segment in segments:
        by_round.setdefault(segment["round"], []).append(
            {
                **_cell(segment["task_id"], tasks, losses),
                "shard": segment["shard"],
                "init_state_root": segment["init_state_root"],
                "recorded": segment["shard_root"] is not None,
                "shard_root": segment["shard_root"],
                "recorded_at": segment["recorded_at"],
            }
        )
    out = []
    for round_ in rounds:
        cells = by_round[round_["round"]]
        outer_id = round_["outer_task_id"]
        outer = (
            None
            if outer_id is None
            else {**_cell(outer_id, tasks, losses), "init_state_root": round_["outer_init_state_root"]}
        )
        out.append(
            {
                **round_,
                "status": _round_status(round_),
                "segments": cells,
                "outer": outer,
                "train_loss": _mean((c["loss"] for c in cells), job["shards"]),
                "outer_update_size": outer["loss"] if outer else None,
            }
        )
    return {**job, "grid": out}
