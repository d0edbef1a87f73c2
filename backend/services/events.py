"""Raw chain events: filtered listing, and the polling the live stream is built on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar, Unpack

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from backend.db.models import Event, IndexerState, ProgressReport


@dataclass(frozen=True)
class EventFilters:
    contract: str | None = None
    name: str | None = None
    task_id: int | None = None
    game_id: int | None = None
    from_block: int | None = None
    to_block: int | None = None


# any SELECT: the filters add WHERE clauses and keep the selected columns' types
_Query = TypeVar("_Query", bound="Select[Unpack[tuple[Any, ...]]]")


def _filtered(query: _Query, f: EventFilters) -> _Query:
    if f.contract:
        query = query.where(Event.contract == f.contract)
    if f.name:
        query = query.where(Event.name == f.name)
    if f.task_id is not None:
        query = query.where(Event.task_id == f.task_id)
    if f.game_id is not None:
        query = query.where(Event.game_id == f.game_id)
    if f.from_block is not None:
        query = query.where(Event.block_number >= f.from_block)
    if f.to_block is not None:
        query = query.where(Event.block_number <= f.to_block)
    return query


def list_events(session: Session, filters: EventFilters, limit: int, offset: int) -> tuple[list[Event], int]:
    """Newest first."""
    rows = session.scalars(
        _filtered(select(Event), filters)
        .order_by(Event.block_number.desc(), Event.log_index.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    total = session.scalar(_filtered(select(func.count()).select_from(Event), filters))
    return list(rows), int(total or 0)


def indexed_block(session: Session) -> int | None:
    return session.scalar(select(IndexerState.cursor_block).where(IndexerState.id == 1))


def reorg_marker(session: Session) -> tuple[int, int | None]:
    """(reorgs rolled back so far, the last one's common ancestor)."""
    row = session.execute(
        select(IndexerState.reorgs, IndexerState.last_reorg_ancestor).where(IndexerState.id == 1)
    ).first()
    return (int(row[0]), row[1]) if row else (0, None)


def last_event_position(session: Session) -> tuple[int, int]:
    row = session.execute(
        select(Event.block_number, Event.log_index)
        .order_by(Event.block_number.desc(), Event.log_index.desc())
        .limit(1)
    ).first()
    return (int(row[0]), int(row[1])) if row else (-1, -1)


def events_after(session: Session, block: int, log_index: int, limit: int = 500) -> list[Event]:
    return list(
        session.scalars(
            select(Event)
            .where(
                or_(
                    Event.block_number > block, and_(Event.block_number == block, Event.log_index > log_index)
                )
            )
            .order_by(Event.block_number, Event.log_index)
            .limit(limit)
        )
    )


def last_progress_id(session: Session) -> int:
    return int(session.scalar(select(func.max(ProgressReport.id))) or 0)


def progress_after(session: Session, report_id: int, limit: int = 500) -> list[ProgressReport]:
    return list(
        session.scalars(
            select(ProgressReport)
            .where(ProgressReport.id > report_id)
            .order_by(ProgressReport.id)
            .limit(limit)
        )
    )
