"""Demo minutes: a past Vorstandskonferenz with twelve agenda items and votes.

:func:`load_minutes_demo` is idempotent.  When the demo has a closed meeting
without minutes, it drafts them; when it has no closed meeting at all, it
first holds a realistic past meeting of the Vorstandskonferenz through the
services (papers, agenda, invitations, attendance, guests, votes, decisions,
action items, closing) – nothing is written around them.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from ..auth.models import User
from ..decisions import services as decisions
from ..decisions.models import Decision
from ..extensions import db
from ..governance.models import Body, Person
from ..meetings import access, agenda, attendance, invitations, places, planning
from ..meetings.models import Meeting
from ..papers import services as papers
from ..papers.models import Paper
from ..timeutil import LOCAL_TZ, local_today
from ..voting import hands
from ..voting import services as voting
from ..voting.meeting import open_meeting_poll
from . import services
from .models import Minutes

OFFICE_EMAIL = "buero@osnabrueck.example"
AUTHOR_EMAIL = "mitglied@osnabrueck.example"

# title, paper text (a resolution paper) or None (a free item), vote or None, public
# vote: (yes, no, abstain) among the present voting members
ITEMS: list[tuple[str, str | None, tuple[int, int, int] | None, bool]] = [
    ("Eröffnung, Feststellung der Beschlussfähigkeit und der Tagesordnung", None, None, True),
    ("Bericht des Bildungsbüros zum Stand von „Lernen vor Ort“", None, None, True),
    (
        "Bildungsmonitoring: Erster kommunaler Bildungsbericht 2026",
        "Der erste kommunale Bildungsbericht wird im Herbst 2026 veröffentlicht.",
        (6, 0, 0),
        True,
    ),
    (
        "Übergangsmanagement Schule–Beruf: Einführung der Jugendberufsagentur",
        "Die Stadt richtet mit Agentur für Arbeit und Jobcenter eine Jugendberufsagentur ein.",
        (5, 0, 1),
        True,
    ),
    (
        "Modellmaßnahme „MINT-Werkstatt Hasetal“ mit KMU und Hochschule",
        "Die Modellmaßnahme wird für zwei Jahre mit 40.000 Euro gefördert.",
        (4, 1, 1),
        True,
    ),
    ("Sprachförderung in Kitas: Ausweitung auf alle Stadtteile", None, (6, 0, 0), True),
    ("Bildungsberatung: Beratungsstelle im Stadtteil Schinkel", None, (3, 2, 1), True),
    ("Kulturelle Bildung: Kooperation Theater und Schulen", None, (2, 3, 1), True),
    ("Rückmeldesystem: Auswertung des ersten Halbjahres", None, None, True),
    ("Haushaltsplanung 2027: Budget des Bildungsbüros", None, (5, 1, 0), False),
    ("Personalangelegenheit: Besetzung der Koordinationsstelle", None, (6, 0, 0), False),
    ("Verschiedenes und Termine", None, None, True),
]

# The item the room votes on by show of hands (the others electronically).
HANDS_ITEM = 5

SUMMARIES = [
    "Der Oberbürgermeister eröffnet die Sitzung, begrüßt die Gäste und stellt die "
    "Beschlussfähigkeit fest.\nDie Tagesordnung wird ohne Änderungen angenommen.",
    "Frau Kortmann berichtet über den Stand des Programms:\n"
    "- Aufbau der Gremien abgeschlossen\n- Rückmeldesystem seit Januar online\n"
    "- **Zwischenbericht** an den Projektträger fristgerecht eingereicht",
    "Herr Aydın stellt die Gliederung des Bildungsberichts vor. Die Fachbereiche liefern "
    "ihre Daten bis Ende Juni.",
    "Die Kooperationsvereinbarung mit Agentur für Arbeit und Jobcenter liegt vor. "
    "Die Jugendberufsagentur soll im Haus der Jugend untergebracht werden.",
    "Die Hochschule Osnabrück und zwei Unternehmen beteiligen sich. Nachfragen zur "
    "Finanzierung nach Ablauf der Förderung werden bis zur nächsten Sitzung geklärt.",
    "Die Ausweitung wird einhellig begrüßt; der Fachbereich Kinder, Jugendliche und "
    "Familien legt einen Zeitplan vor.",
    "Diskutiert werden Standort und Öffnungszeiten. Die Mehrheit spricht sich für die "
    "Gesamtschule Schinkel als Standort aus.",
    "Der Vorschlag findet keine Mehrheit; die Verwaltung soll ein überarbeitetes Konzept "
    "mit geringeren Kosten vorlegen.",
    "Frau Kortmann stellt die Auswertung vor: 214 Rückmeldungen, davon 61 % in einer "
    "anderen Sprache als Deutsch.",
    "Der Entwurf des Budgets wird beraten und mit einer Änderung beschlossen.",
    "Die Konferenz stimmt der Besetzung zu.",
    "Die nächste Sitzung findet im kommenden Quartal statt.",
]


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _paper(author: User, office: User, body_id: int, title: str, text: str) -> Paper:
    """A resolution paper, taken by its author and the office into the first
    state its workflow opens for voting (ready for the agenda)."""
    paper = papers.create_paper(author, body_id=body_id, kind="resolution", title=title, text=text)
    invitations.fire_to_flag([author, office], paper, "open_for_voting", comment="Formal geprüft.")
    return _reload(paper.id)


def _reload(paper_id: int) -> Paper:
    found = db.session.get(Paper, paper_id)
    assert found is not None
    return found


def _fresh(meeting_id: int) -> Meeting:
    db.session.expire_all()
    found = access.get_meeting(meeting_id)
    assert found is not None
    return found


def hold_demo_meeting(days_ago: int = 21, items: int = 12) -> Meeting | None:
    """Hold a past Vorstandskonferenz with ``items`` agenda items (at most 12) and votes."""
    vk = db.session.scalar(select(Body).where(Body.short_name == "VK"))
    office = _user(OFFICE_EMAIL)
    author = _user(AUTHOR_EMAIL)
    if vk is None or office is None or author is None:
        return None
    location = next((p for p in places.locations() if p.name == "Rathaus Osnabrück"), None)
    if location is None:
        location = places.create_location(
            office,
            name="Rathaus Osnabrück",
            address="Markt 1, 49074 Osnabrück",
            room="Friedenssaal",
        )
    # 16:00 in Osnabrück, ``days_ago`` days before today (the app's clock).
    day = local_today() - timedelta(days=days_ago)
    starts = datetime.combine(day, time(16, 0), LOCAL_TZ).astimezone(UTC)
    meeting = planning.create_meeting(
        office,
        body_id=vk.id,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        location_id=location.id,
        public=False,
        title="Sitzung der Vorstandskonferenz",
    )
    agenda_items = []
    for title, text, _vote, public in ITEMS[:items]:
        if text is not None:
            paper = _paper(author, office, vk.id, title, text)
            item = agenda.add_paper_item(office, _fresh(meeting.id), paper.id, public=public)
        else:
            item = agenda.add_free_item(office, _fresh(meeting.id), title=title, public=public)
        agenda_items.append(item)
    invited = starts - timedelta(days=10)
    invitations.fire_to_flag(office, _fresh(meeting.id), "invited", now=invited)
    invitations.fire_to_flag(office, _fresh(meeting.id), "in_session", now=starts)
    meeting = _fresh(meeting.id)
    roster = attendance.roster(meeting)
    voting_lines = [line.membership for line in roster if line.membership.voting_right]
    statuses = {m.id: "present" for m in voting_lines[:6]}
    if len(voting_lines) > 6:
        statuses[voting_lines[6].id] = "excused"
    for m in voting_lines[7:]:
        statuses[m.id] = "absent"
    for line in roster:
        if line.membership.role == "office":
            statuses[line.membership.id] = "present"
    attendance.set_attendance(office, meeting, statuses, now=starts)
    attendance.add_guest(
        office, _fresh(meeting.id), "Dr. Hannah Brinkmann", "Projektträger Lernen vor Ort"
    )
    present = voting_lines[:6]
    for index, (item, (title, _text, vote, _public)) in enumerate(
        zip(agenda_items, ITEMS[:items], strict=True)
    ):
        if vote is None:
            continue
        at = starts + timedelta(minutes=10 + 12 * index)
        poll = open_meeting_poll(
            office,
            _fresh(meeting.id),
            item.id,
            title=title,
            question=f"Die Vorstandskonferenz beschließt: {title}.",
            kind="secret" if index == 10 else "open",
            method="hands" if index == HANDS_ITEM else "electronic",
            now=at,
        )
        values = ["yes"] * vote[0] + ["no"] * vote[1] + ["abstain"] * vote[2]
        if index == HANDS_ITEM:  # the room votes by show of hands; the office counts
            hands.enter_counts(
                office,
                poll.id,
                yes=vote[0],
                no=vote[1],
                abstain=vote[2],
                now=at + timedelta(minutes=1),
            )
            values = []
        for membership, value in zip(present, values, strict=False):
            voting.cast_ballot(poll.id, membership.person_id, value, now=at + timedelta(minutes=1))
        voting.close_poll(poll.id, office, now=at + timedelta(minutes=3))
    if len(present) >= 6:  # one member leaves after the last vote
        attendance.arrive_or_leave(
            office,
            _fresh(meeting.id),
            present[5].id,
            arrive=False,
            now=starts + timedelta(hours=2, minutes=45),
        )
    _action_items(meeting.id, office)
    invitations.fire_to_flag(office, _fresh(meeting.id), "closed", now=starts + timedelta(hours=3))
    return _fresh(meeting.id)


def _action_items(meeting_id: int, office: User) -> None:
    people = {
        p.last_name: p.id
        for p in db.session.scalars(
            select(Person).where(
                Person.last_name.in_(["Aydın", "Meyerhoff", "Kortmann", "Tiemann"])
            )
        )
    }
    tasks = [
        ("Daten der Fachbereiche für den Bildungsbericht einsammeln", "Aydın", 60),
        ("Kooperationsvertrag Jugendberufsagentur zur Unterschrift vorbereiten", "Kortmann", 30),
        ("Finanzierung nach Förderende mit der Wirtschaftsförderung klären", "Tiemann", 45),
        ("Zeitplan der Ausweitung vorlegen", "Meyerhoff", 40),
    ]
    adopted = list(
        db.session.scalars(
            select(Decision)
            .where(Decision.meeting_id == meeting_id, Decision.outcome == "adopted")
            .order_by(Decision.seq)
        )
    )
    today = local_today()
    for decision, (title, who, days) in zip(adopted, tasks, strict=False):
        decisions.add_action_item(
            decision.id,
            title=title,
            responsible_person_id=people.get(who),
            responsible_organisation_id=None,
            due_date=today + timedelta(days=days),
            actor=office,
        )


def draft_minutes(meeting: Meeting) -> Minutes | None:
    """Start the minutes of a closed meeting and write a summary per item."""
    office = _user(OFFICE_EMAIL)
    if office is None or services.latest(meeting.id) is not None:
        return None
    minutes = services.start_minutes(office, meeting, office.person_id)
    lines = agenda.flatten(agenda.agenda(meeting))
    # In the order the items were added (that of ITEMS and SUMMARIES): the
    # agenda numbers the non-public items last.
    planned = sorted((line.item for line in lines), key=lambda item: item.id)
    submitted = {
        item.id: (SUMMARIES[i % len(SUMMARIES)], 0)
        for i, item in enumerate(planned)
        if not item.withdrawn
    }
    services.save_summaries(office, minutes, submitted)
    return minutes


def load_minutes_demo() -> bool:
    """Idempotent: draft minutes for the demo's closed meeting (holding one if needed)."""
    if db.session.scalar(select(Body.id).where(Body.short_name == "VK")) is None:
        return False
    closed = db.session.scalar(
        select(Meeting)
        .where(Meeting.state.in_(access.states_with("closed")))
        .order_by(Meeting.starts_at.desc())
        .limit(1)
    )
    if closed is None:
        closed = hold_demo_meeting()
        if closed is None:
            return False
    return draft_minutes(closed) is not None


__all__ = ["draft_minutes", "hold_demo_meeting", "load_minutes_demo"]
