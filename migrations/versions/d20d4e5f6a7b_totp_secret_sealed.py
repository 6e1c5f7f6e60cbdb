"""TOTP secrets encrypted at rest

The base32 TOTP secret of an account was stored in plain text.  It moves to
``totp_secret_sealed``: AES-256-GCM with a key derived (HKDF-SHA256) from the
application's secret key, the account as associated data (netzwerk/auth/
sealed.py; this migration keeps its own copy of the format, ``v1``).  The
secret key is the one of the app running the migration (``flask db upgrade``
loads it like the web app does).

The old column is dropped with a plain ALTER TABLE (SQLite >= 3.35), not a
batch copy of ``user_account``: a copy would drop the table that sessions,
reset links and memberships point at.

Revision ID: d20d4e5f6a7b
Revises: d20c3d4e5f6a
Create Date: 2026-12-05 09:00:00

"""
import base64
import os

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd20d4e5f6a7b'
down_revision = 'd20c3d4e5f6a'
branch_labels = None
depends_on = None

PREFIX = 'v1:'
INFO = b'netzwerk.auth.sealed.v1'


def _aesgcm():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from flask import current_app

    secret_key = current_app.config['SECRET_KEY']
    material = secret_key.encode() if isinstance(secret_key, str) else secret_key
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(material)
    return AESGCM(key)


def _context(user_id):
    return f'user:{user_id}:totp'.encode()


def _rows(bind, column):
    return bind.execute(
        sa.text(f'SELECT id, {column} FROM user_account WHERE {column} IS NOT NULL')
    ).all()


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret_sealed', sa.String(length=255), nullable=True))

    bind = op.get_bind()
    rows = _rows(bind, 'totp_secret')
    if rows:
        box = _aesgcm()
        for user_id, secret in rows:
            nonce = os.urandom(12)
            sealed = box.encrypt(nonce, secret.encode(), _context(user_id))
            bind.execute(
                sa.text(
                    'UPDATE user_account SET totp_secret_sealed = :sealed, totp_secret = NULL '
                    'WHERE id = :id'
                ),
                {'sealed': PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode(), 'id': user_id},
            )
    op.drop_column('user_account', 'totp_secret')


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))

    bind = op.get_bind()
    rows = _rows(bind, 'totp_secret_sealed')
    if rows:
        box = _aesgcm()
        for user_id, value in rows:
            raw = base64.urlsafe_b64decode(value[len(PREFIX):].encode())
            secret = box.decrypt(raw[:12], raw[12:], _context(user_id)).decode()
            bind.execute(
                sa.text('UPDATE user_account SET totp_secret = :secret WHERE id = :id'),
                {'secret': secret, 'id': user_id},
            )
    op.drop_column('user_account', 'totp_secret_sealed')
