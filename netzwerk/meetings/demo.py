"""Demo: the Bildungskonferenz in session now (the cockpit's demo meeting).

:func:`load_meetings_demo` is idempotent.  It holds a public meeting of the
Bildungskonferenz that began twenty minutes before the demo was loaded,
through the services: agenda, invitations, opening, attendance (with the
deputy of the migrant organisation standing in), the first item called,
two requests to speak and a projector link.  The chair's cockpit, the
members' speakers list, the check-in and the public projector view have
something to show.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..auth.models import User
from ..database import utcnow
from ..extensions import db
from ..governance.models import Body
from . import access, agenda, attendance, cockpit, invitations, places, planning, projector
from . import speakers as speakers_list
from .models import Meeting

OFFICE_EMAIL = "buero@osnabrueck.example"
CHAIR_EMAIL = "ob@osnabrueck.example"
SPEAKERS = ("projekt@osnabrueck.example", "mitglied@osnabrueck.example")
TITLE = "Sitzung der Bildungskonferenz"

ITEMS = [
    ("Eröffnung und Begrüßung", True),
    ("Bericht aus dem Bildungsbüro: Übergänge Kita–Grundschule", True),
    ("Rückmeldungen aus dem Rückmeldesystem", True),
    ("Personalangelegenheiten des Bildungsbüros", False),
]


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _fresh(meeting_id: int) -> Meeting:
    db.session.expire_all()
    found = access.get_meeting(meeting_id)
    assert found is not None
    return found


def load_meetings_demo() -> bool:
    """Idempotent: a Bildungskonferenz meeting in session (False if present)."""
    bk = db.session.scalar(select(Body).where(Body.short_name == "BK"))
    office, chair = _user(OFFICE_EMAIL), _user(CHAIR_EMAIL)
    if bk is None or office is None or chair is None:
        return False
    if db.session.scalar(select(Meeting.id).where(Meeting.title == TITLE)) is not None:
        return False
    location = next((p for p in places.locations() if p.name == "Stadthaus 1"), None)
    if location is None:
        location = places.create_location(
            office, name="Stadthaus 1", address="Natruper-Tor-Wall 2, 49076 Osnabrück", room="Saal"
        )
    starts = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=20)
    meeting = planning.create_meeting(
        office,
        body_id=bk.id,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        location_id=location.id,
        public=True,
        title=TITLE,
    )
    for title, public in ITEMS:
        agenda.add_free_item(office, _fresh(meeting.id), title=title, public=public)
    invitations.fire_to_flag(
        office, _fresh(meeting.id), "invited", now=starts - timedelta(days=bk.notice_days + 1)
    )
    invitations.fire_to_flag(office, _fresh(meeting.id), "in_session", now=starts)
    current = _fresh(meeting.id)
    roster = attendance.roster(current)
    deputy = next((line.membership for line in roster if line.membership.deputy_of_id), None)
    speaker_ids = {u.person_id for u in (_user(e) for e in SPEAKERS) if u is not None}
    statuses = {}
    for index, line in enumerate(roster):
        m = line.membership
        if m.deputy_of_id is not None or (deputy is not None and m.id == deputy.deputy_of_id):
            continue  # the member is away; the deputy comes later
        if m.person_id in speaker_ids or index % 4 != 3:
            statuses[m.id] = "present"
        else:
            statuses[m.id] = "excused"
    attendance.set_attendance(office, current, statuses, now=starts)
    if deputy is not None and deputy.deputy_of_id is not None:
        attendance.deputy_arrives(
            office,
            _fresh(meeting.id),
            deputy.deputy_of_id,
            deputy.id,
            now=starts + timedelta(minutes=10),
            at=starts + timedelta(minutes=5),
        )
    cockpit.call_item(chair, _fresh(meeting.id), now=starts + timedelta(minutes=2))
    item = cockpit.call_item(chair, _fresh(meeting.id), now=starts + timedelta(minutes=12))
    for email in SPEAKERS:
        member = _user(email)
        if member is not None:
            speakers_list.ask_to_speak(
                member, _fresh(meeting.id), item.id, now=starts + timedelta(minutes=13)
            )
    projector.create_link(office, _fresh(meeting.id), now=starts)
    return True
