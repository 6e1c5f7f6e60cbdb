"""Administration of action fields."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth.access import staff_required
from ..forms import show_error
from .action_fields import (
    create_action_field,
    list_action_fields,
    set_action_field_active,
    update_action_field,
)
from .blueprint import _get_or_404, _toggle, _values, bp
from .common import GovernanceError
from .forms import ActionFieldForm, ConfirmForm
from .models import ActionField


@bp.route("/verwaltung/aktionsfelder/")
@staff_required
def admin_action_fields() -> str:
    return render_template(
        "governance/admin_action_fields.html",
        fields=list_action_fields(include_inactive=True),
        confirm=ConfirmForm(),
    )


@bp.route("/verwaltung/aktionsfelder/neu", methods=["GET", "POST"])
@staff_required
def admin_action_field_new() -> str | Response:
    form = ActionFieldForm()
    if form.validate_on_submit():
        try:
            create_action_field(_values(form), actor_id=current_user.id)
        except GovernanceError as exc:
            show_error(form, exc)
        else:
            flash(_("The action field has been created."), "success")
            return redirect(url_for(".admin_action_fields"))
    return render_template(
        "governance/admin_form.html",
        form=form,
        title=_("New action field"),
        back_url=url_for(".admin_action_fields"),
        back_label=_("Action fields"),
    )


@bp.route("/verwaltung/aktionsfelder/<int:action_field_id>/bearbeiten", methods=["GET", "POST"])
@staff_required
def admin_action_field_edit(action_field_id: int) -> str | Response:
    field = _get_or_404(ActionField, action_field_id)
    form = ActionFieldForm(obj=field)
    if form.validate_on_submit():
        try:
            update_action_field(field.id, _values(form), actor_id=current_user.id)
        except GovernanceError as exc:
            show_error(form, exc)
        else:
            flash(_("The action field has been saved."), "success")
            return redirect(url_for(".admin_action_fields"))
    return render_template(
        "governance/admin_form.html",
        form=form,
        title=_("Edit action field"),
        back_url=url_for(".admin_action_fields"),
        back_label=_("Action fields"),
    )


@bp.route("/verwaltung/aktionsfelder/<int:action_field_id>/deaktivieren", methods=["POST"])
@staff_required
def admin_action_field_deactivate(action_field_id: int) -> Response:
    return _toggle(
        set_action_field_active,
        action_field_id,
        False,
        _("The action field has been deactivated."),
        url_for(".admin_action_fields"),
    )


@bp.route("/verwaltung/aktionsfelder/<int:action_field_id>/aktivieren", methods=["POST"])
@staff_required
def admin_action_field_activate(action_field_id: int) -> Response:
    return _toggle(
        set_action_field_active,
        action_field_id,
        True,
        _("The action field has been reactivated."),
        url_for(".admin_action_fields"),
    )
