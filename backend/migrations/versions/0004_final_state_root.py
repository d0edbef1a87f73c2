"""final state root: a result names h_S, bound on-chain to its trace root

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 10:00:00

`TaskMarket.submitResult` now takes the final state commitment h_S with its Merkle proof as leaf S
of the trace root (the model the result delivers; the model hash only locates its checkpoint file),
and `ResultSubmitted` carries it. The tasks and submissions tables keep it. Rows indexed before the
change keep None: re-index to fill them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("final_state_root", sa.String(length=66), nullable=True))
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("final_state_root", sa.String(length=66), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("final_state_root")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("final_state_root")
