"""Writing and verifying the audit trail.

``record()`` runs inside the caller's transaction, so an event is written
exactly when the change it describes commits.  Each link is one statement:
the database reads the last link and hashes the new one.  Links are
serialised: on SQLite by the write lock that ``write_transaction()`` takes
with BEGIN IMMEDIATE, on PostgreSQL by a transaction-level advisory lock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, String, Table, bindparam, cast, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..database import SQLITE_SHA256, utcnow
from ..extensions import db
from .models import AuditEvent

GENESIS = "0" * 64
AUDIT_LOCK_KEY = 0x41554454  # "AUDT"


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _canonical(value: Any) -> str:
    """JSON with sorted keys, no spaces, text as it is (one encoder, reused)."""
    return _CANONICAL.encode(value)


def compute_hash(event: AuditEvent) -> str:
    content = {
        "id": event.id,
        "created_at": _utc_iso(event.created_at),
        "actor_id": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "comment": event.comment,
        "data": event.data,
        "prev_hash": event.prev_hash,
    }
    return hashlib.sha256(_canonical(content).encode()).hexdigest()


def _utc_iso(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def record(
    action: str,
    object_type: str,
    object_id: int | None = None,
    *,
    actor_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
    conn: Connection | None = None,
    chain_locked: bool = False,
) -> None:
    """Append one event to the chain, in the caller's transaction.

    One statement reads the last link and inserts the new one, its hash
    computed by the database from the canonical JSON that Python prepares
    around the two values only the database knows (the next id and the
    previous hash).  On PostgreSQL the chain's transaction-level advisory
    lock is taken first, unless the caller's own statement took it already
    (``chain_locked``, see :class:`chain_lock`).  ``conn`` is the caller's
    Core connection; without it the session's pending changes are flushed
    and its connection used.
    """
    if conn is None:
        session = db.session
        if session.new or session.dirty or session.deleted:
            session.flush()  # the caller's pending changes are written first
        conn = session.connection()
    if conn.dialect.name == "postgresql" and not chain_locked:
        conn.execute(_LOCK_STATEMENT)
    values: dict[str, Any] = {
        "created_at": utcnow(),
        "actor_id": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "from_state": from_state,
        "to_state": to_state,
        "comment": comment,
        "data": _canonical(data) if data is not None else None,
    }
    head, middle, tail = hash_text_parts(values)
    conn.execute(_APPEND, {**values, "head": head, "middle": middle, "tail": tail})


class chain_lock(FunctionElement[Any]):
    """SQL that takes the audit chain's lock for the rest of the transaction
    (PostgreSQL's advisory lock; on SQLite the write lock serialises already,
    so nothing).  A hot statement may take it itself, in its RETURNING
    clause, and spare :func:`record` the round trip (``chain_locked=True``);
    the append, a later statement, then reads the chain as the last holder
    committed it."""

    type = Boolean()
    inherit_cache = True


@compiles(chain_lock, "postgresql")
def _chain_lock_postgresql(element: chain_lock, compiler: Any, **kw: Any) -> str:
    return f"pg_advisory_xact_lock({AUDIT_LOCK_KEY}) IS NULL"


@compiles(chain_lock)
def _chain_lock_other(element: chain_lock, compiler: Any, **kw: Any) -> str:
    return "NULL"


def hash_text_parts(values: dict[str, Any]) -> tuple[str, str, str]:
    """The canonical JSON that :func:`compute_hash` hashes, in three parts
    around the event's id and previous hash: ``head + id + middle + prev_hash
    + tail`` is exactly that text (keys in sorted order)."""

    def members(keys: tuple[str, ...]) -> str:
        return ",".join(f'"{key}":{_canonical(_hashed(key, values[key]))}' for key in keys)

    head = "{" + members(_BEFORE_ID) + ',"id":'
    middle = "," + members(_BETWEEN) + ',"prev_hash":"'
    tail = '",' + members(_AFTER_PREV) + "}"
    return head, middle, tail


def _hashed(key: str, value: Any) -> Any:
    return _utc_iso(value) if key == "created_at" else value


# The hashed keys in sorted order (as _canonical writes them), around "id"
# and "prev_hash"; a test keeps them equal to compute_hash's content.
_BEFORE_ID = ("action", "actor_id", "comment", "created_at", "data", "from_state")
_BETWEEN = ("object_id", "object_type")
_AFTER_PREV = ("to_state",)


class chain_hash(FunctionElement[str]):
    """SHA-256 (hex) of a text, computed by the database."""

    type = String(64)
    inherit_cache = True


@compiles(chain_hash, "postgresql")
def _chain_hash_postgresql(element: chain_hash, compiler: Any, **kw: Any) -> str:
    return f"encode(sha256(convert_to({compiler.process(element.clauses, **kw)}, 'UTF8')), 'hex')"


@compiles(chain_hash, "sqlite")
def _chain_hash_sqlite(element: chain_hash, compiler: Any, **kw: Any) -> str:
    # netzwerk.database registers the function on every SQLite connection.
    return f"{SQLITE_SHA256}({compiler.process(element.clauses, **kw)})"


def _append_statement() -> Any:
    table: Table = AuditEvent.__table__  # type: ignore[assignment]
    last_id = select(func.coalesce(func.max(table.c.id), 0).label("id")).subquery("last_id")
    last = table.alias("last_link")
    next_id = last_id.c.id + 1
    prev_hash = func.coalesce(last.c.hash, GENESIS)
    columns = [c for c in _COLUMNS if c not in ("id", "prev_hash", "hash")]
    text_to_hash = (
        bindparam("head", type_=String)
        + cast(next_id, String)
        + bindparam("middle", type_=String)
        + prev_hash
        + bindparam("tail", type_=String)
    )
    source = select(
        next_id,
        *(bindparam(c, type_=table.c[c].type) for c in columns),
        prev_hash,
        chain_hash(text_to_hash),
    ).select_from(last_id.outerjoin(last, last.c.id == last_id.c.id))
    return insert(table).from_select(["id", *columns, "prev_hash", "hash"], source)


_LOCK_STATEMENT = text(f"SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})")
_COLUMNS = tuple(AuditEvent.__table__.columns.keys())
_APPEND = _append_statement()


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def verify_chain(events: Iterable[AuditEvent] | None = None) -> ChainBreak | None:
    """Return the first broken link of the chain, or None when it is intact."""
    if events is None:
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000)
    prev_hash = GENESIS
    expected_id: int | None = None
    for event in events:
        if expected_id is not None and event.id != expected_id:
            return ChainBreak(expected_id, "event missing (deleted)")
        if event.prev_hash != prev_hash:
            return ChainBreak(event.id, "previous hash does not match")
        if compute_hash(event) != event.hash:
            return ChainBreak(event.id, "content changed")
        prev_hash = event.hash
        expected_id = event.id + 1
    return None


def history(object_type: str, object_id: int) -> Sequence[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.id)
    ).all()
