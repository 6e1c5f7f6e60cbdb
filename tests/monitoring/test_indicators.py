"""Indicators: provider registry, CSV import (all or nothing), PDF report."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from netzwerk.extensions import db
from netzwerk.feedback import services
from netzwerk.monitoring import indicators
from netzwerk.monitoring.models import Indicator, IndicatorValue
from netzwerk.monitoring.report import static_only_fetcher


@pytest.fixture
def office(client_as):  # type: ignore[no-untyped-def]
    return client_as("office")


def _define(office) -> None:  # type: ignore[no-untyped-def]
    response = office.post(
        "/monitoring/kennzahlen/neu",
        data={
            "code": "schulabgaenger_ohne_abschluss",
            "name": "Schulabgänger ohne Abschluss",
            "unit": "Prozent",
            "source": "Landesamt für Statistik Niedersachsen",
            "dimensions": "district",
        },
    )
    assert response.status_code == 302


def _upload(office, text: str):  # type: ignore[no-untyped-def]
    return office.post(
        "/monitoring/kennzahlen/import",
        data={"file": (io.BytesIO(text.encode()), "werte.csv")},
        content_type="multipart/form-data",
    )


def test_csv_import_all_rows(app, office):
    _define(office)
    response = _upload(
        office,
        "indicator;period;value;dimension;dimension_value\n"
        "schulabgaenger_ohne_abschluss;2024;6,1;;\n"
        "schulabgaenger_ohne_abschluss;2025;5,4;;\n"
        "schulabgaenger_ohne_abschluss;2025;9,8;district;Schinkel\n",
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 3
    page = office.get("/monitoring/kennzahlen/schulabgaenger_ohne_abschluss").get_data(True)
    assert "<svg" in page and "5,4" in page and "9,8" in page


def test_one_bad_row_imports_nothing_and_names_row_and_column(app, office):
    _define(office)
    response = _upload(
        office,
        "indicator,period,value\n"
        "schulabgaenger_ohne_abschluss,2024,6.1\n"
        "schulabgaenger_ohne_abschluss,2024-13,abc\n"
        "unbekannt,2025,1\n",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<td class="num">3</td><td>period</td>' in html
    assert '<td class="num">3</td><td>value</td><td>Keine Zahl.</td>' in html
    assert '<td class="num">4</td><td>indicator</td>' in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 0


def test_missing_column_and_binary_file(office, app):
    _define(office)
    assert "Die Spalte fehlt." in _upload(office, "indicator;value\nx;1\n").get_data(True)
    bad = office.post(
        "/monitoring/kennzahlen/import",
        data={"file": (io.BytesIO(b"\xff\xfe\x00bad"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400


def test_provider_registry_feeds_computed_indicators(app_ctx, demo):
    services.ensure_default_choices()
    cat = db.session.scalar(
        select(services.FeedbackChoice.id).where(services.FeedbackChoice.code == "school")
    )
    for _ in range(6):
        db.session.add(
            services.Feedback(
                receipt_code=services.new_receipt_code(),
                category_id=cat,
                rating=3,
                created_at=datetime(2026, 2, 3, 12, tzinfo=UTC),
            )
        )
    db.session.commit()
    assert "feedback_by_need" in indicators.PROVIDERS
    calls = []

    def reach(period: indicators.Period) -> dict[str, float]:
        calls.append(period.key)
        return {"": 42.0}

    indicators.register_indicator(
        "test_reach",
        name="Reichweite",
        unit="Personen",
        source="Projekte",
        provider=reach,
        suppress_small=False,
    )
    try:
        periods = [indicators.Period("2026-01"), indicators.Period("2026-02")]
        series = indicators.computed_series("feedback_by_need", periods)
        assert series.text("2026-02", "Schule") == "6"
        reach_series = indicators.computed_series("test_reach", periods)
        assert calls == ["2026-01", "2026-02"] and reach_series.text("2026-01", "") == "42"
    finally:
        indicators.PROVIDERS.pop("test_reach")


def test_pdf_report_and_static_only_fetcher(app, office):
    response = office.get("/monitoring/bericht.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    fetcher = static_only_fetcher(__import__("pathlib").Path(app.static_folder))
    ok = fetcher.fetch("https://netzwerk.invalid/static/css/app.css")
    assert b"--c-" in ok.read()
    for url in (
        "https://example.org/x.css",
        "file:///etc/passwd",
        "https://netzwerk.invalid/static/../../../etc/passwd",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_indicator_code_must_be_new(app, office):
    _define(office)
    again = office.post(
        "/monitoring/kennzahlen/neu", data={"code": "schulabgaenger_ohne_abschluss", "name": "x"}
    )
    assert again.status_code == 400
    clash = office.post(
        "/monitoring/kennzahlen/neu", data={"code": "feedback_by_need", "name": "x"}
    )
    assert clash.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Indicator)) == 1
