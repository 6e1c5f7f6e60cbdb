"""minutes render jobs

Long renders (approving minutes: render, seal, store; long draft PDFs; the
Sitzungsmappe) run in the scheduler; ``minutes_job`` is their queue and what
the page polls for progress.

Revision ID: d22f6a7b8c9d
Revises: d21e5f6a7b8c
Create Date: 2026-12-04 12:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d22f6a7b8c9d"
down_revision = "d21e5f6a7b8c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "minutes_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("open_key", sa.String(length=120), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('approval', 'draft', 'bundle')", name=op.f("ck_minutes_job_kind")
        ),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 100", name=op.f("ck_minutes_job_progress")
        ),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed')", name=op.f("ck_minutes_job_state")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_minutes_job_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["minutes_id"],
            ["minutes.id"],
            name=op.f("fk_minutes_job_minutes_id_minutes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_minutes_job_requested_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minutes_job")),
        sa.UniqueConstraint("open_key", name=op.f("uq_minutes_job_open_key")),
    )
    with op.batch_alter_table("minutes_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_minutes_job_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_minutes_job_meeting_id"), ["meeting_id"], unique=False)


def downgrade():
    with op.batch_alter_table("minutes_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_minutes_job_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_minutes_job_key"))
    op.drop_table("minutes_job")
