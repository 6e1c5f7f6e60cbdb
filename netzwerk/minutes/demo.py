"""Demo minutes: a year of meetings, and a past Vorstandskonferenz with
twelve agenda items and votes.

:func:`load_year_demo` (the demo of ``make run``) holds the past year of the
Vorstandskonferenz, the Bildungskonferenz and two working groups through the
services: papers with files, agenda, invitations, attendance, votes,
decisions, action items (some overdue), closing, minutes in circulation and
approved (PDF/A) at the body's next meeting; then an upcoming meeting with
its invitations sent and one still in planning.  Dates count from the
application's today.

:func:`load_minutes_demo` is idempotent.  When the demo has a closed meeting
without minutes, it drafts them; when it has no closed meeting at all, it
first holds a realistic past meeting of the Vorstandskonferenz through the
services (papers, agenda, invitations, attendance, guests, votes, decisions,
action items, closing) – nothing is written around them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from ..auth.models import User
from ..database import utcnow
from ..decisions import services as decisions
from ..decisions.models import Decision
from ..extensions import db
from ..governance.models import Body, Person
from ..meetings import access, agenda, attendance, invitations, places, planning
from ..meetings.models import Meeting
from ..papers import files
from ..papers import services as papers
from ..papers.models import Paper
from ..timeutil import LOCAL_TZ, local_today
from ..voting import hands
from ..voting import services as voting
from ..voting.meeting import open_meeting_poll
from ..workflow import services as workflow
from ..workflow.definition import State, Transition
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


# A demo paper is entered this long before its meeting and checked by the
# office a day later (so it is numbered in its meeting's year).
PAPER_LEAD_TIME = timedelta(days=14)


def _paper(
    author: User, office: User, body_id: int, title: str, text: str, *, meeting_starts: datetime
) -> Paper:
    """A resolution paper, taken by its author and the office into the first
    state its workflow opens for voting (ready for the agenda), dated before
    its meeting."""
    entered = _entered(meeting_starts)
    paper = papers.create_paper(
        author, body_id=body_id, kind="resolution", title=title, text=text, now=entered
    )
    _open_for_voting(author, office, paper, entered)
    return _reload(paper.id)


def _entered(meeting_starts: datetime) -> datetime:
    """When a demo paper for a meeting was entered: two weeks before it, and
    at least a day ago (an upcoming meeting's papers are in already)."""
    return min(meeting_starts - PAPER_LEAD_TIME, utcnow() - timedelta(days=1))


def _open_for_voting(author: User, office: User, paper: Paper, entered: datetime) -> None:
    invitations.fire_to_flag(
        [author, office],
        _reload(paper.id),
        "open_for_voting",
        comment="Formal geprüft.",
        now=entered + timedelta(days=1),
    )


def _reload(paper_id: int) -> Paper:
    found = db.session.get(Paper, paper_id)
    assert found is not None
    return found


def _fresh(meeting_id: int) -> Meeting:
    db.session.expire_all()
    found = access.get_meeting(meeting_id)
    assert found is not None
    return found


def hold_demo_meeting(
    days_ago: int = 21, items: int = 12, approve: Minutes | None = None
) -> Meeting | None:
    """Hold a past Vorstandskonferenz with ``items`` agenda items (at most 12)
    and votes; with ``approve``, the minutes of an earlier meeting are on the
    agenda after the opening and are approved in the session."""
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
    for index, (title, text, _vote, public) in enumerate(ITEMS[:items]):
        if text is not None:
            paper = _paper(author, office, vk.id, title, text, meeting_starts=starts)
            item = agenda.add_paper_item(office, _fresh(meeting.id), paper.id, public=public)
        else:
            item = agenda.add_free_item(office, _fresh(meeting.id), title=title, public=public)
        agenda_items.append(item)
        if index == 0 and approve is not None:
            _approval_item(office, meeting.id, approve)
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
    if approve is not None:
        approve_minutes(office, approve, now=starts + timedelta(minutes=5))
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


def draft_minutes(meeting: Meeting, summaries: dict[str, str] | None = None) -> Minutes | None:
    """Start the minutes of a closed meeting and write a summary per item
    (``summaries`` by item title, besides those of :data:`ITEMS`)."""
    office = _user(OFFICE_EMAIL)
    if office is None or services.latest(meeting.id) is not None:
        return None
    minutes = services.start_minutes(office, meeting, office.person_id)
    written = dict(summaries or ())
    written.update({title: text for (title, *_rest), text in zip(ITEMS, SUMMARIES, strict=True)})
    submitted = {}
    for line in agenda.flatten(agenda.agenda(meeting)):
        item = line.item
        if item.withdrawn:
            continue
        # A paper's item is titled "number – title"; an approval item by its meeting.
        found = next((text for title, text in written.items() if item.title.endswith(title)), None)
        if found is None and item.title.startswith(APPROVAL_TITLE):
            found = APPROVAL_SUMMARY
        submitted[item.id] = (found or DEFAULT_SUMMARY, 0)
    services.save_summaries(office, minutes, submitted)
    return minutes


# --- a year of meetings ---------------------------------------------------------------------

APPROVAL_TITLE = "Genehmigung des Protokolls"
APPROVAL_SUMMARY = "Das Protokoll der letzten Sitzung wird ohne Änderungen genehmigt."
DEFAULT_SUMMARY = "Der Punkt wird beraten; es gibt keine Einwände."


@dataclass(frozen=True)
class Point:
    """An agenda item of a demo meeting."""

    title: str
    summary: str = DEFAULT_SUMMARY
    paper: str | None = None  # the text of a resolution paper (else a free item)
    vote: tuple[int, int, int] | None = None  # yes, no, abstain (as far as present)
    public: bool = True
    attachment: tuple[str, str] | None = None  # a file of the paper: name, content


@dataclass(frozen=True)
class Sitting:
    """A meeting of the demo year, ``days`` before today (negative: ahead)."""

    body: str
    days: int
    hour: int
    points: tuple[Point, ...]
    # action items of the adopted decisions: title, responsible (last name),
    # due in days from today (negative: overdue unless done), done
    tasks: tuple[tuple[str, str, int, bool], ...] = ()
    public: bool = True  # the Vorstandskonferenz meets in private
    present_share: float = 0.9


OPENING = Point(
    "Begrüßung und Feststellung der Tagesordnung",
    "Die Sitzung wird eröffnet; die Tagesordnung wird ohne Änderungen festgestellt.",
)

# The past year, in the order it happened (the VK meeting three weeks ago is
# :func:`hold_demo_meeting`; the Bildungskonferenz in session today is the
# meetings demo).
YEAR: list[Sitting] = [
    Sitting(
        "AG ÜSB",
        300,
        14,
        (
            OPENING,
            Point(
                "Lage auf dem Ausbildungsmarkt in Osnabrück",
                "Herr Schomaker (IHK) berichtet: 312 unbesetzte Ausbildungsplätze, vor allem "
                "im Handwerk und in der Gastronomie.",
            ),
            Point(
                "Praktikumswoche an der Gesamtschule Schinkel",
                "Die AG beschließt eine gemeinsame Praktikumswoche für alle 9. Klassen.",
                vote=(5, 0, 0),
            ),
        ),
        tasks=(("Praktikumsbetriebe für die Praktikumswoche gewinnen", "Schomaker", -200, True),),
    ),
    Sitting(
        "AG UT",
        250,
        15,
        (
            OPENING,
            Point(
                "Konzept „MINT-Werkstatt Hasetal“",
                "Die Hochschule stellt das Konzept vor; die AG empfiehlt es der "
                "Vorstandskonferenz.",
                vote=(5, 0, 1),
            ),
            Point(
                "Ausstattung der Schulen mit Messgeräten",
                "Der Bedarf der Schulen soll vor einer Anschaffung erhoben werden.",
                vote=(6, 0, 0),
            ),
        ),
        tasks=(("Bedarf an Messgeräten der Schulen erheben", "Kleine", -120, False),),
    ),
    Sitting(
        "VK",
        160,
        16,
        (
            Point(
                "Eröffnung und Feststellung der Beschlussfähigkeit",
                "Der Oberbürgermeister eröffnet die Sitzung und stellt die Beschlussfähigkeit "
                "fest.",
            ),
            Point(
                "Sprachkurse mit Kinderbetreuung an der Volkshochschule",
                "Die Vorstandskonferenz beschließt vier zusätzliche Kurse mit Kinderbetreuung "
                "ab dem nächsten Semester.",
                paper="Die Volkshochschule bietet ab dem nächsten Semester vier Integrationskurse "
                "mit Kinderbetreuung an; die Stadt trägt die Kosten der Betreuung.",
                vote=(6, 0, 0),
                attachment=(
                    "Kostenplan_Kinderbetreuung.csv",
                    "Posten;Betrag in Euro\nBetreuungskräfte;28800\nRäume;4800\n"
                    "Material;1200\nSumme;34800\n",
                ),
            ),
            Point(
                "Kooperationsvereinbarung Jugendberufsagentur",
                "Die Vereinbarung wird mit einer Änderung zum Datenschutz beschlossen.",
                paper="Die Stadt schließt mit der Agentur für Arbeit und dem Jobcenter die "
                "Kooperationsvereinbarung zur Jugendberufsagentur Osnabrück.",
                vote=(5, 1, 0),
                attachment=(
                    "Kooperationsvereinbarung_Entwurf.txt",
                    "Kooperationsvereinbarung Jugendberufsagentur Osnabrück (Entwurf)\n\n"
                    "§ 1 Ziel: Kein junger Mensch geht verloren.\n"
                    "§ 2 Partner: Stadt Osnabrück, Agentur für Arbeit, Jobcenter.\n"
                    "§ 3 Datenschutz: Daten werden nur mit Einwilligung geteilt.\n",
                ),
            ),
            Point(
                "Berichte aus den Arbeitsgruppen",
                "Die Vorsitzenden der Arbeitsgruppen berichten über ihre Vorhaben.",
            ),
            Point(
                "Personalangelegenheit: Verlängerung einer Stelle im Bildungsmonitoring",
                "Die Vorstandskonferenz stimmt der Verlängerung zu.",
                vote=(6, 0, 0),
                public=False,
            ),
        ),
        tasks=(
            ("Räume für die Kurse mit Kinderbetreuung melden", "Meyerhoff", -40, False),
            ("Kooperationsvereinbarung unterschriftsreif machen", "Kortmann", -100, True),
            ("Stellenausschreibung veröffentlichen", "Kortmann", -60, True),
        ),
        public=False,
    ),
    Sitting(
        "AG ÜSB",
        90,
        14,
        (
            OPENING,
            Point(
                "Auswertung der Praktikumswoche",
                "87 Schülerinnen und Schüler in 41 Betrieben; elf Ausbildungsverträge "
                "sind in Aussicht.",
            ),
            Point(
                "Ausbildungsbotschafterinnen und -botschafter an Schulen",
                "Auszubildende berichten künftig in den Abschlussklassen von ihrem Beruf.",
                vote=(4, 0, 1),
            ),
        ),
        tasks=(("Schulen für die Ausbildungsbotschafter ansprechen", "Kuhlmann", -20, False),),
    ),
    Sitting(
        "BK",
        75,
        17,
        (
            OPENING,
            Point(
                "Bildungsbericht 2026: erste Ergebnisse",
                "Herr Aydın stellt erste Kennzahlen zu Übergängen und Abschlüssen vor.",
            ),
            Point(
                "Empfehlung: Sprachförderung in Kitas ausbauen",
                "Die Bildungskonferenz empfiehlt, die alltagsintegrierte Sprachförderung auf "
                "alle Stadtteile auszuweiten.",
                vote=(11, 1, 2),
            ),
            Point(
                "Rückmeldungen aus dem Rückmeldesystem",
                "Frau Kortmann stellt die Rückmeldungen des Quartals vor; viele betreffen "
                "Kitaplätze und Abendkurse.",
            ),
        ),
        tasks=(("Zeitplan für die Sprachförderung in allen Stadtteilen", "Gerdes", 30, False),),
        present_share=0.7,
    ),
    Sitting(
        "AG UT",
        45,
        15,
        (
            OPENING,
            Point(
                "Messstationen an der Hase mit Grundschulen",
                "Die AG unterstützt den Projektantrag „Umweltlabor macht Schule“.",
                vote=(4, 0, 1),
            ),
            Point("Termine und Verschiedenes", "Die nächste Sitzung ist im Frühjahr."),
        ),
    ),
]

UPCOMING = Sitting(
    "VK",
    -12,
    16,
    (
        Point("Eröffnung und Feststellung der Beschlussfähigkeit"),
        Point(
            "Veröffentlichung des Bildungsberichts 2026",
            paper="Der erste kommunale Bildungsbericht wird im Januar veröffentlicht und der "
            "Bildungskonferenz vorgestellt.",
            attachment=(
                "Bildungsbericht_Gliederung.txt",
                "Bildungsbericht 2026 – Gliederung\n1. Rahmenbedingungen\n"
                "2. Frühkindliche Bildung\n3. Allgemeinbildende Schulen\n"
                "4. Übergang Schule–Beruf\n5. Weiterbildung\n",
            ),
        ),
        Point("Stand des Umlaufverfahrens „Umweltlabor macht Schule“"),
        Point("Verschiedenes und Termine"),
    ),
    public=False,
)
PLANNED = Sitting(
    "BK",
    -60,
    17,
    (
        OPENING,
        Point("Vorstellung des Bildungsberichts 2026"),
        Point("Bericht aus den Arbeitsgruppen"),
    ),
)


def load_year_demo() -> bool:
    """Idempotent: the demo's past year of meetings (False if a meeting exists).

    Runs before :func:`load_minutes_demo`, whose VK meeting three weeks ago
    it holds in its place in the year (that loader then finds its minutes).
    Each meeting's minutes go into circulation and are approved at the
    body's next meeting; the last ones of each body are still under way.
    """
    office = _user(OFFICE_EMAIL)
    if office is None or db.session.scalar(select(Meeting.id).limit(1)) is not None:
        return False
    if db.session.scalar(select(Body.id).where(Body.short_name == "VK")) is None:
        return False
    latest_minutes: dict[str, Minutes] = {}
    for sitting in YEAR:
        meeting = _hold(office, sitting, latest_minutes.get(sitting.body))
        latest_minutes[sitting.body] = _circulate(office, meeting, sitting)
    vk = hold_demo_meeting(approve=latest_minutes.get("VK"))
    if vk is None:
        return False
    vk_minutes = draft_minutes(vk)
    if vk_minutes is not None:
        _circulate_minutes(office, vk_minutes, vk.starts_at + timedelta(days=4))
    upcoming = _plan(office, UPCOMING, vk_minutes)
    invitations.fire_to_flag(office, upcoming, "invited")
    _plan(office, PLANNED)
    return True


def _starts(sitting: Sitting) -> datetime:
    day = local_today() - timedelta(days=sitting.days)
    return datetime.combine(day, time(sitting.hour, 0), LOCAL_TZ).astimezone(UTC)


def _location(office: User) -> int:
    found = next((p for p in places.locations() if p.name == "Rathaus Osnabrück"), None)
    if found is None:
        found = places.create_location(
            office,
            name="Rathaus Osnabrück",
            address="Markt 1, 49074 Osnabrück",
            room="Friedenssaal",
        )
    return found.id


def _plan(office: User, sitting: Sitting, approve: Minutes | None = None) -> Meeting:
    """Create the meeting with its agenda (papers with their files)."""
    body = db.session.scalar(select(Body).where(Body.short_name == sitting.body))
    author = _user(AUTHOR_EMAIL)
    assert body is not None and author is not None
    starts = _starts(sitting)
    meeting = planning.create_meeting(
        office,
        body_id=body.id,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        location_id=_location(office),
        public=sitting.public,
        # No title: listed by its number (the title "Sitzung der Bildungskonferenz"
        # marks the meetings demo's meeting in session).
    )
    for index, point in enumerate(sitting.points):
        if point.paper is not None:
            entered = _entered(starts)
            paper = papers.create_paper(
                author,
                body_id=body.id,
                kind="resolution",
                title=point.title,
                text=point.paper,
                now=entered,
            )
            if point.attachment is not None:
                name, content = point.attachment
                files.add_attachment(author, paper, name, content.encode())
            _open_for_voting(author, office, paper, entered)
            agenda.add_paper_item(office, _fresh(meeting.id), paper.id, public=point.public)
        else:
            agenda.add_free_item(office, _fresh(meeting.id), title=point.title, public=point.public)
        if index == 0 and approve is not None:
            _approval_item(office, meeting.id, approve)
    return _fresh(meeting.id)


def _approval_item(office: User, meeting_id: int, minutes: Minutes) -> None:
    """ "Approval of the minutes of …" on the agenda: scheduled through the
    minutes service for a meeting ahead; a free item for one in the past
    (the service offers only meetings ahead)."""
    if meeting_id in {m.id for m in services.approval_meeting_choices(minutes)}:
        services.schedule_approval(office, minutes, meeting_id)
        return
    number = minutes.meeting.number
    agenda.add_free_item(
        office, _fresh(meeting_id), title=f"{APPROVAL_TITLE} der Sitzung {number}", public=True
    )


def _hold(office: User, sitting: Sitting, approve: Minutes | None) -> Meeting:
    """A past meeting: invited, held with attendance, the earlier minutes
    approved, votes, decisions and action items, closed."""
    meeting = _plan(office, sitting, approve)
    starts = meeting.starts_at
    body = meeting.body
    invitations.fire_to_flag(
        office, meeting, "invited", now=starts - timedelta(days=body.notice_days + 2)
    )
    invitations.fire_to_flag(office, _fresh(meeting.id), "in_session", now=starts)
    meeting = _fresh(meeting.id)
    roster = attendance.roster(meeting)
    voters = [
        line.membership
        for line in roster
        if line.membership.voting_right and line.membership.deputy_of_id is None
    ]
    present = voters[: max(1, round(len(voters) * sitting.present_share))]
    statuses = {m.id: "present" for m in present}
    statuses.update({m.id: "excused" for m in voters[len(present) :]})
    statuses.update(
        {line.membership.id: "present" for line in roster if line.membership.role == "office"}
    )
    attendance.set_attendance(office, meeting, statuses, now=starts)
    if approve is not None:
        approve_minutes(office, approve, now=starts + timedelta(minutes=5))
    lines = agenda.flatten(agenda.agenda(_fresh(meeting.id)))
    by_title = {line.item.title: line.item for line in lines}
    for index, point in enumerate(sitting.points):
        if point.vote is None:
            continue
        item = next(i for t, i in by_title.items() if t.endswith(point.title))
        at = starts + timedelta(minutes=15 + 10 * index)
        poll = open_meeting_poll(
            office,
            _fresh(meeting.id),
            item.id,
            title=point.title,
            question=f"{body.name}: {point.title}",
            now=at,
        )
        yes, no, abstain = point.vote
        values = ["yes"] * yes + ["no"] * no + ["abstain"] * abstain
        for membership, value in zip(present, values, strict=False):
            voting.cast_ballot(poll.id, membership.person_id, value, now=at + timedelta(minutes=1))
        voting.close_poll(poll.id, office, now=at + timedelta(minutes=3))
    _tasks(office, meeting.id, sitting.tasks)
    invitations.fire_to_flag(
        office, _fresh(meeting.id), "closed", now=starts + timedelta(hours=1, minutes=45)
    )
    return _fresh(meeting.id)


def _tasks(office: User, meeting_id: int, tasks: tuple[tuple[str, str, int, bool], ...]) -> None:
    if not tasks:
        return
    adopted = list(
        db.session.scalars(
            select(Decision)
            .where(Decision.meeting_id == meeting_id, Decision.outcome == "adopted")
            .order_by(Decision.seq)
        )
    )
    if not adopted:
        return
    today = local_today()
    for index, (title, who, due, done) in enumerate(tasks):
        person = db.session.scalar(select(Person.id).where(Person.last_name == who))
        item = decisions.add_action_item(
            adopted[index % len(adopted)].id,
            title=title,
            responsible_person_id=person,
            responsible_organisation_id=None,
            due_date=today + timedelta(days=due),
            actor=office,
        )
        if done:
            decisions.step_to_flag(office, item.id, "done", comment="Erledigt.")


def _circulate(office: User, meeting: Meeting, sitting: Sitting) -> Minutes:
    summaries = {point.title: point.summary for point in sitting.points}
    minutes = draft_minutes(meeting, summaries)
    assert minutes is not None
    _circulate_minutes(office, minutes, meeting.starts_at + timedelta(days=5))
    return minutes


def _in_circulation(minutes: Minutes) -> Callable[[State], bool]:
    """Out of its draft, not yet final (sent to the members for corrections)."""
    initial = workflow.definition_of(minutes).initial
    return lambda state: not state.final and state.name != initial


def _circulate_minutes(office: User, minutes: Minutes, at: datetime) -> None:
    _minutes_to(office, minutes, _in_circulation(minutes), at)


def approve_minutes(office: User, minutes: Minutes, *, now: datetime) -> None:
    """Approve minutes in circulation at the body's meeting in session."""
    _minutes_to(office, minutes, lambda state: state.final, now)


def _minutes_to(
    office: User, minutes: Minutes, wanted: Callable[[State], bool], at: datetime
) -> None:
    def step(user: User, obj: Any, transition: Transition, comment: str | None) -> Any:
        return services.fire_transition(user, obj, transition.name, comment, None, now=at)

    workflow.fire_to_flag(office, services.get_minutes(minutes.id), wanted, fire_step=step)


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


__all__ = [
    "approve_minutes",
    "draft_minutes",
    "hold_demo_meeting",
    "load_minutes_demo",
    "load_year_demo",
]
