"""Everyone involved hears how it ended: approved minutes, and a circular
resolution whatever its outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from netzwerk.extensions import db
from netzwerk.governance.memberships import current_filter
from netzwerk.governance.models import Membership
from netzwerk.notifications.models import Notification


def _told(kind: str, object_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(Notification.person_id).where(
                Notification.kind == kind, Notification.object_id == object_id
            )
        )
    )


def _members(body_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(Membership.person_id).where(Membership.body_id == body_id, current_filter())
        )
    )


def test_approved_minutes_are_announced_to_the_body(app_ctx, demo):
    from conftest import demo_user
    from minutes.helpers import OFFICE, approve, held_meeting_with_minutes

    meeting, minutes = held_meeting_with_minutes()
    body_id = meeting.body_id
    assert _told("minutes_approved", minutes.id) == set()
    approved = approve(minutes)
    told = _told("minutes_approved", approved.id)
    actor = demo_user(OFFICE).person_id
    members = _members(body_id)
    assert len(members) > 3
    assert told == (members | told) - {actor}  # every member; the one who approved knows
    note = db.session.scalars(
        select(Notification).where(Notification.kind == "minutes_approved")
    ).first()
    assert "abgeschlossen" in note.message and note.url


def test_approval_by_the_chair_tells_the_office_once(app_ctx, demo):
    """The office and the minute-taker used to get the workflow's "new
    state" note beside the announcement of the final minutes."""
    from conftest import ROLE_EMAILS, demo_user
    from minutes.helpers import OFFICE, approve, held_meeting_with_minutes

    _meeting, minutes = held_meeting_with_minutes()
    before = db.session.scalar(select(func.max(Notification.id))) or 0
    approve(minutes, actor_email=ROLE_EMAILS["chair"])
    per_person = dict(
        db.session.execute(
            select(Notification.person_id, func.count())
            .where(Notification.id > before, Notification.object_type == "minutes")
            .group_by(Notification.person_id)
        ).all()
    )
    assert per_person.get(demo_user(OFFICE).person_id) == 1
    assert set(per_person.values()) == {1}, per_person


@pytest.mark.parametrize("ballots", ["yes", "no", None])
def test_a_circular_resolution_is_announced_whatever_its_outcome(app_ctx, demo, clock, ballots):
    from voting.helpers import body, seat_persons, start_poll

    from netzwerk.voting import jobs, services

    vk = body("VK")
    poll = start_poll(vk.id, hours=30, title="Lernorte")
    people = seat_persons(vk.id)
    if ballots:
        for person in people:
            services.cast_ballot(poll.id, person, ballots)
    clock.shift(timedelta(hours=31))
    jobs.run_circular_resolutions()
    told = _told("poll_ended", poll.id)
    assert set(people) <= told
    note = db.session.scalars(select(Notification).where(Notification.kind == "poll_ended")).first()
    assert "Lernorte" in note.message and note.url == f"/abstimmungen/{poll.id}"
