"""Administration of persons (their logins: login_views)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth.access import staff_required
from ..auth.models import User
from ..forms import show_error
from ..timeutil import local_today
from .blueprint import (
    _actor,
    _flash_deputies_ended,
    _flash_error,
    _get_or_404,
    _page_arg,
    _values,
    bp,
)
from .common import GovernanceError
from .forms import (
    AccountRolesForm,
    ConfirmForm,
    PersonForm,
    PersonSearchForm,
    clean_search,
    optional_choices,
)
from .models import Person
from .organisations import organisation_choices
from .persons import (
    PERSON_STATUSES,
    create_person,
    list_persons,
    person_detail,
    set_person_active,
    update_person,
)


@bp.route("/verwaltung/personen/")
@staff_required
def admin_persons() -> str:
    search = PersonSearchForm(request.args)
    q = clean_search(search.q.data)
    status = search.status.data if search.status.data in PERSON_STATUSES else "active"
    search.status.data = status
    page = list_persons(q=q, status=status, page=_page_arg())
    return render_template(
        "governance/admin_persons.html",
        search=search,
        page=page,
        page_args={"q": q, "status": status},
    )


def _person_form(person: Person | None = None) -> PersonForm:
    data = None
    if person is not None:
        data = {
            "title": person.title,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "phone": person.phone,
            "function": person.function,
            "organisation_id": str(person.organisation_id or ""),
        }
    form = PersonForm(data=data)
    form.organisation_id.choices = optional_choices(
        organisation_choices(include_id=person.organisation_id if person else None)
    )
    return form


@bp.route("/verwaltung/personen/neu", methods=["GET", "POST"])
@staff_required
def admin_person_new() -> str | Response:
    form = _person_form()
    if form.validate_on_submit():
        try:
            person = create_person(_values(form, ("organisation_id",)), actor_id=current_user.id)
        except GovernanceError as exc:
            show_error(form, exc)
        else:
            flash(_("The person has been created."), "success")
            return redirect(url_for(".admin_person", person_id=person.id))
    return render_template(
        "governance/admin_form.html",
        form=form,
        title=_("New person"),
        intro=_("A person without a login (an external guest, for example) is fine."),
        back_url=url_for(".admin_persons"),
        back_label=_("Persons"),
    )


def _roles_form(user: User | None) -> AccountRolesForm | None:
    if user is None:
        return None
    form = AccountRolesForm(data={"is_admin": user.is_admin, "is_office": user.is_office})
    if not current_user.is_admin:
        del form.is_admin
    return form


def _render_person(person_id: int, roles_form: AccountRolesForm | None = None) -> str:
    detail = person_detail(person_id)
    if detail is None:
        abort(404)
    user = detail.person.user
    may_manage_login = user is None or current_user.is_admin or not user.is_admin
    return render_template(
        "governance/admin_person.html",
        detail=detail,
        person=detail.person,
        user=user,
        may_manage_login=may_manage_login,
        roles_form=roles_form or _roles_form(user),
        confirm=ConfirmForm(),
        today=local_today(),
    )


@bp.route("/verwaltung/personen/<int:person_id>")
@staff_required
def admin_person(person_id: int) -> str:
    return _render_person(person_id)


@bp.route("/verwaltung/personen/<int:person_id>/bearbeiten", methods=["GET", "POST"])
@staff_required
def admin_person_edit(person_id: int) -> str | Response:
    person = _get_or_404(Person, person_id)
    form = _person_form(person)
    if form.validate_on_submit():
        try:
            update_person(person.id, _values(form, ("organisation_id",)), actor_id=current_user.id)
        except GovernanceError as exc:
            show_error(form, exc)
        else:
            flash(_("The person has been saved."), "success")
            return redirect(url_for(".admin_person", person_id=person.id))
    return render_template(
        "governance/admin_form.html",
        form=form,
        title=_("Edit person"),
        back_url=url_for(".admin_person", person_id=person.id),
        back_label=person.full_name,
    )


def _person_toggle(person_id: int, active: bool, message: str) -> Response:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        change = set_person_active(person_id, active, actor=_actor())
    except GovernanceError as exc:
        _flash_error(exc)
    else:
        flash(message, "success")
        if change.memberships_ended:
            flash(
                ngettext(
                    "%(num)d current membership ends today.",
                    "%(num)d current memberships end today.",
                    len(change.memberships_ended),
                ),
                "success",
            )
        _flash_deputies_ended(change.deputies_ended)
        if change.starting_later:
            flash(
                ngettext(
                    "%(num)d membership starts later and is unchanged; edit or end it in its body.",
                    "%(num)d memberships start later and are unchanged; "
                    "edit or end them in their bodies.",
                    len(change.starting_later),
                ),
                "info",
            )
    return redirect(url_for(".admin_person", person_id=person_id))


@bp.route("/verwaltung/personen/<int:person_id>/deaktivieren", methods=["POST"])
@staff_required
def admin_person_deactivate(person_id: int) -> Response:
    return _person_toggle(
        person_id, False, _("The person has been deactivated; a login is blocked as well.")
    )


@bp.route("/verwaltung/personen/<int:person_id>/aktivieren", methods=["POST"])
@staff_required
def admin_person_activate(person_id: int) -> Response:
    return _person_toggle(person_id, True, _("The person has been reactivated."))
