"""final records: the texts of a decision (as decided, and each correction)

Decisions stay as they were decided; a correction (Berichtigung) keeps the
earlier texts in ``decision_version``.  New decision numbers carry a ``B``
(``VK/2026/B005``); numbers already given stay unchanged (no data change).

Revision ID: e06f6a7b8c9d
Revises: e05e5f6a7b8c
Create Date: 2026-12-03 18:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e06f6a7b8c9d"
down_revision = "e05e5f6a7b8c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "decision_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("version_no", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version_no >= 1", name=op.f("ck_decision_version_version_no")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_decision_version_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decision.id"],
            name=op.f("fk_decision_version_decision_id_decision"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_version")),
        sa.UniqueConstraint(
            "decision_id", "version_no", name=op.f("uq_decision_version_decision_id_version_no")
        ),
    )
    with op.batch_alter_table("decision_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decision_version_decision_id"), ["decision_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("decision_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_version_decision_id"))
    op.drop_table("decision_version")
