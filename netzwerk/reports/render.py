"""The education report's editions: accessible HTML, PDF/A-3b and the CSV of
every figure, all from one snapshot (services.snapshot)."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import gettext as _
from markupsafe import Markup

from .. import pdf
from ..csvutil import write_csv
from ..monitoring import charts
from ..monitoring.districts import Cell, DistrictTable, choropleth

ARCHIVAL_VARIANT = "pdf/a-3b"
CSV_NAME = "zahlen.csv"


def _map(figure: dict[str, Any]) -> tuple[DistrictTable, Markup] | None:
    data = figure.get("map")
    if not data:
        return None
    table = DistrictTable(
        data["title"],
        data["unit"],
        [Cell(**c) for c in data["cells"]],
        Cell(**data["total"]),
        data["threshold"],
        data.get("note", ""),
    )
    return table, choropleth(table, width=440)


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
    chapters = []
    sources: dict[str, set[str]] = {}
    footnotes: set[str] = set()
    for chapter in data["chapters"]:
        figures = []
        for figure in chapter["figures"]:
            drawn = _map(figure) if chapter["show_map"] else None
            figures.append(
                {
                    "data": figure,
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
        "threshold": next((f["threshold"] for c in data["chapters"] for f in c["figures"]), 5),
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
    """Every figure of the report, one line per value, as shown (hidden ones as "< N")."""
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
