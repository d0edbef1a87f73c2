"""evaluation reports: a model's signed test loss and accuracy, by its operator and by verifiers

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 03:00:00

When training ends the operator evaluates the final state on the dataset's test rows with RepOps
and signs the numbers; a verifier that recomputes them and disagrees signs its own. Both are kept
side by side, one per task, signer and step. Nothing on-chain: existing tasks simply have none.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("signer", sa.String(length=42), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("test_loss", sa.Float(), nullable=False),
        sa.Column("test_accuracy", sa.Float(), nullable=True),
        sa.Column("test_rows", sa.BigInteger(), nullable=False),
        sa.Column("reported_at", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("signature", sa.String(length=132), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_reports")),
        sa.UniqueConstraint("task_id", "signer", "step", name="uq_evaluation_task_signer_step"),
    )
    with op.batch_alter_table("evaluation_reports", schema=None) as batch_op:
        batch_op.create_index("ix_evaluation_reports_task", ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evaluation_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_reports_task")
    op.drop_table("evaluation_reports")
