"""PostgreSQL: the texts are matched where they live.

The big texts (a paper's number, title and text, the text of its attached
files, a decision, a minutes entry, an agenda item) are not copied into the
index: a GIN index on an expression over the source table's own columns
(:class:`MatchPath`) finds them, and PostgreSQL keeps it in the same
transaction as the row, by construction.  Only what lives in no single table
(a meeting's body name, a project with its partners and reports, a minutes
entry's title) is stored as a vector in ``search_document.tsv``.

Two SQL functions, created with the schema (``create_all`` and the
migration ``e0cf6a7b8c9d``), make the vector of a text in the database:

* ``netzwerk_search_fold(text)`` does what :func:`.analysis.fold` does
  (lower case, NFC, umlauts and ß written out, NFKD, combining marks
  dropped); a property test ties the two together;
* ``netzwerk_search_vector(text[])`` joins the parts with a space, cuts them
  to :data:`MAX_TEXT` characters, folds them and lets the ``german``
  configuration stem the words.

A match path's index and its query are made from one expression
(:meth:`MatchPath.expression`), so that the planner can use the index; a
test compares the migration's definitions with this module's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import DDL, Index, Text, cast, func
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.sql.elements import ColumnElement

FOLD_FUNCTION = "netzwerk_search_fold"
VECTOR_FUNCTION = "netzwerk_search_vector"
MAX_TEXT = 300_000  # characters of a text that are indexed (index.MAX_TEXT too)

# The combining marks analysis.fold drops (its _COMBINING), as a regular
# expression of PostgreSQL (ARE: \uXXXX escapes).
_COMBINING = r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"

# SQL-standard bodies (RETURN ...), not strings: PostgreSQL resolves the
# names in them when the function is made, so a restore of pg_dump's output,
# which runs with an empty search_path, can build the indexes that call them
# (a string body would look up netzwerk_search_fold there and fail).
# The migration e0cf6a7b8c9d holds a copy of these two statements (migrations
# never import the application); tests/search compares what both create.
# ``lower`` follows the database's LC_CTYPE: a UTF-8 one (C.UTF-8, de_DE.UTF-8),
# as the ``german`` configuration needs anyway.  The vector's COST says
# what it is, expensive (a tiny table is then still searched by its index,
# not by folding every row); PARALLEL RESTRICTED keeps a search's scans out
# of parallel workers, which cost more than they save on a query of
# milliseconds (PostgreSQL 15 builds GIN indexes without workers anyway).
CREATE_FOLD = f"""\
CREATE OR REPLACE FUNCTION {FOLD_FUNCTION}(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN regexp_replace(
  normalize(
    replace(replace(replace(replace(normalize(lower(value), NFC),
      'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss'),
    NFKD),
  '{_COMBINING}', '', 'g')"""
CREATE_VECTOR = f"""\
CREATE OR REPLACE FUNCTION {VECTOR_FUNCTION}(parts text[]) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL RESTRICTED COST 1000
RETURN to_tsvector('german'::regconfig,
  {FOLD_FUNCTION}(left(array_to_string(parts, ' '), {MAX_TEXT})))"""
DROP_FUNCTIONS = (
    f"DROP FUNCTION IF EXISTS {VECTOR_FUNCTION}(text[])",
    f"DROP FUNCTION IF EXISTS {FOLD_FUNCTION}(text)",
)


def create_functions() -> list[DDL]:
    """DDL run before the tables are created (their indexes call them)."""
    return [DDL(sql).execute_if(dialect="postgresql") for sql in (CREATE_FOLD, CREATE_VECTOR)]


def drop_functions() -> list[DDL]:
    """DDL run after the tables are dropped."""
    return [DDL(sql).execute_if(dialect="postgresql") for sql in DROP_FUNCTIONS]


def vector(*parts: Any) -> ColumnElement[Any]:
    """The vector of these texts (columns or bound values), as one text."""
    texts: list[ColumnElement[str]] = [cast(part, Text) for part in parts]
    return func.netzwerk_search_vector(array(texts))


@dataclass(frozen=True)
class MatchPath:
    """Where the objects of one kind are found by a text of theirs on
    PostgreSQL: a GIN index on the vector of ``columns`` (one table's), and
    the ids of the kind's objects whose text there matches a condition."""

    name: str  # the index's name
    columns: tuple[ColumnElement[Any], ...]  # columns of one table
    # (the condition on the columns' table) -> SELECT of the objects' ids
    object_ids: Callable[[ColumnElement[bool]], Any]
    index: Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Attached to the columns' table, so that create_all (PostgreSQL
        # only) and Alembic's comparison see it.
        index = Index(
            self.name,
            self.expression(),
            postgresql_using="gin",
            postgresql_with={"fastupdate": "off"},
        ).ddl_if(dialect="postgresql")
        object.__setattr__(self, "index", index)

    @property
    def table(self) -> Any:
        return getattr(self.columns[0], "table")  # noqa: B009 - a Column's table

    def expression(self) -> ColumnElement[Any]:
        """The indexed expression; a query must use exactly this one."""
        return vector(*self.columns)

    def matching(self, tsquery: Any) -> Any:
        """SELECT of the ids of the objects whose text here matches."""
        return self.object_ids(self.expression().op("@@")(tsquery))
