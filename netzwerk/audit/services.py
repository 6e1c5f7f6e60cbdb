"""Writing and verifying the audit trail.

``record()`` runs inside the caller's transaction, so an event is written
exactly when the change it describes commits.  Events are serialised: on
PostgreSQL by a transaction-level advisory lock, on SQLite by the write lock
that ``write_transaction()`` takes with BEGIN IMMEDIATE.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text

from ..database import utcnow
from ..extensions import db
from .models import AuditEvent

GENESIS = "0" * 64
AUDIT_LOCK_KEY = 0x41554454  # "AUDT"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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
) -> AuditEvent:
    """Append one event to the chain (in the caller's transaction).

    Two Core statements after the lock: read the last link, insert the new
    one.  The caller's pending changes are flushed first; the returned event
    is not attached to the session.
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        session.flush()  # as before: the caller's pending changes are written first
    conn = session.connection()  # Core: the chain needs no ORM work
    if conn.dialect.name == "postgresql":
        conn.execute(_LOCK_STATEMENT, {"k": AUDIT_LOCK_KEY})
    last = conn.execute(_LAST_LINK).first()
    prev_hash = last.hash if last else GENESIS
    next_id = (last.id + 1) if last else 1
    event = AuditEvent(
        id=next_id,
        created_at=utcnow(),
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=_canonical(data) if data is not None else None,
        prev_hash=prev_hash,
    )
    event.hash = compute_hash(event)
    conn.execute(_INSERT_EVENT, {column: getattr(event, column) for column in _COLUMNS})
    return event


_LOCK_STATEMENT = text("SELECT pg_advisory_xact_lock(:k)")
_LAST_LINK = select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
_INSERT_EVENT = insert(AuditEvent)
_COLUMNS = tuple(AuditEvent.__table__.columns.keys())


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
