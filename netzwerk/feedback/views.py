"""Feedback pages: the public form in seven languages, receipt page, staff triage."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from ..auth.access import public, staff_required
from ..extensions import db, limiter
from ..forms import optional_id, page_number, show_error
from ..timeutil import LOCAL_TZ
from ..workflow import ui
from ..workflow.services import WorkflowConflict, WorkflowError
from . import outcomes, services, summaries, working
from .forms import CodeForm, FeedbackForm
from .languages import LANGUAGES, activate, negotiate
from .models import ANSWERED, CHOICE_KINDS, DUPLICATE
from .staff_forms import (
    AnswerForm,
    CategoriseForm,
    ChoiceForm,
    DuplicateForm,
    PassForm,
    RedactForm,
    StaffFeedbackForm,
    SummaryForm,
    TranslationForm,
    TriageFilterForm,
    WorkingTranslationForm,
)
from .vocab import AGE_GROUPS, CHANNEL_LABELS, CHOICE_KIND_LABELS, MIGRATION, SPOKEN_LANGUAGES

bp = Blueprint("feedback", __name__)

# The administration sections of this package (registered by its init_app).
ADMIN_PAGES = [
    ("feedback.triage", _l("Feedback")),
    ("feedback.lists", _l("Feedback lists")),
]

DEFAULT_RATE_LIMIT = "10 per minute;60 per day"


def _rate_limit() -> str:
    return str(current_app.config.get("NETZWERK_FEEDBACK_RATE_LIMIT", DEFAULT_RATE_LIMIT))


@bp.url_value_preprocessor
def _language_from_url(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values and "lang" in values:
        key = values["lang"]
        if key not in LANGUAGES:
            abort(404)
        activate(key)


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"feedback_languages": LANGUAGES, "format_receipt": services.format_code}


# --- public pages ----------------------------------------------------------------


@bp.route("/rueckmeldung/")
@public
def start() -> WerkzeugResponse:
    """The language the browser prefers (Leichte Sprache is chosen by link)."""
    return redirect(url_for("feedback.form", lang=negotiate()))


@bp.route("/rueckmeldung/<lang>/", methods=["GET", "POST"])
@public
@limiter.limit(_rate_limit, methods=["POST"])
def form(lang: str) -> Any:
    services.ensure_default_choices()
    form = FeedbackForm(locale_key=lang)
    if form.is_submitted() and form.website.data:
        # The honeypot was filled in: a bot.  Nothing is stored.
        return render_template("feedback/rejected.html", lang=lang), 400
    if form.validate_on_submit():
        try:
            feedback = services.submit_feedback(form.to_input(), language=lang, channel="online")
        except (services.FeedbackError, WorkflowError) as exc:
            show_error(form, exc)
        else:
            code = services.format_code(feedback.receipt_code)
            page = render_template(
                "feedback/thanks.html",
                lang=lang,
                code=code,
                status_form=CodeForm(formdata=None, code=code),
            )
            return page, 200, {"Cache-Control": "no-store"}
    status = 400 if form.is_submitted() else 200
    return render_template("feedback/form.html", form=form, lang=lang), status


def _look_up(form: CodeForm) -> Any:
    """The feedback of a posted receipt code; None, with the reason next to
    the field, for a missing or wrong one."""
    if not form.validate_on_submit():
        return None
    feedback = services.find_by_code(form.code.data)
    if feedback is None:
        form.code.errors = [
            *form.code.errors,
            _("We found no feedback with this code. Please check the code."),
        ]
    return feedback


def _status_page(lang: str, form: CodeForm, feedback: Any) -> Any:
    status = 200
    if form.is_submitted() and feedback is None:
        # 404: a well-formed code that matches nothing; 400: no usable code.
        status = 404 if services.normalise_code(form.code.data) else 400
    response = current_app.make_response(
        (
            render_template(
                "feedback/status.html",
                form=form,
                lang=lang,
                feedback=feedback,
                steps=services.status_steps(feedback) if feedback else [],
                outcomes=outcomes.outcomes(feedback) if feedback else [],
                outcome_sentence=outcomes.outcome_sentence,
                summary=outcomes.summary_for(feedback) if feedback else None,
            ),
            status,
        )
    )
    if form.is_submitted():
        response.headers["Cache-Control"] = "no-store"  # the code and what became of it
    return response


@bp.route("/rueckmeldung/<lang>/status", methods=["GET", "POST"])
@public
@limiter.limit(_rate_limit, methods=["POST"])
def status(lang: str) -> Any:
    """What became of a feedback: the receipt code is posted, never put in a
    URL; a GET shows the empty form, whatever its query string says."""
    if request.method == "GET":
        return _status_page(lang, CodeForm(formdata=None), None)
    form = CodeForm()
    return _status_page(lang, form, _look_up(form))


@bp.route("/rueckmeldung/<lang>/auskunft", methods=["POST"])
@public
@limiter.limit(_rate_limit)
def export(lang: str) -> Any:
    """The data subject's copy of everything stored about their feedback (JSON)."""
    form = CodeForm()
    feedback = _look_up(form)
    if feedback is None:
        return _status_page(lang, form, None)
    body = json.dumps(services.export_data(feedback), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="feedback-{feedback.receipt_code}.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/rueckmeldung/<lang>/ergebnisse")
@public
def results(lang: str) -> str:
    """Was aus Ihren Rückmeldungen wurde: outcomes by topic and language."""
    from .results import outcome_tables

    services.ensure_default_choices()
    topics, languages = outcome_tables(lang)
    return render_template("feedback/results.html", lang=lang, topics=topics, languages=languages)


@bp.route("/rueckmeldung/<lang>/datenschutz")
@public
def privacy(lang: str) -> str:
    return render_template(
        "feedback/privacy.html", lang=lang, retention_days=services.retention_days()
    )


# --- staff entry and triage -----------------------------------------------------------


def _triage_filter(form: TriageFilterForm) -> services.TriageFilter:
    if not form.validate():
        return services.TriageFilter()
    return services.TriageFilter(
        category_id=form.category.data or None,
        district_id=form.district.data or None,
        target_group_id=form.target_group.data or None,
        channel=form.channel.data or None,
        language=form.language.data or None,
        status=form.status.data or None,
        tag=services.tag_key(form.tag.data or "") or None,
        q=(form.q.data or "").strip() or None,
    )


@bp.route("/verwaltung/rueckmeldungen/")
@staff_required
def triage() -> str:
    services.ensure_default_choices()
    form = TriageFilterForm(request.args)
    page = request.args.get("seite", 1, type=page_number) or 1
    wanted = _triage_filter(form)
    items, total = services.list_feedback(wanted, page=page)
    if wanted.tag and not services.tag_exists(wanted.tag):
        form.tag.errors = [*form.tag.errors, _("No feedback has this tag.")]
    args = {k: v for k, v in request.args.items() if k != "seite"}
    return render_template(
        "feedback/triage.html",
        form=form,
        items=items,
        total=total,
        page=page,
        per_page=50,
        args=args,
        channel_labels=CHANNEL_LABELS,
    )


@bp.route("/verwaltung/rueckmeldungen/neu", methods=["GET", "POST"])
@staff_required
def staff_entry() -> Any:
    services.ensure_default_choices()
    form = StaffFeedbackForm(locale_key="de")
    if form.validate_on_submit():
        try:
            feedback = services.submit_feedback(
                form.to_input(),
                language=form.language.data,
                channel=form.channel.data,
                entered_by=current_user,
                received_on=form.received_on.data,
            )
        except (services.FeedbackError, WorkflowError) as exc:
            show_error(form, exc)
        else:
            flash(
                _(
                    "Feedback stored. Receipt code: %(code)s",
                    code=services.format_code(feedback.receipt_code),
                ),
                "success",
            )
            return redirect(url_for("feedback.detail", feedback_id=feedback.id))
    return render_template("feedback/staff_entry.html", form=form), (
        400 if form.is_submitted() else 200
    )


def _load(feedback_id: int) -> Any:
    feedback = services.get_feedback(feedback_id)
    if feedback is None:
        abort(404)
    return feedback


def _may(feedback: Any, flag: str) -> bool:
    """Whether the form that leads into ``flag`` is offered: the workflow has
    that step for the user now, or the feedback is there already (then the
    form corrects the data: another original, a better answer)."""
    return bool(feedback.has_flag(flag) or services.may_step_to(current_user, feedback, flag))


def _detail(feedback: Any, status: int = 200, **forms: Any) -> Any:
    categorise = forms.get("categorise") or CategoriseForm(
        category=feedback.category_id,
        district=feedback.district_id,
        target_group=feedback.target_group_id,
        tags=", ".join(t.label for t in feedback.tags),
        formdata=None,
    ).keep_stored(feedback)
    redact = forms.get("redact") or RedactForm(text=feedback.text, formdata=None)
    duplicate = forms.get("duplicate") or DuplicateForm(version=feedback.version, formdata=None)
    answer = forms.get("answer") or AnswerForm(
        answer=feedback.answer,
        answer_language=feedback.answer_language or feedback.language,
        answer_translation=feedback.answer_translation,
        answer_translator=feedback.answer_translator,
        version=feedback.version,
        formdata=None,
    ).for_feedback(feedback)
    stored = feedback.working_translation
    working_form = forms.get("working") or WorkingTranslationForm(
        working_text=stored.text if stored else None,
        working_translator=stored.translator if stored else None,
        formdata=None,
    )
    summary_form = forms.get("summary") or SummaryForm(
        summary=summary_text(feedback.id), formdata=None
    )
    translation_form = forms.get("translation") or TranslationForm(
        language=feedback.language if feedback.language != "de" else None, formdata=None
    )
    panel = ui.panel(
        current_user,
        feedback,
        lambda name: url_for("feedback.step", feedback_id=feedback.id, transition=name),
        failed=forms.get("failed"),
    )
    return render_template(
        "feedback/detail.html",
        feedback=feedback,
        panel=panel,
        categorise_form=categorise,
        redact_form=redact,
        duplicate_form=duplicate if _may(feedback, DUPLICATE) else None,
        answer_form=answer if _may(feedback, ANSWERED) else None,
        channel_labels=CHANNEL_LABELS,
        age_groups=AGE_GROUPS,
        migration=MIGRATION,
        spoken_languages=SPOKEN_LANGUAGES,
        languages=LANGUAGES,
        language_name=working.language_name,
        working_form=working_form if working.needs_translation(feedback) else None,
        working_stale=working.is_stale(feedback),
        summary_form=summary_form,
        translation_form=translation_form,
        translations=summary_translations(feedback.id),
        outcomes=outcomes.outcomes(feedback),
        outcome_sentence=outcomes.outcome_sentence,
    ), status


def summary_text(feedback_id: int) -> str | None:
    from .models import FeedbackSummary

    found = db.session.get(FeedbackSummary, feedback_id)
    return found.text if found else None


def summary_translations(feedback_id: int) -> list[Any]:
    from .models import FeedbackSummary

    found = db.session.get(FeedbackSummary, feedback_id)
    return list(found.translations) if found else []


@bp.route("/verwaltung/rueckmeldungen/<int:feedback_id>/zusammenfassung", methods=["POST"])
@staff_required
def summary(feedback_id: int) -> Any:
    feedback = _load(feedback_id)
    form = SummaryForm()
    if form.validate_on_submit():
        try:
            summaries.write_summary(current_user, feedback_id, form.summary.data or "")
        except services.FeedbackError as exc:
            show_error(form, exc)
        else:
            flash(_("The summary is shown on the status page."), "success")
            return redirect(url_for("feedback.detail", feedback_id=feedback_id))
    return _detail(feedback, 400, summary=form)


@bp.route("/verwaltung/rueckmeldungen/<int:feedback_id>/uebersetzung", methods=["POST"])
@staff_required
def translation(feedback_id: int) -> Any:
    feedback = _load(feedback_id)
    form = TranslationForm()
    if form.validate_on_submit():
        try:
            summaries.save_translation(
                current_user,
                feedback_id,
                language=form.language.data or "",
                text=form.translation.data or "",
                translator=form.translator.data or "",
            )
        except services.FeedbackError as exc:
            show_error(form, exc)
        else:
            flash(_("The translation was saved."), "success")
            return redirect(url_for("feedback.detail", feedback_id=feedback_id))
    return _detail(feedback, 400, translation=form)


@bp.route("/verwaltung/rueckmeldungen/<int:feedback_id>/arbeitsuebersetzung", methods=["POST"])
@staff_required
def working_translation(feedback_id: int) -> Any:
    """Enter or correct the German working translation of the original."""
    feedback = _load(feedback_id)
    form = WorkingTranslationForm()
    if form.validate_on_submit():
        try:
            working.save_working_translation(
                current_user,
                feedback_id,
                text=form.working_text.data or "",
                translator=form.working_translator.data or "",
            )
        except services.FeedbackError as exc:
            show_error(form, exc)
        else:
            flash(_("The German working translation was saved."), "success")
            return redirect(url_for("feedback.detail", feedback_id=feedback_id))
    return _detail(feedback, 400, working=form)


@bp.route("/verwaltung/rueckmeldungen/<int:feedback_id>")
@staff_required
def detail(feedback_id: int) -> Any:
    return _detail(_load(feedback_id))


@bp.route("/verwaltung/rueckmeldungen/<int:feedback_id>/einordnen", methods=["POST"])
@staff_required
def categorise(feedback_id: int) -> Any:
    feedback = _load(feedback_id)
    form = CategoriseForm().keep_stored(feedback)
    if form.validate_on_submit():
        try:
            services.categorise(
                current_user,
                feedback_id,
                category_id=form.category.data,
                district_id=form.district.data,
                target_group_id=form.target_group.data,
                tags=form.tags.data or "",
            )
        except (services.FeedbackError, WorkflowError) as exc:
            show_error(form, exc)
        else:
            stored = services.get_feedback(feedback_id)
            tags = ", ".join(t.label for t in stored.tags) if stored else ""
            flash(
                _("Saved. Tags: %(tags)s", tags=tags) if tags else _("Saved. No tags."),
                "success",
            )
            return redirect(url_for("feedback.detail", feedback_id=feedback_id))
    return _detail(feedback, 400, categorise=form)


@bp.route("/verwaltung/rueckmeldungen/<int:feedback_id>/schwaerzen", methods=["POST"])
@staff_required
def redact(feedback_id: int) -> Any:
    feedback = _load(feedback_id)
    form = RedactForm()
    if form.validate_on_submit():
        try:
            services.redact(current_user, feedback_id, form.text.data or "")
        except (services.FeedbackError, WorkflowError) as exc:
            show_error(form, exc)
        else:
            flash(_("The free text was redacted."), "success")
            return redirect(url_for("feedback.detail", feedback_id=feedback_id))
    return _detail(feedback, 400, redact=form)


def _refused(exc: WorkflowError) -> int:
    """The status of a refused step: 409 when someone else came first."""
    return 409 if isinstance(exc, WorkflowConflict) else 400


@bp.route("/verwaltung/rueckmeldungen/<int:feedback_id>/doppelt", methods=["POST"])
@staff_required
def duplicate(feedback_id: int) -> Any:
    feedback = _load(feedback_id)
    form = DuplicateForm()
    status = 400
    if form.validate_on_submit():
        try:
            services.mark_duplicate(
                current_user,
                feedback_id,
                form.original.data or "",
                expected_version=form.expected_version(),
            )
        except WorkflowError as exc:
            show_error(form, exc)
            status = _refused(exc)
            feedback = _load(feedback_id)
        except services.FeedbackError as exc:
            show_error(form, exc)
        else:
            flash(_("Marked as a duplicate."), "success")
            return redirect(url_for("feedback.detail", feedback_id=feedback_id))
    return _detail(feedback, status, duplicate=form)


@bp.route("/verwaltung/rueckmeldungen/<int:feedback_id>/antwort", methods=["POST"])
@staff_required
def answer(feedback_id: int) -> Any:
    feedback = _load(feedback_id)
    form = AnswerForm().for_feedback(feedback)
    status = 400
    if form.validate_on_submit():
        translation = getattr(form, "answer_translation", None)
        translator = getattr(form, "answer_translator", None)
        try:
            services.answer(
                current_user,
                feedback_id,
                form.answer.data or "",
                expected_version=form.expected_version(),
                language=form.answer_language.data or None,
                translation=(translation.data if translation else None) or "",
                translator=(translator.data if translator else None) or "",
            )
        except WorkflowError as exc:
            show_error(form, exc)
            status = _refused(exc)
            feedback = _load(feedback_id)
        except services.FeedbackError as exc:
            show_error(form, exc)
        else:
            flash(_("The answer is shown on the receipt page."), "success")
            return redirect(url_for("feedback.detail", feedback_id=feedback_id))
    return _detail(feedback, status, answer=form)


@bp.route("/verwaltung/rueckmeldungen/<int:feedback_id>/schritt/<transition>", methods=["POST"])
@staff_required
def step(feedback_id: int, transition: str) -> Any:
    """A step of the triage workflow that needs no data (a panel button)."""
    feedback = _load(feedback_id)
    form = ui.transition_form(transition)
    if not form.validate_on_submit():
        return _detail(feedback, 400, failed=(transition, form))
    try:
        services.fire_feedback(
            current_user,
            feedback_id,
            transition,
            comment=form.comment.data,
            expected_version=form.expected_version(),
        )
    except WorkflowError as exc:
        flash(str(exc), "error")
        return redirect(url_for("feedback.detail", feedback_id=feedback_id))
    flash(
        _(
            "Done: the feedback is now in the state “%(state)s”.",
            state=_load(feedback_id).state_label,
        ),
        "success",
    )
    return redirect(url_for("feedback.detail", feedback_id=feedback_id))


@bp.route("/verwaltung/rueckmeldungen/weitergeben", methods=["GET", "POST"])
@staff_required
def pass_to_body() -> Any:
    form = PassForm()
    requested = [i for i in request.values.getlist("feedback_ids", type=optional_id) if i]
    candidates = [fb for fb in (services.get_feedback(i) for i in requested[:200]) if fb]
    form.feedback_ids.choices = [
        (fb.id, services.format_code(fb.receipt_code)) for fb in candidates
    ]
    if request.method == "GET":
        form.feedback_ids.data = [fb.id for fb in candidates]
    elif form.validate_on_submit():
        try:
            referrals = services.pass_to_body(
                current_user,
                form.feedback_ids.data or [],
                body_id=form.body_id.data,
                title=form.title.data or "",
                note=form.note.data or "",
                meeting_id=form.meeting_id.data or None,
            )
        except (services.FeedbackError, WorkflowError) as exc:
            show_error(form, exc)
        else:
            if referrals[0].agenda_item_id:
                flash(_("Passed to the body as a paper and put on the agenda."), "success")
            else:
                flash(_("Passed to the body as a paper."), "success")
            return redirect(url_for("feedback.detail", feedback_id=referrals[0].feedback_id))
    return render_template("feedback/pass.html", form=form, candidates=candidates), (
        400 if request.method == "POST" else 200
    )


# --- configurable lists -----------------------------------------------------------------


@bp.route("/verwaltung/rueckmeldungen/listen/")
@staff_required
def lists() -> str:
    services.ensure_default_choices()
    return render_template(
        "feedback/lists.html",
        kinds={kind: services.choices(kind, active_only=False) for kind in CHOICE_KINDS},
        kind_labels=CHOICE_KIND_LABELS,
    )


@bp.route("/verwaltung/rueckmeldungen/listen/<kind>/neu", methods=["GET", "POST"])
@bp.route("/verwaltung/rueckmeldungen/listen/<kind>/<int:choice_id>", methods=["GET", "POST"])
@staff_required
def choice(kind: str, choice_id: int | None = None) -> Any:
    if kind not in CHOICE_KINDS:
        abort(404)
    existing = None
    if choice_id is not None:
        existing = services.get_choice(choice_id)
        if existing is None or existing.kind != kind:
            abort(404)
    form = ChoiceForm()
    if request.method == "GET" and existing is not None:
        form.code.data = existing.code
        form.position.data = existing.position
        form.active.data = existing.active
        for item in existing.labels:
            if item.locale in LANGUAGES:
                getattr(form, f"label_{item.locale}").data = item.label
    if form.validate_on_submit():
        try:
            services.save_choice(
                current_user,
                kind=kind,
                code=form.code.data or "",
                labels=form.labels(),
                position=form.position.data or 0,
                active=bool(form.active.data),
                choice_id=choice_id,
            )
        except (services.FeedbackError, WorkflowError) as exc:
            show_error(form, exc)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("feedback.lists"))
    return render_template(
        "feedback/choice.html",
        form=form,
        kind=kind,
        kind_label=CHOICE_KIND_LABELS[kind],
        existing=existing,
    ), (400 if form.is_submitted() else 200)


def html_lang_of(key: str) -> str:
    lang = LANGUAGES.get(key)
    return lang.html_lang if lang else "de"


def html_dir_of(key: str | None) -> str:
    lang = LANGUAGES.get(key or "")
    return lang.direction if lang else "ltr"


bp.add_app_template_global(html_lang_of, "feedback_html_lang")
bp.add_app_template_global(html_dir_of, "feedback_html_dir")
# The paper page marks the paragraphs that quote a feedback's original.
bp.add_app_template_global(working.paper_paragraphs, "feedback_paper_paragraphs")


@bp.app_template_filter("feedback_date")
def feedback_date(value: datetime | None) -> str:
    """A date in the words of the page's language (Europe/Berlin)."""
    if value is None:
        return ""
    return format_date(value.astimezone(LOCAL_TZ).date(), "long")
