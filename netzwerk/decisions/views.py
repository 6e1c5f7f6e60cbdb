from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..auth.access import public, staff_required
from ..extensions import db
from ..forms import show_error
from ..governance.models import Body
from ..workflow import ui
from ..workflow.services import CommentRequired, WorkflowError
from . import services
from .forms import ActionItemForm, CorrectionForm, RegisterFilterForm
from .models import ActionItem, Decision

bp = Blueprint("decisions", __name__)

# The administration sections of this package (registered by its init_app).
ADMIN_PAGES = [
    ("decisions.action_items", _l("Implementation of decisions")),
]


def _filter_form(body: Body | None = None) -> tuple[RegisterFilterForm, services.RegisterFilter]:
    form = RegisterFilterForm(request.args)
    form.body.choices = [(0, _("All bodies"))] + [
        (b.id, b.name) for b in services.visible_bodies(current_user)
    ]
    form.year.choices = [(0, _("All years"))] + [
        (y, str(y)) for y in services.years_with_decisions()
    ]
    form.validate()
    body_id = body.id if body is not None else None
    if body_id is None and (form.body.data or 0) > 0:  # filter even if not offered
        body_id = form.body.data
    year = (
        form.year.data if not form.year.errors and form.year.data and form.year.data > 0 else None
    )
    outcome = form.outcome.data if not form.outcome.errors and form.outcome.data else None
    q = (form.q.data or "").strip()[:200] if not form.q.errors else ""
    return form, services.RegisterFilter(body_id=body_id, year=year, outcome=outcome, q=q or None)


@bp.route("/beschluesse/")
@public
def register() -> str:
    form, flt = _filter_form()
    decisions = services.list_decisions(current_user, flt)
    return render_template(
        "decisions/register.html", decisions=decisions, form=form, body=None, flt=flt
    )


@bp.route("/beschluesse/gremium/<int:body_id>")
@public
def body_register(body_id: int) -> str:
    body = db.session.get(Body, body_id)
    if body is None:
        abort(404)
    form, flt = _filter_form(body)
    decisions = services.list_decisions(current_user, flt)
    if not decisions and not body.public and not services.may_view_body_items(current_user, body):
        abort(404)
    return render_template(
        "decisions/register.html",
        decisions=decisions,
        form=form,
        body=body,
        flt=flt,
        show_items_link=services.may_view_body_items(current_user, body),
    )


@bp.route("/beschluesse/export.csv")
@public
def export_csv() -> Response:
    _form, flt = _filter_form()
    decisions = services.list_decisions(current_user, flt, limit=100000)
    data = "\ufeff" + services.register_csv(decisions)
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="beschluesse.csv"'},
    )


@dataclass(frozen=True)
class Origin:
    """Where a decision came from, as far as the viewer may see it."""

    meeting: Any = None
    meeting_url: str | None = None
    item: Any = None
    item_number: str | None = None
    item_url: str | None = None
    paper: Any = None
    paper_url: str | None = None


def _origin(decision: Decision) -> Origin:
    """The meeting, agenda item and paper of a decision, each only when the
    visibility policy lets the viewer see it, linked to the page they may open."""
    from .. import visibility
    from ..meetings import agenda
    from ..meetings.access import get_meeting
    from ..meetings.models import AgendaItem
    from ..papers.models import Paper

    meeting = meeting_url = item = item_number = item_url = paper = paper_url = None
    in_full = False
    if decision.meeting_id is not None:
        found = get_meeting(decision.meeting_id)
        if found is not None and visibility.may_see_meeting(current_user, found):
            meeting = found
            in_full = visibility.may_see_meeting_in_full(current_user, found)
            if in_full:
                meeting_url = url_for("meetings.meeting", meeting_id=found.id)
            elif visibility.is_public_meeting(found):
                meeting_url = url_for("meetings.public_meeting", meeting_id=found.id)
    if meeting is not None and decision.agenda_item_id is not None:
        found_item = db.session.get(AgendaItem, decision.agenda_item_id)
        if found_item is not None and visibility.may_see_agenda_item(current_user, found_item):
            item = found_item
            lines = agenda.flatten(agenda.agenda(meeting, public_only=not in_full))
            item_number = next((ln.number for ln in lines if ln.item.id == item.id), None)
            if meeting_url is not None:
                item_url = f"{meeting_url}#item-{item.id}"
    paper_id = decision.subject_id if decision.subject_type == "paper" else None
    if paper_id is None and item is not None:
        paper_id = item.paper_id
    if paper_id is not None:
        found_paper = db.session.get(Paper, paper_id)
        if found_paper is not None and visibility.may_see_paper(current_user, found_paper):
            paper = found_paper
            if current_user.is_authenticated:  # the paper pages are for signed-in people
                paper_url = url_for("papers.paper", paper_id=found_paper.id)
    return Origin(meeting, meeting_url, item, item_number, item_url, paper, paper_url)


def _render_detail(
    decision: Decision, correction_form: CorrectionForm | None = None, status: int = 200
) -> tuple[str, int]:
    from ..voting import amendments

    show_items = services.may_view_body_items(current_user, decision.body)
    versions = services.text_versions(decision.id)
    may_correct = services.may_correct(current_user, decision)
    if may_correct and correction_form is None:
        correction_form = CorrectionForm(formdata=None)
        correction_form.text.data = decision.text or ""
        correction_form.version.data = str(versions[-1].version_no if versions else 1)
    return render_template(
        "decisions/detail.html",
        decision=decision,
        origin=_origin(decision),
        versions=versions,
        correction_form=correction_form if may_correct else None,
        amendments=(
            amendments.amendments_of([decision.agenda_item_id]).get(decision.agenda_item_id, [])
            if decision.agenda_item_id
            else []
        ),
        show_items=show_items,
        today=_today(),
    ), status


def _load_decision(decision_id: int) -> Decision:
    decision = services.get_decision(decision_id)
    if decision is None or not services.may_view_decision(current_user, decision):
        abort(404)
    return decision


@bp.route("/beschluesse/<int:decision_id>")
@public
def detail(decision_id: int) -> tuple[str, int]:
    return _render_detail(_load_decision(decision_id))


@bp.route("/beschluesse/<int:decision_id>/berichtigung", methods=["POST"])
@login_required
def correct(decision_id: int) -> Any:
    """A correction (Berichtigung): a new version of the text with a note."""
    decision = _load_decision(decision_id)
    if not services.may_correct(current_user, decision):
        abort(403)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _render_detail(decision, correction_form=form, status=422)
    try:
        version = services.correct_decision(
            current_user,
            decision.id,
            text=form.text.data or "",
            note=form.note.data or "",
            expected_version=form.expected_version(),
        )
    except services.DecisionError as exc:
        show_error(form, exc)
        db.session.expire_all()
        return _render_detail(_load_decision(decision_id), correction_form=form, status=409)
    flash(
        _("The correction was recorded as version %(version)d.", version=version.version_no),
        "success",
    )
    return redirect(url_for("decisions.detail", decision_id=decision_id))


def _today() -> Any:
    from ..timeutil import local_today

    return local_today()


@bp.route("/beschluesse/gremium/<int:body_id>/massnahmen")
@login_required
def body_action_items(body_id: int) -> str:
    body = db.session.get(Body, body_id)
    if body is None:
        abort(404)
    if not services.may_view_body_items(current_user, body):
        abort(403)
    items = services.open_action_items(body.id)
    return render_template("decisions/action_items.html", items=items, body=body, today=_today())


@bp.route("/verwaltung/beschlusskontrolle")
@staff_required
def action_items() -> str:
    items = services.open_action_items()
    return render_template("decisions/action_items.html", items=items, body=None, today=_today())


def _item_form(item: ActionItem | None = None) -> ActionItemForm:
    form = ActionItemForm(obj=item) if item is not None else ActionItemForm()
    form.set_choices(services.person_choices(), services.organisation_choices())
    return form


def _save_item(form: ActionItemForm, decision: Decision, item: ActionItem | None) -> Any:
    values = {
        "title": form.title.data or "",
        "responsible_person_id": form.responsible_person_id.data or None,
        "responsible_organisation_id": form.responsible_organisation_id.data or None,
        "due_date": form.due_date.data,
        "notes": form.notes.data,
        "actor": current_user,
    }
    try:
        if item is None:
            services.add_action_item(decision.id, **values)
        else:
            services.update_action_item(item.id, **values)
    except services.DecisionError as exc:
        target = getattr(form, exc.field, None) if exc.field else None
        if target is not None:
            target.errors = [*target.errors, str(exc)]
        else:
            flash(str(exc), "error")
        return None
    flash(_("The action item has been saved."), "success")
    if item is not None:
        return redirect(url_for("decisions.action_item", item_id=item.id))
    return redirect(url_for("decisions.detail", decision_id=decision.id))


@bp.route("/beschluesse/<int:decision_id>/massnahmen/neu", methods=["GET", "POST"])
@staff_required
def new_action_item(decision_id: int) -> Any:
    decision = db.session.get(Decision, decision_id)
    if decision is None:
        abort(404)
    form = _item_form()
    if form.validate_on_submit():
        response = _save_item(form, decision, None)
        if response is not None:
            return response
    status = 422 if request.method == "POST" else 200
    return render_template(
        "decisions/item_form.html", form=form, decision=decision, item=None
    ), status


def _load_item(item_id: int) -> ActionItem:
    """The action item, for anyone who may see its body's items and for the
    person responsible for it (else 404)."""
    item = services.get_action_item(item_id)
    if item is None or not services.may_view_action_item(current_user, item):
        abort(404)
    return item


def _render_item(
    item: ActionItem, failed: tuple[str, Any] | None = None, status: int = 200
) -> tuple[str, int]:
    panel = ui.panel(
        current_user,
        item,
        lambda name: url_for("decisions.action_item_step", item_id=item.id, transition=name),
        failed=failed,
    )
    return render_template(
        "decisions/item.html", item=item, decision=item.decision, panel=panel, today=_today()
    ), status


@bp.route("/beschluesse/massnahmen/<int:item_id>")
@login_required
def action_item(item_id: int) -> tuple[str, int]:
    return _render_item(_load_item(item_id))


@bp.route("/beschluesse/massnahmen/<int:item_id>/schritt/<transition>", methods=["POST"])
@login_required
def action_item_step(item_id: int, transition: str) -> Any:
    """One step of the action item's workflow: the buttons of the panel."""
    item = _load_item(item_id)
    form = ui.transition_form(transition)
    if not form.validate_on_submit():
        return _render_item(item, failed=(transition, form), status=422)
    try:
        services.fire_action_item(
            current_user,
            item.id,
            transition,
            comment=form.comment.data,
            expected_version=form.expected_version(),
        )
    except CommentRequired as exc:
        form.comment.errors = [str(exc)]
        return _render_item(_load_item(item_id), failed=(transition, form), status=422)
    except WorkflowError as exc:
        flash(str(exc), "error")
        return redirect(url_for("decisions.action_item", item_id=item_id))
    item = _load_item(item_id)
    flash(
        _("Done: the action item is now in the state “%(state)s”.", state=item.status_label),
        "success",
    )
    return redirect(url_for("decisions.action_item", item_id=item_id))


@bp.route("/beschluesse/massnahmen/<int:item_id>/bearbeiten", methods=["GET", "POST"])
@staff_required
def edit_action_item(item_id: int) -> Any:
    item = db.session.get(ActionItem, item_id)
    if item is None:
        abort(404)
    decision = item.decision
    form = _item_form(item)
    if request.method == "GET":
        form.responsible_person_id.data = item.responsible_person_id or 0
        form.responsible_organisation_id.data = item.responsible_organisation_id or 0
    if form.validate_on_submit():
        response = _save_item(form, decision, item)
        if response is not None:
            return response
    status = 422 if request.method == "POST" else 200
    return render_template(
        "decisions/item_form.html", form=form, decision=decision, item=item
    ), status
