"""Training progress reported by operators: checked against the signature and the indexed task."""

from __future__ import annotations

import time

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db.models import IndexerState, ProgressReport, Task
from backend.services.errors import Conflict, Forbidden, NotFound, Unauthorized, Unavailable
from tribunal.progress import BadSignature, recover_signer
from tribunal.progress import ProgressReport as SignedReport
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
    if abs(now - timestamp) > max_skew_s:
        raise Unauthorized(
            f"report timestamp {timestamp} is {abs(now - timestamp):.0f}s away from the server's clock "
            f"(at most {max_skew_s}s accepted): sign a fresh report"
        )
    state = session.get(IndexerState, 1)
    market = state.contracts.get("TaskMarket") if state is not None else None
    if state is None or market is None:
        raise Unavailable("the indexer has not indexed the market yet; retry in a moment")
    report = SignedReport(task_id, step, loss, steps_per_s, timestamp)
    try:
        signer = recover_signer(report, signature, state.chain_id, market)
    except BadSignature as exc:
        raise Unauthorized(str(exc)) from exc
    if signer != operator:
        raise Unauthorized(
            f"the signature was made by {signer}, not by {operator}: sign the report of task {task_id} "
            f"for chain {state.chain_id} and market {market} with the operator's key"
        )
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
