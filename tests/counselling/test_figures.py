"""Figures for the monitoring: small groups suppressed on the page and in the CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from netzwerk.counselling import figures, services

from .conftest import COUNSELLOR, contact_data, first_offer_id, make_case, user_id

NOW = datetime.fromisoformat("2026-06-01T10:00:00+00:00")


def _contacts(case_id: int, n: int, **overrides) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        services.add_contact(case_id, contact_data(**overrides), None, now=NOW)


def _csv(client) -> dict[tuple[str, str], str]:  # type: ignore[no-untyped-def]
    response = client.get("/beratung/kennzahlen.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    return {(r[0], r[1]): r[2] for r in rows[1:]}


def test_suppress_counts_hides_small_groups_and_a_complement():
    assert figures.suppress_counts({"a": 4, "b": 10, "c": 7}, 5) == {"a": None, "b": 10, "c": None}
    assert figures.suppress_counts({"a": 4, "b": 3, "c": 7}, 5) == {"a": None, "b": None, "c": 7}
    assert figures.suppress_counts({"a": 0, "b": 5}, 5) == {"a": None, "b": 5}
    assert figures.suppress_counts({"a": 5, "b": 6}, 5) == {"a": 5, "b": 6}


def test_group_of_four_is_suppressed_on_page_and_in_csv(app, counsellor):
    with app.app_context():
        case_id = make_case(None)  # 1 contact: school leaver, Arabic
        _contacts(case_id, 3, situation="newly_arrived", language="ar")  # 4 Arabic in total
        _contacts(case_id, 6, situation="career_change", language="de")
        _contacts(case_id, 5, situation="re_entry", language="tr")
    # Situations: school leaver 1, newly arrived 3, career change 6, re-entry 5.
    # Languages: Arabic 4 (suppressed), German 6, Turkish 5 (hidden as well, or
    # Arabic = total - German - Turkish could be computed back).
    page = counsellor.get("/beratung/kennzahlen")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<caption>Kontakte nach Sprache</caption>" in html
    assert '<th scope="row">Arabisch</th><td class="num">&lt; 5</td>' in html
    assert '<th scope="row">Deutsch</th><td class="num">6</td>' in html
    assert '<th scope="row">Türkisch</th><td class="num">&lt; 5</td>' in html
    assert '<th scope="row">Beruflicher Wechsel</th><td class="num">6</td>' in html
    assert '<th scope="row">Neu zugewandert</th><td class="num">&lt; 5</td>' in html
    assert ">4<" not in html.split("Kontakte nach Sprache")[1]

    data = _csv(counsellor)
    assert data[("Kontakte nach Sprache", "Arabisch")] == "< 5"
    assert data[("Kontakte nach Sprache", "Deutsch")] == "6"
    assert data[("Kontakte nach Sprache", "Türkisch")] == "< 5"
    assert data[("Kontakte nach Sprache", "Gesamt")] == "15"
    assert data[("Kontakte nach Lebenslage", "Neu zugewandert")] == "< 5"
    assert data[("Kontakte nach Lebenslage", "Wiedereinstieg nach Familienzeit")] == "5"
    assert "4" not in {v for (fig, _g), v in data.items() if fig == "Kontakte nach Sprache"}


def test_threshold_is_never_below_five(app, app_ctx, counselling_demo):
    app.config["NETZWERK_MIN_GROUP_SIZE"] = 3
    try:
        assert figures.min_group_size() == 5
        case_id = make_case(None)
        _contacts(case_id, 3)
        result = figures.compute_figures()
        assert result.threshold == 5
        assert str(result.contacts_by_language.total) == "< 5"
        app.config["NETZWERK_MIN_GROUP_SIZE"] = 10
        assert figures.min_group_size() == 10
        assert str(figures.compute_figures().contacts_by_language.total) == "< 10"
    finally:
        app.config.pop("NETZWERK_MIN_GROUP_SIZE")


def _referrals(actor: int, arrived: int, not_arrived: int, open_: int) -> None:
    offer = first_offer_id()
    for i in range(arrived + not_arrived + open_):
        case_id = make_case(actor)
        referral = services.create_referral(
            case_id,
            services.ReferralData(offer, None, date(2026, 3, 2), date(2026, 3, 16)),
            actor,
            now=NOW,
        )
        if i < arrived:
            services.record_follow_up(
                referral.id,
                "arrived",
                date(2026, 3, 2) + timedelta(days=2 + i),
                None,
                actor,
                now=NOW,
            )
        elif i < arrived + not_arrived:
            services.record_follow_up(referral.id, "not_arrived", None, None, actor, now=NOW)


def test_rates_times_and_open_referrals(app, counsellor):
    with app.app_context():
        _referrals(user_id(COUNSELLOR), arrived=6, not_arrived=5, open_=5)
        result = figures.compute_figures()
    assert str(result.referrals_total) == "16"
    assert str(result.followed_up) == "11"
    assert result.arrived_share.value == 54.5
    assert result.days_median.value == 4.5  # 2..7 days
    assert result.days_mean.value == 4.5
    assert str(result.open_referrals) == "5"
    html = counsellor.get("/beratung/kennzahlen").get_data(as_text=True)
    assert '<td class="num" id="share-arrived">54,5 %</td>' in html
    data = _csv(counsellor)
    assert data[("Weitervermittlungen", "Anteil angekommen (Prozent)")] == "54,5"
    assert data[("Weitervermittlungen", "Offene Weitervermittlungen")] == "5"


def test_rates_from_small_groups_are_suppressed(app, counsellor):
    with app.app_context():
        _referrals(user_id(COUNSELLOR), arrived=4, not_arrived=6, open_=1)
        result = figures.compute_figures()
    assert result.arrived_share.suppressed
    assert result.days_median.suppressed and result.days_mean.suppressed
    assert str(result.open_referrals) == "< 5"
    data = _csv(counsellor)
    assert data[("Weitervermittlungen", "Anteil angekommen (Prozent)")] == "< 5"
    assert data[("Weitervermittlungen", "Median der Tage bis zum Ankommen")] == "< 5"


def test_period_filter_and_bad_dates(app, counsellor):
    with app.app_context():
        case_id = make_case(None)
        _contacts(case_id, 5, contact_date=date(2026, 1, 10))
    html = counsellor.get("/beratung/kennzahlen?start=2026-03-01&end=2026-03-31").get_data(
        as_text=True
    )
    assert '<th scope="row">Arabisch</th><td class="num">&lt; 5</td>' in html
    html = counsellor.get("/beratung/kennzahlen?start=2026-01-01&end=2026-01-31").get_data(
        as_text=True
    )
    assert '<th scope="row">Arabisch</th><td class="num">5</td>' in html
    bad = counsellor.get("/beratung/kennzahlen?start=kaputt&end=2026-01-01")
    assert bad.status_code == 200
    swapped = counsellor.get("/beratung/kennzahlen?start=2026-02-01&end=2026-01-01")
    assert "Das Ende liegt vor dem Beginn." in swapped.get_data(as_text=True)


def test_referrals_are_a_computed_indicator_of_the_monitoring(app, counsellor):
    """The monitoring's indicator counts the month's referrals by what their
    follow-up found, with small groups suppressed like every breakdown."""
    from netzwerk.monitoring.indicators import PROVIDERS, Period

    with app.app_context():
        _referrals(user_id(COUNSELLOR), arrived=6, not_arrived=5, open_=3)
        indicator = PROVIDERS["counselling_referrals"]
        assert indicator.suppress_small
        values = indicator.provider(Period.parse("2026-03"))
        assert values == {
            "Angekommen": 6.0,
            "Nicht angekommen": 5.0,
            "Noch nicht nachgefasst": 3.0,
            "": 14.0,
        }
        assert indicator.provider(Period.parse("2026-04")) == {}
