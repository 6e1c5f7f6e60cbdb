"""The monitoring report as PDF, rendered by WeasyPrint from an HTML template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, render_template

# The shared WeasyPrint helper: one font configuration, static files only.
from ..pdf import BASE_URL, static_only_fetcher  # noqa: F401
from . import dashboard, indicators


def report_context(f: dashboard.DashboardFilter) -> dict[str, Any]:
    series = [
        indicators.computed_series(code, indicators.last_months(12))
        for code in indicators.PROVIDERS
    ]
    series += [indicators.imported_series(i) for i in indicators.imported_indicators()]
    from flask_babel import gettext as _

    from . import charts

    monthly = dashboard.monthly(f)
    monthly_chart = charts.line_chart(
        _("Feedback per month"),
        "; ".join(f"{fig.label}: {fig.count_text}" for fig in monthly.rows),
        [fig.label for fig in monthly.rows],
        [(_("Feedback"), [float(x.count) if x.count is not None else None for x in monthly.rows])],
    )
    series_charts = [
        charts.line_chart(
            s.name,
            _("Values per period; the table below lists them."),
            s.periods,
            [(s.group_label(g), [s.values.get((p, g)) for p in s.periods]) for g in s.groups],
        )
        for s in series
    ]
    return {
        "breakdowns": dashboard.breakdowns(f),
        "monthly": monthly,
        "monthly_chart": monthly_chart,
        "series": list(zip(series, series_charts, strict=True)),
        "filter": f,
    }


def render_pdf(f: dashboard.DashboardFilter) -> bytes:
    from .. import pdf

    html = render_template("monitoring/report_pdf.html", **report_context(f))
    return pdf.render(html, static_folder=Path(current_app.static_folder or "static"))
