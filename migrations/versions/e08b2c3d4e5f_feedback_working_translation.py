"""feedback working translation

The German working translation of a feedback in another language, with the
person who translated it (``feedback_working_translation``); the language of
the answer and its translation by a person (``feedback.answer_*``); the
title of a tag as it was first written (``feedback_tag.title``).

Revision ID: e08b2c3d4e5f
Revises: e07a1b2c3d4e
Create Date: 2026-12-04 17:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e08b2c3d4e5f"
down_revision = "e07a1b2c3d4e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feedback_working_translation",
        sa.Column("feedback_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("translator", sa.String(length=200), nullable=False),
        sa.Column("translated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["user_account.id"],
            name=op.f("fk_feedback_working_translation_entered_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_working_translation_feedback_id_feedback"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("feedback_id", name=op.f("pk_feedback_working_translation")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer_language", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("answer_translation", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("answer_translator", sa.String(length=200), nullable=True))
    with op.batch_alter_table("feedback_tag", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title", sa.String(length=60), nullable=True))


def downgrade():
    with op.batch_alter_table("feedback_tag", schema=None) as batch_op:
        batch_op.drop_column("title")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("answer_translator")
        batch_op.drop_column("answer_translation")
        batch_op.drop_column("answer_language")
    op.drop_table("feedback_working_translation")
