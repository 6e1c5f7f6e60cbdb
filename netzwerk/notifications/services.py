"""The notification centre: notify (in the caller's transaction), list, mark read."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.models import Person
from ..mail.links import absolute, absolute_url
from ..mail.services import queue_mail
from ..mail.subjects import shorten
from .models import Notification

PAGE_SIZE = 20
SUBJECT_LENGTH = 120


class NotificationNotFound(LookupError):
    """A notification that does not exist or belongs to someone else."""


def notify(
    person_ids: Iterable[int],
    *,
    kind: str,
    object_type: str,
    object_id: int,
    message: str,
    url: str | None,
    dedup_key: str | None = None,
    email: bool = True,
    now: datetime | None = None,
) -> list[Notification]:
    """Write one notification per person (inside the caller's transaction).

    With a ``dedup_key`` a person who already has one with that key gets no
    second one.  Each new notification is mailed once through the outbox to
    the person's address (their own, else their account's).  Returns the
    new notifications.
    """
    now = now or utcnow()
    dialect = db.session.get_bind().dialect.name
    insert_fn: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    table = Notification.__table__
    created: list[Notification] = []
    for person_id in sorted(set(person_ids)):
        stmt = (
            insert_fn(table)
            .values(
                person_id=person_id,
                kind=kind,
                object_type=object_type,
                object_id=object_id,
                message=message,
                url=url,
                dedup_key=dedup_key,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["person_id", "dedup_key"])
            .returning(table.c.id)
        )
        new_id = db.session.execute(stmt).scalar()
        if new_id is None:
            continue
        note = db.session.get(Notification, new_id)
        assert note is not None
        created.append(note)
        if email:
            _mail_or_keep_for_digest(note)
    return created


def _mail_or_keep_for_digest(note: Notification) -> None:
    """As the person chose (preferences.py): a mail now, a place in the
    daily digest, or no mail for a muted topic (the page shows it all the same)."""
    from .preferences import mail_choice

    choice = mail_choice(note.person_id, note.kind)
    if choice == "immediate":
        _queue_mail(note)
    elif choice == "digest":
        note.digest_pending = True


def _address_of(person_id: int) -> str | None:
    address = db.session.scalar(select(Person.email).where(Person.id == person_id))
    if address:
        return address
    return db.session.scalar(
        select(User.email).where(User.person_id == person_id, User.active).limit(1)
    )


def _queue_mail(note: Notification) -> None:
    address = _address_of(note.person_id)
    if not address:
        return
    first_line = note.message.splitlines()[0] if note.message else ""
    body = note.message
    if note.url:
        body += "\n\n" + _("Open in Netzwerk: %(url)s", url=absolute(note.url))
    body += "\n\n" + _("All your notifications: %(url)s", url=absolute_url("notifications.index"))
    queue_mail(
        address,
        shorten(_("Netzwerk: %(message)s", message=first_line), SUBJECT_LENGTH),
        body,
        reason=note.dedup_key or f"notification:{note.id}",
    )


# Built once: a reused statement keeps SQLAlchemy's cache key memoised.
_UNREAD_FOR = (
    select(Notification)
    .where(Notification.person_id == bindparam("person_id"), Notification.read_at.is_(None))
    .order_by(Notification.created_at.desc(), Notification.id.desc())
    .limit(bindparam("limit"))
)


def unread_for(person_id: int, limit: int = 5) -> Sequence[Notification]:
    """The newest unread notifications of the person."""
    return db.session.scalars(_UNREAD_FOR, {"person_id": person_id, "limit": limit}).all()


def unread_count(person_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.person_id == person_id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


@dataclass
class Page:
    items: Sequence[Notification]
    page: int
    pages: int
    total: int
    unread: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def list_for(person_id: int, page: int = 1, per_page: int = PAGE_SIZE) -> Page:
    """One page of the person's notifications, newest first (page numbers from 1)."""
    total = int(
        db.session.scalar(
            select(func.count(Notification.id)).where(Notification.person_id == person_id)
        )
        or 0
    )
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    items = db.session.scalars(
        select(Notification)
        .where(Notification.person_id == person_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(items, page, pages, total, unread_count(person_id))


def mark_read(
    person_id: int, ids: Sequence[int] | Literal["all"], now: datetime | None = None
) -> int:
    """Mark the person's notifications read; returns how many changed.

    Raises :class:`NotificationNotFound` (and changes nothing) when one of
    the ids does not exist or belongs to another person.
    """
    now = now or utcnow()
    with write_transaction():
        stmt = (
            update(Notification)
            .where(Notification.person_id == person_id, Notification.read_at.is_(None))
            .values(read_at=now)
        )
        if ids != "all":
            wanted = set(ids)
            owned = set(
                db.session.scalars(
                    select(Notification.id).where(
                        Notification.id.in_(wanted), Notification.person_id == person_id
                    )
                )
            )
            if owned != wanted:
                raise NotificationNotFound(sorted(wanted - owned))
            stmt = stmt.where(Notification.id.in_(wanted))
        result = db.session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)
