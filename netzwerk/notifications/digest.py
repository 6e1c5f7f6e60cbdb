"""The daily digest: one mail a day with every notification that waited for it.

A notification of a person who chose the digest is stored with
``digest_pending``; the scheduler job ``notifications.digest`` (every
morning) queues one mail per person with all of them, with absolute links,
and clears the mark in the same transaction.  A person gets at most one
digest a day (the outbox's reason ``digest:<person>:<day>``); what arrives
after it waits for the next one.
"""

from __future__ import annotations

from datetime import datetime
from itertools import groupby

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from ..database import utcnow, write_transaction
from ..extensions import db
from ..mail.links import absolute, absolute_url
from ..mail.services import queue_mail
from ..timeutil import format_local, to_local
from .models import Notification, NotificationPreference
from .services import _address_of


def send_digests(now: datetime | None = None) -> int:
    """Queue today's digest of every person with waiting notifications;
    returns how many digests were queued."""
    now = now or utcnow()
    today = to_local(now).date()
    queued = 0
    with write_transaction():
        waiting = db.session.scalars(
            select(Notification)
            .where(Notification.digest_pending.is_(True))
            .order_by(Notification.person_id, Notification.created_at, Notification.id)
        ).all()
        for person_id, group in groupby(waiting, key=lambda note: note.person_id):
            notes = list(group)
            preference = db.session.get(NotificationPreference, person_id)
            if preference is not None and preference.digest_sent_on == today:
                continue  # one a day: these wait for tomorrow's
            address = _address_of(person_id)
            if address and queue_mail(
                address,
                ngettext(
                    "Netzwerk: %(num)d new notification",
                    "Netzwerk: %(num)d new notifications",
                    len(notes),
                ),
                digest_body(notes),
                reason=f"digest:{person_id}:{today.isoformat()}",
            ):
                queued += 1
            for note in notes:
                note.digest_pending = False
            if preference is None:
                preference = NotificationPreference(
                    person_id=person_id, delivery="digest", muted_topics=""
                )
                db.session.add(preference)
            preference.digest_sent_on = today
    return queued


def digest_body(notes: list[Notification]) -> str:
    lines = [_("Your new notifications in Netzwerk:"), ""]
    for note in notes:
        lines.append(f"– {format_local(note.created_at)}: {note.message}")
        if note.url:
            lines.append("  " + absolute(note.url))
    lines += [
        "",
        _("All your notifications: %(url)s", url=absolute_url("notifications.index")),
        _(
            "You receive one mail a day because you chose so. Change it here: %(url)s",
            url=absolute_url("notifications.preferences"),
        ),
    ]
    return "\n".join(lines)
