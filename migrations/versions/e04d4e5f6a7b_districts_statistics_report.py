"""districts, official statistics, the education report, funding

Districts for counselling contacts and projects (the venue), the voluntary
migration background of a counselling contact; imported values keep their
source, table code and footnote (and may be a marker without a number);
combined indicators; the education report with chapters and versions;
funding budgets and spending per project.

Revision ID: e04d4e5f6a7b
Revises: e03c3d4e5f6a
Create Date: 2026-12-03 17:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e04d4e5f6a7b"
down_revision = "e03c3d4e5f6a"
branch_labels = None
depends_on = None

SOURCE_CHECK = "source IN ('land', 'bund_esf', 'buergerstiftung', 'dbu', 'eigenmittel')"


def upgrade():
    with op.batch_alter_table("counselling_contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("migration", sa.String(length=20), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_counselling_contact_district"), ["district"], unique=False
        )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district", sa.String(length=40), nullable=True))
    with op.batch_alter_table("monitoring_indicator", schema=None) as batch_op:
        batch_op.add_column(sa.Column("numerator_code", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("denominator_code", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("factor", sa.Float(), nullable=True))
    with op.batch_alter_table("monitoring_indicator_value", schema=None) as batch_op:
        batch_op.alter_column("value", existing_type=sa.Float(), nullable=True)
        batch_op.add_column(
            sa.Column("source", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("table_code", sa.String(length=60), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("footnote", sa.String(length=20), nullable=False, server_default="")
        )
    with op.batch_alter_table("monitoring_indicator_value", schema=None) as batch_op:
        batch_op.alter_column("source", server_default=None)
        batch_op.alter_column("table_code", server_default=None)
        batch_op.alter_column("footnote", server_default=None)

    op.create_table(
        "education_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("year_from", sa.Integer(), nullable=False),
        sa.Column("year_to", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("workflow_name", sa.String(length=60), nullable=False),
        sa.Column("workflow_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state_entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("year_to >= year_from", name=op.f("ck_education_report_period")),
        sa.CheckConstraint("version >= 0", name=op.f("ck_education_report_version")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_education_report_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_education_report")),
    )
    with op.batch_alter_table("education_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_education_report_state"), ["state"], unique=False)
    op.create_table(
        "education_report_chapter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("commentary", sa.Text(), nullable=False),
        sa.Column("indicators", sa.String(length=1000), nullable=False),
        sa.Column("show_map", sa.Boolean(), nullable=False),
        sa.Column("show_chart", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["education_report.id"],
            name=op.f("fk_education_report_chapter_report_id_education_report"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_education_report_chapter")),
    )
    with op.batch_alter_table("education_report_chapter", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_education_report_chapter_report_id"), ["report_id"], unique=False
        )
    op.create_table(
        "education_report_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("csv", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_education_report_version_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["education_report.id"],
            name=op.f("fk_education_report_version_report_id_education_report"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_education_report_version")),
        sa.UniqueConstraint(
            "report_id", "number", name=op.f("uq_education_report_version_report_id_number")
        ),
    )
    with op.batch_alter_table("education_report_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_education_report_version_report_id"), ["report_id"], unique=False
        )

    op.create_table(
        "funding_budget",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_funding_budget_amount")),
        sa.CheckConstraint(SOURCE_CHECK, name=op.f("ck_funding_budget_source")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_funding_budget_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_budget")),
        sa.UniqueConstraint(
            "project_id", "source", name=op.f("uq_funding_budget_project_id_source")
        ),
    )
    with op.batch_alter_table("funding_budget", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_funding_budget_project_id"), ["project_id"], unique=False
        )
    op.create_table(
        "funding_spending",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("status_report_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("purpose", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_funding_spending_amount")),
        sa.CheckConstraint(SOURCE_CHECK, name=op.f("ck_funding_spending_source")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_funding_spending_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_funding_spending_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_report_id"],
            ["project_status_report.id"],
            name=op.f("fk_funding_spending_status_report_id_project_status_report"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_spending")),
    )
    with op.batch_alter_table("funding_spending", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_funding_spending_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_funding_spending_status_report_id"), ["status_report_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("funding_spending", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funding_spending_status_report_id"))
        batch_op.drop_index(batch_op.f("ix_funding_spending_project_id"))
    op.drop_table("funding_spending")
    with op.batch_alter_table("funding_budget", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funding_budget_project_id"))
    op.drop_table("funding_budget")
    with op.batch_alter_table("education_report_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_education_report_version_report_id"))
    op.drop_table("education_report_version")
    with op.batch_alter_table("education_report_chapter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_education_report_chapter_report_id"))
    op.drop_table("education_report_chapter")
    with op.batch_alter_table("education_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_education_report_state"))
    op.drop_table("education_report")

    with op.batch_alter_table("monitoring_indicator_value", schema=None) as batch_op:
        batch_op.drop_column("footnote")
        batch_op.drop_column("table_code")
        batch_op.drop_column("source")
    op.execute("DELETE FROM monitoring_indicator_value WHERE value IS NULL")
    with op.batch_alter_table("monitoring_indicator_value", schema=None) as batch_op:
        batch_op.alter_column("value", existing_type=sa.Float(), nullable=False)
    with op.batch_alter_table("monitoring_indicator", schema=None) as batch_op:
        batch_op.drop_column("factor")
        batch_op.drop_column("denominator_code")
        batch_op.drop_column("numerator_code")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_column("district")
    with op.batch_alter_table("counselling_contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_counselling_contact_district"))
        batch_op.drop_column("migration")
        batch_op.drop_column("district")
