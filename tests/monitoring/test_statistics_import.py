"""Official statistics in: regional database exports, preview, all or nothing."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from netzwerk.extensions import db
from netzwerk.monitoring import statistics
from netzwerk.monitoring.models import Indicator, IndicatorValue

from .statistics_samples import BROKEN, GOOD


def test_parse_real_shaped_table():
    table = statistics.parse(GOOD.encode("utf-8"))
    assert table.refused == []
    assert table.source == "Landesamt für Statistik Niedersachsen (LSN)"
    assert table.table_code == "21111-03"
    assert [c.heading for c in table.columns] == [
        "ohne Hauptschulabschluss",
        "Schulabgänger insgesamt",
    ]
    assert [c.unit for c in table.columns] == ["Anzahl", "Anzahl"]
    without = table.columns[0].code
    total = table.columns[1].code
    by = {(v.column, v.district): v for v in table.values}
    assert by[(without, "innenstadt")].value == 12.0
    assert by[(without, "innenstadt")].period == "2024"  # school year 2023/24
    assert by[(without, "schoelerberg")].value == 0.0
    assert by[(without, "schoelerberg")].footnote == "-"
    for district, marker in [
        ("wueste", "."),
        ("darum_gretesch_luestringen", "x"),
        ("haste", "..."),
        ("eversburg", "/"),
    ]:
        assert by[(without, district)].value is None
        assert by[(without, district)].footnote == marker
    # German notation: point for thousands, comma for decimals, a footnote letter after.
    assert by[(without, "")].value == 1234.5
    assert by[(without, "")].footnote == "p"
    assert by[(total, "")].value == 12030.0
    assert len(table.values) == 16


def test_parse_windows_encoding():
    table = statistics.parse(GOOD.encode("cp1252"))
    assert table.refused == []
    assert any(v.district == "schoelerberg" for v in table.values)


def test_broken_lines_are_refused_with_line_number_and_reason():
    table = statistics.parse(BROKEN.encode("utf-8"))
    refused = {r.line: r.reason for r in table.refused}
    assert set(refused) == {9, 10, 11}
    assert "zwölf" in refused[9]
    assert "Atlantis" in refused[10]
    assert "4" in refused[11] and "5" in refused[11]
    # The good lines were read (4,5 is a German decimal).
    assert any(v.value == 4.5 for v in table.values)
    assert not table.importable


def test_import_is_all_or_nothing(app_ctx, demo):
    from conftest import demo_user

    office = demo_user("office")
    with pytest.raises(statistics.StatisticsError):
        statistics.import_table(office, BROKEN.encode("utf-8"))
    assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 0
    assert db.session.scalar(select(func.count()).select_from(Indicator)) == 0
    count = statistics.import_table(office, GOOD.encode("utf-8"))
    assert count == 16
    value = db.session.scalar(
        select(IndicatorValue).where(
            IndicatorValue.dimension_value == "wueste",
            IndicatorValue.indicator.has(Indicator.name == "ohne Hauptschulabschluss"),
        )
    )
    assert value is not None
    assert value.value is None and value.footnote == "."
    assert value.source.startswith("Landesamt") and value.table_code == "21111-03"
    assert value.period == "2024"
    # Importing again replaces, never doubles.
    statistics.import_table(office, GOOD.encode("utf-8"))
    assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 16


def test_no_header_row_is_refused():
    with pytest.raises(statistics.StatisticsError):
        statistics.parse(b"a;b;c\n1;2;3\n")


def _upload(client, text: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/monitoring/statistik/import",
        data={"file": (io.BytesIO(text.encode()), "tabelle.csv")},
        content_type="multipart/form-data",
    )


def test_preview_then_import(app, client_as):
    office = client_as("office")
    page = _upload(office, BROKEN)
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "Atlantis" in html and '<td class="num">10</td>' in html
    assert 'name="confirm"' not in html  # nothing to import until it is fixed
    page = _upload(office, GOOD)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="confirm"' in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 0
    payload = re.search(r'name="payload" type="hidden" value="([^"]+)"', html)
    assert payload is not None
    response = office.post(
        "/monitoring/statistik/import", data={"payload": payload.group(1), "confirm": "1"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) == 16
    # A payload that is not base64 is refused with a message, never a 500.
    bad = office.post("/monitoring/statistik/import", data={"payload": "%%%", "confirm": "1"})
    assert bad.status_code == 400


@pytest.mark.parametrize("role", ["member", "chair", "lead"])
def test_import_and_districts_are_office_only(client_as, role):
    client = client_as(role)
    assert client.get("/monitoring/statistik/import").status_code == 403
    assert client.get("/monitoring/stadtteile").status_code == 403
    assert client.get("/monitoring/berichte/").status_code == 403
