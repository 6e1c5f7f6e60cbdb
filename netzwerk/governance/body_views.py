"""Administration of bodies and their memberships."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth.access import staff_required
from ..forms import show_error
from ..timeutil import local_today
from .action_fields import action_field_choices
from .blueprint import _flash_deputies_ended, _get_or_404, _toggle, _values, bp
from .bodies import (
    body_choices,
    body_memberships,
    create_body,
    list_bodies_admin,
    set_body_active,
    update_body,
)
from .common import GovernanceError
from .forms import (
    BodyForm,
    ConfirmForm,
    MembershipEditForm,
    MembershipEndForm,
    MembershipForm,
    optional_choices,
)
from .memberships import add_membership, deputy_choices, end_membership, update_membership
from .models import Body, Membership
from .organisations import organisation_choices
from .persons import person_choices


@bp.route("/verwaltung/gremien/")
@staff_required
def admin_bodies() -> str:
    return render_template("governance/admin_bodies.html", rows=list_bodies_admin())


def _body_form(body: Body | None = None) -> BodyForm:
    data = None
    if body is not None:
        data = {
            "name": body.name,
            "short_name": body.short_name,
            "kind": body.kind,
            "parent_id": str(body.parent_id or ""),
            "action_field_id": str(body.action_field_id or ""),
            "description": body.description,
            "notice_days": body.notice_days,
            "quorum_rule": body.quorum_rule,
            "majority_rule": body.majority_rule,
            "public": body.public,
        }
    form = BodyForm(data=data)
    form.parent_id.choices = optional_choices(
        body_choices(
            exclude_id=body.id if body else None, include_id=body.parent_id if body else None
        )
    )
    form.action_field_id.choices = optional_choices(
        action_field_choices(include_id=body.action_field_id if body else None)
    )
    return form


@bp.route("/verwaltung/gremien/neu", methods=["GET", "POST"])
@staff_required
def admin_body_new() -> str | Response:
    form = _body_form()
    if form.validate_on_submit():
        try:
            body = create_body(
                _values(form, ("parent_id", "action_field_id")), actor_id=current_user.id
            )
        except GovernanceError as exc:
            show_error(form, exc)
        else:
            flash(_("The body has been created."), "success")
            return redirect(url_for(".admin_body", body_id=body.id))
    return render_template(
        "governance/admin_form.html",
        form=form,
        title=_("New body"),
        back_url=url_for(".admin_bodies"),
        back_label=_("Bodies"),
    )


@bp.route("/verwaltung/gremien/<int:body_id>/bearbeiten", methods=["GET", "POST"])
@staff_required
def admin_body_edit(body_id: int) -> str | Response:
    body = _get_or_404(Body, body_id)
    form = _body_form(body)
    if form.validate_on_submit():
        try:
            update_body(
                body.id, _values(form, ("parent_id", "action_field_id")), actor_id=current_user.id
            )
        except GovernanceError as exc:
            show_error(form, exc)
        else:
            flash(_("The body has been saved."), "success")
            return redirect(url_for(".admin_body", body_id=body.id))
    return render_template(
        "governance/admin_form.html",
        form=form,
        title=_("Edit body"),
        back_url=url_for(".admin_body", body_id=body.id),
        back_label=body.name,
    )


def _membership_form(body_id: int, membership: Membership | None = None) -> MembershipForm:
    if membership is None:
        form: MembershipForm = MembershipForm(data={"start_date": local_today()})
        form.person_id.choices = optional_choices(
            person_choices(), empty_label=_("– please choose –")
        )
    else:
        form = MembershipEditForm(
            data={
                "role": membership.role,
                "voting_right": membership.voting_right,
                "organisation_id": str(membership.organisation_id or ""),
                "deputy_of_id": str(membership.deputy_of_id or ""),
                "start_date": membership.start_date,
                "end_date": membership.end_date,
                "note": membership.note,
            }
        )
    form.organisation_id.choices = optional_choices(
        organisation_choices(include_id=membership.organisation_id if membership else None)
    )
    form.deputy_of_id.choices = optional_choices(
        [
            (mid, label)
            for mid, label in deputy_choices(
                body_id, include_id=membership.deputy_of_id if membership else None
            )
            if membership is None or mid != membership.id
        ]
    )
    return form


def _render_body_admin(body: Body, form: MembershipForm | None = None) -> str:
    return render_template(
        "governance/admin_body.html",
        body=body,
        memberships=body_memberships(body.id),
        form=form or _membership_form(body.id),
        confirm=ConfirmForm(),
        today=local_today(),
    )


@bp.route("/verwaltung/gremien/<int:body_id>")
@staff_required
def admin_body(body_id: int) -> str:
    return _render_body_admin(_get_or_404(Body, body_id))


@bp.route("/verwaltung/gremien/<int:body_id>/mitglieder", methods=["POST"])
@staff_required
def admin_membership_add(body_id: int) -> str | Response:
    body = _get_or_404(Body, body_id)
    form = _membership_form(body.id)
    if form.validate_on_submit():
        try:
            add_membership(
                body.id,
                _values(form, ("person_id", "organisation_id", "deputy_of_id")),
                actor_id=current_user.id,
            )
        except GovernanceError as exc:
            show_error(form, exc)
        else:
            flash(_("The member has been added."), "success")
            return redirect(url_for(".admin_body", body_id=body.id))
    return _render_body_admin(body, form)


@bp.route("/verwaltung/gremien/<int:body_id>/deaktivieren", methods=["POST"])
@staff_required
def admin_body_deactivate(body_id: int) -> Response:
    return _toggle(
        set_body_active,
        body_id,
        False,
        _("The body has been deactivated; members no longer see it."),
        url_for(".admin_body", body_id=body_id),
    )


@bp.route("/verwaltung/gremien/<int:body_id>/aktivieren", methods=["POST"])
@staff_required
def admin_body_activate(body_id: int) -> Response:
    return _toggle(
        set_body_active,
        body_id,
        True,
        _("The body has been reactivated."),
        url_for(".admin_body", body_id=body_id),
    )


@bp.route("/verwaltung/mitgliedschaften/<int:membership_id>/bearbeiten", methods=["GET", "POST"])
@staff_required
def admin_membership_edit(membership_id: int) -> str | Response:
    membership = _get_or_404(Membership, membership_id)
    form = _membership_form(membership.body_id, membership)
    if form.validate_on_submit():
        try:
            change = update_membership(
                membership.id,
                _values(form, ("organisation_id", "deputy_of_id")),
                actor_id=current_user.id,
            )
        except GovernanceError as exc:
            show_error(form, exc)
        else:
            flash(_("The membership has been saved."), "success")
            _flash_deputies_ended(change.deputies_ended)
            return redirect(url_for(".admin_body", body_id=membership.body_id))
    return render_template(
        "governance/admin_form.html",
        form=form,
        title=_(
            "Membership of %(name)s in %(body)s",
            name=membership.person.full_name,
            body=membership.body.name,
        ),
        back_url=url_for(".admin_body", body_id=membership.body_id),
        back_label=membership.body.name,
    )


@bp.route("/verwaltung/mitgliedschaften/<int:membership_id>/beenden", methods=["GET", "POST"])
@staff_required
def admin_membership_end(membership_id: int) -> str | Response:
    membership = _get_or_404(Membership, membership_id)
    form = MembershipEndForm(data={"end_date": membership.end_date or local_today()})
    if form.validate_on_submit():
        try:
            change = end_membership(membership.id, form.end_date.data, actor_id=current_user.id)
        except GovernanceError as exc:
            show_error(form, exc)
        else:
            flash(_("The membership has been ended."), "success")
            _flash_deputies_ended(change.deputies_ended)
            return redirect(url_for(".admin_body", body_id=membership.body_id))
    return render_template(
        "governance/admin_form.html",
        form=form,
        title=_(
            "End the membership of %(name)s in %(body)s",
            name=membership.person.full_name,
            body=membership.body.name,
        ),
        intro=_("The membership stays on record; it ends on the day you enter."),
        back_url=url_for(".admin_body", body_id=membership.body_id),
        back_label=membership.body.name,
    )
