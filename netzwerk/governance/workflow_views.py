"""Workflow pages: the list (staff), a definition with its diagram, and the
Bildungsbüro's choice of workflow per body.

They sit in the governance package, above the engine: the engine
(``netzwerk/workflow``) knows no bodies and no pages."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from ..auth.access import staff_required
from ..extensions import db
from ..workflow import registry, services, titles
from ..workflow.catalog import UnknownWorkflow, get_catalog
from ..workflow.definition import WorkflowDefinition
from ..workflow.diagram import render_svg
from ..workflow.forms import body_workflow_form
from ..workflow.models import WorkflowDefinitionVersion
from .bodies import list_bodies
from .models import Body

bp = Blueprint("workflow", __name__)

# The administration sections of these pages (registered by governance.init_app).
ADMIN_PAGES = [
    ("workflow.index", _l("Workflows")),
    ("workflow.body_choices", _l("Workflows per body")),
]


def _definition(name: str) -> WorkflowDefinition:
    """The current definition, or an older version with ?version=<hash>."""
    catalog = get_catalog()
    version = request.args.get("version")
    try:
        if version:
            if not all(c in "0123456789abcdef" for c in version) or len(version) != 64:
                abort(404)
            return catalog.version(name, version)
        return catalog.get(name)
    except UnknownWorkflow:
        abort(404)


@bp.route("/workflows/")
@staff_required
def index() -> str:
    catalog = get_catalog()
    return render_template(
        "workflow/index.html",
        definitions=catalog.sorted(),
        object_type_labels={t: s.label or t for t, s in registry.SUBJECTS.items()},
        slot_labels=registry.slots(),
    )


@bp.route("/workflows/<name>")
@login_required
def detail(name: str) -> str:
    definition = _definition(name)
    current = get_catalog().current.get(name)
    versions = db.session.scalars(
        select(WorkflowDefinitionVersion)
        .where(WorkflowDefinitionVersion.name == name)
        .order_by(WorkflowDefinitionVersion.loaded_at.desc())
    ).all()
    return render_template(
        "workflow/detail.html",
        definition=definition,
        is_current=current is not None and current.hash == definition.hash,
        svg=render_svg(definition, id_prefix=f"wf-{definition.name}"),
        versions=versions,
        object_type_labels={t: s.label or t for t, s in registry.SUBJECTS.items()},
        slot_labels=registry.slots(),
        system_role=registry.SYSTEM_ROLE,
        titles=titles,
    )


@bp.route("/workflows/<name>/diagramm.svg")
@login_required
def diagram(name: str) -> Response:
    definition = _definition(name)
    svg = render_svg(definition, id_prefix=f"wf-{definition.name}")
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + str(svg), mimetype="image/svg+xml")


def _slots_with_options() -> list[tuple[str, str, list[tuple[str, str]]]]:
    catalog = get_catalog()
    result = []
    for slot, label in registry.slots().items():
        options = [
            (d.name, d.title)
            for d in catalog.for_object_type(registry.slot_object_type(slot))
            if slot in d.slots
        ]
        if options:
            result.append((slot, str(label), options))
    return result


@bp.route("/verwaltung/workflows/")
@staff_required
def body_choices() -> str:
    bodies = list_bodies()
    catalog = get_catalog()
    slots = _slots_with_options()
    defaults = {slot: catalog.default_for(slot) for slot, _label, _opts in slots}
    return render_template(
        "workflow/body_choices.html",
        bodies=bodies,
        slots=slots,
        choices=services.body_choices(bodies),
        defaults=defaults,
        catalog=catalog,
    )


@bp.route("/verwaltung/workflows/<int:body_id>", methods=["GET", "POST"])
@staff_required
def body_choice_edit(body_id: int) -> str | WerkzeugResponse:
    body = db.session.get(Body, body_id)
    if body is None:
        abort(404)
    slots = _slots_with_options()
    current = services.body_choices([body]).get(body.id, {})
    form = body_workflow_form(slots, current)
    slot_names: dict[str, str] = form.slot_names  # type: ignore[attr-defined]
    if form.validate_on_submit():
        choices = {slot: form[field].data or None for field, slot in slot_names.items()}
        try:
            services.set_body_workflows(body.id, choices, actor=current_user)
        except services.WorkflowError as exc:
            flash(str(exc), "error")
        else:
            flash(_("The workflows of %(body)s were saved.", body=body.name), "success")
            return redirect(url_for("workflow.body_choices"))
    return render_template(
        "workflow/body_choice_edit.html", body=body, form=form, catalog=get_catalog()
    )
