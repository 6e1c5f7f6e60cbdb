"""Writing and verifying the audit trail.

``record()`` runs inside the caller's transaction, so an event is written
exactly when the change it describes commits.  Each link is one statement:
the database reads the chain's head (:class:`AuditChainHead`), hashes the new
link and moves the head.  Links are serialised: on SQLite by the write lock
that ``write_transaction()`` takes with BEGIN IMMEDIATE, on PostgreSQL by the
head row itself – its UPDATE waits for the previous link's transaction and
then continues from the head that transaction committed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Insert,
    String,
    Table,
    bindparam,
    cast,
    exists,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..database import SQLITE_SHA256, DriverStatement, utcnow
from ..extensions import db
from .models import GENESIS, AuditChainHead, AuditEvent

__all__ = ["GENESIS", "record", "verify_chain", "history", "chained_link", "chained_link_params"]

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _canonical(value: Any) -> str:
    """JSON with sorted keys, no spaces, text as it is (one encoder, reused)."""
    return _CANONICAL.encode(value)


def _canonical_scalar(value: Any) -> str:
    """:func:`_canonical` of one value, with the encoder's own steps taken
    directly for text, whole numbers and None (the columns of an event)."""
    kind = type(value)
    if kind is str:
        return _ENCODE_TEXT(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    return _canonical(value)


# What the encoder (ensure_ascii=False) writes for a text.
_ENCODE_TEXT = json.encoder.encode_basestring


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


class ChainHeadMissing(RuntimeError):
    """audit_chain_head has no row: nothing can be appended (see the model)."""


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
    at: datetime | None = None,
) -> None:
    """Append one event to the chain, in the caller's transaction.

    One statement reads the chain's head and inserts the new link, its hash
    computed by the database from the canonical JSON that Python prepares
    around the two values only the database knows (the next id and the
    previous hash).  ``conn`` is the caller's Core connection; without it
    the session's pending changes are flushed and its connection used.
    """
    if conn is None:
        session = db.session
        if session.new or session.dirty or session.deleted:
            session.flush()  # the caller's pending changes are written first
        conn = session.connection()
    values = _event_values(action, object_type, object_id, actor_id, from_state, to_state, comment)
    if at is not None:  # dated other than now (public feedback: its day only)
        values["created_at"] = at
    params = _link_params(values, data)
    statement = _APPEND_POSTGRESQL if conn.dialect.name == "postgresql" else _APPEND_SQLITE
    if conn.execute(statement, params).rowcount != 1:
        raise ChainHeadMissing("audit_chain_head is empty: the audit trail cannot be written")


def record_on_driver(
    driver: Any,
    dialect: Any,
    action: str,
    object_type: str,
    object_id: int | None = None,
    *,
    actor_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """SQLite: :func:`record` inside a ``database.driver_write_transaction()``
    (the ballot): the same link, by the same statement, on the driver's
    connection."""
    values = _event_values(action, object_type, object_id, actor_id, None, None, None)
    params = _link_params(values, data)
    if _APPEND_SQLITE_DRIVER.execute(driver, dialect, params).rowcount != 1:
        raise ChainHeadMissing("audit_chain_head is empty: the audit trail cannot be written")


def _link_params(values: dict[str, Any], data: dict[str, Any] | None) -> dict[str, Any]:
    """The parameters of the append statements: the event's values, its data
    as canonical JSON and the hash text around id and previous hash."""
    values["data"] = _canonical(data) if data is not None else None
    pre, mid, post = hash_text_parts(values)
    return {**values, "hash_pre": pre, "hash_mid": mid, "hash_post": post}


def _event_values(
    action: str,
    object_type: str,
    object_id: int | None,
    actor_id: int | None,
    from_state: str | None,
    to_state: str | None,
    comment: str | None,
) -> dict[str, Any]:
    return {
        "created_at": utcnow(),
        "actor_id": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "from_state": from_state,
        "to_state": to_state,
        "comment": comment,
    }


def hash_text_parts(values: dict[str, Any]) -> tuple[str, str, str]:
    """The canonical JSON that :func:`compute_hash` hashes, in three parts
    around the event's id and previous hash: ``pre + id + mid + prev_hash +
    post`` is exactly that text (keys in sorted order)."""

    def members(keys: tuple[str, ...]) -> str:
        return ",".join(f'"{key}":{_canonical_scalar(_hashed(key, values[key]))}' for key in keys)

    pre = "{" + members(_BEFORE_ID) + ',"id":'
    mid = "," + members(_BETWEEN) + ',"prev_hash":"'
    post = '",' + members(_AFTER_PREV) + "}"
    return pre, mid, post


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


_HEAD: Table = AuditChainHead.__table__  # type: ignore[assignment]
_EVENTS: Table = AuditEvent.__table__  # type: ignore[assignment]
# The event's own columns, given by the caller (id and hashes come from the head).
_GIVEN = tuple(c.name for c in _EVENTS.columns if c.name not in ("id", "prev_hash", "hash"))


def _param(column: str) -> Any:
    return bindparam(column, type_=_EVENTS.c[column].type)


def _link_hash(next_id: Any, prev_hash: Any, slot: Any = None) -> Any:
    """SQL: the new link's hash from the prepared text parts (with ``slot``,
    a value the statement itself knows, between ``hash_pre`` and
    ``hash_pre2``)."""
    text_to_hash = bindparam("hash_pre", type_=String)
    if slot is not None:
        text_to_hash = text_to_hash + slot + bindparam("hash_pre2", type_=String)
    text_to_hash = (
        text_to_hash
        + cast(next_id, String)
        + bindparam("hash_mid", type_=String)
        + prev_hash
        + bindparam("hash_post", type_=String)
    )
    return chain_hash(text_to_hash)


def _head_update(slot: Any = None) -> Any:
    """PostgreSQL: move the head one link on, returning the new link's id and
    hashes.  In READ COMMITTED the UPDATE waits for the transaction that
    moved the head last and then works on the head as it committed it."""
    next_id = _HEAD.c.event_id + 1
    return (
        update(_HEAD)
        .where(_HEAD.c.id == 1)
        .values(
            event_id=next_id,
            prev_hash=_HEAD.c.hash,
            hash=_link_hash(next_id, _HEAD.c.hash, slot),
        )
        .returning(_HEAD.c.event_id, _HEAD.c.prev_hash, _HEAD.c.hash)
    )


def _link_insert(source: Any, head: Any, data: Any = None) -> Insert:
    """INSERT ... SELECT of one event whose id and hashes come from ``head``."""
    given = [data if (c == "data" and data is not None) else _param(c) for c in _GIVEN]
    return insert(_EVENTS).from_select(
        ["id", *_GIVEN, "prev_hash", "hash"],
        select(head.c.event_id, *given, head.c.prev_hash, head.c.hash).select_from(source),
    )


def _append_postgresql() -> Any:
    head = _head_update().cte("chain_head")
    return _link_insert(head, head)


def _append_sqlite() -> Any:
    # The write lock serialises writers; a trigger moves the head afterwards.
    next_id = _HEAD.c.event_id + 1
    given = [_param(c) for c in _GIVEN]
    source = select(next_id, *given, _HEAD.c.hash, _link_hash(next_id, _HEAD.c.hash)).where(
        _HEAD.c.id == 1
    )
    return insert(_EVENTS).from_select(["id", *_GIVEN, "prev_hash", "hash"], source)


# rowcount tells whether the link was written (SQLAlchemy keeps it for an
# INSERT only when asked to).
_APPEND_POSTGRESQL = _append_postgresql().execution_options(preserve_rowcount=True)
_APPEND_SQLITE = _append_sqlite().execution_options(preserve_rowcount=True)
_APPEND_SQLITE_DRIVER = DriverStatement(_append_sqlite())


def chained_link(source: CTE, slot: ColumnElement[int]) -> CTE:
    """PostgreSQL: the audit link of a row that the statement's own CTE
    ``source`` inserts, as a data-modifying CTE to add to that statement
    (``add_cte``), so that row and link are one statement – one round trip,
    and with autocommit the head is held only inside the server.

    ``slot`` is an integer column of ``source`` that the event's ``data``
    holds (for a ballot: the seat); the parameters come from
    :func:`chained_link_params`.  No link when ``source`` has no row; when
    the chain has no head the link's hashes are NULL and the whole statement
    fails.
    """
    slot_text = cast(select(slot).scalar_subquery(), String)
    head = _head_update(slot_text).where(exists(select(literal(1)).select_from(source)))
    head_cte = head.cte("chain_head")
    data = (
        bindparam("data_pre", type_=String)
        + cast(slot, String)
        + bindparam("data_post", type_=String)
    )
    return _link_insert(source.outerjoin(head_cte, true()), head_cte, data).cte("chain_link")


def chained_link_params(
    action: str,
    object_type: str,
    object_id: int | None = None,
    *,
    actor_id: int | None = None,
    data: dict[str, Any],
    slot_key: str,
) -> dict[str, Any]:
    """The parameters of :func:`chained_link`: the event as :func:`record`
    takes it, ``data[slot_key]`` left for the statement to fill in."""
    values = _event_values(action, object_type, object_id, actor_id, None, None, None)
    while True:
        # A number that occurs nowhere else in the texts marks the slot.
        marker = str(10**17 + secrets.randbelow(9 * 10**17))
        data_text = _canonical({**data, slot_key: int(marker)})
        pre, mid, post = hash_text_parts({**values, "data": data_text})
        if data_text.count(marker) == 1 and (pre + mid + post).count(marker) == 1:
            break
    data_pre, data_post = data_text.split(marker)
    hash_pre, hash_pre2 = pre.split(marker)
    return {
        **values,
        "data_pre": data_pre,
        "data_post": data_post,
        "hash_pre": hash_pre,
        "hash_pre2": hash_pre2,
        "hash_mid": mid,
        "hash_post": post,
    }


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def verify_chain(events: Iterable[AuditEvent] | None = None) -> ChainBreak | None:
    """Return the first broken link of the chain, or None when it is intact.

    Without ``events`` the whole trail is read, and the chain's head must be
    its last event (events cut off at the end show there)."""
    whole = events is None
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
    if whole:
        return _check_head((expected_id or 1) - 1, prev_hash)
    return None


def _check_head(last_id: int, last_hash: str) -> ChainBreak | None:
    head = db.session.execute(select(_HEAD.c.event_id, _HEAD.c.hash).where(_HEAD.c.id == 1)).first()
    if head is None:
        return ChainBreak(last_id + 1, "chain head missing")
    if head.event_id > last_id:
        return ChainBreak(last_id + 1, "event missing (deleted)")
    if head.event_id != last_id or head.hash != last_hash:
        return ChainBreak(head.event_id, "chain head does not match the last event")
    return None


def history(object_type: str, object_id: int) -> Sequence[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.id)
    ).all()
