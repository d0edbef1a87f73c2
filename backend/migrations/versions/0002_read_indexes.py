"""indexes for the read API: each list filter with its order

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 20:00:00

The API's lists filter on one column and order by the key (`/api/tasks?status=…` newest first,
a task's timeline by block and log, an account's payouts and slashes, games by status, task or
party). Single-column indexes found the rows but left the order to a sort of every match; an index
on (filter, order) reads just the page. The filtered counts use the same indexes.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, columns before, columns after); None: the index is new
CHANGES: list[tuple[str, str, list[str] | None, list[str]]] = [
    ("ix_tasks_status", "tasks", ["status"], ["status", "task_id"]),
    ("ix_tasks_submitter", "tasks", ["submitter"], ["submitter", "task_id"]),
    ("ix_tasks_operator", "tasks", ["operator"], ["operator", "task_id"]),
    ("ix_events_task", "events", ["task_id"], ["task_id", "block_number", "log_index"]),
    ("ix_payouts_account", "payouts", ["account"], ["account", "block_number", "log_index"]),
    ("ix_slashes_account", "slashes", ["account"], ["account", "block_number", "log_index"]),
    ("ix_disputes_task", "disputes", ["task_id"], ["task_id", "game_id"]),
    ("ix_disputes_status", "disputes", ["status"], ["status", "game_id"]),
    ("ix_disputes_operator", "disputes", None, ["operator", "game_id"]),
    ("ix_disputes_challenger", "disputes", None, ["challenger", "game_id"]),
]


def upgrade() -> None:
    for name, table, before, after in CHANGES:
        if before is not None:
            op.drop_index(name, table_name=table)
        op.create_index(name, table, after, unique=False)


def downgrade() -> None:
    for name, table, before, _ in reversed(CHANGES):
        op.drop_index(name, table_name=table)
        if before is not None:
            op.create_index(name, table, before, unique=False)
