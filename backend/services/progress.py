"""Training progress reported by operators: checked against the signature and the indexed task."""

from __future__ import annotations

import time

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db.models import ProgressReport, Task
from backend.services.errors import Conflict, Forbidden, NotFound
from backend.services.signed import check_signed
from tribunal.progress import ProgressReport as SignedReport
from tribunal.progress import recover_signer
from tribunal.protocol_enums import TaskStatus

ACCEPTING = (TaskStatus.CLAIMED.name, TaskStatus.SUBMITTED.name)


def record_progress(
    session: Session,
    task_id: int,
    operator: str,
    step: int,
    loss: float,
    steps_per_s: float,
    timestamp: int,
    signature: str,
    max_skew_s: int,
    now: float | None = None,
) -> ProgressReport:
    """Store a report signed by the task's current operator; refuse anything else with the reason."""
    now = time.time() if now is None else now
    operator = operator.lower()
    report = SignedReport(task_id, step, loss, steps_per_s, timestamp)
    state = check_signed(session, timestamp=timestamp, signer=operator,
                         what=f"progress report of task {task_id}",
                         recover=lambda chain_id, market: recover_signer(report, signature, chain_id, market),
                         max_skew_s=max_skew_s, now=now)
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id} indexed (up to block {state.cursor_block})")
    if task.operator != operator or task.status not in ACCEPTING:
        raise Forbidden(
            f"{operator} is not training task {task_id}: the task is {task.status} with operator "
            f"{task.operator or 'none'} (as indexed up to block {state.cursor_block})"
        )
    session.rollback()  # end the read transaction; the write below takes SQLite's lock on its own
    row = ProgressReport(
        task_id=task_id,
        operator=operator,
        step=step,
        loss=loss,
        steps_per_s=steps_per_s,
        reported_at=timestamp,
        received_at=now,
        signature=signature.lower(),
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"task {task_id} already has a report of step {step} from {operator}") from exc
    return row
