"""Mail preferences: each notification at once or one digest a day, and
which topics by mail at all.

A person's notifications are always listed on /benachrichtigungen; the
preference decides only the mails.  Invitations, cancellations, reset links
and other mails that are not notifications go out regardless.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..database import write_transaction
from ..extensions import db
from ..rules import RuleError
from .models import DELIVERIES, NotificationPreference

# Topics a person can switch off, with the notification kinds they hold.
# A kind none names belongs to "other".
TOPICS: dict[str, Any] = {
    "workflow": _l("Steps of papers, projects, minutes and feedback"),
    "votes": _l("Votes and circular resolutions"),
    "reminders": _l("Reminders and overdue deadlines"),
    "partners": _l("Entries of project partners"),
    "other": _l("Other notifications"),
}
KIND_TOPICS = {
    "workflow_state": "workflow",
    "workflow_agenda": "workflow",
    "minutes_approved": "workflow",
    "workflow_reminder": "reminders",
    "action_item_overdue": "reminders",
    "follow_up_due": "reminders",
    "participants": "partners",
    "milestone": "partners",
    "evidence": "partners",
}
DELIVERY_LABELS: dict[str, Any] = {
    "immediate": _l("Each notification at once"),
    "digest": _l("One mail a day with all new notifications (daily digest)"),
}


class PreferenceError(RuleError):
    """A preference that cannot be stored."""


def topic_of(kind: str) -> str:
    """The topic of a notification kind (``poll_reminder``: votes)."""
    if kind in KIND_TOPICS:
        return KIND_TOPICS[kind]
    if kind.startswith(("poll", "vote", "circular", "election")):
        return "votes"
    if kind.endswith(("_reminder", "_due", "_overdue")):
        return "reminders"
    if kind.startswith(("workflow", "minutes")):
        return "workflow"
    return "other"


@dataclass(frozen=True)
class Preference:
    delivery: str
    muted: frozenset[str]


def preference_of(person_id: int) -> Preference:
    row = db.session.get(NotificationPreference, person_id)
    if row is None:
        return Preference("immediate", frozenset())
    return Preference(row.delivery, row.muted)


MailChoice = Literal["immediate", "digest", "none"]


def mail_choice(person_id: int, kind: str) -> MailChoice:
    """How a new notification of this kind reaches the person by mail."""
    return _choice(preference_of(person_id), kind)


def mail_choices(person_ids: Iterable[int], kind: str) -> dict[int, MailChoice]:
    """:func:`mail_choice` for many people, read in one statement."""
    wanted = sorted(set(person_ids))
    stored = {
        row.person_id: Preference(row.delivery, row.muted)
        for start in range(0, len(wanted), _CHUNK)
        for row in db.session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.person_id.in_(wanted[start : start + _CHUNK])
            )
        )
    }
    default = Preference("immediate", frozenset())
    return {person_id: _choice(stored.get(person_id, default), kind) for person_id in wanted}


_CHUNK = 900  # ids per IN list


def _choice(preference: Preference, kind: str) -> MailChoice:
    if topic_of(kind) in preference.muted:
        return "none"
    return "digest" if preference.delivery == "digest" else "immediate"


def save_preference(person_id: int, delivery: str, wanted_topics: Iterable[str]) -> Preference:
    """Store the person's choice (in the caller's unit of work): the
    delivery and the topics they want by mail (the others are muted)."""
    if delivery not in DELIVERIES:
        raise PreferenceError(_("Please choose how you want to receive mails."), "delivery")
    wanted = set(wanted_topics)
    unknown = wanted - TOPICS.keys()
    if unknown:
        raise PreferenceError(_("Please choose only topics from the list."), "topics")
    muted = ",".join(topic for topic in TOPICS if topic not in wanted)
    dialect = db.session.get_bind().dialect.name
    insert_fn: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    # One statement: two saves at once (a double click) update, never collide.
    stmt = insert_fn(NotificationPreference.__table__).values(
        person_id=person_id, delivery=delivery, muted_topics=muted
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["person_id"], set_={"delivery": delivery, "muted_topics": muted}
    )
    with write_transaction():
        db.session.execute(stmt)
        loaded = db.session.identity_map.get(
            db.session.identity_key(NotificationPreference, (person_id,))
        )
        if loaded is not None:
            db.session.expire(loaded)  # the session's copy shows the stored row
    return Preference(delivery, frozenset(t for t in muted.split(",") if t))
