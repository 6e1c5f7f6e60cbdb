"""Dashboard figures: GROUP BY queries, suppression of small groups, CSV, charts."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.feedback import services
from netzwerk.feedback.models import Feedback, FeedbackChoice
from netzwerk.monitoring import dashboard, indicators
from netzwerk.monitoring.suppression import min_group_size, suppress
from netzwerk.timeutil import local_today


def choice_id(kind: str, code: str) -> int:
    found = db.session.scalar(
        select(FeedbackChoice.id).where(FeedbackChoice.kind == kind, FeedbackChoice.code == code)
    )
    assert found is not None
    return int(found)


def _add(category: str, n: int, *, district: str | None = None, month: int = 3) -> None:
    cat = choice_id("category", category)
    dist = choice_id("district", district) if district else None
    for i in range(n):
        db.session.add(
            Feedback(
                receipt_code=services.new_receipt_code(),
                category_id=cat,
                district_id=dist,
                rating=(i % 5) + 1,
                text="",
                created_at=datetime(2026, month, 10, 12, tzinfo=UTC),
            )
        )
    db.session.commit()


@pytest.fixture
def figures(app, demo):
    with app.app_context():
        services.ensure_default_choices()
        _add("school", 12, district="schinkel")
        _add("childcare", 9, district="haste")
        _add("language_courses", 4, district="wueste")  # a group of 4
        db.session.remove()


def _csv(client) -> list[list[str]]:  # type: ignore[no-untyped-def]
    body = client.get("/monitoring/export.csv").get_data(as_text=True).lstrip("\ufeff")
    return list(csv.reader(io.StringIO(body), delimiter=";"))


def test_group_of_four_is_suppressed_on_page_and_in_csv(client_as, figures):
    office = client_as("office")
    html = office.get("/monitoring/").get_data(as_text=True)
    small = "weniger als 5 Personen – zum Schutz der Einzelnen nicht ausgewiesen"
    rounded = "Mittelwert einer Gruppe, deren Anzahl nicht ausgewiesen ist, auf eine ganze Zahl"
    # The count is hidden and says why; the mean is shown, as a whole number.
    row = html.split('<th scope="row">Sprachkurse</th>')[1].split("</tr>")[0]
    assert row.startswith(
        f'<td class="num suppressed">&lt; 5<span class="visually-hidden"> ({small})</span></td>'
    )
    assert '<td class="num suppressed">≈ 2<span class="visually-hidden"> (' + rounded in row
    assert '<th scope="row">Schule</th><td class="num">12</td><td class="num">2,8</td>' in html
    notes = [n.split("</p>")[0] for n in html.split('class="hint suppression-note"')[1:]]
    assert any(f"„&lt; 5“: {small}." in n and "„≈“: " + rounded in n for n in notes)
    rows = _csv(office)
    by_key = {(r[0], r[1]): r for r in rows[1:]}
    # Ratings 1, 2, 3, 4: the mean 2.5 as a whole number, never "< 5".
    assert by_key[("category", "Sprachkurse")][2:] == ["< 5", "≈ 2"]
    assert by_key[("category", "Schule")][2:] == ["12", "2,8"]
    # With one group hidden, the next smallest is hidden too (no differencing),
    # marked "." (a group of at least 5 hidden in addition).
    assert by_key[("category", "Kinderbetreuung")][2:] == [".", "≈ 3"]
    assert by_key[("category", "Alle")][2:] == ["25", "2,7"]
    for row in rows[1:]:
        assert row[2] != "4", row
    # The district breakdown suppresses the same way.
    assert by_key[("district", "Wüste")][2] == "< 5"


def test_threshold_is_never_below_five(app, figures):
    with app.app_context():
        app.config["NETZWERK_MIN_GROUP_SIZE"] = 2
        try:
            assert min_group_size() == 5
            app.config["NETZWERK_MIN_GROUP_SIZE"] = 10
            assert min_group_size() == 10
            cats = {b.dimension: b for b in dashboard.breakdowns(dashboard.DashboardFilter())}
            shown = {f.label: f.count for f in cats["category"].rows}
            assert shown == {"Schule": 12, "Kinderbetreuung": None, "Sprachkurse": None}
        finally:
            app.config.pop("NETZWERK_MIN_GROUP_SIZE")


def test_suppress_hides_a_complement():
    assert suppress({"a": 4, "b": 9, "c": 20}, 5) == {"a": True, "b": True, "c": False}
    assert suppress({"a": 4, "b": 3, "c": 20}, 5) == {"a": True, "b": True, "c": False}
    assert suppress({"a": 7, "b": 9}, 5) == {"a": False, "b": False}


def test_charts_are_svg_with_title_desc_and_a_table(client_as, figures):
    html = client_as("office").get("/monitoring/?verlauf=district").get_data(as_text=True)
    assert html.count('<svg class="chart"') >= 11
    assert '<title id="chart' in html and '<desc id="chart' in html
    assert 'role="img"' in html
    assert "<caption>Rückmeldungen pro Monat nach Stadtteil</caption>" in html
    # The charts need no script: the only one is the site-wide enhancement
    # of tables and navigation (static/js/site.js), none of the dashboard's.
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == [s for s in scripts if "js/site.js" in s], scripts


def test_query_count_does_not_grow_with_the_data(app, client_as, figures, count_queries):
    office = client_as("office")
    office.get("/monitoring/")  # warm up
    with count_queries() as small:
        assert office.get("/monitoring/").status_code == 200
    with app.app_context():
        _add("school", 200, district="haste", month=4)
        _add("counselling", 150, district="hafen", month=5)
        db.session.remove()
    with count_queries() as large:
        assert office.get("/monitoring/").status_code == 200
    assert large.count == small.count


def test_period_filter_and_bad_input(client_as, figures):
    office = client_as("office")
    html = office.get("/monitoring/?von=2026-04&bis=2026-05").get_data(as_text=True)
    assert 'Schule</th><td class="num">12' not in html
    assert office.get("/monitoring/?von=2026-13&bis=x&verlauf=nope").status_code == 200


@pytest.mark.calendar
def test_feedback_counts_in_its_month_in_berlin(app_ctx, demo, clock):
    """Feedback belongs to the month it was given in Berlin: an hour after
    New Year's Eve's instant it is January there, still December in UTC.
    Figures per month, the period filter and the computed indicator agree."""
    services.ensure_default_choices()

    def give(n: int) -> str:
        for _ in range(n):
            services.submit_feedback(
                services.FeedbackInput(category_id=choice_id("category", "school"), rating=3)
            )
        return local_today().strftime("%Y-%m")

    first = give(6)
    clock.shift(timedelta(hours=1))
    second = give(7)
    expected = {first: 6, second: 7} if first != second else {first: 13}

    everything = dashboard.monthly(dashboard.DashboardFilter())
    assert {fig.key: fig.count for fig in everything.rows} == expected
    series = dashboard.time_series(dashboard.DashboardFilter(), "category")
    assert series.months == sorted(expected)
    assert [fig.count for fig in series.totals] == [expected[m] for m in series.months]
    # Filtered to this month (Berlin), the month's figure is the filter's total.
    month_start = local_today().replace(day=1)
    this_month = dashboard.monthly(dashboard.DashboardFilter(month_start, month_start))
    assert {fig.key: fig.count for fig in this_month.rows} == {second: expected[second]}
    assert this_month.total.count == expected[second]
    # The computed indicator counts the same months (the last one is this month).
    periods = indicators.last_months(2)
    assert periods[-1].key == second
    need = indicators.computed_series("feedback_by_need", periods)
    for month, count in expected.items():
        assert need.text(month, "Schule") == str(count)
