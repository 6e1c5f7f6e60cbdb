"""Browser acceptance test of the education report (issue 24): the office
imports an official table, builds a two-chapter report with a map and a
chart, and approves it; the frozen PDF/A has a bookmark per chapter,
``pdfaid:part`` and every figure of the CSV."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import tempfile
from pathlib import Path

import pypdf
from monitoring.statistics_samples import GOOD


def _pdf_text(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bericht.pdf"
        path.write_bytes(data)
        out = subprocess.run(
            ["/usr/bin/pdftotext", "-layout", str(path), "-"], check=True, capture_output=True
        )
    return out.stdout.decode("utf-8")


def test_office_imports_builds_and_approves_a_report(
    app, page, live_server, login_browser, assert_no_axe_violations
):
    base = live_server
    login_browser(page, base, "office")

    # 1. Import an official table: preview first, then all values.
    page.goto(base + "/monitoring/statistik/import")
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "21111-03.csv"
        table.write_bytes(GOOD.encode("cp1252"))
        page.set_input_files("#file", str(table))
        with page.expect_navigation():
            page.click("button[name=check]")
    assert page.locator("table.parsed-values tbody tr").count() == 16
    assert page.locator("table.refused-lines").count() == 0
    assert_no_axe_violations(page)
    with page.expect_navigation():
        page.click("button[name=confirm]")
    assert "/monitoring/kennzahlen/" in page.url

    # 2. A report with two chapters.
    page.goto(base + "/monitoring/berichte/")
    page.fill("#title", "Bildungsbericht Osnabrück 2024")
    page.fill("#year_from", "2023")
    page.fill("#year_to", "2024")
    page.fill("#chapters", "Übergang Schule–Beruf\nNon-formale Bildung")
    with page.expect_navigation():
        page.click("main form[action$='/berichte/'] [type=submit]")
    report_id = int(re.search(r"/berichte/(\d+)$", page.url).group(1))
    chapters = page.locator("section.report-chapter")
    assert chapters.count() == 2

    # Chapter 1: school leavers without a qualification, map and chart.
    first = chapters.nth(0)
    first.get_by_label("ohne Hauptschulabschluss", exact=True).check()
    first.get_by_label("Kommentar").fill("In Schinkel verlassen viele die Schule ohne Abschluss.")
    with page.expect_navigation():
        first.get_by_role("button", name="Kapitel speichern").click()
    # Chapter 2: all school leavers, with map and chart.
    second = page.locator("section.report-chapter").nth(1)
    second.get_by_label("Schulabgänger insgesamt", exact=True).check()
    with page.expect_navigation():
        second.get_by_role("button", name="Kapitel speichern").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Entwurf als Fassung speichern").click()
    assert_no_axe_violations(page)

    # 3. Approval through the workflow: the edition is frozen.
    with page.expect_navigation():
        page.get_by_role("button", name="Zur Prüfung vorlegen").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Freigeben").click()
    assert page.locator("[data-job-status]").count() == 1  # rendered in the background
    with app.app_context():  # the scheduler's job renders and freezes the edition
        from netzwerk.reports.jobs import queue

        assert queue.run_pending() == 1
    page.goto(base + f"/monitoring/berichte/{report_id}")
    assert page.locator("code.checksum").count() == 1

    pdf = page.request.get(base + f"/monitoring/berichte/{report_id}/bericht.pdf").body()
    figures = page.request.get(base + f"/monitoring/berichte/{report_id}/zahlen.csv").text()
    html = page.request.get(base + f"/monitoring/berichte/{report_id}/bericht.html").text()
    assert pdf.startswith(b"%PDF")

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "1. Übergang Schule–Beruf" in titles and "2. Non-formale Bildung" in titles
    xmp = reader.trailer["/Root"]["/Metadata"].get_data()
    assert b'pdfaid:part="3"' in xmp

    text = " ".join(_pdf_text(pdf).split())
    rows = list(csv.reader(io.StringIO(figures.lstrip("\ufeff")), delimiter=";"))
    values = [row[5] for row in rows[1:]]
    assert "12" in values and "1.234,5 p" in values
    for value in values:
        if any(ch.isdigit() for ch in value):
            assert value in text, value
    # The accessible HTML edition: the map and chart as SVG with titles.
    assert html.count("<svg") >= 4 and 'role="img"' in html
    assert "Übergang Schule–Beruf" in html
    page.goto(base + f"/monitoring/berichte/{report_id}/bericht.html")
    assert page.locator("main h1").count() == 3  # two chapters, sources
    assert_no_axe_violations(page)
