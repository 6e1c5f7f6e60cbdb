from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, CheckConstraint, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import Model, db


class AuditEvent(Model):
    """One event of the audit trail: append-only and hash-chained.

    ``hash`` is SHA-256 over the event's content and the previous event's
    hash, so changing or deleting a row breaks the chain (``audit verify``).
    On PostgreSQL a trigger refuses UPDATE and DELETE outright.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    from_state: Mapped[str | None] = mapped_column(String(60))
    to_state: Mapped[str | None] = mapped_column(String(60))
    comment: Mapped[str | None] = mapped_column(Text)
    data: Mapped[str | None] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (db.Index("ix_audit_event_object", "object_type", "object_id"),)


GENESIS = "0" * 64


class AuditChainHead(Model):
    """The chain's last link, in one row: the id and hashes of the newest
    event.

    Each link advances it in the statement that appends the event.  On
    PostgreSQL that UPDATE is what serialises the links: it waits for the
    previous link's transaction to end and then reads the head as that
    transaction committed it, so the new event's id and previous hash come
    from the committed chain without a lock taken beforehand.  On SQLite
    (writers are serialised by the write lock) a trigger moves the head after
    each insert.  ``audit verify`` checks that the head is the last event.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)


# The head of an empty chain; create_all() and the migration insert it (the
# tests' truncate too): without it no event can be appended.
CHAIN_HEAD_GENESIS = DDL(
    "INSERT INTO audit_chain_head (id, event_id, prev_hash, hash) "
    f"VALUES (1, 0, '{GENESIS}', '{GENESIS}')"
)
CHAIN_ADVANCE_TRIGGER_SQLITE = DDL(
    "CREATE TRIGGER audit_chain_advance AFTER INSERT ON audit_event "
    "BEGIN UPDATE audit_chain_head SET event_id = NEW.id, prev_hash = NEW.prev_hash, "
    "hash = NEW.hash WHERE id = 1; END"
)

APPEND_ONLY_FUNCTION = DDL(
    """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql
"""
)
APPEND_ONLY_TRIGGER = DDL(
    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
)

# create_all() (tests) installs the same trigger as the migration does.
event.listen(
    AuditEvent.__table__,
    "after_create",
    APPEND_ONLY_FUNCTION.execute_if(dialect="postgresql"),
)
event.listen(
    AuditEvent.__table__,
    "after_create",
    APPEND_ONLY_TRIGGER.execute_if(dialect="postgresql"),
)
event.listen(AuditChainHead.__table__, "after_create", CHAIN_HEAD_GENESIS)
# After every table exists (the trigger on audit_event updates the head).
event.listen(
    db.metadata,
    "after_create",
    CHAIN_ADVANCE_TRIGGER_SQLITE.execute_if(dialect="sqlite"),
)
