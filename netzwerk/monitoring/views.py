"""Monitoring pages (staff): dashboard, CSV export, indicators, PDF report."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth.access import staff_required
from ..forms import show_error
from . import charts, dashboard, districts, indicators, report, statistics
from .forms import (
    CombinedIndicatorForm,
    DashboardFilterForm,
    DistrictForm,
    ImportForm,
    IndicatorForm,
    StatisticsImportForm,
)

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
    labeller = dashboard.Labeller()
    breakdowns = dashboard.breakdowns(f, labeller)
    series = dashboard.time_series(f, form.verlauf.data or "category", labeller)
    monthly = dashboard.monthly(f, series.hidden_months, series)
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
        unit_label=indicators.unit_label,
        dimension_label=indicators.dimension_label,
    )


def _series_chart(series: indicators.Series) -> Any:
    return charts.line_chart(
        series.name,
        _("Values per period; the table below lists them."),
        series.periods,
        [
            (series.group_label(group), [series.values.get((p, group)) for p in series.periods])
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
        "monitoring/indicator.html",
        series=series,
        indicator=found,
        chart=_series_chart(series),
        unit_label=indicators.unit_label,
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
            show_error(form, exc)
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


@bp.route("/stadtteile")
@staff_required
def district_page() -> Any:
    """A figure by district: the map and the table side by side."""
    form = DistrictForm(request.args)
    valid = form.validate()
    measure = (form.was.data if valid else None) or "feedback"
    year = (form.jahr.data if valid else None) or None
    table = districts.table_for(measure, year)
    if table is None:
        abort(404)
    return render_template(
        "monitoring/districts.html",
        form=form,
        table=table,
        map_svg=districts.choropleth(table),
    ), (200 if valid else 400)


@bp.route("/statistik/import", methods=["GET", "POST"])
@staff_required
def statistics_import() -> Any:
    """Upload a table, see every parsed value and refused line, then import all."""
    form = StatisticsImportForm()
    table = None
    status = 200
    if form.validate_on_submit():
        data: bytes | None = None
        if form.payload.data:
            try:
                data = base64.b64decode(form.payload.data.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError, ValueError):
                form.file.errors = [_("Please choose the file again.")]
        elif form.file.data:
            data = form.file.data.read()
        else:
            form.file.errors = [_("Please choose a file.")]
        if data is not None:
            try:
                if form.payload.data and request.form.get("confirm"):
                    count = statistics.import_table(current_user, data)
                    flash(_("%(n)s values imported.", n=count), "success")
                    return redirect(url_for("monitoring.indicator_list"))
                table = statistics.parse(data)
                form.payload.data = base64.b64encode(data).decode("ascii")
            except statistics.StatisticsError as exc:
                form.file.errors = [str(exc)]
                form.payload.data = ""
        if table is None or table.refused:
            status = 400
    elif form.is_submitted():
        status = 400
    return render_template(
        "monitoring/statistics_import.html",
        form=form,
        table=table,
        markers=statistics.MARKERS,
        district_name=districts.name_of,
        unit_label=indicators.unit_label,
    ), status


@bp.route("/kennzahlen/kombiniert", methods=["GET", "POST"])
@staff_required
def combined_new() -> Any:
    """An indicator from two others: imported series and the network's own figures."""
    form = CombinedIndicatorForm()
    if form.validate_on_submit():
        try:
            created = indicators.define_combined(
                current_user,
                code=form.code.data or "",
                name=form.name.data or "",
                unit=form.unit.data or "",
                numerator=form.numerator.data or "",
                denominator=form.denominator.data or "",
                factor=float(form.factor.data or 1),
                description=form.description.data or "",
            )
        except indicators.IndicatorError as exc:
            show_error(form, exc)
        else:
            flash(_("Indicator defined."), "success")
            return redirect(url_for("monitoring.indicator", code=created.code))
    return render_template("monitoring/combined_form.html", form=form), (
        400 if form.is_submitted() else 200
    )
