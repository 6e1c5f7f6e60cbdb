"""counselling case: when its waiting-loop mark was last cleared

Non-arrivals recorded before the clearing are resolved with it and no longer
mark the case again on the next referral.  Cases cleared before this
revision take the time of their last clearing from the audit trail.

Revision ID: 8d2e4f6a7b8c
Revises: 7c1d2e3f4a5b
Create Date: 2026-11-26 17:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d2e4f6a7b8c'
down_revision = '7c1d2e3f4a5b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('counselling_case', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('waiting_loop_cleared_at', sa.DateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE counselling_case SET waiting_loop_cleared_at = ("
        "SELECT max(audit_event.created_at) FROM audit_event "
        "WHERE audit_event.action = 'case_waiting_loop_cleared' "
        "AND audit_event.object_type = 'counselling_case' "
        "AND audit_event.object_id = counselling_case.id)"
    )


def downgrade():
    with op.batch_alter_table('counselling_case', schema=None) as batch_op:
        batch_op.drop_column('waiting_loop_cleared_at')
