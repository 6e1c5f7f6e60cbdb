"""Shared steps for the meeting tests (run inside an app context)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from conftest import demo_body, demo_user

from netzwerk.extensions import db
from netzwerk.governance.memberships import current_members
from netzwerk.governance.models import Membership, Person
from netzwerk.meetings import access, agenda, invitations, places, planning
from netzwerk.meetings.models import Meeting
from netzwerk.papers import services as papers
from netzwerk.papers.models import Paper
from netzwerk.timeutil import LOCAL_TZ, local_today, utcnow
from netzwerk.workflow import services as workflow

OFFICE = "buero@osnabrueck.example"
MEMBER = "mitglied@osnabrueck.example"


user = demo_user


body = demo_body


def berlin(day: date, hour: int = 16, minute: int = 0) -> datetime:
    """The instant (UTC) of a wall-clock time in Osnabrück on the day."""
    return datetime.combine(day, time(hour, minute), LOCAL_TZ).astimezone(UTC)


def move_on_to(clock: Any, when: datetime) -> None:
    """Move the test's frozen clock (the ``clock`` fixture) on to ``when``;
    never back, if the test's instant is later already."""
    if when > utcnow():
        clock.move_to(when)


def in_days(days: int, hour: int = 16) -> datetime:
    """``hour`` o'clock in Osnabrück, ``days`` calendar days after today (the app's clock)."""
    return berlin(local_today() + timedelta(days=days), hour)


def meeting(short_name: str = "VK", days: int = 20, **kwargs: object) -> Meeting:
    location = places.locations()[0] if places.locations() else None
    if location is None:
        location = places.create_location(
            user(OFFICE), name="Rathaus", address="Markt 1", room="Friedenssaal"
        )
    values: dict[str, object] = {
        "body_id": body(short_name).id,
        "starts_at": in_days(days),
        "location_id": location.id,
    }
    values.update(kwargs)
    return planning.create_meeting(user(OFFICE), **values)  # type: ignore[arg-type]


def paper_for_decision(short_name: str = "VK", title: str = "Sprachförderung") -> Paper:
    """A resolution paper of the body in the state zur_entscheidung (ready)."""
    author = user(MEMBER) if short_name == "VK" else user(OFFICE)
    paper = papers.create_paper(
        author, body_id=body(short_name).id, kind="resolution", title=title, text="Der Text."
    )
    invitations.fire_to_flag([author, user(OFFICE)], paper, "open_for_voting", comment="passt")
    paper = db.session.get(Paper, paper.id)
    assert paper is not None and agenda.is_ready(paper)
    return paper


def fresh(meeting_id: int) -> Meeting:
    db.session.expire_all()
    found = access.get_meeting(meeting_id)
    assert found is not None
    return found


def memberships(short_name: str) -> list[Membership]:
    return list(current_members(body(short_name).id))


def voting_seats(short_name: str) -> list[Membership]:
    return [m for m in memberships(short_name) if m.voting_right and m.deputy_of_id is None]


def person_of(membership: Membership) -> Person:
    return membership.person


def invite_and_open(meeting_obj: Meeting) -> Meeting:
    invitations.send_invitations(user(OFFICE), meeting_obj, reason="kurzfristig")
    return reach(fresh(meeting_obj.id), "in_session")


def step_to(meeting_obj: Meeting, flag: str) -> str:
    """The name of the step from the meeting's state into a state with
    ``flag`` (tests name steps only through their flags)."""
    steps = workflow.transitions_to_flag(meeting_obj, flag)
    assert steps, f"no step into {flag!r} from the meeting's state"
    return steps[0].name


def reach(meeting_obj: Meeting, flag: str, email: str = OFFICE, **kwargs: Any) -> Meeting:
    """Take the meeting (as ``email``) into a state with ``flag``."""
    invitations.fire_to_flag(user(email), meeting_obj, flag, **kwargs)
    return fresh(meeting_obj.id)
