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
from ..mail.services import QueuedMail, queue_mails
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
    the person's address (their own, else their account's), kept for the
    daily digest or not mailed, as the person chose.  Returns the new
    notifications.  Set-based: a body of 2,000 members costs a few
    statements per chunk, not several per member (a circular resolution's
    close notifies them all in its transaction).
    """
    from .preferences import mail_choices

    now = now or utcnow()
    people = sorted(set(person_ids))
    if not people:
        return []
    choices = mail_choices(people, kind) if email else {}
    dialect = db.session.get_bind().dialect.name
    insert_fn: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    table = Notification.__table__
    new_ids: list[int] = []
    for start in range(0, len(people), _CHUNK):
        rows = [
            {
                "person_id": person_id,
                "kind": kind,
                "object_type": object_type,
                "object_id": object_id,
                "message": message,
                "url": url,
                "dedup_key": dedup_key,
                "created_at": now,
                "digest_pending": choices.get(person_id) == "digest",
            }
            for person_id in people[start : start + _CHUNK]
        ]
        stmt = (
            insert_fn(table)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["person_id", "dedup_key"])
            .returning(table.c.id)
        )
        new_ids += db.session.scalars(stmt).all()
    created = sorted(
        (
            note
            for start in range(0, len(new_ids), _CHUNK)
            for note in db.session.scalars(
                select(Notification).where(Notification.id.in_(new_ids[start : start + _CHUNK]))
            )
        ),
        key=lambda note: note.person_id,
    )
    immediate = [note for note in created if choices.get(note.person_id) == "immediate"]
    if immediate:
        addresses = _addresses_of([note.person_id for note in immediate])
        queue_mails(
            [
                _mail_of(note, addresses[note.person_id])
                for note in immediate
                if addresses.get(note.person_id)
            ]
        )
    return created


_CHUNK = 500  # rows per statement, ids per IN list


def _address_of(person_id: int) -> str | None:
    return _addresses_of([person_id]).get(person_id)


def _addresses_of(person_ids: Sequence[int]) -> dict[int, str]:
    """Each person's address: their own, else their active account's."""
    wanted = sorted(set(person_ids))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update(
            (person_id, email)
            for person_id, email in db.session.execute(
                select(Person.id, Person.email).where(Person.id.in_(chunk), Person.email != "")
            )
            if email
        )
        missing = [person_id for person_id in chunk if person_id not in found]
        if missing:
            for person_id, email in db.session.execute(
                select(User.person_id, User.email)
                .where(User.person_id.in_(missing), User.active)
                .order_by(User.id)
            ):
                if email and person_id not in found:
                    found[person_id] = email
    return found


def _mail_of(note: Notification, address: str) -> QueuedMail:
    first_line = note.message.splitlines()[0] if note.message else ""
    body = note.message
    if note.url:
        body += "\n\n" + _("Open in Netzwerk: %(url)s", url=absolute(note.url))
    body += "\n\n" + _("All your notifications: %(url)s", url=absolute_url("notifications.index"))
    return QueuedMail(
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
