"""Keeping the index: in the same transaction as the change, and rebuilt on
demand.

After every flush the session notes which documents the flushed objects
touch (a paper, its attachment, a project's partner ...); a workflow step
(which moves the state with a Core UPDATE the session does not see) notes
its object through the ``workflow_transition`` signal.  Right before the
transaction commits, the noted documents are made again from the database
and written: so the index never lags behind and never keeps what was rolled
back.  ``flask netzwerk search reindex`` rebuilds everything.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Table, bindparam, delete, event, func, insert, select, text
from sqlalchemy.orm import Session

from .. import signals
from ..database import utcnow
from ..extensions import db
from . import analysis, postgres
from .extract import read_file, text_of
from .models import FTS5_TABLE, GIN_INDEX, SearchDocument, SearchFileText
from .sources import Document, Source, build_sources

log = logging.getLogger(__name__)

PENDING_KEY = "netzwerk.search.pending"
MAX_TEXT = postgres.MAX_TEXT  # characters of a document's text that are indexed
EXTRACT_THREADS = 4
_SOURCES_KEY = "netzwerk.search.sources"


def sources() -> dict[str, Source]:
    app = current_app
    found = app.extensions.get(_SOURCES_KEY)
    if found is None:
        found = app.extensions[_SOURCES_KEY] = build_sources()
    return found  # type: ignore[no-any-return]


def enabled() -> bool:
    return has_app_context() and bool(current_app.config.get("NETZWERK_SEARCH_INDEX", True))


# --- noting what changed -------------------------------------------------------------


def _touches(obj: Any) -> Iterator[tuple[str, int]]:
    for source in sources().values():
        for model, ids_of in source.touched_by.items():
            if isinstance(obj, model):
                for object_id in ids_of(obj):
                    if object_id is not None:
                        yield source.kind, object_id


def _note(session: Session, keys: Iterable[tuple[str, int]]) -> None:
    pending: set[tuple[str, int]] = session.info.setdefault(PENDING_KEY, set())
    pending.update(keys)


def _after_flush(session: Session, _context: Any) -> None:
    if not enabled():
        return
    keys: list[tuple[str, int]] = []
    for obj in session.new:
        keys.extend(_touches(obj))
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            keys.extend(_touches(obj))
    for obj in session.deleted:
        keys.extend(_touches(obj))
    if keys:
        _note(session, keys)


def _on_transition(_sender: Any, obj: Any = None, **_extra: Any) -> None:
    if obj is None or not enabled():
        return
    keys = [(source.kind, obj.id) for source in sources().values() if isinstance(obj, source.model)]
    if keys:
        _note(db.session(), keys)


def _before_commit(session: Session) -> None:
    """Write the noted documents, in the transaction that is committing.

    SQLAlchemy calls this for the release of every savepoint too; the
    documents are written once, when the outermost transaction commits (a
    unit of work with many savepoints, such as the demo's 2,000 feedback
    entries, indexes each object once, not once per savepoint)."""
    if not enabled() or session.in_nested_transaction():
        return
    for _round in range(5):  # writing may flush, and a flush may note more
        # SQLAlchemy flushes after before_commit: flush first, so that what is
        # still pending is noted now.
        session.flush()
        pending = session.info.pop(PENDING_KEY, None)
        if not pending:
            return
        by_kind: dict[str, set[int]] = {}
        for kind, object_id in pending:
            by_kind.setdefault(kind, set()).add(object_id)
        for kind, ids in by_kind.items():
            refresh(kind, sorted(ids))


def _after_rollback(session: Session) -> None:
    """The whole transaction rolled back: nothing noted is left to write.  A
    savepoint's rollback keeps the notes (of its own and of the blocks
    before it): writing a document again from the database as it is after
    the rollback is harmless, losing one would not be."""
    if session.in_nested_transaction():
        return
    session.info.pop(PENDING_KEY, None)


_LISTENING = False


def listen() -> None:
    """From ``search.init_app`` (once per process)."""
    global _LISTENING
    signals.workflow_transition.connect(_on_transition)
    if _LISTENING:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    _LISTENING = True


# --- writing documents ---------------------------------------------------------------


def refresh(kind: str, ids: Sequence[int]) -> None:
    """Make the documents of these objects again (deleting those of objects
    that are gone)."""
    source = sources()[kind]
    documents = source.documents(ids)
    present = {doc.object_id for doc in documents}
    gone = [object_id for object_id in ids if object_id not in present]
    if gone:
        _delete(kind, gone)
    if documents:
        _write(kind, documents)


def pack(text_: str) -> bytes:
    return zlib.compress(text_.encode("utf-8"), 6)


def unpack(data: bytes | None) -> str:
    return zlib.decompress(data).decode("utf-8") if data else ""


def file_texts(shas: Iterable[str]) -> dict[str, str]:
    """The stored texts of these files (those extracted already)."""
    wanted = set(shas)
    if not wanted:
        return {}
    return {
        sha: text_ if text_ is not None else unpack(text_z)
        for sha, text_z, text_ in db.session.execute(
            select(SearchFileText.sha256, SearchFileText.text_z, SearchFileText.text).where(
                SearchFileText.sha256.in_(wanted)
            )
        )
    }


def _file_texts(documents: Sequence[Document]) -> dict[str, str]:
    """The extracted text of every attached file, extracting what is new."""
    known = file_texts(sha for doc in documents for sha, _type in doc.file_shas)
    wanted: dict[str, str] = {}
    for doc in documents:
        for sha, content_type in doc.file_shas:
            if sha not in known:
                wanted[sha] = content_type
    if not wanted:
        return known
    # Read in this thread (the storage belongs to the app), extract in a few
    # threads: pdftotext runs as a process of its own.
    data = {sha: read_file(sha) for sha in wanted}
    with ThreadPoolExecutor(max_workers=EXTRACT_THREADS) as pool:
        texts = pool.map(lambda sha: text_of(data[sha], wanted[sha]), list(wanted))
        known.update(zip(wanted, texts, strict=True))
    now = utcnow()
    if _is_sqlite():
        rows = [{"sha256": sha, "text_z": pack(known[sha]), "extracted_at": now} for sha in wanted]
    else:  # as text: its expression index reads it (a text holds no NUL)
        for sha in wanted:
            known[sha] = known[sha].replace("\x00", "")
        rows = [{"sha256": sha, "text": known[sha], "extracted_at": now} for sha in wanted]
    db.session.execute(insert(SearchFileText), rows)
    return known


def _full_text(doc: Document, files: dict[str, str]) -> str:
    parts = [doc.text, *(files.get(sha, "") for sha, _type in doc.file_shas)]
    return "\n".join(part for part in parts if part)[:MAX_TEXT]


def _table() -> Table:
    return SearchDocument.__table__  # type: ignore[return-value]


def _is_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


_FTS_INSERT = text(
    f"INSERT INTO {FTS5_TABLE}(rowid, title_terms, terms) VALUES (:id, :title_terms, :terms)"
)


def _delete(kind: str, ids: Sequence[int]) -> None:
    """Take the documents out.  On SQLite their entries in the contentless
    full-text index stay behind, matching no row (ids are never reused),
    until :func:`compact` rebuilds it."""
    table = _table()
    db.session.execute(delete(table).where(table.c.kind == kind, table.c.object_id.in_(ids)))


def _write(kind: str, documents: Sequence[Document]) -> None:
    files = _file_texts(documents)
    object_ids = [doc.object_id for doc in documents]
    _delete(kind, object_ids)
    sqlite = _is_sqlite()
    # PostgreSQL: what of the document is stored as a vector (the rest is
    # matched where it lives, see Source.pg_paths).
    stored = sources()[kind].pg_stored
    table = _table()
    rows: list[dict[str, Any]] = []
    terms: dict[int, dict[str, Any]] = {}
    for doc in documents:
        body = _full_text(doc, files) if sqlite or stored == "document" else ""
        row: dict[str, Any] = {
            "kind": kind,
            "object_id": doc.object_id,
            "body_id": doc.body_id,
            "year": doc.year,
            "action_field_id": doc.action_field_id,
            "state": doc.state[:120] if doc.state else None,
            "title": doc.title[:400],
        }
        if sqlite:
            terms[doc.object_id] = {
                "title_terms": analysis.stems(doc.title),
                "terms": analysis.stems(body),
            }
        else:  # the tsvectors are made in the INSERT itself (no second row version)
            row["title_text"] = doc.title
            if stored == "document":
                row["body_text"] = body
        rows.append(row)
    if not sqlite:
        db.session.execute(_pg_insert(table, stored), rows)
        return
    db.session.execute(insert(table), rows)
    new_ids = db.session.execute(
        select(table.c.object_id, table.c.id).where(
            table.c.kind == kind, table.c.object_id.in_(object_ids)
        )
    )
    values = [{"id": row_id, **terms[object_id]} for object_id, row_id in new_ids]
    db.session.execute(_FTS_INSERT, values)


def _pg_insert(table: Table, stored: str) -> Any:
    """PostgreSQL: a document's row with its tsvectors (made by the database's
    ``netzwerk_search_vector``, as the match paths' indexes are), both
    without positions (nothing asks for them): the title's own (title hits
    rank first) and, matched, what of the document no match path reaches
    (``stored``: the whole document, its title, or nothing)."""
    names = ("kind", "object_id", "body_id", "year", "action_field_id", "state", "title")
    title = func.strip(postgres.vector(bindparam("title_text")))
    tsv: Any = None
    if stored == "document":
        tsv = func.strip(postgres.vector(bindparam("title_text"), bindparam("body_text")))
    elif stored == "title":
        tsv = title
    return insert(table).values(
        {name: bindparam(name) for name in names} | {"tsv": tsv, "title_tsv": title}
    )


# --- rebuilding ----------------------------------------------------------------------


def all_ids(kind: str) -> list[int]:
    model = sources()[kind].model
    return list(db.session.scalars(select(model.id).order_by(model.id)))


def clear() -> None:
    """Empty the index (the extracted file texts stay: they do not change)."""
    db.session.execute(delete(_table()))
    if _is_sqlite():
        db.session.execute(text(f"INSERT INTO {FTS5_TABLE}({FTS5_TABLE}) VALUES ('delete-all')"))


def garbage() -> int:
    """SQLite: entries of the full-text index that belong to no row any more."""
    if not _is_sqlite():
        return 0
    entries = db.session.scalar(text(f"SELECT count(*) FROM {FTS5_TABLE}")) or 0
    rows = db.session.scalar(select(func.count()).select_from(_table())) or 0
    return max(0, int(entries) - int(rows))


def rebuild(progress: Any = None) -> int:
    """Make every document again (the index emptied first); return how many.
    ``progress(n)`` is told after every batch."""
    work = [(kind, all_ids(kind)) for kind in sources()]
    clear()
    gin = None if _is_sqlite() else _gin_index()
    if gin is not None:
        # PostgreSQL: the GIN index is made once over all rows at the end:
        # faster than row by row, and compact (an index grown row by row
        # takes about a third more pages).  Dropped in this transaction:
        # searches elsewhere wait until the rebuild commits (a rebuild is
        # for imports and upgrades).
        gin.drop(db.session.connection())
    done = 0
    for kind, ids in work:
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            refresh(kind, batch)
            db.session.flush()
            done += len(batch)
            if progress is not None:
                progress(len(batch))
    if gin is not None:
        gin.create(db.session.connection())
    return done


def _gin_index() -> Any:
    return next(ix for ix in _table().indexes if ix.name == GIN_INDEX)


def compact() -> int:
    """The nightly job: rebuild SQLite's full-text index when more than a
    quarter of its entries (and at least 200) belong to replaced documents.
    Returns the documents rebuilt (0: nothing to do)."""
    rows = db.session.scalar(select(func.count()).select_from(_table())) or 0
    if garbage() <= max(200, rows // 4):
        return 0
    return rebuild()


BATCH = 200
