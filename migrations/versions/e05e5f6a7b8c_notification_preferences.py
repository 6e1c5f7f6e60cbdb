"""mail preferences: immediate or daily digest, per kind

Revision ID: e05e5f6a7b8c
Revises: e04d4e5f6a7b
Create Date: 2026-12-03 17:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e05e5f6a7b8c"
down_revision = "e04d4e5f6a7b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification_preference",
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("delivery", sa.String(length=10), server_default="immediate", nullable=False),
        sa.Column("muted_topics", sa.String(length=200), server_default="", nullable=False),
        sa.Column("digest_sent_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "delivery IN ('immediate', 'digest')",
            name=op.f("ck_notification_preference_delivery"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_notification_preference_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_notification_preference")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest_pending", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_notification_digest_pending"), ["digest_pending"], unique=False
        )


def downgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_digest_pending"))
        batch_op.drop_column("digest_pending")
    op.drop_table("notification_preference")
