"""search index: documents, extracted file texts, full-text index

One row per findable object in search_document; on PostgreSQL tsvectors
with a GIN index, on SQLite a contentless FTS5 table over the stems (ids never
reused).  Extracted attachment texts are kept
compressed by the file's SHA-256.  Fill it with `flask netzwerk search
reindex` (`make run` does when it is empty).

Revision ID: d21e5f6a7b8c
Revises: d20a1b2c3d4e
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'd21e5f6a7b8c'
down_revision = 'd20a1b2c3d4e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('action_field_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=120), nullable=True),
    sa.Column('title', sa.String(length=400), nullable=False),
    sa.Column('tsv', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
    sa.Column('title_tsv', sa.Text().with_variant(postgresql.TSVECTOR(), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['action_field_id'], ['action_field.id'], name=op.f('fk_search_document_action_field_id_action_field'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['body_id'], ['body.id'], name=op.f('fk_search_document_body_id_body'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_document')),
    sa.UniqueConstraint('kind', 'object_id', name='uq_search_document_object'),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('search_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_document_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_document_year'), ['year'], unique=False)
        batch_op.create_index('ix_search_document_tsv', ['tsv'], unique=False, postgresql_using='gin')

    op.create_table('search_file_text',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('text_z', sa.LargeBinary(), nullable=False),
    sa.Column('extracted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_search_file_text'))
    )
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
            "title_terms, terms, content='', detail='column')"
        )


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table('search_file_text')
    with op.batch_alter_table('search_document', schema=None) as batch_op:
        batch_op.drop_index('ix_search_document_tsv', postgresql_using='gin')
        batch_op.drop_index(batch_op.f('ix_search_document_year'))
        batch_op.drop_index(batch_op.f('ix_search_document_body_id'))
    op.drop_table('search_document')
