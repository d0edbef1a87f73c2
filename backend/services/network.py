"""The indexer's progress as the API reports it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from backend.db.models import IndexerState
from backend.indexer.indexer import IndexerStatus


def indexer_view(session: Session, live: IndexerStatus | None) -> dict[str, Any]:
    """The stored cursor, plus what the in-process indexer knows (head, range, errors) if it runs here."""
    state = session.get(IndexerState, 1)
    head = live.head if live else None
    cursor = state.cursor_block if state else None
    return {
        "running": bool(live and live.running),
        "chain_id": state.chain_id if state else None,
        "contracts": dict(state.contracts) if state else {},
        "cursor_block": cursor,
        "finalized_block": state.finalized_block if state else None,
        "head": head,
        "lag_blocks": head - cursor if head is not None and cursor is not None else None,
        "range_size": live.range_size if live else None,
        "reorgs": live.reorgs if live else 0,
        "error": live.error if live else None,
    }
