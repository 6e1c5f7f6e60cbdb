"""The report's district maps and tables say why a figure is hidden: "< 5" for
a small group, "." for a larger one hidden so that a total does not reveal it
(monitoring.suppression), in the HTML edition and in the PDF's template."""

from __future__ import annotations

import copy

import pytest
from flask import render_template

from netzwerk.feedback import services as feedback
from netzwerk.monitoring.suppression import SECONDARY as SECONDARY_MARK
from netzwerk.monitoring.suppression import SMALL as SMALL_MARK
from netzwerk.reports import render, services

SMALL = "weniger als 5 Personen – zum Schutz der Einzelnen nicht ausgewiesen"
SECONDARY = (
    "nicht ausgewiesen: zusammen mit der Summe ließe sich sonst eine Gruppe von weniger als "
    "5 Personen errechnen"
)


def _hidden(text: str, why: str) -> str:
    return f'<td class="num suppressed">{text}<span class="visually-hidden"> ({why})</span></td>'


@pytest.fixture
def data(app_ctx, demo):  # type: ignore[no-untyped-def]
    """A report of 2026 on feedback by district: Schinkel 12, Haste 9,
    Wüste 4 ("< 5"), so Haste is hidden too (".")."""
    from conftest import demo_user
    from monitoring.test_dashboard import _add

    office = demo_user("office")
    feedback.ensure_default_choices()
    _add("school", 12, district="schinkel")
    _add("childcare", 9, district="haste")
    _add("language_courses", 4, district="wueste")
    report = services.create_report(
        office, title="Bildungsbericht 2026", year_from=2026, year_to=2026, chapters=["Stimmen"]
    )
    services.update_chapter(
        office,
        report,
        report.chapters[0].id,
        title="Stimmen",
        commentary="",
        indicators=["feedback_by_district"],
        show_map=True,
        show_chart=False,
    )
    return services.snapshot(report)


def _map_table(html: str) -> str:
    return html.split('<div class="pair">')[1].split("</div>")[0]


def test_snapshot_keeps_why_each_map_cell_is_hidden(data):
    cells = {c["code"]: c for c in data["chapters"][0]["figures"][0]["map"]["cells"]}
    assert (cells["wueste"]["text"], cells["wueste"]["mark"]) == ("< 5", SMALL_MARK)
    assert (cells["haste"]["text"], cells["haste"]["mark"]) == (".", SECONDARY_MARK)
    assert (cells["schinkel"]["text"], cells["schinkel"]["mark"]) == ("12", "")
    row = next(r for r in data["chapters"][0]["figures"][0]["rows"] if r["group"] == "haste")
    assert row["marks"] == [SECONDARY_MARK]


def test_html_edition_explains_both_marks_beside_the_map_and_the_table(app, data):
    with app.test_request_context("/"):
        html = render.html_edition(data)
    table = _map_table(html)
    assert f'<th scope="row">Wüste</th>{_hidden("&lt; 5", SMALL)}' in table
    assert f'<th scope="row">Haste</th>{_hidden(".", SECONDARY)}' in table
    assert '<th scope="row">Schinkel</th><td class="num">12</td>' in table
    # The note below the map's table names both signs and why.
    note = html.split(table, 1)[1].split("</p>", 1)[0]
    assert 'class="hint suppression-note"' in note
    assert f"„&lt; 5“: {SMALL}." in note and f"„.“: {SECONDARY}." in note
    # The table by year below it marks its cells and carries the same note.
    by_year = html.split("<caption>Rückmeldungen nach Stadtteil</caption>")[-1]
    assert f'<th scope="row">Haste</th>{_hidden(".", SECONDARY)}' in by_year
    assert f"„.“: {SECONDARY}." in by_year.split("</table>", 1)[1].split("</p>", 1)[0]
    # The title page and the list of markers explain "." as well as "< 5".
    assert "größere Gruppen, die verborgen sind, damit eine Summe keine kleine verrät" in html
    sources = html.split('id="sources"')[1]
    assert f"<dt>&lt; 5</dt><dd>{SMALL}</dd>" in sources
    assert f"bei den eigenen Zahlen des Netzwerks: {SECONDARY}</dd>" in sources


def test_snapshots_without_marks_read_them_from_the_text(app, data):
    """Versions saved before the marks were stored still say why."""
    old = copy.deepcopy(data)
    figure = old["chapters"][0]["figures"][0]
    for cell in [*figure["map"]["cells"], figure["map"]["total"]]:
        cell.pop("mark")
    for row in figure["rows"]:
        row.pop("marks")
    with app.test_request_context("/"):
        html = render.html_edition(old)
    table = _map_table(html)
    assert f'<th scope="row">Wüste</th>{_hidden("&lt; 5", SMALL)}' in table
    assert f'<th scope="row">Haste</th>{_hidden(".", SECONDARY)}' in table


def test_pdf_template_hides_the_screen_reader_text_and_keeps_the_note(app, data):
    """The PDF's HTML (no PDF is rendered here): the note is printed, the
    sentence in each cell is not shown twice."""
    with app.test_request_context("/"):
        html = render_template("reports/edition.html", **render._context(data, for_pdf=True))
    assert ".visually-hidden { display: none; }" in html
    note = html.split(_map_table(html), 1)[1].split("</p>", 1)[0]
    assert f"„&lt; 5“: {SMALL}." in note and f"„.“: {SECONDARY}." in note
