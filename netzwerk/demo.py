"""The demo network: Netzwerk Bildungslandschaft Osnabrück.

Real kinds of institutions, fictional people.  Loading is idempotent: when
the Vorstandskonferenz exists, nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select

from .auth.models import User
from .auth.services import hash_password
from .database import write_transaction
from .extensions import db
from .governance.models import (
    ActionField,
    Body,
    BodyKind,
    MajorityRule,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Person,
    QuorumRule,
)
from .timeutil import local_today

DEMO_PASSWORD = "netzwerk-demo-2026"
DEMO_DOMAIN = "osnabrueck.example"


def demo_start() -> date:
    """When the demo's memberships began: 1 January of last year (the
    application's clock), so the demo year's meetings have their members."""
    return date(local_today().year - 1, 1, 1)


# (role shown in the README, e-mail)
DEMO_LOGINS = [
    ("Administrator", f"admin@{DEMO_DOMAIN}"),
    ("Bildungsbüro", f"buero@{DEMO_DOMAIN}"),
    ("Vorsitz", f"ob@{DEMO_DOMAIN}"),
    ("Mitglied", f"mitglied@{DEMO_DOMAIN}"),
    ("Projektleitung", f"projekt@{DEMO_DOMAIN}"),
]

ACTION_FIELDS = [
    (
        "bildungsmonitoring",
        "Bildungsmonitoring",
        "Daten über Bildung in der Stadt erheben, auswerten und in die Gremien tragen.",
    ),
    (
        "bildungsberatung",
        "Bildungsberatung",
        "Persönliche, unabhängige Beratung und Weitervermittlung zu Bildungsangeboten.",
    ),
    (
        "uebergangsmanagement",
        "Übergangsmanagement",
        "Übergänge von der Kita bis in Ausbildung und Beruf ohne Warteschleifen gestalten.",
    ),
    (
        "wirtschaft-umwelt-technik",
        "Wirtschaft, Umwelt, Technik und Wissenschaft",
        "Umweltbildung und Technik-Modellmaßnahmen mit KMU und Hochschulen, die Kinder und "
        "Jugendliche für MINT-Berufe begeistern.",
    ),
    (
        "demokratie-kultur",
        "Demokratie und Kultur",
        "Bildung, Kultur und Demokratie mit Kultureinrichtungen und Schulen verbinden.",
    ),
]

K = OrganisationKind
ORGANISATIONS = [
    ("Stadt Osnabrück", "Stadt", K.ADMINISTRATION),
    ("Universität Osnabrück", "UOS", K.UNIVERSITY),
    ("Hochschule Osnabrück", "HS OS", K.UNIVERSITY),
    ("Industrie- und Handelskammer Osnabrück – Emsland – Grafschaft Bentheim", "IHK", K.CHAMBER),
    ("Handwerkskammer Osnabrück-Emsland-Grafschaft Bentheim", "HWK", K.CHAMBER),
    ("Bürgerstiftung Osnabrück", "Bürgerstiftung", K.FOUNDATION),
    ("Deutsche Bundesstiftung Umwelt", "DBU", K.FOUNDATION),
    ("Volkshochschule Osnabrück", "VHS", K.FURTHER_EDUCATION),
    ("Gesamtschule Schinkel", None, K.SCHOOL),
    ("Ratsgymnasium Osnabrück", None, K.SCHOOL),
    ("Berufsbildende Schulen am Pottgraben", "BBS Pottgraben", K.SCHOOL),
    ("Grundschule Widukindland", None, K.SCHOOL),
    ("Kita Sonnenblume", None, K.DAYCARE),
    ("Familienzentrum Kita Rosenplatz", None, K.DAYCARE),
    ("Theater Osnabrück", None, K.CULTURE),
    ("Museumsquartier Osnabrück", None, K.CULTURE),
    ("Stadtbibliothek Osnabrück", None, K.CULTURE),
    ("Hasetal Solartechnik GmbH", None, K.SME),
    ("Werkstatt Wüste Metallbau GmbH", None, K.SME),
    ("Grünfeld Umweltlabor GmbH", None, K.SME),
    ("Verein für Migration und Bildung Osnabrück e. V.", "VMB", K.MIGRANT_ORGANISATION),
    ("Agentur für Arbeit Osnabrück", None, K.OTHER),
    ("Jobcenter Osnabrück", None, K.OTHER),
]

# key, title, first name, last name, function, organisation, login
PERSONS = [
    ("admin", None, "Tobias", "Brenner", "Systemverwaltung", "Stadt Osnabrück", "admin"),
    ("buero", None, "Sabine", "Kortmann", "Leitung Bildungsbüro", "Stadt Osnabrück", "buero"),
    ("buero2", None, "Deniz", "Aydın", "Bildungsmonitoring, Bildungsbüro", "Stadt Osnabrück", None),
    ("buero3", None, "Jana", "Wessels", "Bildungsberatung, Bildungsbüro", "Stadt Osnabrück", None),
    ("ob", None, "Markus", "Feldkamp", "Oberbürgermeister", "Stadt Osnabrück", "ob"),
    (
        "fb_schule",
        "Dr.",
        "Claudia",
        "Ahlers",
        "Leiterin Fachbereich Bildung, Schule und Sport",
        "Stadt Osnabrück",
        "mitglied",
    ),
    (
        "fb_jugend",
        None,
        "Frank",
        "Meyerhoff",
        "Leiter Fachbereich Kinder, Jugendliche und Familien",
        "Stadt Osnabrück",
        None,
    ),
    (
        "fb_soziales",
        None,
        "Petra",
        "Lüdeke",
        "Leiterin Fachbereich Soziales",
        "Stadt Osnabrück",
        None,
    ),
    ("fb_kultur", None, "Hendrik", "Brune", "Leiter Fachbereich Kultur", "Stadt Osnabrück", None),
    (
        "fb_umwelt",
        None,
        "Ines",
        "Rahe",
        "Leiterin Fachbereich Umwelt und Klimaschutz",
        "Stadt Osnabrück",
        None,
    ),
    (
        "fb_wirtschaft",
        None,
        "Oliver",
        "Tiemann",
        "Leiter Wirtschaftsförderung",
        "Stadt Osnabrück",
        None,
    ),
    (
        "fb_integration",
        None,
        "Aylin",
        "Demir",
        "Leiterin Büro für Integration",
        "Stadt Osnabrück",
        None,
    ),
    (
        "uos",
        "Prof. Dr.",
        "Martin",
        "Bergmann",
        "Vizepräsident für Studium und Lehre",
        "Universität Osnabrück",
        None,
    ),
    (
        "hsos",
        "Prof. Dr.",
        "Katrin",
        "Vossberg",
        "Vizepräsidentin für Transfer",
        "Hochschule Osnabrück",
        None,
    ),
    (
        "ihk",
        None,
        "Ralf",
        "Schomaker",
        "Geschäftsbereich Aus- und Weiterbildung",
        "Industrie- und Handelskammer Osnabrück – Emsland – Grafschaft Bentheim",
        None,
    ),
    (
        "hwk",
        None,
        "Monika",
        "Pohlmann",
        "Abteilung Berufsbildung",
        "Handwerkskammer Osnabrück-Emsland-Grafschaft Bentheim",
        None,
    ),
    (
        "buergerstiftung",
        None,
        "Christiane",
        "Wolters",
        "Vorstand",
        "Bürgerstiftung Osnabrück",
        None,
    ),
    (
        "dbu",
        "Dr.",
        "Stefan",
        "Kleine",
        "Abteilung Umweltbildung",
        "Deutsche Bundesstiftung Umwelt",
        None,
    ),
    ("vhs", None, "Birgit", "Nolte", "Direktorin", "Volkshochschule Osnabrück", None),
    ("gs_schinkel", None, "Thomas", "Kuhlmann", "Schulleiter", "Gesamtschule Schinkel", None),
    ("ratsgym", None, "Anke", "Reinders", "Schulleiterin", "Ratsgymnasium Osnabrück", None),
    (
        "bbs",
        None,
        "Jörg",
        "Heitmann",
        "Schulleiter",
        "Berufsbildende Schulen am Pottgraben",
        "projekt",
    ),
    ("gs_widukind", None, "Lena", "Stegemann", "Schulleiterin", "Grundschule Widukindland", None),
    ("kita1", None, "Maria", "Gerdes", "Kitaleitung", "Kita Sonnenblume", None),
    (
        "kita2",
        None,
        "Fatma",
        "Yilmaz",
        "Leitung Familienzentrum",
        "Familienzentrum Kita Rosenplatz",
        None,
    ),
    ("theater", None, "Sebastian", "Krone", "Theaterpädagogik", "Theater Osnabrück", None),
    (
        "museum",
        None,
        "Eva",
        "Lammers",
        "Bildung und Vermittlung",
        "Museumsquartier Osnabrück",
        None,
    ),
    ("bibliothek", None, "Ulrike", "Bäumer", "Leitung", "Stadtbibliothek Osnabrück", None),
    ("solar", None, "Henrik", "Lange", "Geschäftsführer", "Hasetal Solartechnik GmbH", None),
    (
        "metallbau",
        None,
        "Carsten",
        "Wüste",
        "Geschäftsführer",
        "Werkstatt Wüste Metallbau GmbH",
        None,
    ),
    (
        "umweltlabor",
        "Dr.",
        "Nadine",
        "Grünfeld",
        "Geschäftsführerin",
        "Grünfeld Umweltlabor GmbH",
        None,
    ),
    (
        "vmb",
        None,
        "Olena",
        "Kovalenko",
        "Vorsitzende",
        "Verein für Migration und Bildung Osnabrück e. V.",
        None,
    ),
    (
        "vmb2",
        None,
        "Ahmad",
        "Haddad",
        "Bildungslotse",
        "Verein für Migration und Bildung Osnabrück e. V.",
        None,
    ),
    ("agentur", None, "Kerstin", "Többen", "Berufsberatung", "Agentur für Arbeit Osnabrück", None),
    ("jobcenter", None, "Michael", "Brockmann", "Team U25", "Jobcenter Osnabrück", None),
]

R = MembershipRole
VK_MEMBERS = [
    ("ob", R.CHAIR, True),
    ("fb_schule", R.VICE_CHAIR, True),
    ("fb_jugend", R.MEMBER, True),
    ("fb_soziales", R.MEMBER, True),
    ("fb_kultur", R.MEMBER, True),
    ("fb_umwelt", R.MEMBER, True),
    ("fb_wirtschaft", R.MEMBER, True),
    ("fb_integration", R.MEMBER, True),
    ("buero", R.OFFICE, False),
]

BK_EXTERNAL = [
    "uos",
    "hsos",
    "ihk",
    "hwk",
    "buergerstiftung",
    "dbu",
    "vhs",
    "gs_schinkel",
    "ratsgym",
    "bbs",
    "gs_widukind",
    "kita1",
    "kita2",
    "theater",
    "museum",
    "bibliothek",
    "solar",
    "metallbau",
    "umweltlabor",
    "vmb",
    "agentur",
    "jobcenter",
]

# short name, name, action field slug, [(person, role, vote)]
WORKING_GROUPS = [
    (
        "AG ÜSB",
        "AG Übergang Schule–Beruf",
        "uebergangsmanagement",
        [
            ("bbs", R.CHAIR, True),
            ("ihk", R.MEMBER, True),
            ("hwk", R.MEMBER, True),
            ("agentur", R.MEMBER, True),
            ("jobcenter", R.MEMBER, True),
            ("gs_schinkel", R.MEMBER, True),
            ("buero3", R.OFFICE, False),
        ],
    ),
    (
        "AG UT",
        "AG Umweltbildung und Technik",
        "wirtschaft-umwelt-technik",
        [
            ("hsos", R.CHAIR, True),
            ("dbu", R.MEMBER, True),
            ("solar", R.MEMBER, True),
            ("umweltlabor", R.MEMBER, True),
            ("metallbau", R.MEMBER, True),
            ("bbs", R.MEMBER, True),
            ("fb_umwelt", R.ADVISORY, False),
            ("buero", R.OFFICE, False),
        ],
    ),
    (
        "AG DK",
        "AG Demokratie und Kultur",
        "demokratie-kultur",
        [
            ("theater", R.CHAIR, True),
            ("museum", R.MEMBER, True),
            ("bibliothek", R.MEMBER, True),
            ("ratsgym", R.MEMBER, True),
            ("vmb", R.MEMBER, True),
            ("buergerstiftung", R.MEMBER, True),
            ("fb_kultur", R.ADVISORY, False),
            ("buero", R.OFFICE, False),
        ],
    ),
    (
        "AG BM",
        "AG Bildungsmonitoring",
        "bildungsmonitoring",
        [
            ("uos", R.CHAIR, True),
            ("vhs", R.MEMBER, True),
            ("vmb2", R.MEMBER, True),
            ("kita2", R.MEMBER, True),
            ("buero2", R.OFFICE, False),
        ],
    ),
]


def load_demo() -> bool:
    """Create the demo network in an empty database; return False if present.

    Each domain package with demo data of its own adds an idempotent loader
    to ``_package_loaders()``; they run after the network exists.
    """
    created = load_network()
    for loader in _package_loaders():
        loader()
    return created


def _package_loaders() -> list[Callable[[], object]]:
    from .counselling.demo import load_counselling_cases_demo, load_counselling_demo
    from .feedback.demo import load_feedback_demo
    from .meetings.demo import load_meetings_demo
    from .minutes.demo import load_minutes_demo, load_year_demo
    from .projects.demo import load_projects_demo

    return [
        load_counselling_demo,
        load_counselling_cases_demo,
        load_year_demo,
        load_minutes_demo,
        load_meetings_demo,
        load_projects_demo,
        load_feedback_demo,
    ]


def load_network() -> bool:
    if db.session.scalar(select(Body.id).where(Body.short_name == "VK")) is not None:
        return False
    password_hash = hash_password(DEMO_PASSWORD)
    with write_transaction():
        fields = {}
        for position, (slug, name, description) in enumerate(ACTION_FIELDS):
            fields[slug] = ActionField(
                slug=slug, name=name, description=description, position=position
            )
            db.session.add(fields[slug])

        orgs = {}
        for name, short, kind in ORGANISATIONS:
            orgs[name] = Organisation(name=name, short_name=short, kind=kind.value)
            db.session.add(orgs[name])
        db.session.flush()

        persons: dict[str, Person] = {}
        for key, title, first, last, function, org, login in PERSONS:
            email = f"{login}@{DEMO_DOMAIN}" if login else _person_email(first, last)
            person = Person(
                title=title,
                first_name=first,
                last_name=last,
                function=function,
                email=email,
                organisation_id=orgs[org].id,
            )
            db.session.add(person)
            persons[key] = person
        db.session.flush()

        for key, *_rest, login in PERSONS:
            if not login:
                continue
            db.session.add(
                User(
                    person_id=persons[key].id,
                    email=f"{login}@{DEMO_DOMAIN}",
                    password_hash=password_hash,
                    is_admin=login == "admin",
                    is_office=login == "buero",
                )
            )

        vk = Body(
            name="Vorstandskonferenz",
            short_name="VK",
            kind=BodyKind.BOARD.value,
            description="Dezernatsübergreifende Konferenz der Fachbereichsleitungen unter "
            "Vorsitz des Oberbürgermeisters: beschließt Vorlagen und Projekte.",
            notice_days=7,
            quorum_rule=QuorumRule.MORE_THAN_HALF.value,
            majority_rule=MajorityRule.SIMPLE.value,
            public=False,
        )
        bk = Body(
            name="Bildungskonferenz",
            short_name="BK",
            kind=BodyKind.CONFERENCE.value,
            description="Die externen Bildungsakteure der Stadt: berät, empfiehlt und "
            "bringt Rückmeldungen in das Bildungsmanagement.",
            notice_days=14,
            quorum_rule=QuorumRule.ONE_THIRD.value,
            majority_rule=MajorityRule.SIMPLE.value,
            public=True,
        )
        db.session.add_all([vk, bk])
        db.session.flush()

        for key, role, vote in VK_MEMBERS:
            _member(persons[key], vk, role, vote, orgs["Stadt Osnabrück"])
        _member(persons["ob"], bk, R.CHAIR, True, orgs["Stadt Osnabrück"])
        _member(persons["fb_schule"], bk, R.VICE_CHAIR, True, orgs["Stadt Osnabrück"])
        for key in BK_EXTERNAL:
            _member(persons[key], bk, R.MEMBER, True, persons[key].organisation)
        _member(persons["buero"], bk, R.OFFICE, False, orgs["Stadt Osnabrück"])
        _member(persons["buero2"], bk, R.OFFICE, False, orgs["Stadt Osnabrück"])
        db.session.flush()
        # The second member of the migrant organisation deputises for the first.
        main_seat = db.session.scalar(
            select(Membership).where(
                Membership.body_id == bk.id, Membership.person_id == persons["vmb"].id
            )
        )
        db.session.add(
            Membership(
                person_id=persons["vmb2"].id,
                body_id=bk.id,
                role=R.MEMBER.value,
                voting_right=False,
                deputy_of_id=main_seat.id if main_seat else None,
                organisation_id=orgs["Verein für Migration und Bildung Osnabrück e. V."].id,
                start_date=demo_start(),
            )
        )

        for short, name, field_slug, members in WORKING_GROUPS:
            wg = Body(
                name=name,
                short_name=short,
                kind=BodyKind.WORKING_GROUP.value,
                parent_id=bk.id,
                action_field_id=fields[field_slug].id,
                notice_days=7,
                quorum_rule=QuorumRule.NONE.value,
                majority_rule=MajorityRule.SIMPLE.value,
                public=True,
                description=f"Arbeitsgruppe im Aktionsfeld „{fields[field_slug].name}“.",
            )
            db.session.add(wg)
            db.session.flush()
            for key, role, vote in members:
                _member(persons[key], wg, role, vote, persons[key].organisation)
    return True


def _person_email(first: str, last: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ı": "i", " ": "-"})
    return f"{first.lower().translate(table)}.{last.lower().translate(table)}@{DEMO_DOMAIN}"


def _member(
    person: Person, body: Body, role: MembershipRole, vote: bool, org: Organisation | None
) -> None:
    db.session.add(
        Membership(
            person_id=person.id,
            body_id=body.id,
            role=role.value,
            voting_right=vote,
            organisation_id=org.id if org else None,
            start_date=demo_start(),
        )
    )
