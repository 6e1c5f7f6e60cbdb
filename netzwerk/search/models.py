"""The search index: one row per findable object, and extracted file texts.

``search_document`` holds what the result list and the facets need (kind,
object, body, year, action field, state) and what is matched:

* on SQLite, the stems of title and text, indexed by the contentless FTS5
  table ``search_fts`` under this row's id (created with this table, see
  :data:`FTS5_TABLE`);
* on PostgreSQL, the big texts are matched where they live, through GIN
  indexes on expressions over the source tables (:data:`MATCH_PATHS`, see
  :mod:`.postgres`); ``tsv`` holds, without positions, the vector of what
  lives in no single table (a meeting with its body's name, a project with
  its partners and reports, a minutes entry's title), NULL for the rest (GIN
  index, ``fastupdate`` off: no uncompressed pending list); ``title_tsv``
  the title's own (title hits rank first).

Only what the result list shows and the facets count is stored beside
them: snippets are made from the objects themselves when a page is shown.
No index on body or year: the facets are counted from the matched rows,
never looked up by value.

Who may see a result is not stored here: the query asks the visibility
policy (``netzwerk.visibility``) for every kind, so a body made non-public
or a seat that ends changes the results at once, without reindexing.

``search_file_text`` holds the text extracted from an attachment once, by
the file's SHA-256 (the same file attached twice is read once): on SQLite
zlib-compressed (``text_z``), on PostgreSQL as text (``text``, compressed by
TOAST when long), which a match path's expression index reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DDL,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy import select as _select
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from ..database import UTCDateTime, utcnow
from ..decisions.models import Decision
from ..extensions import Model
from ..meetings.models import AgendaItem
from ..minutes.models import MinutesEntry
from ..papers.models import Paper, PaperAttachment
from . import postgres
from .postgres import MatchPath

GIN_INDEX = "ix_search_document_tsv"


class TsVector(TypeDecorator[Any]):
    """``tsvector`` on PostgreSQL; an unused text column elsewhere."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TSVECTOR())
        return dialect.type_descriptor(Text())


class SearchDocument(Model):
    __tablename__ = "search_document"
    __table_args__ = (
        UniqueConstraint("kind", "object_id", name="uq_search_document_object"),
        Index(
            GIN_INDEX,
            "tsv",
            postgresql_using="gin",
            postgresql_with={"fastupdate": "off"},
        ),
        # SQLite: ids are never reused, so an id's entries in the full-text
        # index belong to this row or to no row at all (see FTS5_TABLE).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[int] = mapped_column(Integer)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id", ondelete="SET NULL"))
    year: Mapped[int | None] = mapped_column(Integer)
    action_field_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_field.id", ondelete="SET NULL")
    )
    state: Mapped[str | None] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(400))
    # PostgreSQL: the vector, without positions, of what of the document no
    # match path reaches (matched, GIN index; NULL when the paths reach it
    # all) and the title's own, without positions too (only asked whether it
    # matches: title hits rank first).
    tsv: Mapped[Any] = mapped_column(TsVector(), nullable=True)
    title_tsv: Mapped[Any] = mapped_column(TsVector(), nullable=True)
    # No time of indexing: it would date public feedback to the second.


class SearchFileText(Model):
    """The text of an attached file, extracted once: zlib-compressed on
    SQLite (``text_z``), as text on PostgreSQL (``text``: matched by its
    expression index, see :data:`MATCH_PATHS`)."""

    __tablename__ = "search_file_text"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    text_z: Mapped[bytes | None] = mapped_column(LargeBinary)
    text: Mapped[str | None] = mapped_column(Text)
    extracted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# PostgreSQL: the match paths of the kinds whose text lives in their own
# tables (sources.py names them per kind).  Each one's GIN index is attached
# to its table (PostgreSQL only); the migration e0cf6a7b8c9d creates the same.
MATCH_PATHS: dict[str, tuple[MatchPath, ...]] = {
    "paper": (
        MatchPath(
            "ix_search_paper",
            (Paper.__table__.c.number, Paper.__table__.c.title, Paper.__table__.c.text),
            lambda hit: _select(Paper.id).where(hit),
        ),
        # The text of its attached files.
        MatchPath(
            "ix_search_file_text",
            (SearchFileText.__table__.c.text,),
            lambda hit: _select(PaperAttachment.paper_id).where(
                PaperAttachment.sha256.in_(_select(SearchFileText.sha256).where(hit))
            ),
        ),
    ),
    "decision": (
        MatchPath(
            "ix_search_decision",
            (
                Decision.__table__.c.number,
                Decision.__table__.c.title,
                Decision.__table__.c.subject_title,
                Decision.__table__.c.text,
            ),
            lambda hit: _select(Decision.id).where(hit),
        ),
    ),
    "minutes": (  # the summary (the title is stored: it is made of others' parts)
        MatchPath(
            "ix_search_minutes_entry",
            (MinutesEntry.__table__.c.summary,),
            lambda hit: _select(MinutesEntry.id).where(hit),
        ),
    ),
    "agenda_item": (
        MatchPath(
            "ix_search_agenda_item",
            (AgendaItem.__table__.c.title, AgendaItem.__table__.c.text),
            lambda hit: _select(AgendaItem.id).where(hit),
        ),
    ),
}


# SQLite: the full-text index over the stems (its content is search_document,
# so the stems are stored once).  Its own tables are listed in
# migrations/env.py's EXTERNAL_TABLES.
FTS5_TABLE = "search_fts"
FTS5_TABLES = (
    FTS5_TABLE,
    f"{FTS5_TABLE}_data",
    f"{FTS5_TABLE}_idx",
    f"{FTS5_TABLE}_docsize",
    f"{FTS5_TABLE}_config",
)
# Contentless (the stems are stored nowhere else) and with column detail only
# (no positions: no phrase queries are asked), so the index stays small; a
# column filter on title_terms tells title hits (they rank first).  A
# contentless table cannot take a row out without its old stems: a changed
# document gets a new row (a new id) and its old entries stay behind,
# matching no row, until the nightly compaction rebuilds the index
# (index.compact).
CREATE_FTS5 = DDL(
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS5_TABLE} USING fts5("
    "title_terms, terms, content='', detail='column')"
).execute_if(dialect="sqlite")
DROP_FTS5 = DDL(f"DROP TABLE IF EXISTS {FTS5_TABLE}").execute_if(dialect="sqlite")

event.listen(SearchDocument.__table__, "after_create", CREATE_FTS5)
event.listen(SearchDocument.__table__, "before_drop", DROP_FTS5)

# PostgreSQL: the functions the match paths' indexes call, created before the
# tables and dropped after them.
for _ddl in postgres.create_functions():
    event.listen(Model.metadata, "before_create", _ddl)
for _ddl in postgres.drop_functions():
    event.listen(Model.metadata, "after_drop", _ddl)
