"""polls on the workflow engine: poll_process

Every poll gets a workflow process (one row, 1:1): a circular resolution
(``kind = 'circular'``, workflow of the slot ``circular_resolution``) or a
vote in a meeting (``kind = 'meeting'``, slot ``meeting_vote``).  The
process carries the workflow columns (name, hash, state, version, entry
time); the poll row keeps its counting lifecycle (draft, open, closed) and
its triggers.  The transitions' effects open and close the poll.

Polls that exist before this revision have no process yet; the application
adopts them the first time it needs one (``voting.services.process_of``
and the job ``voting.adopt_polls``): the process is put, without effects,
into the state of the body's current definition that matches the poll
(the initial state for a draft, a state flagged ``open`` for an open poll,
a final state flagged ``closed`` for a closed one).  A migration cannot do
it: the definitions and their hashes live in ``workflows/*.yaml``.

Revision ID: a17b1c2d3e4f
Revises: 9e3f5a7b8c9d
Create Date: 2026-12-03 08:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a17b1c2d3e4f'
down_revision = '9e3f5a7b8c9d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('poll_process',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('workflow_name', sa.String(length=60), nullable=False),
    sa.Column('workflow_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=60), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state_entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('circular', 'meeting')", name=op.f('ck_poll_process_kind')),
    sa.CheckConstraint('version >= 0', name=op.f('ck_poll_process_version')),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_poll_process_poll_id_poll'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_process')),
    sa.UniqueConstraint('poll_id', name=op.f('uq_poll_process_poll_id'))
    )
    with op.batch_alter_table('poll_process', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_process_state'), ['state'], unique=False)


def downgrade():
    with op.batch_alter_table('poll_process', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_process_state'))

    op.drop_table('poll_process')
