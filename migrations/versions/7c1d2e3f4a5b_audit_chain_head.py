"""audit chain head: the last link in one row

The head row serialises the audit chain's links on PostgreSQL (its UPDATE
waits for the previous link's transaction and continues from the head that
committed), instead of an advisory lock taken before reading the last event;
on SQLite a trigger moves it after each insert.  It starts at the current
last event, so an existing trail continues unbroken.

Revision ID: 7c1d2e3f4a5b
Revises: 5beae225a4e8
Create Date: 2026-11-26 15:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1d2e3f4a5b'
down_revision = '5beae225a4e8'
branch_labels = None
depends_on = None

GENESIS = '0' * 64
SQLITE_TRIGGER = (
    "CREATE TRIGGER audit_chain_advance AFTER INSERT ON audit_event "
    "BEGIN UPDATE audit_chain_head SET event_id = NEW.id, prev_hash = NEW.prev_hash, "
    "hash = NEW.hash WHERE id = 1; END"
)


def upgrade():
    op.create_table(
        'audit_chain_head',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_audit_chain_head_one_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')),
    )
    bind = op.get_bind()
    last = bind.execute(
        sa.text('SELECT id, prev_hash, hash FROM audit_event ORDER BY id DESC LIMIT 1')
    ).first()
    head = (
        {'event_id': last.id, 'prev_hash': last.prev_hash, 'hash': last.hash}
        if last is not None
        else {'event_id': 0, 'prev_hash': GENESIS, 'hash': GENESIS}
    )
    bind.execute(
        sa.text(
            'INSERT INTO audit_chain_head (id, event_id, prev_hash, hash) '
            'VALUES (1, :event_id, :prev_hash, :hash)'
        ),
        head,
    )
    if bind.dialect.name == 'sqlite':
        op.execute(SQLITE_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TRIGGER IF EXISTS audit_chain_advance')
    op.drop_table('audit_chain_head')
