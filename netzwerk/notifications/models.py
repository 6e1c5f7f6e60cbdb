"""A notification to one person: shown in the app, mailed once through the outbox."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import Model


class Notification(Model):
    """A message (German text composed by the producer) with a link.

    ``dedup_key`` makes a producer idempotent: the same key for the same
    person is stored once (NULL keys never collide).
    """

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("person_id", "dedup_key", name="uq_notification_person_dedup_key"),
        Index("ix_notification_person_read", "person_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(300))
    dedup_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Waiting for the person's daily digest (instead of a mail of its own).
    digest_pending: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), index=True
    )

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


DELIVERIES = ("immediate", "digest")


class NotificationPreference(Model):
    """How a person wants notifications by mail: each at once or one digest
    a day, and which topics not at all (``muted_topics``, comma-separated).
    Without a row: every topic, at once.  Invitations and reset links are
    not notifications: they are always mailed."""

    __tablename__ = "notification_preference"
    __table_args__ = (CheckConstraint("delivery IN ('immediate', 'digest')", name="delivery"),)

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    delivery: Mapped[str] = mapped_column(
        String(10), default="immediate", server_default="immediate"
    )
    muted_topics: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The day (Berlin) the last digest went out.
    digest_sent_on: Mapped[date | None] = mapped_column(Date)

    @property
    def muted(self) -> frozenset[str]:
        return frozenset(t for t in self.muted_topics.split(",") if t)
