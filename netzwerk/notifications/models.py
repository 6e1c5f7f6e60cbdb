"""A notification to one person: shown in the app, mailed once through the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
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

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
