"""Monitoring pages (staff): dashboard, CSV export, indicators, PDF report."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth.access import staff_required
from . import charts, dashboard, indicators, report
from .forms import DashboardFilterForm, ImportForm, IndicatorForm

bp = Blueprint("monitoring", __name__, url_prefix="/monitoring")

# The administration sections of this package (registered by its init_app).
ADMIN_PAGES = [
    ("monitoring.dashboard", _l("Monitoring")),
]


def _filter(form: DashboardFilterForm) -> dashboard.DashboardFilter:
    if not form.validate():
        return dashboard.DashboardFilter()

    def month(value: str | None) -> date | None:
        if not value:
            return None
        return date(int(value[:4]), int(value[5:7]), 1)

    return dashboard.DashboardFilter(start=month(form.von.data), end=month(form.bis.data))


def _breakdown_chart(b: dashboard.Breakdown, what: str) -> Any:
    if what == "mean":
        title = _("Mean rating by %(dimension)s", dimension=b.title)
        rows = [(fig.label, fig.mean, fig.mean_text) for fig in b.rows]
    else:
        title = _("Feedback by %(dimension)s", dimension=b.title)
        rows = [
            (fig.label, float(fig.count) if fig.count is not None else None, fig.count_text)
            for fig in b.rows
        ]
    desc = "; ".join(f"{label}: {text}" for label, _v, text in rows)
    return charts.bar_chart(title, desc, rows)


@bp.route("/", endpoint="dashboard")
@staff_required
def dashboard_page() -> Any:
    form = DashboardFilterForm(request.args)
    f = _filter(form)
    breakdowns = dashboard.breakdowns(f)
    monthly = dashboard.monthly(f)
    series = dashboard.time_series(f, form.verlauf.data or "category")
    monthly_chart = charts.line_chart(
        _("Feedback per month"),
        "; ".join(f"{fig.label}: {fig.count_text}" for fig in monthly.rows),
        [fig.label for fig in monthly.rows],
        [
            (
                _("Feedback"),
                [float(fig.count) if fig.count is not None else None for fig in monthly.rows],
            ),
            (_("Mean rating"), [fig.mean for fig in monthly.rows]),
        ],
    )
    series_chart = charts.line_chart(
        _("Feedback per month by %(dimension)s", dimension=series.title),
        _("Counts per month and group; the table below lists them."),
        series.months,
        [
            (
                label,
                [
                    float(c.count) if (c := series.cells[(m, key)]).count is not None else None
                    for m in series.months
                ],
            )
            for key, label in series.groups
        ],
    )
    return render_template(
        "monitoring/dashboard.html",
        form=form,
        breakdowns=breakdowns,
        monthly=monthly,
        monthly_chart=monthly_chart,
        series=series,
        series_chart=series_chart,
        count_charts={b.dimension: _breakdown_chart(b, "count") for b in breakdowns},
        mean_charts={b.dimension: _breakdown_chart(b, "mean") for b in breakdowns},
        query_args=dict(request.args.items()),
    )


@bp.route("/export.csv")
@staff_required
def export_csv() -> Response:
    form = DashboardFilterForm(request.args)
    body = dashboard.csv_export(_filter(form))
    return Response(
        "\ufeff" + body,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="monitoring-rueckmeldungen.csv"'},
    )


@bp.route("/bericht.pdf")
@staff_required
def report_pdf() -> Response:
    form = DashboardFilterForm(request.args)
    pdf = report.render_pdf(_filter(form))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'inline; filename="monitoring-bericht.pdf"'},
    )


@bp.route("/kennzahlen/")
@staff_required
def indicator_list() -> str:
    return render_template(
        "monitoring/indicators.html",
        computed=list(indicators.PROVIDERS.values()),
        imported=indicators.imported_indicators(),
    )


def _series_chart(series: indicators.Series) -> Any:
    return charts.line_chart(
        series.name,
        _("Values per period; the table below lists them."),
        series.periods,
        [
            (group or _("Total"), [series.values.get((p, group)) for p in series.periods])
            for group in series.groups
        ],
    )


@bp.route("/kennzahlen/<code>")
@staff_required
def indicator(code: str) -> str:
    if code in indicators.PROVIDERS:
        series = indicators.computed_series(code, indicators.last_months(12))
        found = None
    else:
        found = indicators.get_imported(code)
        if found is None:
            abort(404)
        series = indicators.imported_series(found)
    return render_template(
        "monitoring/indicator.html", series=series, indicator=found, chart=_series_chart(series)
    )


@bp.route("/kennzahlen/neu", methods=["GET", "POST"])
@staff_required
def indicator_new() -> Any:
    form = IndicatorForm()
    if form.validate_on_submit():
        try:
            created = indicators.define_indicator(
                current_user,
                code=form.code.data or "",
                name=form.name.data or "",
                unit=form.unit.data or "",
                source=form.source.data or "",
                dimensions=form.dimensions.data or "",
                description=form.description.data or "",
            )
        except indicators.IndicatorError as exc:
            target = getattr(form, exc.field or "", None)
            if target is not None:
                target.errors = [*target.errors, str(exc)]
            else:
                flash(str(exc), "error")
        else:
            flash(_("Indicator defined."), "success")
            return redirect(url_for("monitoring.indicator", code=created.code))
    return render_template("monitoring/indicator_form.html", form=form), (
        400 if form.is_submitted() else 200
    )


@bp.route("/kennzahlen/import", methods=["GET", "POST"])
@staff_required
def import_values() -> Any:
    form = ImportForm()
    problems: list[indicators.ImportProblem] = []
    if form.validate_on_submit():
        try:
            count = indicators.import_csv(current_user, form.file.data.read())
        except indicators.ImportFailed as exc:
            problems = exc.problems
            form.file.errors = [
                *form.file.errors,
                _("Nothing was imported. Please correct the file."),
            ]
        else:
            flash(_("%(n)s values imported.", n=count), "success")
            return redirect(url_for("monitoring.indicator_list"))
    return render_template("monitoring/import.html", form=form, problems=problems), (
        400 if form.is_submitted() else 200
    )
