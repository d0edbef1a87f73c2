"""Network statistics: aggregated by a background job into snapshots, served from the newest one."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from backend.db.models import (
    Account,
    Artifact,
    Dispute,
    Event,
    IndexerState,
    Payout,
    ProgressReport,
    Slash,
    StatsSnapshot,
    Task,
)
from tribunal.protocol_enums import GameStatus, TaskStatus

LIVE = (TaskStatus.OPEN.name, TaskStatus.CLAIMED.name, TaskStatus.SUBMITTED.name, TaskStatus.VOIDED.name)
OPEN_GAME_STATUSES = tuple(status.name for status in GameStatus if status.pending)
"""Games still open: running, or queued for the operator's collateral (finalisation waits for both)."""
KEEP_SNAPSHOTS = 2_000
BATCH = 5_000


def _sum(session: Session, column: InstrumentedAttribute[int], *where: Any) -> int:
    """Exact sum of a wei column (streamed: SQLite stores amounts as text)."""
    total = 0
    for value in session.scalars(select(column).where(*where).execution_options(yield_per=BATCH)):
        total += int(value)
    return total


def aggregate(session: Session) -> dict[str, Any]:
    """Every figure of /api/stats, computed from the tables."""
    by_status = {
        s: int(n) for s, n in session.execute(select(Task.status, func.count()).group_by(Task.status))
    }
    operators = session.scalar(
        select(func.count()).select_from(Account).where((Account.bonded > 0) | (Account.tasks_claimed > 0))
    )
    return {
        "block_number": session.scalar(select(IndexerState.cursor_block).where(IndexerState.id == 1)),
        "tasks": sum(by_status.values()),
        "tasks_by_status": by_status,
        "operators": int(operators or 0),
        "disputes": int(session.scalar(select(func.count()).select_from(Dispute)) or 0),
        "disputes_open": int(
            session.scalar(
                select(func.count()).select_from(Dispute).where(Dispute.status.in_(OPEN_GAME_STATUSES))
            )
            or 0
        ),
        "events": int(session.scalar(select(func.count()).select_from(Event)) or 0),
        "progress_reports": int(session.scalar(select(func.count()).select_from(ProgressReport)) or 0),
        "artifacts": int(session.scalar(select(func.count()).select_from(Artifact)) or 0),
        "total_bonded": str(_sum(session, Account.bonded)),
        "total_locked": str(_sum(session, Account.locked)),
        "rewards_escrowed": str(_sum(session, Task.reward, Task.status.in_(LIVE))),
        "rewards_paid": str(_sum(session, Payout.amount, Payout.kind == "reward")),
        "slashed_total": str(_sum(session, Slash.amount)),
        "burned_total": str(_sum(session, Slash.burned)),
    }


def take_snapshot(session: Session) -> StatsSnapshot:
    payload = aggregate(session)
    session.rollback()
    snapshot = StatsSnapshot(taken_at=time.time(), block_number=payload["block_number"] or 0, payload=payload)
    session.add(snapshot)
    session.flush()
    oldest_kept = session.scalar(
        select(StatsSnapshot.id).order_by(StatsSnapshot.id.desc()).offset(KEEP_SNAPSHOTS).limit(1)
    )
    if oldest_kept is not None:
        session.execute(delete(StatsSnapshot).where(StatsSnapshot.id <= oldest_kept))
    session.commit()
    return snapshot


def latest(session: Session) -> StatsSnapshot | None:
    return session.scalars(select(StatsSnapshot).order_by(StatsSnapshot.id.desc()).limit(1)).first()


def current(session: Session, fresh: bool = False) -> dict[str, Any]:
    """The newest snapshot's figures, or figures computed now (when asked, or when none exists)."""
    snapshot = None if fresh else latest(session)
    if snapshot is None:
        return {**aggregate(session), "aggregated_at": time.time()}
    return {**snapshot.payload, "aggregated_at": snapshot.taken_at}
