"""monitoring: covering indexes on feedback for the dashboard's figures

Revision ID: e0ad4e5f6a7b
Revises: e09c3d4e5f6a
Create Date: 2026-12-04 17:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "e0ad4e5f6a7b"
down_revision = "e09c3d4e5f6a"
branch_labels = None
depends_on = None

DIMENSIONS = (
    "category_id",
    "target_group_id",
    "district_id",
    "language",
    "channel",
    "migration",
)


def upgrade():
    op.create_index(
        "ix_feedback_monitoring_month",
        "feedback",
        ["created_at", *DIMENSIONS, "rating"],
        unique=False,
    )
    for name in DIMENSIONS:
        op.create_index(
            f"ix_feedback_monitoring_{name.removesuffix('_id')}",
            "feedback",
            [name, "created_at", "rating"],
            unique=False,
        )


def downgrade():
    for name in reversed(DIMENSIONS):
        op.drop_index(f"ix_feedback_monitoring_{name.removesuffix('_id')}", table_name="feedback")
    op.drop_index("ix_feedback_monitoring_month", table_name="feedback")
