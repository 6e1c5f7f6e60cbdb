"""The education report: chapters, draft versions, the frozen edition."""

from __future__ import annotations

import csv
import io
import json

import pytest
from monitoring.statistics_samples import GOOD
from sqlalchemy import func, select

from netzwerk.extensions import db
from netzwerk.monitoring import statistics
from netzwerk.reports import render, services
from netzwerk.reports.models import ReportVersion
from netzwerk.workflow import services as workflow


@pytest.fixture
def office(app_ctx, demo):  # type: ignore[no-untyped-def]
    from conftest import demo_user

    return demo_user("office")


def _report(office):  # type: ignore[no-untyped-def]
    statistics.import_table(office, GOOD.encode("utf-8"))
    table = statistics.parse(GOOD.encode("utf-8"))
    report = services.create_report(
        office,
        title="Bildungsbericht Osnabrück",
        year_from=2023,
        year_to=2024,
        chapters=["Übergang Schule–Beruf", "Non-formale Bildung"],
    )
    first, second = report.chapters
    services.update_chapter(
        office,
        report,
        first.id,
        title=first.title,
        commentary="Der Anteil ohne Abschluss ist in Schinkel hoch.",
        indicators=[table.columns[0].code],
        show_map=True,
        show_chart=True,
    )
    services.update_chapter(
        office,
        report,
        second.id,
        title=second.title,
        commentary="",
        indicators=["feedback_by_district"],
        show_map=True,
        show_chart=False,
    )
    return report, table


def test_versions_are_kept_and_the_approved_edition_is_frozen(office):
    report, table = _report(office)
    assert report.has_flag(services.EDITABLE)
    v1 = services.save_version(office, report)
    services.update_chapter(
        office,
        report,
        report.chapters[0].id,
        title="Übergang Schule–Beruf",
        commentary="Zweite Fassung.",
        indicators=[table.columns[0].code, table.columns[1].code],
        show_map=True,
        show_chart=True,
    )
    v2 = services.save_version(office, report)
    assert (v1.number, v2.number) == (1, 2)
    assert "Der Anteil" in json.loads(v1.snapshot)["chapters"][0]["commentary"]
    assert "Zweite Fassung." in json.loads(v2.snapshot)["chapters"][0]["commentary"]
    workflow.fire_to_flag(office, report, services.APPROVED)
    db.session.refresh(report)
    assert services.is_approved(report)
    edition = services.frozen_edition(report)
    assert edition is not None and edition.number == 3 and edition.frozen
    assert edition.pdf is not None and edition.pdf.startswith(b"%PDF")
    assert edition.sha256 and len(edition.sha256) == 64
    assert edition.csv and "Schinkel" in edition.csv
    # Frozen: no more changes, no new draft versions.
    with pytest.raises(services.ReportError):
        services.update_chapter(
            office,
            report,
            report.chapters[0].id,
            title="x",
            commentary="",
            indicators=[],
            show_map=False,
            show_chart=False,
        )
    with pytest.raises(services.ReportError):
        services.save_version(office, report)
    with pytest.raises(services.ReportError):
        services.freeze(office, report)
    assert db.session.scalar(select(func.count()).select_from(ReportVersion)) == 3


def test_a_chapter_without_indicators_cannot_be_approved(office):
    report = services.create_report(
        office, title="Leer", year_from=2024, year_to=2024, chapters=["Frühkindliche Bildung"]
    )
    steps = workflow.possible_transitions(office, report)
    assert steps and all(s.refused for s in steps)
    with pytest.raises(workflow.WorkflowError):
        workflow.fire_to_flag(office, report, services.APPROVED)


def test_bad_input_is_refused(office):
    with pytest.raises(services.ReportError):
        services.create_report(office, title="", year_from=2024, year_to=2024, chapters=["a"])
    with pytest.raises(services.ReportError):
        services.create_report(office, title="x", year_from=2025, year_to=2024, chapters=["a"])
    with pytest.raises(services.ReportError):
        services.create_report(office, title="x", year_from=2024, year_to=2024, chapters=[])
    report = services.create_report(office, title="x", year_from=2024, year_to=2024, chapters=["a"])
    with pytest.raises(services.ReportError):
        services.update_chapter(
            office,
            report,
            report.chapters[0].id,
            title="a",
            commentary="",
            indicators=["no_such_indicator"],
            show_map=True,
            show_chart=True,
        )


def test_csv_holds_every_figure_and_hides_small_groups(office):
    report, table = _report(office)
    data = services.snapshot(report)
    rows = list(csv.reader(io.StringIO(render.figures_csv(data)), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[0] == "Kapitel"
    by = {(r[1], r[3], r[4]): r[5] for r in body}
    code = table.columns[0].code
    assert by[(code, "2024", "Innenstadt")] == "12"
    assert by[(code, "2024", "Wüste")] == "."
    assert by[(code, "2024", "Gesamt")] == "1.234,5 p"
    html = render.html_edition(data)
    assert "<h1" in html and "Übergang Schule–Beruf" in html and "<svg" in html


def test_pages_are_office_only(client_as):
    for role in ("member", "chair", "lead"):
        assert client_as(role).get("/monitoring/berichte/").status_code == 403
    office = client_as("office")
    response = office.post(
        "/monitoring/berichte/",
        data={"title": "", "year_from": "abc", "year_to": "2024", "chapters": ""},
    )
    assert response.status_code == 400
