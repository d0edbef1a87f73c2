"""queued games: a dispute game's collateral, its place in the task's queue, and moot closes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 12:00:00

A game runs only while the operator's collateral backs it (the task's stake, or stake locked for
that game alone); otherwise it waits in its task's queue (status QUEUED) and may be closed while
queued (status WITHDRAWN: by its challenger, or by the chain as moot once the result was voided).
The games table keeps which collateral backs a game and how much, its queue position while it
waits, and whether a withdrawn game was moot. Existing rows (games that ran under the old rules,
all backed by the task's stake) keep None: re-index to fill them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("collateral", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("collateral_amount", backend.db.types.Wei(length=78), nullable=True))
        batch_op.add_column(sa.Column("queue_position", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("moot", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_column("moot")
        batch_op.drop_column("queue_position")
        batch_op.drop_column("collateral_amount")
        batch_op.drop_column("collateral")
