"""Notifying a whole body is set-based: the statements do not grow with the
number of people (a circular resolution of a 2,000-member conference
notifies every member in its closing transaction)."""

from __future__ import annotations

from sqlalchemy import func, select

from netzwerk.database import write_transaction
from netzwerk.extensions import db
from netzwerk.governance.models import Person
from netzwerk.mail.models import OutboxMail
from netzwerk.notifications.models import Notification, NotificationPreference
from netzwerk.notifications.services import notify


def _people(n: int, prefix: str) -> list[int]:
    with write_transaction():
        people = [
            Person(first_name=f"P{i}", last_name=prefix, email=f"{prefix}{i}@example.org")
            for i in range(n)
        ]
        db.session.add_all(people)
        db.session.flush()
        return [p.id for p in people]


def _notify(people: list[int], key: str) -> list[Notification]:
    with write_transaction():
        return notify(
            people,
            kind="poll_ended",
            object_type="poll",
            object_id=1,
            message="Der Umlaufbeschluss ist beendet.",
            url="/abstimmungen/1",
            dedup_key=key,
        )


def test_statements_stay_flat_and_every_choice_is_kept(app_ctx, count_queries):
    few, many = _people(3, "wenige"), _people(120, "viele")
    with write_transaction():  # one wants a digest, one muted the topic
        db.session.add(NotificationPreference(person_id=many[0], delivery="digest"))
        db.session.add(
            NotificationPreference(person_id=many[1], delivery="immediate", muted_topics="votes")
        )
    with count_queries() as small:
        _notify(few, "a")
    with count_queries() as large:
        created = _notify(many, "b")
    assert large.count <= small.count + 2, (small.count, large.statements[:6])
    assert len(created) == 120
    mailed = set(db.session.scalars(select(OutboxMail.recipient).where(OutboxMail.reason == "b")))
    assert len(mailed) == 118
    assert "viele0@example.org" not in mailed and "viele1@example.org" not in mailed
    digest = db.session.scalar(
        select(Notification.digest_pending).where(Notification.person_id == many[0])
    )
    assert digest is True
    # Again with the same key: nobody is told twice, nothing is mailed twice.
    assert _notify(many, "b") == []
    assert db.session.scalar(select(func.count()).where(OutboxMail.reason == "b")) == 118
