"""Asking the index: matches the viewer may see, ranked, with facets and
snippets.

The match is the backend's full-text search (SQLite FTS5 over the stems,
PostgreSQL's ``german`` configuration over the folded words); who may see a
result is decided in SQL by the visibility policy's filter for each kind,
asked for the matched objects, before anything is counted: a result the
viewer may not see is never counted, not even in a facet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import url_for
from markupsafe import Markup
from sqlalchemy import (
    Integer,
    String,
    Text,
    bindparam,
    case,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    union,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import AsBoolean, False_, True_

from .. import visibility
from ..extensions import db
from ..governance.models import ActionField, Body
from . import analysis
from .index import file_texts, sources
from .models import FTS5_TABLE, SearchDocument

PER_PAGE = 20
MAX_PAGE = 50
FACETS = ("kind", "body_id", "year", "action_field_id", "state")


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    body_id: int | None = None
    year: int | None = None
    action_field_id: int | None = None
    state: str | None = None


@dataclass
class FacetValue:
    value: Any
    label: str
    count: int


@dataclass
class Hit:
    kind: str
    kind_label: str
    object_id: int
    title: str
    snippet: Markup
    body: str | None
    year: int | None
    state: str | None
    signed_in: bool = False
    oparl_kind: str | None = None  # set when the result is public and in OParl

    @property
    def url(self) -> str:
        """The result's page (built when shown: needs a request)."""
        return str(sources()[self.kind].url(self.object_id, self.signed_in))

    @property
    def oparl_url(self) -> str | None:
        if self.oparl_kind is None:
            return None
        return url_for("api.oparl_object", kind=self.oparl_kind, object_id=self.object_id)


@dataclass
class Results:
    query: analysis.Query
    total: int = 0
    page: int = 1
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    capped: bool = False  # more matches than were read: counts are "at least"

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))


def _fts_expression(query: analysis.Query) -> str:
    """An FTS5 query: every word's stem, and the prefix in either form.
    The words are \\w+ only (analysis.words), quoted all the same."""
    parts = [f'"{stem}"' for stem in sorted(query.stems())]
    prefixes = sorted(query.prefixes())
    if prefixes:
        parts.append("(" + " OR ".join(f'"{p}"*' for p in prefixes) + ")")
    return " AND ".join(parts)


def _tsquery_terms(query: analysis.Query) -> list[str]:
    """PostgreSQL: the query's terms for ``to_tsquery`` (the words are \\w+
    only, analysis.words): every word, and the prefix being typed."""
    parts = list(query.words)
    if query.prefix:
        parts.append(f"{query.prefix}:*")
    return parts


def _tsquery_text(query: analysis.Query) -> str:
    return " & ".join(_tsquery_terms(query))


def _tsquery(text_: str) -> Any:
    """PostgreSQL: ``to_tsquery`` of these terms, written into the statement
    (the words are \\w+ only): the planner sees the query (its estimates of
    each index), also in the generic plan of a statement the driver
    prepared after it ran a few times."""
    value = bindparam(None, text_, type_=Text, literal_execute=True)
    return func.to_tsquery(literal_column("'german'::regconfig"), value)


def _matched(query: analysis.Query) -> tuple[Any, Any, Callable[[Any], Any]]:
    """(the matches as a subquery, the rank: smaller ranks first, what
    narrows a SELECT from ``search_document`` to the matched rows).  The
    rank is a column of the matches on SQLite (joined by the row's id), an
    expression over the row on PostgreSQL, where the matches are (kind,
    object) pairs, at most one per row: asked as ``IN`` (the planner hashes
    the matches, not the whole table)."""
    table = SearchDocument.__table__
    if db.session.get_bind().dialect.name != "sqlite":
        pg_matched, rank = _pg_matched(query)
        pairs = select(pg_matched.c.kind, pg_matched.c.object_id)
        return (
            pg_matched,
            rank,
            lambda statement: statement.where(tuple_(table.c.kind, table.c.object_id).in_(pairs)),
        )
    # Title hits first: the matches whose title alone matches (a column
    # filter).  Not bm25: over this contentless table without positions
    # it gives 0 for every row.
    expression = _fts_expression(query)
    title_hit = text(
        f"rowid IN (SELECT rowid FROM {FTS5_TABLE} WHERE {FTS5_TABLE} MATCH :title_fts)"
    ).bindparams(title_fts=f"title_terms : ({expression})")
    matched = (
        select(
            literal_column("rowid").label("doc_id"),
            case((title_hit, -1), else_=0).label("rank"),
        )
        .select_from(text(FTS5_TABLE))
        .where(text(f"{FTS5_TABLE} MATCH :fts").bindparams(fts=expression))
        .subquery("matched")
    )
    return (
        matched,
        matched.c.rank,
        lambda statement: statement.join(matched, matched.c.doc_id == table.c.id),
    )


def _pg_matched(query: analysis.Query) -> tuple[Any, Any]:
    """PostgreSQL: (the matches as (kind, object_id), the rank).

    The documents of the kinds without match paths are matched by their
    stored vector; those of every kind with paths by its objects' texts
    where they live (each path asks its expression index), without reading
    ``search_document``: the matches are joined to it once, by the caller.

    A document matches when every term of the query is in it somewhere: a
    kind with one path asks it the whole query; a kind with several (a
    paper's own text and its files' texts) asks its first path the whole
    query too, and for the objects whose other paths hold one of the terms
    (a few, read first) asks each path each term: such an object matches
    when every term matched in one of its paths (a word the parser splits,
    ``a_b``, in one path).  A term that is only a stop word matches nothing
    and is not counted, as the whole query leaves it out.

    Title hits first (the rank).  No ts_rank: over vectors without positions
    it is the same for every match of a query (a prefix aside), and it would
    read every matched row's vector."""
    table = SearchDocument.__table__
    whole = _tsquery(_tsquery_text(query))
    terms = [_tsquery(term) for term in _tsquery_terms(query)]
    known = sources()
    # The stored vectors; a kind with paths that stores its title is matched
    # through all its paths below.
    with_paths = [kind for kind, source in known.items() if source.pg_paths]
    branches = [
        select(table.c.kind, table.c.object_id).where(
            table.c.tsv.op("@@")(whole), table.c.kind.not_in(with_paths)
        )
    ]
    for kind in with_paths:
        source = known[kind]
        paths: list[Callable[[Any], Any]] = [path.matching for path in source.pg_paths]
        if source.pg_stores_title:
            paths.append(_stored(kind))
        if len(paths) == 1 or len(terms) == 1:
            found = [_ids(matching(whole)) for matching in paths]
            ids = (found[0] if len(found) == 1 else union(*found)).subquery()
        else:
            ids = _across_paths(kind, paths, whole, terms, query)
        branches.append(select(literal(kind, String).label("kind"), ids.c.object_id))
    matched = union_all(*branches).subquery("matched")
    rank = case((table.c.title_tsv.op("@@")(whole), -1), else_=0)
    return matched, rank


def _across_paths(
    kind: str,
    paths: list[Callable[[Any], Any]],
    whole: Any,
    terms: list[Any],
    query: analysis.Query,
) -> Any:
    """The objects of a kind with several paths that hold every term of a
    query of several terms, some perhaps in one path, some in another.

    The first path (the object's own text, the big one) is asked the whole
    query.  The other paths (a paper's files, a minutes entry's title) are
    asked each term first, in a statement of their own: they find a few
    objects, and which terms each holds there.  Such an object matches when
    its first path holds the terms its other paths do not (asked by the
    index and the objects' ids together, so that only their rows are read),
    or when those are only stop words."""
    first, others = paths[0], paths[1:]
    texts = _tsquery_terms(query)
    # Each term the other paths hold, by object; and the stop words (-1).
    found = union_all(
        *[
            _ids(matching(term)).add_columns(literal(n).label("term"))
            for n, term in enumerate(terms)
            for matching in others
        ],
        *[
            select(literal(-1).label("object_id"), literal(n).label("term")).where(
                func.numnode(term) == 0
            )
            for n, term in enumerate(terms)
        ],
    ).subquery("found")
    held: dict[int, set[int]] = {}
    for object_id, n in db.session.execute(select(found.c.object_id, found.c.term)):
        held.setdefault(object_id, set()).add(n)
    wanted = set(range(len(terms))) - held.pop(-1, set())
    by_missing: dict[frozenset[int], list[int]] = {}
    for object_id, held_there in held.items():
        by_missing.setdefault(frozenset(wanted - held_there), []).append(object_id)
    parts = [_ids(first(whole))]
    for i, (missing, ids) in enumerate(sorted(by_missing.items(), key=lambda m: sorted(m[0]))):
        if not missing:  # every term is held by the other paths
            among = bindparam(f"{kind}_held_{i}", sorted(ids), type_=ARRAY(Integer))
            parts.append(select(func.unnest(among).label("object_id")))
            continue
        rest = _tsquery(" & ".join(texts[n] for n in sorted(missing)))
        statement = _ids(first(rest))
        # The ids written into the statement (IN (1, 2, ...)): the planner
        # knows how many they are, and asks the index and the ids together
        # instead of folding each row's text (a parameter, reused by a
        # prepared statement's generic plan, would hide their number).
        among = bindparam(f"{kind}_among_{i}", sorted(ids), expanding=True, literal_execute=True)
        parts.append(statement.where(statement.selected_columns[0].in_(among)))
    return union(*parts).subquery()


def _ids(statement: Any) -> Any:
    """A path's SELECT of object ids, its one column named ``object_id``."""
    return statement.with_only_columns(statement.selected_columns[0].label("object_id"))


def _stored(kind: str) -> Callable[[Any], Any]:
    """The stored vector of a kind's documents as one of its paths."""
    table = SearchDocument.__table__

    def matching(tsquery: Any) -> Any:
        return select(table.c.object_id).where(table.c.kind == kind, table.c.tsv.op("@@")(tsquery))

    return matching


def visible_among(who: visibility.Viewer, kind: str, ids: Sequence[int]) -> set[int]:
    """Which of these objects of one kind the viewer may see: the policy's
    SQL filter for the kind, asked for these ids only."""
    source = sources()[kind]
    statement = source.visible_ids(who)
    if _constant(statement.whereclause) is True:  # the policy lets this viewer see all
        return set(ids)
    found: set[int] = set()
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        found.update(db.session.scalars(statement.where(source.model.id.in_(chunk))))
    return found


ID_CHUNK = 900


def _constant(where: Any) -> bool | None:
    """True or False when a policy's filter is a constant (``true()`` or
    ``false()``, which ``where()`` wraps in AsBoolean), None otherwise."""
    if isinstance(where, AsBoolean) and where.operator is operators.is_true:
        where = where.element
    if isinstance(where, True_):
        return True
    if isinstance(where, False_):
        return False
    return None


def visible_condition(who: visibility.Viewer, kind_column: Any, object_column: Any) -> Any:
    """SQL: the object a row names is one the viewer may see, by the
    policy's filter of its kind, asked per row (a lookup by key; a kind the
    viewer sees whole costs nothing, a kind they see nothing of is left out)."""
    parts = []
    for kind, source in sources().items():
        statement = source.visible_ids(who)
        constant = _constant(statement.whereclause)
        if constant is False:
            continue
        of_kind = kind_column == kind
        if constant is True:
            parts.append(of_kind)
        else:
            mine = statement.where(source.model.id == object_column)
            parts.append(of_kind & mine.exists())
    return or_(*parts) if parts else false()


# Candidates read per query at most (best ranked first); counts and facets
# beyond them are shown as "more than".
MAX_CANDIDATES = 2000

# A candidate row: (id, kind, object_id, body_id, year, action_field_id,
# state); the facets' values sit at these positions (FACETS' order).
_FACET_POSITIONS = (1, 3, 4, 5, 6)


def _wanted(filters: Filters) -> list[tuple[int, int, Any]]:
    """(facet index, row position, value) of every filter chosen."""
    return [
        (i, position, getattr(filters, name))
        for i, (name, position) in enumerate(zip(FACETS, _FACET_POSITIONS, strict=True))
        if getattr(filters, name) is not None
    ]


@dataclass(frozen=True)
class _PageRow:
    kind: str
    object_id: int
    title: str
    body_id: int | None
    year: int | None
    state: str | None


def search(
    who: Any, text_: str, filters: Filters | None = None, *, page: int = 1, facets: bool = True
) -> Results:
    """The results of ``text_`` that ``who`` may see, ``page`` by page.

    One statement reads the best ranked matches the viewer may see: the
    visibility policy's SQL filter of each kind is asked per matched row (a
    lookup by key, so its cost follows the matches, not the size of the
    tables; a kind the viewer sees whole costs nothing).  The count, the
    facets and the page are taken from those rows: an object the viewer may
    not see is never counted.
    """
    query = analysis.parse(text_)
    results = Results(query, page=page)
    if query.empty:
        return results
    filters = filters or Filters()
    viewer = visibility.viewer(who)
    table = SearchDocument.__table__
    _matches, rank, narrow = _matched(query)
    # The best ranked matches first (materialised: the planner must not
    # mix the policy's subqueries into the full-text scan), then the
    # policy's filter of each kind on those rows, in the same statement.
    ranked = (
        narrow(
            select(
                table.c.id,
                table.c.kind,
                table.c.object_id,
                table.c.body_id,
                table.c.year,
                table.c.action_field_id,
                table.c.state,
                rank.label("rank"),
            )
        )
        .order_by(rank, table.c.id)
        .limit(MAX_CANDIDATES)
        .cte("ranked")
        .prefix_with("MATERIALIZED")
    )
    read = select(func.count()).select_from(ranked).scalar_subquery()
    candidates = db.session.execute(
        select(*[c for c in ranked.c if c.name != "rank"], read.label("read"))
        .where(visible_condition(viewer, ranked.c.kind, ranked.c.object_id))
        .order_by(ranked.c.rank, ranked.c.id)
    ).all()
    # Counts are "at least" when the match had more rows than were read.
    results.capped = bool(candidates) and candidates[0].read >= MAX_CANDIDATES
    wanted = _wanted(filters)
    chosen = [row for row in candidates if all(row[p] == v for _i, p, v in wanted)]
    results.total = len(chosen)
    page = max(1, min(page, MAX_PAGE, results.pages))
    results.page = page
    results.hits = _hits(_page_rows(chosen[(page - 1) * PER_PAGE : page * PER_PAGE]), query, viewer)
    if facets:
        results.facets = _facets(candidates, wanted)
    return results


def _page_rows(rows: Sequence[Any]) -> list[_PageRow]:
    """The rows of one page with their titles (read for these rows only)."""
    if not rows:
        return []
    table = SearchDocument.__table__
    titles = {
        row[0]: row[1]
        for row in db.session.execute(
            select(table.c.id, table.c.title).where(table.c.id.in_([r[0] for r in rows]))
        )
    }
    return [_PageRow(r[1], r[2], titles.get(r[0], ""), r[3], r[4], r[6]) for r in rows]


def _hits(rows: Sequence[_PageRow], query: analysis.Query, viewer: visibility.Viewer) -> list[Hit]:
    known = sources()
    body_names = _names(Body, {row.body_id for row in rows if row.body_id})
    texts: dict[tuple[str, int], str] = {}
    by_kind: dict[str, list[int]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row.object_id)
    public: set[tuple[str, int]] = set()
    anonymous = visibility.viewer(None)
    for kind, ids in by_kind.items():
        source = known[kind]
        documents = source.documents(ids)
        files = file_texts(sha for doc in documents for sha, _type in doc.file_shas)
        for doc in documents:
            texts[(kind, doc.object_id)] = "\n".join(
                filter(None, [doc.text, *(files.get(sha, "") for sha, _t in doc.file_shas)])
            )
        if source.oparl and viewer.signed_in:
            public |= {(kind, object_id) for object_id in visible_among(anonymous, kind, ids)}
        elif source.oparl:
            public |= {(kind, object_id) for object_id in ids}  # a visitor sees public only
    hits = []
    for row in rows:
        source = known[row.kind]
        public_in_oparl = source.oparl if (row.kind, row.object_id) in public else None
        hits.append(
            Hit(
                kind=row.kind,
                kind_label=str(source.label),
                object_id=row.object_id,
                title=row.title,
                snippet=analysis.snippet(texts.get((row.kind, row.object_id), ""), query),
                body=body_names.get(row.body_id) if row.body_id else None,
                year=row.year,
                state=row.state,
                signed_in=viewer.signed_in,
                oparl_kind=public_in_oparl,
            )
        )
    return hits


def _names(model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        row[0]: row[1]
        for row in db.session.execute(select(model.id, model.name).where(model.id.in_(ids)))
    }


def _facets(
    candidates: Sequence[Any], wanted: list[tuple[int, int, Any]]
) -> dict[str, list[FacetValue]]:
    """Counts per value of each facet, under every other filter chosen (one
    pass: a row counts for every facet if it passes all filters, and for the
    one facet whose filter alone it fails)."""
    known = sources()
    counts: list[dict[Any, int]] = [{} for _ in FACETS]
    every = list(enumerate(_FACET_POSITIONS))
    for row in candidates:
        failed = [(i, p) for i, p, v in wanted if row[p] != v]
        if len(failed) > 1:
            continue
        for i, position in failed or every:
            value = row[position]
            if value is not None:
                found_counts = counts[i]
                found_counts[value] = found_counts.get(value, 0) + 1
    found: dict[str, list[FacetValue]] = {}
    for i, name in enumerate(FACETS):
        labels: dict[Any, str] = {}
        if name == "kind":
            labels = {kind: str(source.label) for kind, source in known.items()}
        elif name == "body_id":
            labels = _names(Body, set(counts[i]))
        elif name == "action_field_id":
            labels = _names(ActionField, set(counts[i]))
        entries = [
            FacetValue(value, labels.get(value, str(value)), n) for value, n in counts[i].items()
        ]
        if name == "year":
            entries.sort(key=lambda v: -v.value)
        elif name == "kind":
            order = list(known)
            entries.sort(key=lambda v: order.index(v.value) if v.value in order else 99)
        else:
            entries.sort(key=lambda v: (-v.count, v.label))
        found[name] = entries
    return found
