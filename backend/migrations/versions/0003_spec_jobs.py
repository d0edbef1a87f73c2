"""spec jobs: POST /api/specs computes a spec's roots in a background job

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 20:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spec_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("spec_hash", sa.String(length=66), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spec_jobs")),
    )
    with op.batch_alter_table("spec_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_spec_jobs_spec_hash", ["spec_hash", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("spec_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_spec_jobs_spec_hash")
    op.drop_table("spec_jobs")
