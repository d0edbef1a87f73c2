"""DiLoCo jobs: each job, its rounds and its segments, as DilocoJobs' events describe them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 16:00:00

A DiLoCo job (docs/diloco-jobs.md) runs R rounds × N shards as ordinary market tasks posted by the
DilocoJobs contract; these tables link the tasks to their job, round and shard, and keep what the
job recorded of them (shard roots, outer task, global roots). Chain state like `tasks`: a database
indexed before has no DilocoJobs to follow and gets the rows when it re-indexes a deployment that has.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "diloco_jobs",
        sa.Column("job_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("submitter", sa.String(length=42), nullable=False),
        sa.Column("spec_hash", sa.String(length=66), nullable=False),
        sa.Column("spec_uri", sa.Text(), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("shards", sa.Integer(), nullable=False),
        sa.Column("escrow", backend.db.types.Wei(length=78), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("global_root", sa.String(length=66), nullable=True),
        sa.Column("refund", backend.db.types.Wei(length=78), nullable=True),
        sa.Column("posted_at", sa.BigInteger(), nullable=False),
        sa.Column("posted_block", sa.BigInteger(), nullable=False),
        sa.Column("posted_tx", sa.String(length=66), nullable=False),
        sa.Column("settled_at", sa.BigInteger(), nullable=True),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_diloco_jobs")),
    )
    with op.batch_alter_table("diloco_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_diloco_jobs_status", ["status", "job_id"], unique=False)
        batch_op.create_index("ix_diloco_jobs_submitter", ["submitter", "job_id"], unique=False)

    op.create_table(
        "diloco_rounds",
        sa.Column("job_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("round", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("segments_recorded", sa.Integer(), nullable=False),
        sa.Column("outer_task_id", sa.BigInteger(), nullable=True),
        sa.Column("outer_init_state_root", sa.String(length=66), nullable=True),
        sa.Column("global_root", sa.String(length=66), nullable=True),
        sa.Column("opened_at", sa.BigInteger(), nullable=False),
        sa.Column("outer_posted_at", sa.BigInteger(), nullable=True),
        sa.Column("closed_at", sa.BigInteger(), nullable=True),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "round", name=op.f("pk_diloco_rounds")),
    )
    with op.batch_alter_table("diloco_rounds", schema=None) as batch_op:
        batch_op.create_index("ix_diloco_rounds_outer_task", ["outer_task_id"], unique=False)

    op.create_table(
        "diloco_segments",
        sa.Column("job_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("round", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("init_state_root", sa.String(length=66), nullable=False),
        sa.Column("shard_root", sa.String(length=66), nullable=True),
        sa.Column("posted_at", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=True),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "round", "shard", name=op.f("pk_diloco_segments")),
    )
    with op.batch_alter_table("diloco_segments", schema=None) as batch_op:
        batch_op.create_index("ix_diloco_segments_task", ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("diloco_segments", schema=None) as batch_op:
        batch_op.drop_index("ix_diloco_segments_task")
    op.drop_table("diloco_segments")
    with op.batch_alter_table("diloco_rounds", schema=None) as batch_op:
        batch_op.drop_index("ix_diloco_rounds_outer_task")
    op.drop_table("diloco_rounds")
    with op.batch_alter_table("diloco_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_diloco_jobs_submitter")
        batch_op.drop_index("ix_diloco_jobs_status")
    op.drop_table("diloco_jobs")
