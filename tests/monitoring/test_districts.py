"""Districts: reference data, figures by district, the map, combined indicators."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from netzwerk.counselling.models import CounsellingCase, CounsellingContact, Referral
from netzwerk.extensions import db
from netzwerk.feedback import services as feedback_services
from netzwerk.feedback.models import Feedback, FeedbackChoice
from netzwerk.feedback.vocab import SEED_CHOICES
from netzwerk.governance.models import Organisation
from netzwerk.monitoring import districts, indicators, statistics
from netzwerk.monitoring.indicators import Period

from .statistics_samples import GOOD

OFFICIAL = [
    "Innenstadt", "Weststadt", "Westerberg", "Eversburg", "Hafen", "Sonnenhügel", "Haste",
    "Dodesheide", "Gartlage", "Schinkel", "Widukindland", "Schinkel-Ost", "Fledder",
    "Schölerberg", "Kalkhügel", "Wüste", "Sutthausen", "Hellern", "Atter", "Pye",
    "Darum/Gretesch/Lüstringen", "Voxtrup", "Nahne",
]  # fmt: skip


def test_the_23_districts_ship_with_schematic_shapes():
    data = json.loads(districts.GEOMETRY_FILE.read_text(encoding="utf-8"))
    assert "schematic" in data["_comment"].lower()
    names = [d.name for d in districts.all_districts()]
    assert sorted(names) == sorted(OFFICIAL) and len(set(names)) == 23
    for d in districts.all_districts():
        assert len(d.ring) >= 5 and d.ring[0] == d.ring[-1]
    # The same codes as the feedback form's district list.
    feedback_codes = {code for code, _labels in SEED_CHOICES["district"]}
    assert set(districts.codes()) == feedback_codes


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Schölerberg", "schoelerberg"),
        ("Schoelerberg", "schoelerberg"),
        ("  schinkel-ost ", "schinkel-ost"),
        ("Darum-Gretesch-Lüstringen", "darum_gretesch_luestringen"),
        ("05 Sonnenhügel", "sonnenhuegel"),
        ("Atlantis", None),
    ],
)
def test_district_names_as_tables_write_them(text, code):
    assert districts.match(text) == code


def _feedback(district: str | None, n: int) -> None:
    category = db.session.scalar(
        select(FeedbackChoice.id).where(FeedbackChoice.kind == "category").limit(1)
    )
    dist = (
        db.session.scalar(
            select(FeedbackChoice.id).where(
                FeedbackChoice.kind == "district", FeedbackChoice.code == district
            )
        )
        if district
        else None
    )
    for i in range(n):
        db.session.add(
            Feedback(
                receipt_code=feedback_services.new_receipt_code(),
                category_id=category,
                district_id=dist,
                rating=(i % 5) + 1,
                created_at=datetime(2026, 3, 10, tzinfo=UTC),
            )
        )
    db.session.commit()


def test_district_page_map_and_table_with_suppression(app, client_as):
    with app.app_context():
        feedback_services.ensure_default_choices()
        _feedback("schinkel", 12)
        _feedback("haste", 9)
        _feedback("wueste", 3)
        _feedback(None, 6)
        db.session.remove()
    office = client_as("office")
    page = office.get("/monitoring/stadtteile?was=feedback")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<svg class="district-map"' in html and "<polygon" in html
    assert '<th scope="row">Schinkel</th><td class="num">12</td>' in html
    small = "weniger als 5 Personen – zum Schutz der Einzelnen nicht ausgewiesen"
    assert (
        f'<th scope="row">Wüste</th><td class="num suppressed">&lt; 5'
        f'<span class="visually-hidden"> ({small})</span></td>'
    ) in html
    # Wüste alone hidden beside a total: the next smallest (no district, 6)
    # goes too, marked "." (a larger group hidden so that Wüste stays hidden).
    assert '<th scope="row">keine Angabe</th><td class="num suppressed">.<span' in html
    # The page says why, beside the table.
    note = html.split('class="hint suppression-note"')[1].split("</p>")[0]
    assert f"„&lt; 5“: {small}." in note
    assert "„.“: nicht ausgewiesen: zusammen mit der Summe" in note
    assert "<title>Wüste: &lt; 5</title>" in html
    assert ">3<" not in html.split('<svg class="district-map"')[1].split("</svg>")[0]
    assert office.get("/monitoring/stadtteile?was=unbekannt").status_code == 400
    assert office.get("/monitoring/stadtteile?jahr=20x6").status_code == 400
    for measure in ("counselling", "reach"):
        assert office.get(f"/monitoring/stadtteile?was={measure}&jahr=2026").status_code == 200


def _case(district: str | None, migration: str | None = None) -> int:
    case = CounsellingCase(
        code=f"C{db.session.scalar(select(db.func.count()).select_from(CounsellingCase))}"
    )
    db.session.add(case)
    db.session.flush()
    db.session.add(
        CounsellingContact(
            case_id=case.id,
            contact_date=date(2026, 3, 2),
            channel="in_person",
            language="de",
            age_group="18_24",
            situation="career_change",
            outcome="referred",
            district=district,
            migration=migration,
        )
    )
    return case.id


def test_counselling_cases_and_referral_arrival_by_district(app_ctx, demo):
    organisation = db.session.scalar(select(Organisation.id).limit(1))
    arrived_by = {"schinkel": (9, 7), "haste": (6, 5)}  # referrals followed up, arrived
    for district, (followed, arrived) in arrived_by.items():
        for i in range(followed):
            case_id = _case(district)
            db.session.add(
                Referral(
                    case_id=case_id,
                    organisation_id=organisation,
                    referred_on=date(2026, 3, 3),
                    follow_up_on=date(2026, 4, 3),
                    arrival="arrived" if i < arrived else "not_arrived",
                )
            )
    for _i in range(2):
        _case("wueste")
    db.session.commit()
    year = Period("2026")
    cases = indicators.computed_series("counselling_cases_by_district", [year])
    assert cases.values[("2026", "schinkel")] == 9.0
    assert ("2026", "wueste") in cases.suppressed  # 2 cases
    assert ("2026", "haste") in cases.suppressed  # secondary: 6 is the next smallest
    from conftest import demo_user

    office = demo_user("office")
    share = indicators.define_combined(
        office,
        code="vermittlung_angekommen",
        name="Vermittlungen, die ankamen",
        unit="%",
        numerator="counselling_referrals_arrived",
        denominator="counselling_referrals_followed_up",
        factor=100,
    )
    series = indicators.combined_series(share, [year])
    # A percentage is shown where both counts are shown (7 of 9 arrived):
    # it reveals nothing the two counts do not already show.
    assert round(series.values[("2026", "schinkel")], 1) == 77.8
    assert series.text("2026", "schinkel") == "77,8"
    # Where a count is hidden, the share is withheld ("–", with the reason),
    # never "< 5": share x shown denominator would give the hidden count back.
    arrived = indicators.computed_series("counselling_referrals_arrived", [year])
    followed = indicators.computed_series("counselling_referrals_followed_up", [year])
    for group in series.groups:
        key = ("2026", group)
        if key in arrived.suppressed or key in followed.suppressed:
            assert key in series.suppressed and series.text(*key) == "–"
            assert "ließe eine Gruppe von weniger als 5 Personen errechnen" in series.title(*key)
        else:
            assert key not in series.suppressed


def test_share_of_school_leavers_without_qualification(app_ctx, demo):
    from conftest import demo_user

    office = demo_user("office")
    table = statistics.parse(GOOD.encode("utf-8"))
    statistics.import_table(office, GOOD.encode("utf-8"))
    without, total = (c.code for c in table.columns)
    share = indicators.define_combined(
        office,
        code="anteil-ohne-abschluss",
        name="Anteil ohne Hauptschulabschluss",
        unit="%",
        numerator=without,
        denominator=total,
        factor=100,
    )
    series = indicators.any_series(share.code)
    assert series is not None and series.kind == "combined"
    assert series.periods == ["2024"]
    assert series.values[("2024", "innenstadt")] == pytest.approx(8.0)
    assert series.values[("2024", "schoelerberg")] == 0.0
    assert series.values[("2024", "wueste")] is None
    assert series.text("2024", "wueste") == "."
    assert series.values[("2024", "")] == pytest.approx(1234.5 / 12030 * 100)
    assert series.table_codes == ["21111-03"]
    # The map of the combined indicator.
    district_table = districts.indicator_table(share.code)
    assert district_table is not None
    cells = district_table.by_code()
    assert cells["innenstadt"].text == "8"
    assert cells["wueste"].value is None
    with pytest.raises(indicators.IndicatorError):
        indicators.define_combined(
            office, code="x", name="x", unit="", numerator="nope", denominator=total, factor=1
        )


def test_migration_background_only_in_aggregates(app, client_as, counselling_demo):
    from netzwerk.counselling import services as counselling_services

    def contact_data(**extra):  # type: ignore[no-untyped-def]
        return counselling_services.ContactData(
            contact_date=date(2026, 3, 2),
            channel="in_person",
            language="ar",
            age_group="18_24",
            situation="school_leaver_without_place",
            outcome="referred",
            **extra,
        )

    with app.app_context():
        case_id = counselling_services.create_case(
            contact_data(district="haste", migration="self"),
            None,
            now=datetime(2026, 3, 2, 10, tzinfo=UTC),
        )
        for _i in range(6):
            counselling_services.add_contact(
                case_id,
                contact_data(migration="parents"),
                None,
                now=datetime(2026, 3, 2, 10, tzinfo=UTC),
            )
        contact = db.session.scalar(
            select(CounsellingContact).where(CounsellingContact.migration == "self")
        )
        assert contact is not None and contact.district == "haste"
        db.session.remove()
    office = client_as("office")
    # Per person: the case page and its CSV (the right of access) say nothing of it.
    for url in (f"/beratung/faelle/{case_id}", f"/beratung/faelle/{case_id}/export.csv"):
        response = office.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert "eingewandert" not in body and "Migrationshintergrund" not in body
    # In the aggregate: 1 "self" hidden, 6 "parents" hidden as well.
    figures = office.get("/beratung/kennzahlen").get_data(as_text=True)
    assert "Migrationshintergrund" in figures
    block = figures.split('id="by-migration"')[1].split("</table>")[0]
    assert ">1<" not in block and ">6<" not in block


@pytest.fixture
def counselling_demo(app, demo):  # type: ignore[no-untyped-def]
    from netzwerk.counselling.demo import load_counselling_demo

    with app.app_context():
        load_counselling_demo()
        db.session.remove()


def test_feedback_migration_background_never_per_person(app, client_as):
    from netzwerk.feedback.validation import FeedbackInput

    with app.app_context():
        feedback_services.ensure_default_choices()
        category = db.session.scalar(
            select(FeedbackChoice.id).where(FeedbackChoice.kind == "category").limit(1)
        )
        ids = [
            feedback_services.submit_feedback(
                FeedbackInput(category_id=category, rating=3, migration=answer)
            ).id
            for answer in ["self"] + ["parents"] * 7
        ]
        db.session.remove()
    office = client_as("office")
    # The staff's page of one feedback does not show it.
    page = office.get(f"/verwaltung/rueckmeldungen/{ids[0]}").get_data(as_text=True)
    assert "eingewandert" not in page and "Migrationshintergrund" not in page
    # The monitoring counts it, protected: 1 "self" and the next smallest hidden.
    body = office.get("/monitoring/export.csv").get_data(as_text=True)
    rows = [line.split(";") for line in body.lstrip("\ufeff").splitlines()]
    migration = {r[1]: r[2] for r in rows if r[0] == "migration"}
    assert migration and all(v in ("< 5", ".", "0") or int(v) >= 5 for v in migration.values())
    assert "1" not in migration.values() and "7" not in migration.values()
    # A hidden group's mean is withheld for the migration background (not rounded).
    means = {r[1]: r[3] for r in rows if r[0] == "migration"}
    assert means["Ja, ich bin selbst eingewandert"] == "–"
    assert all(v in ("–", "3,0") for v in means.values()), means
    # The form explains why it asks, in every language of the form.
    for lang, words in {
        "de": "Warum wir fragen",
        "en": "Why we ask",
        "tr": "Neden soruyoruz",
        "ar": "لماذا نسأل",
        "ru": "Зачем мы спрашиваем",
        "uk": "Навіщо ми питаємо",
        "ls": "Warum fragen wir",
    }.items():
        form = client_as("office").get(f"/rueckmeldung/{lang}/").get_data(as_text=True)
        assert words in form, lang


def test_district_page_statements_do_not_grow_with_the_data(app, client_as, count_queries):
    with app.app_context():
        feedback_services.ensure_default_choices()
        _feedback("schinkel", 12)
        db.session.remove()
    office = client_as("office")
    office.get("/monitoring/stadtteile")  # warm up
    with count_queries() as small:
        assert office.get("/monitoring/stadtteile").status_code == 200
    with app.app_context():
        for code in districts.codes()[:10]:
            _feedback(code, 30)
        db.session.remove()
    with count_queries() as large:
        assert office.get("/monitoring/stadtteile").status_code == 200
    assert large.count == small.count
