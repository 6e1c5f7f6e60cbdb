"""A network with public and non-public meetings, papers, polls and decisions.

Everything that must never reach an anonymous client carries the marker
``GEHEIM`` in its title, so that a test can search every answer for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from conftest import demo_body, demo_user
from sqlalchemy import select, update

from netzwerk.database import utcnow
from netzwerk.extensions import db
from netzwerk.governance.models import Body, Membership, Person
from netzwerk.meetings import access, agenda, invitations, planning
from netzwerk.meetings import places as meeting_places
from netzwerk.meetings.models import Meeting
from netzwerk.papers import files
from netzwerk.papers import services as papers
from netzwerk.papers.models import Paper
from netzwerk.timeutil import LOCAL_TZ, local_today
from netzwerk.voting import services as voting
from netzwerk.workflow import services as workflow

SECRET = "GEHEIM"


user = demo_user


body = demo_body


def in_days(days: int) -> datetime:
    """15:00 in Osnabrück, ``days`` days after today (by the app's clock)."""
    return datetime.combine(local_today() + timedelta(days=days), time(15), LOCAL_TZ)


def location_id() -> int:
    places = meeting_places.locations()
    if places:
        return places[0].id
    return meeting_places.create_location(
        user("office"), name="Rathaus", address="Markt 1, 49074 Osnabrück", room="Friedenssaal"
    ).id


def new_meeting(short_name: str, *, public: bool, days: float = 30, title: str = "") -> Meeting:
    return planning.create_meeting(
        user("office"),
        body_id=body(short_name).id,
        starts_at=in_days(days),
        location_id=location_id(),
        public=public,
        title=title or None,
    )


def invite(meeting: Meeting) -> Meeting:
    invitations.send_invitations(user("office"), meeting, reason="Testlauf")
    db.session.expire_all()
    found = access.get_meeting(meeting.id)
    assert found is not None and access.is_awaiting(found)
    return found


def numbered_paper(short_name: str, title: str, *, public: bool) -> Paper:
    """A paper of the body, submitted (numbered) and ready for the agenda."""
    office = user("office")
    paper = papers.create_paper(
        office,
        body_id=body(short_name).id,
        kind="resolution",
        title=title,
        text="Der Text der Vorlage.",
        public=public,
    )
    workflow.fire(office, paper, "einreichen")
    workflow.fire(office, db.session.get(Paper, paper.id), "direkt_pruefen", comment="ok")
    workflow.fire(office, db.session.get(Paper, paper.id), "zur_entscheidung_vorlegen")
    found = db.session.get(Paper, paper.id)
    assert found is not None and found.number
    return found


def closed_poll(short_name: str, title: str, subject_type: str, subject_id: int | None) -> int:
    b = body(short_name)
    poll = voting.start_circular_resolution(
        body_id=b.id,
        subject_type=subject_type,
        subject_id=subject_id,
        title=title,
        question="Zustimmung?",
        closes_at=utcnow() + timedelta(hours=48),
        actor=user("office"),
    )
    seats = db.session.scalars(
        select(Membership.person_id)
        .where(Membership.body_id == b.id, Membership.voting_right)
        .order_by(Membership.id)
    ).all()
    for person_id in dict.fromkeys(seats):
        voting.cast_ballot(poll.id, person_id, "yes")
    voting.close_poll(poll.id, actor=user("office"))
    return poll.id


@dataclass
class Scenario:
    public_meeting: int = 0
    cancelled_meeting: int = 0
    hidden_meeting: int = 0
    vk_meeting: int = 0
    planned_meeting: int = 0
    public_paper: int = 0
    hidden_paper: int = 0
    attachment: int = 0
    withdrawn_item: int = 0
    public_items: list[int] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def build_scenario() -> Scenario:
    """Run inside an app context with the demo network loaded."""
    s = Scenario()
    office = user("office")

    public_paper = numbered_paper("BK", "Sprachförderung in Kitas", public=True)
    s.public_paper = public_paper.id
    s.attachment = files.add_attachment(
        office, public_paper, "begruendung.txt", b"Begruendung der Vorlage.\n"
    ).id
    hidden_paper = numbered_paper("BK", f"{SECRET}-VORLAGE Personalfragen", public=False)
    s.hidden_paper = hidden_paper.id
    files.add_attachment(office, hidden_paper, "geheim.txt", f"{SECRET}-ANLAGE\n".encode())

    meeting = new_meeting("BK", public=True, title="Frühjahrssitzung")
    s.public_meeting = meeting.id
    first = agenda.add_free_item(office, meeting, title="Begrüßung", text="Eröffnung")
    sub = agenda.add_free_item(office, meeting, title="Protokollkontrolle", parent_id=first.id)
    paper_item = agenda.add_paper_item(office, meeting, public_paper.id)
    agenda.add_free_item(office, meeting, title=f"{SECRET}-TOP Personalie", public=False)
    agenda.add_paper_item(office, meeting, hidden_paper.id, public=False)
    gone = agenda.add_free_item(office, meeting, title="Wird zurückgezogen")
    meeting = invite(meeting)
    agenda.remove_item(office, meeting, gone.id)
    s.public_items = [first.id, sub.id, paper_item.id]
    s.withdrawn_item = gone.id

    cancelled = invite(new_meeting("BK", public=True, days=40, title="Sommersitzung"))
    invitations.fire_to_flag(office, cancelled, "cancelled", comment="Terminkollision")
    s.cancelled_meeting = cancelled.id

    hidden = new_meeting("BK", public=False, days=50, title=f"{SECRET}-SITZUNG nichtöffentlich")
    agenda.add_free_item(office, hidden, title=f"{SECRET}-TOP der nichtöffentlichen Sitzung")
    s.hidden_meeting = invite(hidden).id

    vk = new_meeting("VK", public=True, days=20, title=f"{SECRET}-VK Vorstandskonferenz")
    agenda.add_free_item(office, vk, title=f"{SECRET}-TOP der Vorstandskonferenz")
    s.vk_meeting = invite(vk).id

    planned = new_meeting("BK", public=True, days=60, title=f"{SECRET}-GEPLANT noch offen")
    s.planned_meeting = planned.id

    s.extra["public_poll"] = closed_poll(
        "BK", "Sprachförderung beschließen", "paper", public_paper.id
    )
    s.extra["hidden_poll"] = closed_poll("BK", f"{SECRET}-ABSTIMMUNG intern", "free", None)
    s.extra["vk_poll"] = closed_poll("VK", f"{SECRET}-VK-ABSTIMMUNG", "free", None)
    return s


def spread_timestamps() -> None:
    """Give some objects older creation times, so that the date filters select."""
    old = datetime(2021, 3, 1, 9, 30, tzinfo=UTC)
    older = datetime(2019, 6, 15, 12, 0, tzinfo=UTC)
    first_meeting = db.session.scalar(select(func_min(Meeting.id)))
    db.session.execute(update(Meeting).where(Meeting.id == first_meeting).values(created_at=old))
    first_body = db.session.scalar(select(func_min(Body.id)))
    db.session.execute(
        update(Body).where(Body.id == first_body).values(created_at=older, updated_at=old)
    )
    for i, person_id in enumerate(db.session.scalars(select(Person.id).order_by(Person.id))):
        if i % 3 == 0:
            db.session.execute(
                update(Person)
                .where(Person.id == person_id)
                .values(created_at=older + timedelta(days=i), updated_at=old + timedelta(days=i))
            )
    for i, membership_id in enumerate(
        db.session.scalars(select(Membership.id).order_by(Membership.id))
    ):
        if i % 2 == 0:
            db.session.execute(
                update(Membership)
                .where(Membership.id == membership_id)
                .values(created_at=older + timedelta(days=i), updated_at=old + timedelta(days=i))
            )
    db.session.commit()


def func_min(column: Any) -> Any:
    from sqlalchemy import func

    return func.min(column)
