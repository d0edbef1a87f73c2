"""Operators (and every other account the chain mentions): stake, tasks, record, earnings."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import UnaryExpression, func, or_, select, union
from sqlalchemy.orm import Session

from backend.db.models import Account, Payout, Slash, Submission, Task
from backend.services.errors import NotFound

OperatorOrder = Literal["bonded", "earnings", "tasks_completed", "address"]

_ORDER: dict[OperatorOrder, UnaryExpression[Any]] = {
    "bonded": Account.bonded.desc(),
    "earnings": Account.earnings.desc(),
    "tasks_completed": Account.tasks_completed.desc(),
    "address": Account.address.asc(),
}


def summary(account: Account) -> dict[str, Any]:
    """The account's columns plus what the API derives from them."""
    values = {c.name: getattr(account, c.name) for c in Account.__table__.columns}
    values["free"] = account.bonded - account.locked
    values["wins"] = account.tasks_completed + account.disputes_won
    values["losses"] = account.tasks_expired + account.tasks_voided + account.disputes_lost
    return values


def list_operators(
    session: Session, order_by: OperatorOrder, limit: int, offset: int
) -> tuple[list[Account], int]:
    """Accounts that stake or have claimed a task."""
    where = or_(Account.bonded > 0, Account.tasks_claimed > 0, Account.unbonding > 0)
    rows = session.scalars(
        select(Account).where(where).order_by(_ORDER[order_by], Account.address).limit(limit).offset(offset)
    ).all()
    total = session.scalar(select(func.count()).select_from(Account).where(where))
    return list(rows), int(total or 0)


def get_account(session: Session, address: str) -> Account:
    account = session.get(Account, address.lower())
    if account is None:
        raise NotFound(f"the chain has no staking or task activity of {address.lower()}")
    return account


def tasks_of(session: Session, address: str, limit: int = 100) -> list[Task]:
    """Tasks it holds now or submitted a result for (a voided task reopens without its operator)."""
    address = address.lower()
    ids = union(
        select(Task.task_id).where(Task.operator == address),
        select(Submission.task_id).where(Submission.operator == address),
    )
    return list(
        session.scalars(select(Task).where(Task.task_id.in_(ids)).order_by(Task.task_id.desc()).limit(limit))
    )


def slashes_of(session: Session, address: str, limit: int = 100) -> list[Slash]:
    return list(
        session.scalars(
            select(Slash)
            .where(Slash.account == address.lower())
            .order_by(Slash.block_number.desc(), Slash.log_index.desc())
            .limit(limit)
        )
    )


def payouts_of(session: Session, address: str, limit: int = 100) -> list[Payout]:
    return list(
        session.scalars(
            select(Payout)
            .where(Payout.account == address.lower())
            .order_by(Payout.block_number.desc(), Payout.log_index.desc())
            .limit(limit)
        )
    )
