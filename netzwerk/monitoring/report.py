"""The monitoring report as PDF, rendered by WeasyPrint from an HTML template."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from flask import current_app, render_template

from . import dashboard, indicators

BASE_URL = "https://netzwerk.invalid/"


def static_only_fetcher(static_folder: Path) -> Any:
    """A WeasyPrint URL fetcher serving the app's own static files and nothing else.

    Relative URLs in the report resolve against BASE_URL; only
    ``BASE_URL + "static/..."`` is answered, from the static folder on disk.
    Any other URL (another host, file:, data: aside) is refused, so a report
    never makes a network request.
    """
    import mimetypes

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = static_folder.resolve()

    class StaticOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith(BASE_URL + "static/"):
                relative = urlparse(url).path[len("/static/") :]
                candidate = (root / relative).resolve()
                if candidate.is_file() and root in candidate.parents:
                    mime = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        url, candidate.read_bytes(), {"Content-Type": mime}, 200
                    )
            raise ValueError(f"refused to fetch {url!r}: only the app's static files")

    return StaticOnly()


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
            [(g or _("Total"), [s.values.get((p, g)) for p in s.periods]) for g in s.groups],
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
    from weasyprint import HTML

    html = render_template("monitoring/report_pdf.html", **report_context(f))
    static = Path(current_app.static_folder or "static")
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=static_only_fetcher(static))
    return bytes(document.write_pdf())
