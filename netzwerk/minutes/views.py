"""Minutes pages: the editor per meeting, workflow steps, PDFs, public minutes."""

from __future__ import annotations

import base64
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..auth.access import public
from ..forms import optional_id, show_error
from ..meetings import access, agenda
from ..meetings.models import Meeting
from ..timeutil import format_date
from ..workflow import ui
from ..workflow.services import CommentRequired, WorkflowError
from . import corrections, jobs, services, signing
from .document_views import bp as documents_bp
from .forms import (
    CorrectionAnswerForm,
    CorrectionForm,
    CorrectionRequestForm,
    MinuteTakerForm,
    ScheduleApprovalForm,
    StartForm,
    SummariesForm,
    summaries_form,
)
from .models import CorrectionRequestStatus, Minutes
from .text import render_summary

bp = Blueprint("minutes", __name__)
bp.register_blueprint(documents_bp)  # background jobs, Sitzungsmappe: minutes.documents.*


# --- loading with access checks ---------------------------------------------------------


def _meeting(meeting_id: int) -> Meeting:
    meeting = access.get_meeting(meeting_id)
    if meeting is None:
        abort(404)
    if not services.may_read(current_user, meeting):
        abort(403)
    return meeting


def _minutes(minutes_id: int) -> Minutes:
    minutes = services.get_minutes(minutes_id)
    if minutes is None:
        abort(404)
    if not services.may_read(current_user, minutes.meeting):
        abort(403)
    return minutes


def _public_minutes(minutes_id: int) -> Minutes:
    minutes = services.get_minutes(minutes_id)
    if minutes is None or not services.publicly_readable(minutes):
        abort(404)
    return minutes


# --- the editor page ------------------------------------------------------------------------


def _item_labels(meeting: Meeting) -> list[tuple[int, str, agenda.AgendaLine]]:
    return [
        (
            line.item.id,
            _("Item %(number)s: %(title)s", number=line.number, title=line.item.title),
            line,
        )
        for line in agenda.flatten(agenda.agenda(meeting))
        if not line.item.withdrawn
    ]


def _render_page(
    meeting: Meeting,
    minutes: Minutes | None,
    *,
    form: SummariesForm | None = None,
    conflicts: list[services.Conflict] | None = None,
    start_form: StartForm | None = None,
    taker_form: MinuteTakerForm | None = None,
    schedule_form: ScheduleApprovalForm | None = None,
    correction_form: CorrectionForm | None = None,
    request_form: CorrectionRequestForm | None = None,
    answer_form: tuple[int, CorrectionAnswerForm] | None = None,
    failed: Any = None,
    status: int = 200,
) -> tuple[str, int]:
    manage = services.may_manage(current_user, meeting)
    labels = _item_labels(meeting)
    context: dict[str, Any] = {
        "meeting": meeting,
        "minutes": minutes,
        "manage": manage,
        "labels": labels,
        "format_summary": render_summary,
        "conflicts": {c.item_id: c for c in conflicts or []},
        "versions": services.versions(meeting.id),
        "state_title": access.state_title(meeting),
    }
    choices = services.minute_taker_choices(meeting) if manage else []
    if minutes is None:
        if manage and services.meeting_writable(meeting):
            if start_form is None:
                start_form = StartForm(formdata=None)
                start_form.person_id.data = current_user.person_id
            start_form.person_id.choices = choices
            context["start_form"] = start_form
        return render_template("minutes/minutes.html", **context), status
    editable = services.is_editable(minutes) and services.may_edit(current_user, minutes)
    entries = services.entries(minutes)
    if editable and form is None:
        form = summaries_form(
            [(item_id, label) for item_id, label, _line in labels],
            {
                item_id: (entries[item_id].summary, entries[item_id].revision)
                if item_id in entries
                else ("", 0)
                for item_id, _label, _line in labels
            },
            formdata=None,
        )
    if manage:
        approved = services.is_approved(minutes)
        if approved:  # final: the minute-taker is shown, not changed
            taker_form = None
        else:
            if taker_form is None:
                taker_form = MinuteTakerForm(formdata=None)
                taker_form.person_id.data = minutes.minute_taker_person_id
            taker_form.person_id.choices = choices
        if not approved and minutes.approval_item_id is None:
            if schedule_form is None:
                schedule_form = ScheduleApprovalForm(formdata=None)
            schedule_form.meeting_id.choices = [
                (m.id, f"{m.number} – {format_date(m.starts_at)}")
                for m in services.approval_meeting_choices(minutes)
            ]
        else:
            schedule_form = None
        newest = context["versions"][-1] if context["versions"] else None
        if approved and newest is not None and newest.id == minutes.id:
            correction_form = correction_form or CorrectionForm(formdata=None)
        else:
            correction_form = None
    context.update(
        editable=editable,
        form=form,
        entries=entries,
        approved=services.is_approved(minutes),
        documents=(documents := services.documents(minutes)),
        approval_meeting=services.approval_meeting(minutes),
        taker_form=taker_form,
        schedule_form=schedule_form,
        correction_form=correction_form,
        panel=ui.panel(
            current_user,
            minutes,
            lambda name: url_for("minutes.transition", minutes_id=minutes.id, transition=name),
            failed=failed,
        ),
        closed=access.has_flag(meeting, "closed"),
        approval_job=_approval_job(minutes),
        signatures={edition: signing.verify_cached(doc.data) for edition, doc in documents.items()},
        **_corrections_context(minutes, labels, request_form, answer_form),
    )
    return render_template("minutes/minutes.html", **context), status


def _corrections_context(
    minutes: Minutes,
    labels: list[tuple[int, str, agenda.AgendaLine]],
    request_form: CorrectionRequestForm | None,
    answer_form: tuple[int, CorrectionAnswerForm] | None,
) -> dict[str, Any]:
    """The correction requests of the version this user sees, the form to
    send one while the state takes them, and the office's answer forms."""
    requests = corrections.visible_requests(current_user, minutes)
    if corrections.open_for_corrections(minutes) and corrections.may_request(current_user, minutes):
        if request_form is None:
            request_form = CorrectionRequestForm(formdata=None)
        request_form.set_items([(item_id, label) for item_id, label, _line in labels])
    else:
        request_form = None
    answer_forms: dict[int, CorrectionAnswerForm] = {}
    if corrections.may_answer(current_user, minutes):
        approved = services.is_approved(minutes)
        for found in requests:
            if not found.is_open:
                continue
            if answer_form is not None and answer_form[0] == found.id:
                form = answer_form[1]
            else:
                form = CorrectionAnswerForm(formdata=None, prefix=f"a{found.id}")
            if approved:  # nothing is taken over into approved minutes
                form.status.choices = [
                    c for c in form.status.choices if c[0] != CorrectionRequestStatus.ACCEPTED
                ]
            answer_forms[found.id] = form
    return {
        "correction_requests": requests,
        "correction_items": {item_id: label for item_id, label, _line in labels},
        "request_form": request_form,
        "answer_forms": answer_forms,
        "sees_all_corrections": corrections.sees_all(current_user, minutes),
    }


def _approval_job(minutes: Minutes) -> dict[str, Any] | None:
    """The approval waiting or running in the background, or the last one
    that failed while the minutes are still not approved."""
    job = jobs.approval_job(minutes)
    return None if job is None else {"job": job, **jobs.queue.status(job)}


def _version_of(meeting: Meeting) -> Minutes | None:
    number = request.args.get("fassung", type=optional_id)
    versions = services.versions(meeting.id)
    if number is not None:
        chosen = next((m for m in versions if m.version_no == number), None)
        if chosen is None:
            abort(404)
        return services.get_minutes(chosen.id)
    return services.get_minutes(versions[-1].id) if versions else None


@bp.route("/sitzungen/<int:meeting_id>/protokoll")
@login_required
def minutes_page(meeting_id: int) -> tuple[str, int]:
    meeting = _meeting(meeting_id)
    return _render_page(meeting, _version_of(meeting))


@bp.route("/sitzungen/<int:meeting_id>/protokoll/anlegen", methods=["POST"])
@login_required
def start(meeting_id: int) -> Any:
    meeting = _meeting(meeting_id)
    if not services.may_manage(current_user, meeting):
        abort(403)
    form = StartForm()
    form.person_id.choices = services.minute_taker_choices(meeting)
    if form.validate_on_submit():
        try:
            services.start_minutes(current_user, meeting, form.person_id.data)
        except services.MinutesError as exc:
            show_error(form, exc)
        else:
            flash(_("The minutes were started."), "success")
            return redirect(url_for("minutes.minutes_page", meeting_id=meeting_id))
    return _render_page(meeting, services.latest(meeting_id), start_form=form, status=422)


@bp.route("/protokolle/<int:minutes_id>/protokollfuehrung", methods=["POST"])
@login_required
def minute_taker(minutes_id: int) -> Any:
    minutes = _minutes(minutes_id)
    if not services.may_manage(current_user, minutes):
        abort(403)
    if services.is_approved(minutes):  # final: the page shows no form; say why
        flash(services.approved_are_final(), "error")
        return redirect(url_for("minutes.minutes_page", meeting_id=minutes.meeting_id))
    form = MinuteTakerForm()
    form.person_id.choices = services.minute_taker_choices(minutes.meeting)
    if form.validate_on_submit():
        try:
            services.set_minute_taker(current_user, minutes, form.person_id.data)
        except services.MinutesError as exc:
            if services.is_approved(minutes):  # final: no form to show it beside
                flash(str(exc), "error")
                return redirect(url_for("minutes.minutes_page", meeting_id=minutes.meeting_id))
            show_error(form, exc)
        else:
            flash(_("The minute-taker was saved."), "success")
            return redirect(url_for("minutes.minutes_page", meeting_id=minutes.meeting_id))
    return _render_page(minutes.meeting, minutes, taker_form=form, status=422)


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@bp.route("/protokolle/<int:minutes_id>/zusammenfassungen", methods=["POST"])
@login_required
def save(minutes_id: int) -> Any:
    minutes = _minutes(minutes_id)
    if not services.may_edit(current_user, minutes):
        abort(403)
    meeting = minutes.meeting
    labels = _item_labels(meeting)
    form = summaries_form([(item_id, label) for item_id, label, _line in labels])
    if not form.validate_on_submit():
        if _wants_json():
            return jsonify({"ok": False, "errors": form.errors}), 422
        return _render_page(meeting, minutes, form=form, status=422)
    try:
        result = services.save_summaries(current_user, minutes, form.submitted())
    except services.MinutesError as exc:
        if _wants_json():
            return jsonify({"ok": False, "message": str(exc)}), 409
        show_error(form, exc)
        return _render_page(meeting, minutes, form=form, status=409)
    if _wants_json():
        return jsonify(
            {
                "ok": not result.conflicts,
                "saved": result.saved,
                "revisions": {str(k): v for k, v in result.revisions.items()},
                "conflicts": [c.item_id for c in result.conflicts],
                "message": _("Saved.")
                if not result.conflicts
                else _("Someone else changed an item; please save with the button to compare."),
            }
        ), (200 if not result.conflicts else 409)
    if result.conflicts:
        for conflict in result.conflicts:
            form.revision_field(conflict.item_id).data = str(conflict.revision)
            form.summary_field(conflict.item_id).errors = [
                _(
                    "Someone else saved this item in the meantime. Your text is kept here; "
                    "the saved text is shown below. Merge them and save again."
                )
            ]
        for item_id, revision in result.revisions.items():
            if item_id not in {c.item_id for c in result.conflicts}:
                form.revision_field(item_id).data = str(revision)
        return _render_page(meeting, minutes, form=form, conflicts=result.conflicts, status=409)
    flash(_("The summaries were saved."), "success")
    return redirect(url_for("minutes.minutes_page", meeting_id=meeting.id) + "#summaries")


@bp.route("/protokolle/<int:minutes_id>/schritt/<transition>", methods=["POST"])
@login_required
def transition(minutes_id: int, transition: str) -> Any:
    minutes = _minutes(minutes_id)
    form = ui.transition_form(transition)
    if not form.validate_on_submit():
        return _render_page(minutes.meeting, minutes, failed=(transition, form), status=422)
    background = jobs.renders_in_background(transition, minutes)  # renders for seconds
    fire = jobs.request_approval if background else services.fire_transition
    try:
        fire(current_user, minutes, transition, form.comment.data, form.expected_version())
    except CommentRequired as exc:
        form.comment.errors = [str(exc)]
        return _render_page(minutes.meeting, minutes, failed=(transition, form), status=422)
    except (WorkflowError, services.MinutesError) as exc:
        flash(str(exc), "error")
        return redirect(url_for("minutes.minutes_page", meeting_id=minutes.meeting_id))
    if background:
        flash(_("The approved PDF is being rendered; this page shows the progress."), "success")
        return redirect(url_for("minutes.minutes_page", meeting_id=minutes.meeting_id))
    minutes = _minutes(minutes_id)
    flash(
        _("Done: the minutes are now in the state “%(state)s”.", state=ui.state_title(minutes)),
        "success",
    )
    return redirect(url_for("minutes.minutes_page", meeting_id=minutes.meeting_id))


@bp.route("/protokolle/<int:minutes_id>/genehmigung-einplanen", methods=["POST"])
@login_required
def schedule(minutes_id: int) -> Any:
    minutes = _minutes(minutes_id)
    if not services.may_manage(current_user, minutes):
        abort(403)
    form = ScheduleApprovalForm()
    form.meeting_id.choices = [(m.id, m.number) for m in services.approval_meeting_choices(minutes)]
    if form.validate_on_submit():
        try:
            services.schedule_approval(current_user, minutes, form.meeting_id.data)
        except services.MinutesError as exc:
            show_error(form, exc)
        else:
            flash(_("The approval of the minutes is on the agenda."), "success")
            return redirect(url_for("minutes.minutes_page", meeting_id=minutes.meeting_id))
    return _render_page(minutes.meeting, minutes, schedule_form=form, status=422)


@bp.route("/protokolle/<int:minutes_id>/berichtigung", methods=["POST"])
@login_required
def correct(minutes_id: int) -> Any:
    minutes = _minutes(minutes_id)
    if not services.may_manage(current_user, minutes):
        abort(403)
    form = CorrectionForm()
    if form.validate_on_submit():
        try:
            correction = services.start_correction(current_user, minutes, form.reason.data or "")
        except services.MinutesError as exc:
            show_error(form, exc)
        else:
            flash(
                _(
                    "Version %(version)d was started as a correction.",
                    version=correction.version_no,
                ),
                "success",
            )
            return redirect(url_for("minutes.minutes_page", meeting_id=minutes.meeting_id))
    return _render_page(minutes.meeting, minutes, correction_form=form, status=422)


@bp.route("/protokolle/<int:minutes_id>/korrekturen", methods=["POST"])
@login_required
def request_correction(minutes_id: int) -> Any:
    minutes = _minutes(minutes_id)
    if not corrections.may_request(current_user, minutes):
        abort(403)
    form = CorrectionRequestForm()
    if not corrections.open_for_corrections(minutes):  # the page shows no form; say why
        flash(corrections.not_open_message(minutes), "error")
        return redirect(url_for("minutes.minutes_page", meeting_id=minutes.meeting_id))
    if form.validate_on_submit():
        try:
            corrections.request_correction(
                current_user, minutes, form.agenda_item_id.data, form.text.data or ""
            )
        except services.MinutesError as exc:
            show_error(form, exc)
        else:
            flash(_("Your correction was sent to the office."), "success")
            return redirect(
                url_for("minutes.minutes_page", meeting_id=minutes.meeting_id) + "#corrections"
            )
    return _render_page(minutes.meeting, minutes, request_form=form, status=422)


@bp.route("/protokolle/<int:minutes_id>/korrekturen/<int:request_id>/antwort", methods=["POST"])
@login_required
def answer_correction(minutes_id: int, request_id: int) -> Any:
    minutes = _minutes(minutes_id)
    if not corrections.may_answer(current_user, minutes):
        abort(403)
    found = corrections.get_request(request_id)
    if found is None or found.minutes_id != minutes.id:
        abort(404)
    form = CorrectionAnswerForm(prefix=f"a{request_id}")
    if form.validate_on_submit():
        try:
            corrections.answer_request(
                current_user, minutes, request_id, form.status.data or "", form.answer.data
            )
        except services.MinutesError as exc:
            if exc.field is None:  # answered meanwhile: no form to show it beside
                flash(str(exc), "error")
                return redirect(url_for("minutes.minutes_page", meeting_id=minutes.meeting_id))
            show_error(form, exc)
        else:
            flash(_("The answer was saved; the sender is told."), "success")
            return redirect(
                url_for("minutes.minutes_page", meeting_id=minutes.meeting_id) + "#corrections"
            )
    return _render_page(minutes.meeting, minutes, answer_form=(request_id, form), status=422)


# --- PDFs ------------------------------------------------------------------------------------


def _pdf_response(pdf: services.PdfFile, *, public_cache: bool = False) -> Response:
    etag = pdf.sha256
    if request.if_none_match and request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(pdf.data, mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'inline; filename="{pdf.filename}"'
    digest = base64.b64encode(bytes.fromhex(pdf.sha256)).decode()
    response.set_etag(etag)
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"
    response.headers["Digest"] = f"SHA-256={digest}"
    response.headers["X-Content-SHA256"] = pdf.sha256
    if pdf.frozen and public_cache:
        response.headers["Cache-Control"] = "public, max-age=86400"
    else:
        response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/protokolle/<int:minutes_id>/protokoll.pdf")
@login_required
def pdf(minutes_id: int) -> Any:
    minutes = _minutes(minutes_id)
    job = jobs.draft_in_background(minutes)  # a long draft renders in the scheduler
    if job is not None:
        return _preparing(minutes, job)
    return _pdf_response(services.minutes_pdf(minutes))


def _preparing(minutes: Minutes, job: Any) -> tuple[str, int]:
    meeting = minutes.meeting
    return (
        render_template(
            "minutes/preparing.html",
            meeting=meeting,
            job=job,
            status=jobs.queue.status(job),
            title=minutes.title,
            back_url=url_for("minutes.minutes_page", meeting_id=meeting.id),
            refresh_url=url_for("minutes.pdf", minutes_id=minutes.id),
        ),
        202,
    )


@bp.route("/sitzungen/<int:meeting_id>/einladung.pdf")
@login_required
def invitation_pdf(meeting_id: int) -> Response:
    return _pdf_response(services.invitation_pdf(_meeting(meeting_id)))


@bp.route("/sitzungen/oeffentlich/<int:meeting_id>/einladung.pdf")
@public
def public_invitation_pdf(meeting_id: int) -> Response:
    meeting = access.get_meeting(meeting_id)
    if meeting is None or not access.may_view_public(meeting):
        abort(404)
    return _pdf_response(services.invitation_pdf(meeting, public_only=True))


# --- lists and public minutes -----------------------------------------------------------------


@bp.route("/protokolle/")
@login_required
def index() -> str:
    meetings = access.visible_meetings(current_user)
    minutes = services.minutes_for_meetings([m.id for m in meetings])
    rows = [(m, minutes.get(m.id)) for m in meetings if services.meeting_writable(m)]
    return render_template(
        "minutes/index.html", rows=rows, state_title=services.state_title, public_list=False
    )


@bp.route("/oeffentlich/protokolle/")
@public
def public_index() -> str:
    return render_template(
        "minutes/index.html",
        rows=[(m.meeting, m) for m in services.public_minutes()],
        state_title=services.state_title,
        public_list=True,
    )


@bp.route("/oeffentlich/protokolle/<int:minutes_id>")
@public
def public_page(minutes_id: int) -> str:
    minutes = _public_minutes(minutes_id)
    meeting = minutes.meeting
    lines = [
        line
        for line in agenda.flatten(agenda.agenda(meeting, public_only=True))
        if not line.item.withdrawn
    ]
    documents = services.documents(minutes)
    return render_template(
        "minutes/public.html",
        minutes=minutes,
        meeting=meeting,
        lines=lines,
        entries=services.entries(minutes),
        document=documents.get(services.PUBLIC) or documents.get(services.FULL),
        format_summary=render_summary,
    )


@bp.route("/oeffentlich/protokolle/<int:minutes_id>/protokoll.pdf")
@public
def public_pdf(minutes_id: int) -> Response:
    minutes = _public_minutes(minutes_id)
    return _pdf_response(services.minutes_pdf(minutes, public_only=True), public_cache=True)
