"""meeting cockpit: attendance times, deputies, speakers, projector links, check-in

Revision ID: e01a1b2c3d4e
Revises: d22f6a7b8c9d
Create Date: 2026-12-03 17:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e01a1b2c3d4e"
down_revision = "d22f6a7b8c9d"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("called_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("speakers_closed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("speaking_seconds", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_agenda_item_speaking_seconds"),
            "speaking_seconds IS NULL OR (speaking_seconds > 0 AND speaking_seconds <= 3600)",
        )
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.alter_column("speakers_closed", server_default=None)

    op.create_table(
        "meeting_speaker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("point_of_order", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("pending IS NULL OR pending", name=op.f("ck_meeting_speaker_pending")),
        sa.CheckConstraint("position >= 0", name=op.f("ck_meeting_speaker_position")),
        sa.CheckConstraint(
            "status IN ('waiting', 'speaking', 'done', 'withdrawn')",
            name=op.f("ck_meeting_speaker_status"),
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_speaker_added_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["agenda_item.id"],
            name=op.f("fk_meeting_speaker_agenda_item_id_agenda_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_meeting_speaker_person_id_person"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_speaker")),
        sa.UniqueConstraint(
            "agenda_item_id",
            "person_id",
            "point_of_order",
            "pending",
            name="uq_meeting_speaker_pending",
        ),
    )
    with op.batch_alter_table("meeting_speaker", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_speaker_agenda_item_id"), ["agenda_item_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_meeting_speaker_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "meeting_projector_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_projector_link_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_projector_link_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_projector_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_meeting_projector_link_token_hash")),
    )
    with op.batch_alter_table("meeting_projector_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_projector_link_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "meeting_checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_checkin_confirmed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_checkin_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["membership.id"],
            name=op.f("fk_meeting_checkin_membership_id_membership"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_checkin")),
        sa.UniqueConstraint(
            "meeting_id", "membership_id", name=op.f("uq_meeting_checkin_meeting_id_membership_id")
        ),
    )
    with op.batch_alter_table("meeting_checkin", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_checkin_membership_id"), ["membership_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("meeting_checkin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_checkin_membership_id"))
    op.drop_table("meeting_checkin")
    with op.batch_alter_table("meeting_projector_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_projector_link_meeting_id"))
    op.drop_table("meeting_projector_link")
    with op.batch_alter_table("meeting_speaker", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_speaker_person_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_speaker_agenda_item_id"))
    op.drop_table("meeting_speaker")
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_agenda_item_speaking_seconds"), type_="check")
        batch_op.drop_column("speaking_seconds")
        batch_op.drop_column("speakers_closed")
        batch_op.drop_column("called_at")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
        batch_op.drop_column("opened_at")
