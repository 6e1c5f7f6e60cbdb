"""A person's login, administered on the person's page: create it, set its
global roles, send a reset link, (de)activate it (services:
netzwerk.auth.logins)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth import recovery
from ..auth.access import staff_required
from ..auth.logins import create_login, set_login_active, set_login_roles
from ..auth.models import User
from ..auth.services import AccountError, check_new_password
from ..forms import show_error
from .blueprint import _actor, _flash_error, _get_or_404, bp
from .common import GovernanceError
from .forms import AccountCreateForm, ConfirmForm, ResetLinkForm
from .models import Person
from .person_views import _render_person, _roles_form


@bp.route("/verwaltung/personen/<int:person_id>/zugang/neu", methods=["GET", "POST"])
@staff_required
def admin_login_new(person_id: int) -> str | Response:
    person = _get_or_404(Person, person_id)
    if person.user is not None:
        flash(_("This person has a login already."), "info")
        return redirect(url_for(".admin_person", person_id=person.id))
    form = AccountCreateForm(data={"email": person.email} if person.email else None)
    if not current_user.is_admin:
        del form.is_admin
    if form.validate_on_submit():
        try:
            check_new_password(
                form.password.data or "",
                names=(person.first_name, person.last_name),
                email=form.email.data or "",
            )
            create_login(
                person.id,
                email=form.email.data or "",
                password=form.password.data or "",
                is_admin=bool("is_admin" in form and form.is_admin.data),
                is_office=bool(form.is_office.data),
                actor=_actor(),
            )
        except (GovernanceError, AccountError) as exc:
            show_error(form, exc)
        else:
            flash(_("The login has been created."), "success")
            return redirect(url_for(".admin_person", person_id=person.id))
    return render_template(
        "governance/admin_form.html",
        form=form,
        title=_("Create a login for %(name)s", name=person.full_name),
        back_url=url_for(".admin_person", person_id=person.id),
        back_label=person.full_name,
        autocomplete={"email": "off", "password": "new-password"},
    )


def _user_of(person_id: int) -> User:
    person = _get_or_404(Person, person_id)
    if person.user is None:
        abort(404)
    return person.user


@bp.route("/verwaltung/personen/<int:person_id>/zugang/rollen", methods=["POST"])
@staff_required
def admin_login_roles(person_id: int) -> str | Response:
    user = _user_of(person_id)
    form = _roles_form(user)
    assert form is not None
    if form.validate_on_submit():
        is_admin = form.is_admin.data if "is_admin" in form else user.is_admin
        try:
            set_login_roles(
                user.id,
                is_admin=bool(is_admin),
                is_office=bool(form.is_office.data),
                actor=_actor(),
            )
        except GovernanceError as exc:
            show_error(form, exc)
        else:
            flash(_("The roles have been saved."), "success")
            return redirect(url_for(".admin_person", person_id=person_id))
    return _render_person(person_id, roles_form=form)


@bp.route("/verwaltung/personen/<int:person_id>/zugang/passwort", methods=["GET", "POST"])
@staff_required
def admin_login_password(person_id: int) -> str | Response:
    """Send the account a reset link to its own address (never set its
    password): valid once, for a short time; recorded; the owner is told."""
    user = _user_of(person_id)
    actor = _actor()
    refusal = recovery.reset_refusal(actor, user)
    if refusal is not None:
        flash(refusal, "error")
        return redirect(url_for(".admin_person", person_id=person_id))
    form = ResetLinkForm()
    if not actor.is_admin:
        del form.second_factor
    if form.validate_on_submit():
        second_factor = bool("second_factor" in form and form.second_factor.data)
        if not user.active:
            show_error(form, AccountError(_("Reactivate the login before sending a reset link.")))
        else:
            recovery.issue_reset(user, actor=actor, second_factor=second_factor)
            flash(
                _(
                    "A reset link has been sent to %(email)s. It works once, for %(minutes)d "
                    "minutes; the current password stays valid until it is used.",
                    email=user.email,
                    minutes=int(recovery.lifetime().total_seconds() // 60),
                ),
                "success",
            )
            return redirect(url_for(".admin_person", person_id=person_id))
    return render_template(
        "governance/admin_form.html",
        form=form,
        title=_("Send %(name)s a reset link", name=user.person.full_name),
        intro=_(
            "The link goes to the login's own address %(email)s; with it the person chooses "
            "a new password. Nobody else learns it.",
            email=user.email,
        ),
        back_url=url_for(".admin_person", person_id=person_id),
        back_label=user.person.full_name,
        autocomplete=None,
    )


def _login_toggle(person_id: int, active: bool, message: str) -> Response:
    user = _user_of(person_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        set_login_active(user.id, active, actor=_actor())
    except GovernanceError as exc:
        _flash_error(exc)
    else:
        flash(message, "success")
    return redirect(url_for(".admin_person", person_id=person_id))


@bp.route("/verwaltung/personen/<int:person_id>/zugang/deaktivieren", methods=["POST"])
@staff_required
def admin_login_deactivate(person_id: int) -> Response:
    return _login_toggle(
        person_id, False, _("The login has been deactivated; its sessions have ended.")
    )


@bp.route("/verwaltung/personen/<int:person_id>/zugang/aktivieren", methods=["POST"])
@staff_required
def admin_login_activate(person_id: int) -> Response:
    return _login_toggle(person_id, True, _("The login has been reactivated."))
