"""minutes corrections during circulation

While minutes circulate, members of the body send correction requests to
the office (``minutes_correction_request``); the office takes them over or
declines them with a short answer.

Revision ID: e07a1b2c3d4e
Revises: e06f6a7b8c9d
Create Date: 2026-12-04 17:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e07a1b2c3d4e"
down_revision = "e06f6a7b8c9d"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "minutes_correction_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minutes_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=True),
        sa.Column("sender_person_id", sa.Integer(), nullable=False),
        sa.Column("sender_user_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status = 'open' OR answered_at IS NOT NULL",
            name=op.f("ck_minutes_correction_request_answered_when_not_open"),
        ),
        sa.CheckConstraint(
            "status <> 'declined' OR answer IS NOT NULL",
            name=op.f("ck_minutes_correction_request_declined_with_answer"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'accepted', 'declined')",
            name=op.f("ck_minutes_correction_request_status"),
        ),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["agenda_item.id"],
            name=op.f("fk_minutes_correction_request_agenda_item_id_agenda_item"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["user_account.id"],
            name=op.f("fk_minutes_correction_request_answered_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["minutes_id"],
            ["minutes.id"],
            name=op.f("fk_minutes_correction_request_minutes_id_minutes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_person_id"],
            ["person.id"],
            name=op.f("fk_minutes_correction_request_sender_person_id_person"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sender_user_id"],
            ["user_account.id"],
            name=op.f("fk_minutes_correction_request_sender_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_minutes_correction_request")),
    )
    with op.batch_alter_table("minutes_correction_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_minutes_correction_request_minutes_id"), ["minutes_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_minutes_correction_request_sender_person_id"),
            ["sender_person_id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("minutes_correction_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_minutes_correction_request_sender_person_id"))
        batch_op.drop_index(batch_op.f("ix_minutes_correction_request_minutes_id"))
    op.drop_table("minutes_correction_request")
