"""A feedback that goes the whole way: passed to the Bildungskonferenz on a
meeting's agenda, decided there in a vote, followed by an action item."""

from __future__ import annotations

from typing import Any

from meetings.helpers import fresh, meeting
from sqlalchemy import select

from netzwerk.auth.models import User
from netzwerk.decisions import services as decisions
from netzwerk.decisions.models import Decision
from netzwerk.extensions import db
from netzwerk.feedback import services
from netzwerk.feedback.models import Feedback
from netzwerk.feedback.validation import FeedbackInput
from netzwerk.governance.models import Body, Organisation
from netzwerk.meetings import attendance, invitations
from netzwerk.voting import services as voting
from netzwerk.voting.meeting import open_meeting_poll

from .conftest import choice_id


def staff(email: str) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


OFFICE = "buero@osnabrueck.example"
CHAIR = "ob@osnabrueck.example"


def submit(language: str = "tr", email: str | None = "ayse@example.org", **kw: Any) -> Feedback:
    services.ensure_default_choices()
    data = FeedbackInput(
        category_id=kw.pop("category_id", None) or choice_id("category", "language_courses"),
        rating=2,
        text="Akşamları daha fazla Almanca kursu olmalı.",
        contact_consent=email is not None,
        contact_email=email or "",
        **kw,
    )
    return services.submit_feedback(data, language=language)


def pass_to_bk_meeting(feedback_id: int) -> tuple[int, int]:
    """Pass to the Bildungskonferenz onto a new meeting's agenda; (meeting, item)."""
    bk = db.session.scalar(select(Body).where(Body.short_name == "BK"))
    assert bk is not None
    planned = meeting("BK")
    referrals = services.pass_to_body(
        staff(OFFICE),
        [feedback_id],
        body_id=bk.id,
        title="Rückmeldungen zu Sprachkursen",
        meeting_id=planned.id,
    )
    item_id = referrals[0].agenda_item_id
    assert item_id is not None
    return planned.id, item_id


def decide(meeting_id: int, item_id: int, value: str = "yes") -> Decision:
    """Open the meeting, everyone with a vote present, vote on the item, close."""
    office = staff(OFFICE)
    invitations.send_invitations(office, fresh(meeting_id), reason="kurzfristig")
    invitations.fire_to_flag(office, fresh(meeting_id), "in_session")
    current = fresh(meeting_id)
    voters = [
        line.membership for line in attendance.roster(current) if line.membership.voting_right
    ]
    attendance.set_attendance(office, current, {m.id: "present" for m in voters})
    chair = staff(CHAIR)
    poll = open_meeting_poll(chair, fresh(meeting_id), item_id, title="Mehr Abendkurse")
    for m in voters:
        voting.cast_ballot(poll.id, m.person_id, value)
    voting.close_poll(poll.id, chair)
    decision = db.session.scalar(select(Decision).where(Decision.poll_id == poll.id))
    assert decision is not None
    return decision


def action_item(decision_id: int, title: str = "Abendkurse an der VHS ausbauen") -> Any:
    vhs = db.session.scalar(
        select(Organisation.id).where(Organisation.name == "Volkshochschule Osnabrück")
    )
    return decisions.add_action_item(
        decision_id,
        title=title,
        responsible_person_id=None,
        responsible_organisation_id=vhs,
        due_date=None,
        actor=staff(OFFICE),
    )
