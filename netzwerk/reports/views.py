"""Pages of the education report (office and administrators only)."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.access import staff_required
from ..forms import optional_id, show_error
from ..jobqueue import FAILED
from ..workflow import ui
from ..workflow.services import WorkflowError
from . import jobs, render, services
from .forms import ChapterForm, ConfirmForm, NewChapterForm, ReportForm
from .models import EducationReport, ReportJob, ReportVersion

bp = Blueprint("reports", __name__, url_prefix="/monitoring/berichte")


def _load(report_id: int) -> EducationReport:
    report = services.get_report(report_id)
    if report is None:
        abort(404)
    return report


@bp.route("/", methods=["GET", "POST"], endpoint="index")
@staff_required
def index() -> Any:
    form = ReportForm()
    if form.validate_on_submit():
        try:
            report = services.create_report(
                current_user,
                title=form.title.data or "",
                year_from=int(form.year_from.data or 0),
                year_to=int(form.year_to.data or 0),
                chapters=(form.chapters.data or "").splitlines(),
            )
        except services.ReportError as exc:
            show_error(form, exc)
        else:
            flash(_("Report created."), "success")
            return redirect(url_for("reports.detail", report_id=report.id))
    reports = services.list_reports()
    return render_template(
        "reports/index.html",
        form=form,
        reports=reports,
        state_titles={r.id: ui.state_title(r) for r in reports},
    ), (400 if form.is_submitted() else 200)


def _detail(
    report: EducationReport,
    status: int = 200,
    *,
    failed_chapter: tuple[int, ChapterForm] | None = None,
    failed_step: Any = None,
    new_chapter: NewChapterForm | None = None,
) -> Any:
    forms = {}
    for chapter in report.chapters:
        if failed_chapter is not None and failed_chapter[0] == chapter.id:
            forms[chapter.id] = failed_chapter[1]
            continue
        form = ChapterForm(prefix=f"c{chapter.id}", formdata=None)
        form.title.data = chapter.title
        form.commentary.data = chapter.commentary
        form.indicators.data = chapter.indicator_codes
        form.show_map.data = chapter.show_map
        form.show_chart.data = chapter.show_chart
        forms[chapter.id] = form
    panel = ui.panel(
        current_user,
        report,
        lambda name: url_for("reports.step", report_id=report.id, transition=name),
        failed=failed_step,
    )
    approval = jobs.approval_job(report)
    return render_template(
        "reports/report.html",
        report=report,
        chapter_forms=forms,
        new_chapter=new_chapter or NewChapterForm(formdata=None),
        confirm=ConfirmForm(formdata=None),
        panel=panel,
        editable=report.has_flag(services.EDITABLE),
        edition=services.frozen_edition(report),
        approval_job=approval,
        approval_status=jobs.queue.status(approval) if approval is not None else None,
    ), status


@bp.route("/<int:report_id>")
@staff_required
def detail(report_id: int) -> Any:
    return _detail(_load(report_id))


@bp.route("/<int:report_id>/kapitel/<int:chapter_id>", methods=["POST"])
@staff_required
def chapter(report_id: int, chapter_id: int) -> Any:
    report = _load(report_id)
    if not any(c.id == chapter_id for c in report.chapters):
        abort(404)
    form = ChapterForm(prefix=f"c{chapter_id}")
    if not form.validate_on_submit():
        return _detail(report, 400, failed_chapter=(chapter_id, form))
    try:
        services.update_chapter(
            current_user,
            report,
            chapter_id,
            title=form.title.data or "",
            commentary=form.commentary.data or "",
            indicators=list(form.indicators.data or []),
            show_map=bool(form.show_map.data),
            show_chart=bool(form.show_chart.data),
        )
    except services.ReportError as exc:
        show_error(form, exc)
        return _detail(report, 400, failed_chapter=(chapter_id, form))
    flash(_("Chapter saved."), "success")
    return redirect(url_for("reports.detail", report_id=report_id) + f"#chapter-{chapter_id}")


@bp.route("/<int:report_id>/kapitel/neu", methods=["POST"])
@staff_required
def chapter_new(report_id: int) -> Any:
    report = _load(report_id)
    form = NewChapterForm()
    if not form.validate_on_submit():
        return _detail(report, 400, new_chapter=form)
    try:
        services.add_chapter(current_user, report, form.title.data or "")
    except services.ReportError as exc:
        form.title.errors = [*form.title.errors, str(exc)]
        return _detail(report, 400, new_chapter=form)
    flash(_("Chapter added."), "success")
    return redirect(url_for("reports.detail", report_id=report_id))


@bp.route("/<int:report_id>/fassung", methods=["POST"])
@staff_required
def save_version(report_id: int) -> Any:
    report = _load(report_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = services.save_version(current_user, report)
    except services.ReportError as exc:
        flash(str(exc), "error")
        return redirect(url_for("reports.detail", report_id=report_id))
    flash(_("Draft version %(n)s saved.", n=version.number), "success")
    return redirect(url_for("reports.detail", report_id=report_id))


@bp.route("/<int:report_id>/schritt/<transition>", methods=["POST"])
@staff_required
def step(report_id: int, transition: str) -> Any:
    report = _load(report_id)
    form = ui.transition_form(transition)
    if not form.validate_on_submit():
        return _detail(report, 400, failed_step=(transition, form))
    try:
        if jobs.renders_in_background(report, transition):  # freezes: renders for seconds
            jobs.request_approval(
                current_user, report, transition, form.comment.data, form.expected_version()
            )
            flash(_("The approved edition is being rendered in the background."), "info")
            return redirect(url_for("reports.detail", report_id=report_id))
        ui.fire_from_form(current_user, report, transition, form)
    except WorkflowError as exc:
        flash(str(exc), "error")
        return redirect(url_for("reports.detail", report_id=report_id))
    flash(
        _(
            "Done: the report is now in the state “%(state)s”.",
            state=ui.state_title(_load(report_id)),
        ),
        "success",
    )
    return redirect(url_for("reports.detail", report_id=report_id))


def _version(report: EducationReport) -> ReportVersion | None:
    """The version asked for: ?fassung=N, else the frozen edition, else None (now)."""
    number = optional_id(request.args.get("fassung"))
    if number == -1:
        abort(404)
    if number is not None:
        version = services.get_version(report, number)
        if version is None:
            abort(404)
        return version
    return services.frozen_edition(report)


def _data(report: EducationReport) -> tuple[dict[str, Any], Any]:
    """The snapshot asked for: ?fassung=N, else the frozen edition, else now."""
    version = _version(report)
    if version is not None:
        return json.loads(version.snapshot), version
    return services.snapshot(report), None


def _pdf_url(
    report: EducationReport, version: ReportVersion | None, endpoint: str = "reports.pdf"
) -> str:
    number = version.number if version is not None and not version.frozen else None
    return url_for(endpoint, report_id=report.id, fassung=number)


@bp.route("/<int:report_id>/bericht.pdf")
@staff_required
def pdf(report_id: int) -> Any:
    """The stored PDF, or a page that shows it being rendered in the background."""
    report = _load(report_id)
    version = _version(report)
    body, job = jobs.pdf_or_job(current_user, report, version)
    if body is not None:
        return Response(
            body,
            mimetype="application/pdf",
            headers={"Content-Disposition": 'inline; filename="bildungsbericht.pdf"'},
        )
    return _preparing(report, version, job)


@bp.route("/<int:report_id>/bericht.pdf/erneut", methods=["POST"])
@staff_required
def pdf_retry(report_id: int) -> Any:
    """Render a PDF whose render failed once more."""
    report = _load(report_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    version = _version(report)
    jobs.pdf_or_job(current_user, report, version, retry=True)
    return redirect(_pdf_url(report, version))


def _preparing(report: EducationReport, version: ReportVersion | None, job: Any) -> Any:
    if version is None:
        title = _("Preview of the current draft")
    elif version.frozen:
        title = _("Approved edition (version %(n)s)", n=version.number)
    else:
        title = _("Draft version %(n)s", n=version.number)
    return render_template(
        "reports/preparing.html",
        report=report,
        job=job,
        status=jobs.queue.status(job),
        title=title,
        refresh_url=_pdf_url(report, version),
        retry_url=_pdf_url(report, version, "reports.pdf_retry"),
        confirm=ConfirmForm(formdata=None),
    ), (200 if job.state == FAILED else 202)


@bp.route("/<int:report_id>/aufgaben/<int:job_id>")
@staff_required
def job_status(report_id: int, job_id: int) -> Response:
    """How far a background render is (polled by static/js/minutes-jobs.js)."""
    job: ReportJob | None = jobs.job_of(_load(report_id), job_id)
    if job is None:
        abort(404)
    response = jsonify(jobs.queue.status(job))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:report_id>/bericht.html")
@staff_required
def html(report_id: int) -> Response:
    report = _load(report_id)
    data, version = _data(report)
    body = version.html if version is not None and version.frozen and version.html else None
    return Response(body or render.html_edition(data), mimetype="text/html")


@bp.route("/<int:report_id>/zahlen.csv")
@staff_required
def figures_csv(report_id: int) -> Response:
    report = _load(report_id)
    data, version = _data(report)
    body = version.csv if version is not None and version.frozen and version.csv else None
    return Response(
        "\ufeff" + (body or render.figures_csv(data)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="bildungsbericht-zahlen.csv"'},
    )
