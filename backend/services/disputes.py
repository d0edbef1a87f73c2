"""Dispute games: listing, one game with its moves, and how far its descent has come."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from backend.db.models import Dispute, DisputeMove
from backend.services.errors import NotFound
from tribunal.protocol_enums import Level

# The levels in the order a game passes them (their numbering in contracts/src/DisputeTypes.sol).
LEVEL_ORDER = tuple(level.name for level in Level if level not in (Level.NONE, Level.AVAILABILITY))
"""The descent's levels in order (an availability challenge has none: it is never at a descent level)."""


def _filtered(
    query: Select[Any], status: str | None, task_id: int | None, account: str | None
) -> Select[Any]:
    if status:
        query = query.where(Dispute.status == status)
    if task_id is not None:
        query = query.where(Dispute.task_id == task_id)
    if account:
        query = query.where(or_(Dispute.operator == account.lower(), Dispute.challenger == account.lower()))
    return query


def list_disputes(
    session: Session, status: str | None, task_id: int | None, account: str | None, limit: int, offset: int
) -> tuple[list[Dispute], int]:
    rows = session.scalars(
        _filtered(select(Dispute), status, task_id, account)
        .order_by(Dispute.game_id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    total = session.scalar(_filtered(select(func.count()).select_from(Dispute), status, task_id, account))
    return list(rows), int(total or 0)


def get_dispute(session: Session, game_id: int) -> Dispute:
    game = session.get(Dispute, game_id)
    if game is None:
        raise NotFound(f"no dispute game {game_id} (games are listed at /api/disputes)")
    return game


def moves(session: Session, game_id: int) -> list[DisputeMove]:
    return list(
        session.scalars(
            select(DisputeMove)
            .where(DisputeMove.game_id == game_id)
            .order_by(DisputeMove.block_number, DisputeMove.log_index)
        )
    )


def descent(game: Dispute) -> dict[str, Any]:
    """The levels behind the game, where its current descent stands, and what was found."""
    done = list(LEVEL_ORDER[: LEVEL_ORDER.index(game.level)]) if game.level in LEVEL_ORDER else []
    return {
        "level": game.level,
        "levels_done": done,
        "position": game.position,
        "height": game.height,
        "found_step": game.found_step,
        "found_node": game.found_node,
        "found_element": game.found_element,
        "found_instruction": game.found_instruction,
        "rounds": game.rounds,
    }


def view(game: Dispute) -> dict[str, Any]:
    values = {c.name: getattr(game, c.name) for c in Dispute.__table__.columns}
    values["challenger_trace_root"] = game.trace_root_challenger
    values["descent"] = descent(game)
    return values
