"""status report: who corrected it last, and when

The project page shows it beside the author; the audit trail keeps every
correction.  Reports corrected before this revision take their last
correction from the audit trail.

Revision ID: 9e3f5a7b8c9d
Revises: 8d2e4f6a7b8c
Create Date: 2026-11-26 18:30:00

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9e3f5a7b8c9d'
down_revision = '8d2e4f6a7b8c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('project_status_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_by_person_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_project_status_report_updated_by_person_id_person'),
            'person',
            ['updated_by_person_id'],
            ['id'],
            ondelete='SET NULL',
        )
    bind = op.get_bind()
    events = bind.execute(
        sa.text(
            "SELECT audit_event.created_at, audit_event.data, user_account.person_id "
            "FROM audit_event LEFT JOIN user_account ON user_account.id = audit_event.actor_id "
            "WHERE audit_event.action = 'project.report_updated' ORDER BY audit_event.id"
        )
    ).all()
    last = {}
    for event in events:
        try:
            report_id = int(json.loads(event.data or '{}')['report_id'])
        except (ValueError, KeyError, TypeError):
            continue
        last[report_id] = (event.created_at, event.person_id)
    for report_id, (updated_at, person_id) in last.items():
        bind.execute(
            sa.text(
                'UPDATE project_status_report SET updated_at = :at, updated_by_person_id = :by '
                'WHERE id = :id'
            ),
            {'at': updated_at, 'by': person_id, 'id': report_id},
        )


def downgrade():
    with op.batch_alter_table('project_status_report', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_project_status_report_updated_by_person_id_person'), type_='foreignkey'
        )
        batch_op.drop_column('updated_by_person_id')
        batch_op.drop_column('updated_at')
