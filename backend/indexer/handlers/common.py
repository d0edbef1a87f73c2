"""Rows shared by several contracts' handlers."""

from __future__ import annotations

from backend.db.models import Account
from backend.indexer.events import ZERO_ADDRESS, Context
from backend.indexer.store import Row
from tribunal.chain.events import ChainEvent

_ZERO_AMOUNTS = (
    "bonded",
    "locked",
    "unbonding",
    "credit",
    "total_staked",
    "total_withdrawn",
    "total_credited",
    "total_credit_withdrawn",
    "earnings",
    "slash_winnings",
    "slashed_total",
)
_ZERO_COUNTS = (
    "unbonding_ready_at",
    "slash_count",
    "tasks_posted",
    "tasks_claimed",
    "tasks_completed",
    "tasks_expired",
    "tasks_voided",
    "disputes_won",
    "disputes_lost",
)


def _new_account(address: str, block: int) -> Row:
    row: Row = dict.fromkeys(_ZERO_AMOUNTS, 0)
    row.update(dict.fromkeys(_ZERO_COUNTS, 0))
    row["address"] = address
    row["first_seen_block"] = block
    return row


def account(ctx: Context, address: str, ev: ChainEvent) -> Row:
    """The account row to change in this event's block (created on first sight)."""
    key = (address,)
    block = ev.block_number
    row = ctx.store.get(Account, key)
    if row is None:
        row = ctx.store.create(Account, key, block, _new_account(address, block))
    else:
        ctx.store.edit(Account, key, block)
    row["updated_block"] = block
    return row


def is_zero(address: str | None) -> bool:
    return address is None or address == ZERO_ADDRESS
