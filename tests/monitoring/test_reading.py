"""Monitoring that reads right: cumulative project reach, German units."""

from __future__ import annotations

import re
from datetime import date

from flask import render_template
from projects.helpers import field, make_project, user

from netzwerk.extensions import db
from netzwerk.monitoring import districts, indicators, report
from netzwerk.monitoring.dashboard import DashboardFilter
from netzwerk.monitoring.indicators import PROVIDERS, Period
from netzwerk.projects import services
from netzwerk.projects.models import Project


def _reports(project: Project, *values: tuple[date, int]) -> None:
    for day, participants in values:
        services.add_report(
            user("lead"), project, report_date=day, text="x", values={"participants": participants}
        )


def test_project_reach_is_cumulative_over_the_months(app_ctx, demo):
    """Report values are totals up to their date: the reach of a month is the
    total at its end, carried through months without a report."""
    a = make_project()
    b = make_project(title="Theaterwerkstatt")
    _reports(a, (date(2026, 3, 10), 40), (date(2026, 5, 20), 65))
    _reports(b, (date(2026, 4, 2), 10))
    name = field().name
    series = indicators.computed_series(
        "project_reach", [Period(f"2026-0{m}") for m in range(2, 7)]
    )
    totals = [series.values.get((p, "")) for p in series.periods]
    assert totals == [None, 40.0, 50.0, 75.0, 75.0]  # Feb: nothing yet; June: carried
    assert series.values[("2026-04", name)] == 50.0
    assert series.unit == "Teilnehmende" and series.unit_code == "participants"
    # What each month added is its own indicator.
    gained = PROVIDERS["project_reach_new"].provider
    assert gained(Period("2026-05")) == {name: 25.0, "": 25.0}
    assert gained(Period("2026-06")) == {name: 0.0, "": 0.0}
    assert PROVIDERS["project_reach"].provider(Period("2026")) == {name: 75.0, "": 75.0}


def test_reach_by_district_is_the_total_up_to_the_end_of_the_year(app_ctx, demo):
    project = make_project()
    project.district = "schinkel"
    db.session.commit()
    _reports(project, (date(2025, 11, 3), 30), (date(2026, 2, 1), 45))
    cells = districts.table_for("reach", "2026").by_code()
    assert cells["schinkel"].text == "45"
    assert districts.table_for("reach", "2025").by_code()["schinkel"].text == "30"
    assert districts.table_for("reach").unit == "Teilnehmende"


UNIT_CODES = re.compile(r"\b(count|percent|persons|participants|per_1000|EUR|eur)\b")


def _visible(html: str) -> str:
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_no_monitoring_page_shows_a_raw_unit_code(app, client_as):
    office = client_as("office")
    codes = {"count": "anzahl_x", "percent": "quote_x", "EUR": "mittel_x", "persons": "personen_x"}
    with app.app_context():
        for unit, code in codes.items():
            indicators.define_indicator(
                user("office"),
                code=code,
                name=f"Kennzahl {code}",
                unit=unit,
                source="Test",
                dimensions="district",
                description="",
            )
        rows = "".join(f"{code};2025;12;district;schinkel\n" for code in codes.values())
        indicators.import_csv(
            user("office"), f"indicator;period;value;dimension;dimension_value\n{rows}".encode()
        )
        assert indicators.unit_label("percent") == "%" and indicators.unit_label("EUR") == "Euro"
        assert indicators.unit_label("Schüler/-innen") == "Schüler/-innen"
    pages = ["/monitoring/", "/monitoring/kennzahlen/", "/monitoring/stadtteile?was=reach"]
    pages += [f"/monitoring/kennzahlen/{c}" for c in [*PROVIDERS, *codes.values()]]
    pages += [f"/monitoring/stadtteile?was={c}&jahr=2025" for c in codes.values()]
    pages += ["/monitoring/stadtteile?was=feedback_by_district"]
    for url in pages:
        response = office.get(url)
        assert response.status_code == 200, url
        text = _visible(response.get_data(as_text=True))
        assert not UNIT_CODES.search(text), (url, UNIT_CODES.search(text))
    with app.test_request_context("/monitoring/bericht.pdf"):
        html = render_template(
            "monitoring/report_pdf.html", **report.report_context(DashboardFilter())
        )
    assert "Euro" in html
    assert not UNIT_CODES.search(_visible(html)), UNIT_CODES.search(_visible(html))
