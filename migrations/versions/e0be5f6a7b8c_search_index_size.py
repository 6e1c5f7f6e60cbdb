"""search index size: leaner indexes on search_document

No body and year indexes, GIN without a pending list, title vectors without
positions.  The facets are counted from the matched rows, so nothing looks
documents up by body or year.  The GIN index takes new rows at once (``fastupdate`` off)
instead of keeping them uncompressed in a pending list.  The title's
tsvector is only asked whether it matches: new rows get it without
positions; existing rows keep theirs (harmless) until `flask netzwerk
search reindex`, which also builds the GIN index compactly; no UPDATE here,
which would leave a dead version of every row behind.

Revision ID: e0be5f6a7b8c
Revises: e0ad4e5f6a7b
Create Date: 2026-12-04 18:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "e0be5f6a7b8c"
down_revision = "e0ad4e5f6a7b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.drop_index("ix_search_document_year")
        batch_op.drop_index("ix_search_document_body_id")
    if op.get_bind().dialect.name == "postgresql":
        # Rebuilt with the new setting: compact, and the pending list merged.
        op.execute("DROP INDEX ix_search_document_tsv")
        op.execute(
            "CREATE INDEX ix_search_document_tsv ON search_document "
            "USING gin (tsv) WITH (fastupdate = off)"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_search_document_tsv")
        op.execute("CREATE INDEX ix_search_document_tsv ON search_document USING gin (tsv)")
    with op.batch_alter_table("search_document", schema=None) as batch_op:
        batch_op.create_index("ix_search_document_body_id", ["body_id"], unique=False)
        batch_op.create_index("ix_search_document_year", ["year"], unique=False)
