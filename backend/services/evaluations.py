"""A model's test loss and accuracy, signed by its operator or by a verifier who recomputed them.

The operator's report is accepted from the task's operator once it has trained (Claimed, Submitted
or Finalized); a verifier's from any other address with bonded stake once there is a result
(Submitted or Finalized), so a disagreement can be shown beside the operator's numbers. Evaluation is
not in the trace and nothing here is disputed: the reports are what their signers said.
"""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db.models import Account, EvaluationReport, Task
from backend.services.errors import Conflict, Forbidden, NotFound
from backend.services.signed import check_signed
from tribunal.evaluation import EvaluationReport as SignedEvaluation
from tribunal.protocol_enums import TaskStatus

OPERATOR_STATUSES = (TaskStatus.CLAIMED.name, TaskStatus.SUBMITTED.name, TaskStatus.FINALIZED.name)
VERIFIER_STATUSES = (TaskStatus.SUBMITTED.name, TaskStatus.FINALIZED.name)


def record_evaluation(
    session: Session,
    task_id: int,
    report: SignedEvaluation,
    signer: str,
    signature: str,
    max_skew_s: int,
    now: float | None = None,
) -> EvaluationReport:
    """Store ``report`` signed by ``signer`` as the operator's or a verifier's; refuse it with the reason."""
    now = time.time() if now is None else now
    signer = signer.lower()
    state = check_signed(session, timestamp=report.timestamp, signer=signer,
                         what=f"evaluation of task {task_id}",
                         recover=lambda chain_id, market: report.signer(signature, chain_id, market),
                         max_skew_s=max_skew_s, now=now)
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"no task {task_id} indexed (up to block {state.cursor_block})")
    role = "operator" if task.operator == signer else "verifier"
    if role == "operator" and task.status not in OPERATOR_STATUSES:
        raise Forbidden(
            f"task {task_id} is {task.status}: its operator reports an evaluation once it has trained"
        )
    if role == "verifier":
        if task.status not in VERIFIER_STATUSES:
            raise Forbidden(
                f"task {task_id} is {task.status} with operator {task.operator or 'none'}: another address "
                "reports an evaluation only of a submitted result"
            )
        account = session.get(Account, signer)
        if account is None or account.bonded <= 0:
            raise Forbidden(
                f"{signer} is neither task {task_id}'s operator nor a staked verifier (as indexed up to "
                f"block {state.cursor_block}): stake first (`verifier start --stake …`)"
            )
    session.rollback()  # end the read transaction; the write below takes SQLite's lock on its own
    row = EvaluationReport(
        task_id=task_id,
        signer=signer,
        role=role,
        step=report.step,
        test_loss=report.test_loss,
        test_accuracy=report.test_accuracy,
        test_rows=report.test_rows,
        reported_at=report.timestamp,
        received_at=now,
        signature=signature.lower(),
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(
            f"task {task_id} already has an evaluation of step {report.step} from {signer}"
        ) from exc
    return row


def evaluations(session: Session, task_id: int) -> list[EvaluationReport]:
    """A task's evaluation reports: the operator's first, then verifiers', each oldest first."""
    rows = session.scalars(
        select(EvaluationReport).where(EvaluationReport.task_id == task_id).order_by(EvaluationReport.id)
    ).all()
    return sorted(rows, key=lambda r: r.role != "operator")
