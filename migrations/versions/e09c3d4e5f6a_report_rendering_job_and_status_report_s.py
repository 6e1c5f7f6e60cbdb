"""report rendering job and status report spending

The education report's PDFs are rendered in the scheduler: ``education_report_job``
is their queue and what the page polls.  Spending recorded with a status report
needs no change: ``funding_spending.status_report_id`` exists since e04d4e5f6a7b.

Revision ID: e09c3d4e5f6a
Revises: e08b2c3d4e5f
Create Date: 2026-12-04 17:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e09c3d4e5f6a"
down_revision = "e08b2c3d4e5f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "education_report_job",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("open_key", sa.String(length=120), nullable=True),
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
            "kind IN ('approval', 'edition', 'preview')",
            name=op.f("ck_education_report_job_kind"),
        ),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 100", name=op.f("ck_education_report_job_progress")
        ),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed')",
            name=op.f("ck_education_report_job_state"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["education_report.id"],
            name=op.f("fk_education_report_job_report_id_education_report"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["education_report_version.id"],
            name=op.f("fk_education_report_job_version_id_education_report_version"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_education_report_job_requested_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_education_report_job")),
        sa.UniqueConstraint("open_key", name=op.f("uq_education_report_job_open_key")),
    )
    with op.batch_alter_table("education_report_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_education_report_job_key"), ["key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_education_report_job_report_id"), ["report_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("education_report_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_education_report_job_report_id"))
        batch_op.drop_index(batch_op.f("ix_education_report_job_key"))
    op.drop_table("education_report_job")
