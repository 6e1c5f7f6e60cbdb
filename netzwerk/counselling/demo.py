"""Demo data of counselling: offers of the demo organisations, one counsellor
(:func:`load_counselling_demo`, also the counselling tests' fixture), and a
few pseudonymous cases of the last months with their referrals
(:func:`load_counselling_cases_demo`, the demo year only).

The cases go through the services (codes, audit events, the waiting-loop
rule): one person was referred twice without arriving and is flagged as
being in a waiting loop; others arrived, wait for a place, or have a
follow-up due.  Dates count back from the application's today.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from ..auth.models import User
from ..database import write_transaction
from ..extensions import db
from ..governance.models import ActionField, Organisation
from ..timeutil import LOCAL_TZ, local_today
from . import services
from .models import CounsellingCase, CounsellingStaff, Offer, OfferLanguage, OfferTargetGroup

COUNSELLOR_EMAIL = "buero@osnabrueck.example"

# organisation, title, description, target groups, languages, contact, address, district, field
DEMO_OFFERS = [
    (
        "Volkshochschule Osnabrück",
        "Integrationskurse und Deutschkurse",
        "Deutsch lernen von A1 bis C1, mit Orientierungskurs. Einstufung und Beratung "
        "jeden Dienstag ohne Termin.",
        ["newly_arrived", "adults", "young_adults"],
        ["de", "en", "ar", "uk", "tr", "fa"],
        "Sprachenberatung der VHS",
        "Bergstraße 8, 49076 Osnabrück",
        "Innenstadt",
        "bildungsberatung",
    ),
    (
        "Volkshochschule Osnabrück",
        "Schulabschlüsse nachholen",
        "Hauptschulabschluss und Realschulabschluss in Tages- und Abendkursen, "
        "mit sozialpädagogischer Begleitung.",
        ["young_adults", "adults", "school_leavers"],
        ["de"],
        "Fachbereich Schulabschlüsse",
        "Bergstraße 8, 49076 Osnabrück",
        "Innenstadt",
        "uebergangsmanagement",
    ),
    (
        "Berufsbildende Schulen am Pottgraben",
        "Berufseinstiegsschule (BES)",
        "Ein Schuljahr für Jugendliche ohne Ausbildungsplatz: Praxis in Werkstätten, "
        "Bewerbungstraining und die Chance auf den Hauptschulabschluss.",
        ["school_leavers", "pupils"],
        ["de"],
        "Sekretariat BES",
        "Pottgraben 4, 49074 Osnabrück",
        "Innenstadt",
        "uebergangsmanagement",
    ),
    (
        "Industrie- und Handelskammer Osnabrück – Emsland – Grafschaft Bentheim",
        "Ausbildungsplatzvermittlung und Lehrstellenbörse",
        "Freie Ausbildungsplätze in Industrie, Handel und Dienstleistung; Beratung zur "
        "Bewerbung und zum Ausbildungsvertrag.",
        ["school_leavers", "young_adults"],
        ["de", "en"],
        "Team Ausbildungsberatung",
        "Neuer Graben 38, 49074 Osnabrück",
        "Innenstadt",
        "uebergangsmanagement",
    ),
    (
        "Handwerkskammer Osnabrück-Emsland-Grafschaft Bentheim",
        "Beratung zur Ausbildung im Handwerk",
        "Praktika, Ausbildungsplätze und Einstiegsqualifizierung in über 130 Handwerksberufen.",
        ["school_leavers", "young_adults", "newly_arrived"],
        ["de", "en", "ar"],
        "Ausbildungsberatung",
        "Bramscher Straße 134–136, 49088 Osnabrück",
        "Haste",
        "uebergangsmanagement",
    ),
    (
        "Agentur für Arbeit Osnabrück",
        "Berufsberatung im Erwerbsleben",
        "Beratung zu beruflicher Neuorientierung, Weiterbildung und Förderung, auch nach "
        "einer Familienzeit.",
        ["adults", "returners", "job_seekers"],
        ["de", "en", "tr", "ru"],
        "Berufsberatung",
        "Johannistorwall 56, 49080 Osnabrück",
        "Innenstadt",
        "bildungsberatung",
    ),
    (
        "Jobcenter Osnabrück",
        "U25-Beratung: Ausbildung statt Warteschleife",
        "Begleitung junger Menschen unter 25 in Ausbildung, Schule oder Arbeit.",
        ["young_adults", "school_leavers", "job_seekers"],
        ["de", "ar", "uk", "ru"],
        "Team U25",
        "Johannistorwall 56, 49080 Osnabrück",
        "Innenstadt",
        "uebergangsmanagement",
    ),
    (
        "Verein für Migration und Bildung Osnabrück e. V.",
        "Bildungslotsen in Herkunftssprachen",
        "Ehrenamtliche Lotsinnen und Lotsen begleiten zu Beratungen, Behörden und "
        "Anerkennungsstellen.",
        ["newly_arrived", "parents", "adults"],
        ["ar", "fa", "prs", "ku", "uk", "ru", "ti", "so"],
        "Bildungslotsen-Büro",
        "Lotter Straße 12, 49078 Osnabrück",
        "Weststadt",
        "bildungsberatung",
    ),
    (
        "Familienzentrum Kita Rosenplatz",
        "Elterncafé: Wiedereinstieg nach der Familienzeit",
        "Offenes Elterncafé mit Kinderbetreuung und Beratung zu Weiterbildung und Beruf.",
        ["parents", "returners"],
        ["de", "tr", "ar"],
        "Leitung Familienzentrum",
        "Rosenplatz 5, 49074 Osnabrück",
        "Schölerberg",
        "bildungsberatung",
    ),
]


def load_counselling_demo() -> bool:
    """Add the demo offers and the demo counsellor; False if already there.

    Idempotent: offers are matched by organisation and title, the counsellor
    by account.  Needs the demo network (netzwerk.demo.load_demo) first.
    """
    changed = False
    with write_transaction():
        organisations = {o.name: o for o in db.session.scalars(select(Organisation)).all()}
        fields = {f.slug: f.id for f in db.session.scalars(select(ActionField)).all()}
        existing = {
            (row.organisation_id, row.title)
            for row in db.session.execute(select(Offer.organisation_id, Offer.title))
        }
        for (
            org_name,
            title,
            description,
            groups,
            languages,
            contact,
            address,
            district,
            slug,
        ) in DEMO_OFFERS:
            organisation = organisations.get(org_name)
            if organisation is None or (organisation.id, title) in existing:
                continue
            offer = Offer(
                organisation_id=organisation.id,
                title=title,
                description=description,
                contact=contact,
                contact_email=organisation.email,
                contact_phone=organisation.phone,
                address=address,
                district=district,
                action_field_id=fields.get(slug),
                active=True,
            )
            offer.target_groups = [OfferTargetGroup(code=c) for c in groups]
            offer.languages = [OfferLanguage(code=c) for c in languages]
            db.session.add(offer)
            changed = True
        user_id = db.session.scalar(select(User.id).where(User.email == COUNSELLOR_EMAIL))
        if user_id is not None and (
            db.session.scalar(
                select(CounsellingStaff.id).where(CounsellingStaff.user_id == user_id)
            )
            is None
        ):
            db.session.add(CounsellingStaff(user_id=user_id))
            changed = True
    return changed


def load_counselling_cases_demo() -> bool:
    """The demo's counselling cases (after :func:`load_counselling_demo`);
    False when there are cases already or no counsellor."""
    counsellor_id = db.session.scalar(select(User.id).where(User.email == COUNSELLOR_EMAIL))
    if counsellor_id is None or db.session.scalar(select(CounsellingCase.id).limit(1)):
        return False
    _demo_cases(counsellor_id)
    return True


# days ago, channel, language, age group, situation, topics, district, migration,
# [(offer title, days after the contact, [(days after the referral, arrival)])]
Referrals = list[tuple[str, int, list[tuple[int, str]]]]
DEMO_CASES: list[tuple[int, str, str, str, str, list[str], str, str | None, Referrals]] = [
    (
        150,
        "in_person",
        "de",
        "18_24",
        "school_leaver_without_place",
        ["vocational_training", "career_orientation"],
        "schinkel",
        "no",
        [("Ausbildungsplatzvermittlung und Lehrstellenbörse", 0, [(21, "arrived")])],
    ),
    (
        120,
        "in_person",
        "ar",
        "25_34",
        "newly_arrived",
        ["language_course", "recognition"],
        "weststadt",
        "self",
        [
            ("Integrationskurse und Deutschkurse", 0, [(14, "arrived")]),
            ("Berufsberatung im Erwerbsleben", 40, [(30, "waiting")]),
        ],
    ),
    (
        200,
        "phone",
        "de",
        "16_17",
        "dropout_risk",
        ["school_qualification", "vocational_training"],
        "dodesheide",
        None,
        [
            ("Berufseinstiegsschule (BES)", 0, [(30, "not_arrived")]),
            ("U25-Beratung: Ausbildung statt Warteschleife", 40, [(30, "not_arrived")]),
            ("Beratung zur Ausbildung im Handwerk", 100, []),
        ],
    ),
    (
        60,
        "in_person",
        "tr",
        "35_49",
        "re_entry",
        ["further_training", "childcare"],
        "schoelerberg",
        "parents",
        [("Elterncafé: Wiedereinstieg nach der Familienzeit", 0, [])],
    ),
    (
        30,
        "video",
        "uk",
        "35_49",
        "career_change",
        ["recognition", "further_training"],
        "innenstadt",
        "self",
        [("Bildungslotsen in Herkunftssprachen", 2, [])],
    ),
    (
        9,
        "outreach",
        "fa",
        "18_24",
        "newly_arrived",
        ["language_course"],
        "haste",
        "self",
        [],
    ),
]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), LOCAL_TZ).astimezone(UTC)


def _demo_cases(counsellor_id: int) -> None:
    """Six cases of the last months with referrals; one in a waiting loop."""
    offers = {o.title: o.id for o in db.session.scalars(select(Offer)).all()}
    today = local_today()
    for days, channel, language, age, situation, topics, district, migration, refs in DEMO_CASES:
        day = today - timedelta(days=days)
        case_id = services.create_case(
            services.ContactData(
                contact_date=day,
                channel=channel,
                language=language,
                age_group=age,
                situation=situation,
                outcome="referred" if refs else "information_given",
                topics=topics,
                district=district,
                migration=migration,
            ),
            counsellor_id,
            now=_at(day),
        )
        for title, after, follow_ups in refs:
            referred = day + timedelta(days=after)
            referral = services.create_referral(
                case_id,
                services.ReferralData(
                    offer_id=offers.get(title),
                    organisation_id=None,
                    referred_on=referred,
                    follow_up_on=referred + timedelta(days=follow_ups[0][0] if follow_ups else 28),
                ),
                counsellor_id,
                now=_at(referred, 11),
            )
            for later, arrival in follow_ups:
                asked = referred + timedelta(days=later)
                services.record_follow_up(
                    referral.id,
                    arrival,
                    asked - timedelta(days=3) if arrival == "arrived" else None,
                    asked + timedelta(days=60) if arrival == "waiting" else None,
                    counsellor_id,
                    now=_at(asked, 12),
                )
