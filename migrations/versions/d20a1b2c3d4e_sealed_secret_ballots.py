"""sealed secret ballots: unlinkable in storage (issue #18, finding 1)

While a secret poll is open its ballots are stored only sealed (encrypted
under a per-poll key derived from the application's secret key) in the new
table ``sealed_ballot``; at the close they are published into
``secret_ballot`` in a random order with fresh random ids (see
``netzwerk/voting/sealing.py``).  On PostgreSQL the guard of
``secret_ballot`` (and of ``sealed_ballot``) allows DELETE while the poll is
open, which the close needs; UPDATE stays refused, and nothing changes once
the poll is closed.

Data: the plaintext ballots of polls already closed were written beside
their participations, in the same transaction and in the order of the votes;
they are rewritten here in a random order with fresh ids (in one
transaction, so their transaction id no longer matches any participation).
Ballots of polls still open are rewritten by their close.  Copies made
before (backups, PostgreSQL's dead tuples until the next VACUUM) keep the old
order: run ``VACUUM secret_ballot`` after upgrading.

Revision ID: d20a1b2c3d4e
Revises: d20d4e5f6a7b
Create Date: 2026-12-04 09:00:00

"""
import random
import uuid
from collections import defaultdict

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd20a1b2c3d4e'
down_revision = 'd20d4e5f6a7b'
branch_labels = None
depends_on = None


SEALED_BYTES = 45

PG_SECRET_BALLOT_POLL_OPEN = """
CREATE OR REPLACE FUNCTION secret_ballot_poll_open() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'ballots cannot be changed (% refused)', TG_OP;
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF (SELECT state FROM poll WHERE id = OLD.poll_id) IS DISTINCT FROM 'open' THEN
      RAISE EXCEPTION 'poll is not open';
    END IF;
    RETURN OLD;
  END IF;
  IF (SELECT state FROM poll WHERE id = NEW.poll_id) IS DISTINCT FROM 'open' THEN
    RAISE EXCEPTION 'poll is not open';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""

SQLITE_SECRET_BALLOT_POLL_OPEN = (
    "CREATE TRIGGER secret_ballot_poll_open BEFORE INSERT ON secret_ballot FOR EACH ROW "
    "WHEN (SELECT state FROM poll WHERE id = NEW.poll_id) IS NOT 'open' "
    "BEGIN SELECT RAISE(ABORT, 'poll is not open'); END"
)
SQLITE_SEALED = [
    "CREATE TRIGGER sealed_ballot_poll_open BEFORE INSERT ON sealed_ballot FOR EACH ROW "
    "WHEN (SELECT state FROM poll WHERE id = NEW.poll_id) IS NOT 'open' "
    "BEGIN SELECT RAISE(ABORT, 'poll is not open'); END",
    "CREATE TRIGGER sealed_ballot_immutable BEFORE UPDATE ON sealed_ballot FOR EACH ROW "
    "BEGIN SELECT RAISE(ABORT, 'ballots cannot be changed'); END",
]


def _reshuffle_closed_polls(conn):
    """Rewrite the secret ballots of closed polls in a random order with fresh
    ids (the guard that refuses inserts into a closed poll is dropped here)."""
    rows = conn.execute(
        sa.text(
            "SELECT sb.poll_id, sb.value FROM secret_ballot sb "
            "JOIN poll p ON p.id = sb.poll_id WHERE p.state = 'closed'"
        )
    ).all()
    by_poll = defaultdict(list)
    for poll_id, value in rows:
        by_poll[poll_id].append(value)
    shuffle = random.SystemRandom().shuffle
    for poll_id, values in sorted(by_poll.items()):
        shuffle(values)
        conn.execute(sa.text("DELETE FROM secret_ballot WHERE poll_id = :p"), {"p": poll_id})
        conn.execute(
            sa.text("INSERT INTO secret_ballot (id, poll_id, value) VALUES (:id, :p, :v)"),
            [{"id": str(uuid.uuid4()), "p": poll_id, "v": v} for v in values],
        )


def upgrade():
    op.create_table('sealed_ballot',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('sealed', sa.LargeBinary(length=SEALED_BYTES), nullable=False),
    sa.CheckConstraint(f'length(sealed) = {SEALED_BYTES}', name=op.f('ck_sealed_ballot_sealed_length')),
    sa.ForeignKeyConstraint(['poll_id'], ['poll.id'], name=op.f('fk_sealed_ballot_poll_id_poll'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('poll_id', 'id', name=op.f('pk_sealed_ballot')),
    sqlite_with_rowid=False
    )

    conn = op.get_bind()
    if conn.dialect.name == 'postgresql':
        op.execute('DROP TRIGGER secret_ballot_poll_open ON secret_ballot')
        _reshuffle_closed_polls(conn)
        op.execute(PG_SECRET_BALLOT_POLL_OPEN)
        for table in ('secret_ballot', 'sealed_ballot'):
            op.execute(
                f'CREATE TRIGGER {table}_poll_open BEFORE INSERT OR UPDATE OR DELETE ON {table} '
                f'FOR EACH ROW EXECUTE FUNCTION secret_ballot_poll_open()'
            )
    elif conn.dialect.name == 'sqlite':
        op.execute('PRAGMA secure_delete = ON')
        op.execute('DROP TRIGGER secret_ballot_poll_open')
        _reshuffle_closed_polls(conn)
        op.execute(SQLITE_SECRET_BALLOT_POLL_OPEN)
        for statement in SQLITE_SEALED:
            op.execute(statement)


def downgrade():
    conn = op.get_bind()
    sealed = conn.execute(sa.text('SELECT COUNT(*) FROM sealed_ballot')).scalar()
    if sealed:
        raise RuntimeError(
            f'{sealed} sealed ballots of open secret polls: close those polls before '
            'downgrading (the old schema cannot hold them)'
        )
    if conn.dialect.name == 'postgresql':
        op.execute('DROP TRIGGER sealed_ballot_poll_open ON sealed_ballot')
        op.execute('DROP TRIGGER secret_ballot_poll_open ON secret_ballot')
        op.execute(
            'CREATE TRIGGER secret_ballot_poll_open BEFORE INSERT OR UPDATE OR DELETE ON '
            'secret_ballot FOR EACH ROW EXECUTE FUNCTION ballot_poll_open()'
        )
        op.execute('DROP FUNCTION secret_ballot_poll_open()')
    elif conn.dialect.name == 'sqlite':
        op.execute('DROP TRIGGER sealed_ballot_poll_open')
        op.execute('DROP TRIGGER sealed_ballot_immutable')
    op.drop_table('sealed_ballot')
