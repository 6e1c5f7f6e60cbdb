"""The education report's editions: accessible HTML, PDF/A-3b and the CSV of
every figure, all from one snapshot (services.snapshot).

Hidden figures are marked as the monitoring marks them
(monitoring.suppression): a count of fewer than N people "< N", a larger
group hidden so that a total does not reveal a small one ".", a share that
would reveal a hidden count "–".  Every table with such a figure carries a
note saying why, and each hidden cell the same sentence for screen readers
(templates/monitoring/_marks.html).  Snapshots taken before the marks were
stored name none: a hidden map cell's mark is then read from its text.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import gettext as _
from markupsafe import Markup

from .. import pdf
from ..csvutil import write_csv
from ..monitoring import charts
from ..monitoring.districts import Cell, DistrictTable, choropleth
from ..monitoring.suppression import (
    SECONDARY,
    SECONDARY_LABEL,
    SMALL,
    WITHHELD,
    WITHHELD_LABEL,
    mark_notes,
    mark_title,
)

ARCHIVAL_VARIANT = "pdf/a-3b"
CSV_NAME = "zahlen.csv"


def _mark(cell: dict[str, Any]) -> str:
    """Why a map cell is hidden; read from the text in older snapshots."""
    if not cell.get("hidden"):
        return ""
    if cell.get("mark"):
        return str(cell["mark"])
    return {SECONDARY_LABEL: SECONDARY, WITHHELD_LABEL: WITHHELD}.get(cell["text"], SMALL)


def _cell(cell: dict[str, Any], threshold: int) -> Cell:
    return Cell(
        cell["code"],
        cell["name"],
        cell["value"],
        cell["text"],
        cell["hidden"],
        _mark(cell),
        threshold,
    )


def _map(figure: dict[str, Any]) -> tuple[DistrictTable, Markup] | None:
    data = figure.get("map")
    if not data:
        return None
    threshold = data["threshold"]
    table = DistrictTable(
        data["title"],
        data["unit"],
        [_cell(c, threshold) for c in data["cells"]],
        _cell(data["total"], threshold),
        threshold,
        data.get("note", ""),
    )
    return table, choropleth(table, width=440)


def _table(figure: dict[str, Any]) -> tuple[list[list[tuple[str, str]]], list[tuple[str, str]]]:
    """The figure's table: (text, why hidden) per row and year, and its note."""
    threshold = figure["threshold"]
    rows = []
    used: set[str] = set()
    for row in figure["rows"]:
        marks = row.get("marks") or [""] * len(row["texts"])
        used.update(m for m in marks if m)
        rows.append(
            [
                (text, mark_title(mark, threshold) if mark else "")
                for text, mark in zip(row["texts"], marks, strict=True)
            ]
        )
    return rows, mark_notes(used, threshold)


def _chart(figure: dict[str, Any]) -> Markup | None:
    periods = figure["periods"]
    rows = figure["rows"]
    if not periods or not rows:
        return None
    if figure.get("dimension") == "district":
        # Bars per district for the last year of the period.
        bars = [(r["label"], r["values"][-1], r["texts"][-1]) for r in rows if r["group"]]
        return charts.bar_chart(
            f"{figure['name']} ({periods[-1]})",
            "; ".join(f"{label}: {text}" for label, _v, text in bars),
            bars,
        )
    return charts.line_chart(
        figure["name"],
        _("Values per year; the table lists them."),
        periods,
        [(r["label"], r["values"]) for r in rows[:8]],
    )


def _context(data: dict[str, Any], *, for_pdf: bool) -> dict[str, Any]:
    threshold = next((f["threshold"] for c in data["chapters"] for f in c["figures"]), 5)
    chapters = []
    sources: dict[str, set[str]] = {}
    footnotes: set[str] = set()
    for chapter in data["chapters"]:
        figures = []
        for figure in chapter["figures"]:
            drawn = _map(figure) if chapter["show_map"] else None
            cells, notes = _table(figure)
            figures.append(
                {
                    "data": figure,
                    "cells": cells,
                    "notes": notes,
                    "map": drawn,
                    "chart": _chart(figure) if chapter["show_chart"] else None,
                }
            )
            sources.setdefault(figure["source"] or "–", set()).update(figure["table_codes"])
            footnotes.update(figure["footnotes"])
        chapters.append({"data": chapter, "figures": figures})
    return {
        "doc": data,
        "chapters": chapters,
        "sources": sorted((s, sorted(codes)) for s, codes in sources.items()),
        "footnotes": sorted(footnotes),
        "for_pdf": for_pdf,
        "threshold": threshold,
        # The footnote markers' list explains the two marks of hidden counts.
        "why_small": mark_title(SMALL, threshold),
        "why_secondary": mark_title(SECONDARY, threshold),
    }


def html_edition(data: dict[str, Any]) -> str:
    return render_template("reports/edition.html", **_context(data, for_pdf=False))


def pdf_edition(data: dict[str, Any]) -> bytes:
    html = render_template("reports/edition.html", **_context(data, for_pdf=True))
    return pdf.render(
        html,
        pdf_variant=ARCHIVAL_VARIANT,
        pdf_tags=True,
        lang="de",
        attachments=[
            pdf.PdfAttachment(
                CSV_NAME,
                figures_csv(data).encode("utf-8"),
                _("Every figure of the report (CSV)"),
            )
        ],
    )


def figures_csv(data: dict[str, Any]) -> str:
    """Every figure of the report, one line per value, as shown (hidden ones as
    "< N", ".", or "–" for a withheld share)."""
    rows = []
    for chapter in data["chapters"]:
        for figure in chapter["figures"]:
            for row in figure["rows"]:
                for period, text in zip(figure["periods"], row["texts"], strict=True):
                    rows.append(
                        [
                            chapter["title"],
                            figure["code"],
                            figure["name"],
                            period,
                            row["label"],
                            text,
                            figure["unit"],
                            figure["source"],
                            ", ".join(figure["table_codes"]),
                        ]
                    )
    return write_csv(
        [
            _("Chapter"),
            _("Indicator code"),
            _("Indicator"),
            _("Year"),
            _("Group"),
            _("Value"),
            _("Unit"),
            _("Source"),
            _("Table code"),
        ],
        rows,
    )
