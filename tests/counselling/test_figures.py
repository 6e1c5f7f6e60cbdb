"""Figures for the monitoring: small groups suppressed on the page and in the CSV,
shares and days shown where they reveal no hidden count (monitoring.suppression)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from netzwerk.counselling import figures, services

from .conftest import COUNSELLOR, contact_data, first_offer_id, make_case, user_id

NOW = datetime.fromisoformat("2026-06-01T10:00:00+00:00")

SMALL = "weniger als 5 Personen – zum Schutz der Einzelnen nicht ausgewiesen"
SECONDARY = (
    "nicht ausgewiesen: zusammen mit der Summe ließe sich sonst eine Gruppe von weniger als "
    "5 Personen errechnen"
)
WITHHELD = "nicht ausgewiesen: der Wert ließe eine Gruppe von weniger als 5 Personen errechnen"
FEW_VALUES = "nicht ausgewiesen: beruht auf weniger als 5 Personen und zeigte deren eigene Werte"


def _hidden(text: str, why: str) -> str:
    """A hidden cell as templates/monitoring/_marks.html writes it."""
    return f'<td class="num suppressed">{text}<span class="visually-hidden"> ({why})</span></td>'


def _row(html: str, header: str) -> str:
    """The cell beside a row header."""
    return html.split(f'<th scope="row">{header}</th>', 1)[1].split("</tr>", 1)[0]


def _contacts(case_id: int, n: int, **overrides) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        services.add_contact(case_id, contact_data(**overrides), None, now=NOW)


def _csv(client) -> dict[tuple[str, str], str]:  # type: ignore[no-untyped-def]
    response = client.get("/beratung/kennzahlen.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Kennzahl", "Gruppe", "Wert", "Hinweis zum Wert"]
    return {(r[0], r[1]): r[2] for r in rows[1:]}


def _csv_why(client) -> dict[tuple[str, str], str]:  # type: ignore[no-untyped-def]
    text = client.get("/beratung/kennzahlen.csv").get_data(as_text=True).lstrip("\ufeff")
    return {(r[0], r[1]): r[3] for r in list(csv.reader(io.StringIO(text), delimiter=";"))[1:]}


def test_suppress_counts_hides_small_groups_and_a_complement():
    assert figures.suppress_counts({"a": 4, "b": 10, "c": 7}, 5) == {"a": None, "b": 10, "c": None}
    assert figures.suppress_counts({"a": 4, "b": 3, "c": 7}, 5) == {"a": None, "b": None, "c": 7}
    # An empty group identifies nobody: shown, as in the monitoring.
    assert figures.suppress_counts({"a": 0, "b": 5}, 5) == {"a": 0, "b": 5}
    assert figures.suppress_counts({"a": 5, "b": 6}, 5) == {"a": 5, "b": 6}


def test_group_of_four_is_suppressed_on_page_and_in_csv(app, counsellor):
    with app.app_context():
        case_id = make_case(None)  # 1 contact: school leaver, Arabic
        _contacts(case_id, 3, situation="newly_arrived", language="ar")  # 4 Arabic in total
        _contacts(case_id, 6, situation="career_change", language="de")
        _contacts(case_id, 5, situation="re_entry", language="tr")
    # Situations: school leaver 1, newly arrived 3, career change 6, re-entry 5.
    # Languages: Arabic 4 (suppressed: "< 5"), German 6, Turkish 5 (hidden as
    # well, as ".", or Arabic = total - German - Turkish could be computed back).
    page = counsellor.get("/beratung/kennzahlen")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<caption>Kontakte nach Sprache</caption>" in html
    by_language = html.split("<caption>Kontakte nach Sprache</caption>")[1].split("</table>")
    assert _row(html, "Arabisch") == _hidden("&lt; 5", SMALL)
    assert _row(html, "Deutsch") == '<td class="num">6</td>'
    assert _row(html, "Türkisch") == _hidden(".", SECONDARY)
    assert _row(html, "Beruflicher Wechsel") == '<td class="num">6</td>'
    assert _row(html, "Neu zugewandert") == _hidden("&lt; 5", SMALL)
    assert _row(html, "Englisch") == '<td class="num">0</td>'  # nobody: shown
    assert ">4<" not in by_language[0]
    # The note below the table says why, for both marks it uses.
    note = by_language[1].split("</p>")[0]
    assert 'class="hint suppression-note"' in note
    assert f"„&lt; 5“: {SMALL}." in note and f"„.“: {SECONDARY}." in note

    data = _csv(counsellor)
    assert data[("Kontakte nach Sprache", "Arabisch")] == "< 5"
    assert data[("Kontakte nach Sprache", "Deutsch")] == "6"
    assert data[("Kontakte nach Sprache", "Türkisch")] == "."
    assert data[("Kontakte nach Sprache", "Gesamt")] == "15"
    assert data[("Kontakte nach Lebenslage", "Neu zugewandert")] == "< 5"
    assert data[("Kontakte nach Lebenslage", "Wiedereinstieg nach Familienzeit")] == "5"
    assert "4" not in {v for (fig, _g), v in data.items() if fig == "Kontakte nach Sprache"}
    why = _csv_why(counsellor)
    assert why[("Kontakte nach Sprache", "Arabisch")] == SMALL
    assert why[("Kontakte nach Sprache", "Türkisch")] == SECONDARY
    assert why[("Kontakte nach Sprache", "Deutsch")] == ""


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
    share = "Anteil angekommen (Prozent der nachgefassten Weitervermittlungen)"
    assert _row(html, share) == '<td class="num">54,5 %</td>'
    assert _row(html, "Median der Tage bis zum Ankommen") == '<td class="num">4,5</td>'
    assert "suppression-note" not in html.split('id="referral-figures"')[1].split("<table")[0]
    data = _csv(counsellor)
    assert data[("Weitervermittlungen", "Anteil angekommen (Prozent)")] == "54,5"
    assert data[("Weitervermittlungen", "Median der Tage bis zum Ankommen")] == "4,5"
    assert data[("Weitervermittlungen", "Durchschnittliche Tage bis zum Ankommen")] == "4,5"
    assert data[("Weitervermittlungen", "Offene Weitervermittlungen")] == "5"


def test_share_and_days_of_small_groups_are_withheld_not_hidden_as_counts(app, counsellor):
    """4 arrived ("< 5"): the share would give it back (share x followed up),
    and the days of 4 people are their own figures.  1 not followed up yet:
    "followed up" (total minus that one) is hidden as well."""
    with app.app_context():
        _referrals(user_id(COUNSELLOR), arrived=4, not_arrived=6, open_=1)
        result = figures.compute_figures()
    assert str(result.referrals_total) == "11"
    assert str(result.followed_up) == "."  # 11 - 10 would give the 1 back
    assert result.arrived_share.suppressed and str(result.arrived_share) == "–"
    assert str(result.days_median) == str(result.days_mean) == "–"
    assert str(result.open_referrals) == "< 5"
    html = counsellor.get("/beratung/kennzahlen").get_data(as_text=True)
    share = "Anteil angekommen (Prozent der nachgefassten Weitervermittlungen)"
    assert _row(html, share) == _hidden("–", WITHHELD)
    assert _row(html, "Median der Tage bis zum Ankommen") == _hidden("–", FEW_VALUES)
    note = html.split('id="referral-figures"')[1].split("</table>")[1].split("</p>")[0]
    for sign, why in (("&lt; 5", SMALL), (".", SECONDARY), ("–", WITHHELD), ("–", FEW_VALUES)):
        assert f"„{sign}“: {why}." in note
    data = _csv(counsellor)
    assert data[("Weitervermittlungen", "Anteil angekommen (Prozent)")] == "–"
    assert data[("Weitervermittlungen", "Median der Tage bis zum Ankommen")] == "–"
    assert data[("Weitervermittlungen", "Nachgefasst")] == "."
    why = _csv_why(counsellor)
    assert why[("Weitervermittlungen", "Anteil angekommen (Prozent)")] == WITHHELD
    assert why[("Weitervermittlungen", "Median der Tage bis zum Ankommen")] == FEW_VALUES


def test_share_is_withheld_where_a_hidden_count_could_be_recovered(app, app_ctx, counselling_demo):
    """6 arrived (shown), 3 not arrived ("< 5"), 5 not followed up yet (hidden
    too, as ".").  6 of 9 = 66,7 % would give the 9 and so the 3 back: the
    share is withheld.  The 6 arrivals' days are shown: their count is."""
    _referrals(user_id(COUNSELLOR), arrived=6, not_arrived=3, open_=5)
    result = figures.compute_figures()
    by_result = {row.code: str(row.cell) for row in result.referrals_by_arrival.rows}
    assert by_result == {"arrived": "6", "waiting": "0", "not_arrived": "< 5", "unknown": "0"}
    assert str(result.referrals_total) == "14"
    assert str(result.followed_up) == "."
    assert str(result.open_referrals) == "."
    assert str(result.arrived_share) == "–" and result.arrived_share.title == WITHHELD
    assert (str(result.days_median), str(result.days_mean)) == ("4,5", "4,5")
    assert result.days_median.title == ""


def test_share_is_shown_where_both_counts_are_even_if_they_differ_by_little(app_ctx, demo):
    referrals = figures._referrals({"none": 0, "arrived": 7, "not_arrived": 5}, 5)
    assert str(referrals.by_arrival.total) == "12"
    assert str(referrals.share_arrived) == "58,3"
    assert str(figures._referrals({}, 5).share_arrived) == "–"  # nothing followed up
    assert figures._referrals({}, 5).share_arrived.title == ""


def test_days_are_whole_numbers_when_the_arrived_count_is_hidden_in_addition(
    app, app_ctx, counselling_demo
):
    """6 arrived, hidden as "." beside 2 not arrived: a median of 4,5 would say
    the number of values is even; whole days fit every number."""
    _referrals(user_id(COUNSELLOR), arrived=6, not_arrived=2, open_=8)
    result = figures.compute_figures()
    arrived = result.referrals_by_arrival.rows[0]
    assert (arrived.code, str(arrived.cell)) == ("arrived", ".")
    assert str(result.days_median) == "≈ 4" and str(result.days_mean) == "≈ 4"
    assert not result.days_median.suppressed
    assert result.days_median.title.startswith("Median einer Gruppe")
    assert result.days_mean.title.startswith("Mittelwert einer Gruppe")
    assert ("≈", result.days_median.title) in result.referral_notes


def test_period_filter_and_bad_dates(app, counsellor):
    with app.app_context():
        case_id = make_case(None)
        _contacts(case_id, 5, contact_date=date(2026, 1, 10))
    html = counsellor.get("/beratung/kennzahlen?start=2026-03-01&end=2026-03-31").get_data(
        as_text=True
    )
    assert _row(html, "Arabisch") == _hidden("&lt; 5", SMALL)
    html = counsellor.get("/beratung/kennzahlen?start=2026-01-01&end=2026-01-31").get_data(
        as_text=True
    )
    assert _row(html, "Arabisch") == '<td class="num">5</td>'
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
