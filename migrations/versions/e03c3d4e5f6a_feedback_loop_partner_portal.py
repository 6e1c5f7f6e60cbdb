"""feedback outcomes and the partner portal

The sender of a feedback sees what became of it: a summary the Bildungsbüro
writes once in German (``feedback_summary``) with translations entered by
people (``feedback_summary_translation``), and projects that came out of it
(``project_feedback_link``).  Partners report through a personal link
(``project_partner_invitation``: hashes only) what the project lead accepts
into a status report (``project_partner_entry``); a milestone may belong to a
partner organisation; a partner countersigns the cooperation agreement; a
project lead proposes new partner organisations
(``project_organisation_proposal``).

Revision ID: e03c3d4e5f6a
Revises: e02b2c3d4e5f
Create Date: 2026-12-03 17:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e03c3d4e5f6a"
down_revision = "e02b2c3d4e5f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feedback_summary",
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("written_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_summary_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["written_by_id"],
            ["user_account.id"],
            name=op.f("fk_feedback_summary_written_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("feedback_id", name=op.f("pk_feedback_summary")),
    )
    op.create_table(
        "feedback_summary_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("translator", sa.String(length=200), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["user_account.id"],
            name=op.f("fk_feedback_summary_translation_entered_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback_summary.feedback_id"],
            name=op.f("fk_feedback_summary_translation_feedback_id_feedback_summary"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_summary_translation")),
        sa.UniqueConstraint(
            "feedback_id",
            "language",
            name=op.f("uq_feedback_summary_translation_feedback_id_language"),
        ),
    )
    with op.batch_alter_table("feedback_summary_translation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_summary_translation_feedback_id"), ["feedback_id"], unique=False
        )
    op.create_table(
        "project_feedback_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_project_feedback_link_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"],
            ["user_account.id"],
            name=op.f("fk_project_feedback_link_linked_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_feedback_link_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_feedback_link")),
        sa.UniqueConstraint(
            "feedback_id",
            "project_id",
            name=op.f("uq_project_feedback_link_feedback_id_project_id"),
        ),
    )
    with op.batch_alter_table("project_feedback_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_feedback_link_feedback_id"), ["feedback_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_project_feedback_link_project_id"), ["project_id"], unique=False
        )
    op.create_table(
        "project_organisation_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=100), nullable=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["user_account.id"],
            name=op.f("fk_project_organisation_proposal_confirmed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_project_organisation_proposal_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_organisation_proposal_project_id_project"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["user_account.id"],
            name=op.f("fk_project_organisation_proposal_proposed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_organisation_proposal")),
        sa.UniqueConstraint(
            "organisation_id", name=op.f("uq_project_organisation_proposal_organisation_id")
        ),
    )
    with op.batch_alter_table("project_organisation_proposal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_organisation_proposal_project_id"), ["project_id"], unique=False
        )
    with op.batch_alter_table("project_partner", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("agreement_signed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("agreement_signed_by", sa.String(length=200), nullable=True))
    with op.batch_alter_table("project_milestone", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner_organisation_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_project_milestone_partner_organisation_id"),
            ["partner_organisation_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_project_milestone_partner_organisation_id_organisation"),
            "organisation",
            ["partner_organisation_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    op.create_table(
        "project_partner_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("contact_person_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('partner_report')", name=op.f("ck_project_partner_invitation_purpose")
        ),
        sa.CheckConstraint(
            "code_attempts >= 0", name=op.f("ck_project_partner_invitation_code_attempts")
        ),
        sa.ForeignKeyConstraint(
            ["contact_person_id"],
            ["person.id"],
            name=op.f("fk_project_partner_invitation_contact_person_id_person"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_project_partner_invitation_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["project_partner.id"],
            name=op.f("fk_project_partner_invitation_partner_id_project_partner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_partner_invitation_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_partner_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_project_partner_invitation_token_hash")),
    )
    with op.batch_alter_table("project_partner_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_partner_invitation_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_project_partner_invitation_project_id"), ["project_id"], unique=False
        )
    op.create_table(
        "project_partner_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("milestone_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("content_type", sa.String(length=120), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('participants', 'milestone', 'evidence')",
            name=op.f("ck_project_partner_entry_kind"),
        ),
        sa.CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_end >= period_start",
            name=op.f("ck_project_partner_entry_period"),
        ),
        sa.CheckConstraint(
            "value IS NULL OR value >= 0", name=op.f("ck_project_partner_entry_value")
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"],
            ["user_account.id"],
            name=op.f("fk_project_partner_entry_accepted_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["project_partner_invitation.id"],
            name=op.f("fk_project_partner_entry_invitation_id_project_partner_invitation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["project_milestone.id"],
            name=op.f("fk_project_partner_entry_milestone_id_project_milestone"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["project_partner.id"],
            name=op.f("fk_project_partner_entry_partner_id_project_partner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_partner_entry_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["project_status_report.id"],
            name=op.f("fk_project_partner_entry_report_id_project_status_report"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_partner_entry")),
    )
    with op.batch_alter_table("project_partner_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_partner_entry_invitation_id"), ["invitation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_project_partner_entry_milestone_id"), ["milestone_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_project_partner_entry_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_project_partner_entry_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_project_partner_entry_report_id"), ["report_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("project_partner_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_partner_entry_report_id"))
        batch_op.drop_index(batch_op.f("ix_project_partner_entry_project_id"))
        batch_op.drop_index(batch_op.f("ix_project_partner_entry_partner_id"))
        batch_op.drop_index(batch_op.f("ix_project_partner_entry_milestone_id"))
        batch_op.drop_index(batch_op.f("ix_project_partner_entry_invitation_id"))
    op.drop_table("project_partner_entry")
    with op.batch_alter_table("project_partner_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_partner_invitation_project_id"))
        batch_op.drop_index(batch_op.f("ix_project_partner_invitation_partner_id"))
    op.drop_table("project_partner_invitation")
    with op.batch_alter_table("project_milestone", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_project_milestone_partner_organisation_id_organisation"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_project_milestone_partner_organisation_id"))
        batch_op.drop_column("partner_organisation_id")
    with op.batch_alter_table("project_partner", schema=None) as batch_op:
        batch_op.drop_column("agreement_signed_by")
        batch_op.drop_column("agreement_signed_at")
    with op.batch_alter_table("project_organisation_proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_organisation_proposal_project_id"))
    op.drop_table("project_organisation_proposal")
    with op.batch_alter_table("project_feedback_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_feedback_link_project_id"))
        batch_op.drop_index(batch_op.f("ix_project_feedback_link_feedback_id"))
    op.drop_table("project_feedback_link")
    with op.batch_alter_table("feedback_summary_translation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_summary_translation_feedback_id"))
    op.drop_table("feedback_summary_translation")
    op.drop_table("feedback_summary")
