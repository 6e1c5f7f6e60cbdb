"""search: PostgreSQL matches the source texts through expression indexes

On PostgreSQL the big texts are no longer copied into search_document.tsv:
GIN indexes on expressions over the tables where they live find them
(paper: number, title, text; decision: number, title, subject, text; the
minutes entry's summary; the agenda item's title and text; an attached
file's extracted text, now kept as text in search_file_text.text).  Two SQL
functions make the vector: netzwerk_search_fold (what
netzwerk.search.analysis.fold does) and netzwerk_search_vector.  The stored
vector of papers, decisions and agenda items becomes NULL, a minutes
entry's holds its title only.  Copies of netzwerk/search/postgres.py's
definitions (migrations never import the application); tests/search checks
that both create the same.

On SQLite only the new column (and text_z may be NULL): the extracted texts
stay compressed in text_z there.

The UPDATEs leave a dead version of many search_document rows:
`flask netzwerk search reindex` afterwards makes the table and its GIN
index compact again (optional).  After a downgrade it is needed: the
stored vectors are made again from what the expression indexes matched,
roughly (the title twice): reindex makes them exact.

Revision ID: e0cf6a7b8c9d
Revises: e0be5f6a7b8c
Create Date: 2026-12-04 21:00:00

"""

import zlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e0cf6a7b8c9d"
down_revision = "e0be5f6a7b8c"
branch_labels = None
depends_on = None

CREATE_FOLD = """\
CREATE OR REPLACE FUNCTION netzwerk_search_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN regexp_replace(
  normalize(
    replace(replace(replace(replace(normalize(lower(value), NFC),
      'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss'),
    NFKD),
  '[\\u0300-\\u036f\\u1ab0-\\u1aff\\u1dc0-\\u1dff\\u20d0-\\u20ff\\ufe20-\\ufe2f]', '', 'g')"""
CREATE_VECTOR = """\
CREATE OR REPLACE FUNCTION netzwerk_search_vector(parts text[]) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL RESTRICTED COST 1000
RETURN to_tsvector('german'::regconfig,
  netzwerk_search_fold(left(array_to_string(parts, ' '), 300000)))"""

# (index, table, text columns)
INDEXES = (
    ("ix_search_paper", "paper", ("number", "title", "text")),
    ("ix_search_file_text", "search_file_text", ("text",)),
    ("ix_search_decision", "decision", ("number", "title", "subject_title", "text")),
    ("ix_search_minutes_entry", "minutes_entry", ("summary",)),
    ("ix_search_agenda_item", "agenda_item", ("title", "text")),
)


def _vector(columns, prefix=""):
    parts = ", ".join(f"CAST({prefix}{column} AS TEXT)" for column in columns)
    return f"netzwerk_search_vector(ARRAY[{parts}])"


def _file_texts(select, update, convert):
    """Move every extracted text from one column to the other, in batches."""
    conn = op.get_bind()
    shas = list(conn.execute(sa.text(select)).scalars())
    for start in range(0, len(shas), 200):
        rows = conn.execute(
            sa.text(
                "SELECT sha256, text_z, text FROM search_file_text WHERE sha256 IN :shas"
            ).bindparams(sa.bindparam("shas", expanding=True)),
            {"shas": shas[start : start + 200]},
        ).all()
        conn.execute(sa.text(update), [{"sha": sha, "value": convert(z, t)} for sha, z, t in rows])


def upgrade():
    with op.batch_alter_table("search_file_text", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch_op.alter_column("text_z", existing_type=sa.LargeBinary(), nullable=True)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CREATE_FOLD)
    op.execute(CREATE_VECTOR)
    _file_texts(
        "SELECT sha256 FROM search_file_text WHERE text_z IS NOT NULL",
        "UPDATE search_file_text SET text = :value, text_z = NULL WHERE sha256 = :sha",
        lambda z, _t: zlib.decompress(z).decode("utf-8").replace("\x00", "") if z else "",
    )
    op.execute(
        "UPDATE search_document SET tsv = NULL WHERE kind IN ('paper', 'decision', 'agenda_item')"
    )
    op.execute("UPDATE search_document SET tsv = title_tsv WHERE kind = 'minutes'")
    for name, table, columns in INDEXES:
        op.execute(
            f"CREATE INDEX {name} ON {table} USING gin ({_vector(columns)}) WITH (fastupdate = off)"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, _table, _columns in INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        # The stored vectors again, from the texts the indexes matched
        # (`flask netzwerk search reindex` makes them exact).
        files = (
            "(SELECT string_agg(f.text, ' ') FROM search_file_text f "
            "JOIN paper_attachment a ON a.sha256 = f.sha256 WHERE a.paper_id = p.id)"
        )
        op.execute(
            "UPDATE search_document d SET tsv = strip(d.title_tsv || netzwerk_search_vector(ARRAY["
            f"CAST(p.number AS TEXT), CAST(p.title AS TEXT), p.text, {files}])) "
            "FROM paper p WHERE d.kind = 'paper' AND d.object_id = p.id"
        )
        op.execute(
            "UPDATE search_document d SET tsv = strip(d.title_tsv || "
            f"{_vector(('number', 'title', 'subject_title', 'text'), 'x.')}) "
            "FROM decision x WHERE d.kind = 'decision' AND d.object_id = x.id"
        )
        op.execute(
            "UPDATE search_document d SET tsv = strip(d.title_tsv || "
            f"{_vector(('title', 'text'), 'x.')}) "
            "FROM agenda_item x WHERE d.kind = 'agenda_item' AND d.object_id = x.id"
        )
        op.execute(
            "UPDATE search_document d SET tsv = strip(d.title_tsv || "
            f"{_vector(('summary',), 'x.')}) "
            "FROM minutes_entry x WHERE d.kind = 'minutes' AND d.object_id = x.id"
        )
        _file_texts(
            "SELECT sha256 FROM search_file_text WHERE text_z IS NULL",
            "UPDATE search_file_text SET text_z = :value, text = NULL WHERE sha256 = :sha",
            lambda _z, t: zlib.compress((t or "").encode("utf-8"), 6),
        )
        op.execute("DROP FUNCTION IF EXISTS netzwerk_search_vector(text[])")
        op.execute("DROP FUNCTION IF EXISTS netzwerk_search_fold(text)")
    else:
        op.execute("UPDATE search_file_text SET text_z = X'' WHERE text_z IS NULL")
    with op.batch_alter_table("search_file_text", schema=None) as batch_op:
        batch_op.alter_column("text_z", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("text")
