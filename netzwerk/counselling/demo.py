"""Demo data of counselling: offers of the demo organisations, one counsellor.

No counselling contacts are invented: the log starts empty.
"""

from __future__ import annotations

from sqlalchemy import select

from ..auth.models import User
from ..database import write_transaction
from ..extensions import db
from ..governance.models import ActionField, Organisation
from .models import CounsellingStaff, Offer, OfferLanguage, OfferTargetGroup

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
