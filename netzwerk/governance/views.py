from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..admin import ADMIN_SECTIONS
from ..auth import recovery
from ..auth.access import staff_required
from ..auth.models import User
from ..auth.services import AccountError, check_new_password
from ..extensions import db
from ..forms import answer_failed_posts_with_422, page_number, show_error
from ..timeutil import local_today
from . import services
from .forms import (
    AccountCreateForm,
    AccountRolesForm,
    ActionFieldForm,
    BodyForm,
    ConfirmForm,
    MembershipEditForm,
    MembershipEndForm,
    MembershipForm,
    OrganisationForm,
    OrganisationSearchForm,
    PersonForm,
    PersonSearchForm,
    ResetLinkForm,
    choice,
    choice_list,
    clean_search,
    int_or_none,
    optional_choices,
)
from .models import (
    ORGANISATION_KIND_LABELS,
    ActionField,
    Body,
    Membership,
    Organisation,
    OrganisationKind,
    Person,
)

ModelT = TypeVar("ModelT")

bp = Blueprint("governance", __name__)
answer_failed_posts_with_422(bp)


@bp.app_template_global()
def member_table_labels() -> dict[str, str]:
    """The words of a member table, translated once per page
    (templates/governance/_members_table.html)."""
    return {
        "name": _("Name"),
        "role": _("Role"),
        "voting_right": _("Voting right"),
        "on_behalf_of": _("On behalf of"),
        "yes": _("yes"),
        "no": _("no"),
        "no_members": _("No current members."),
    }


@bp.route("/gremien/")
@login_required
def bodies() -> str:
    return render_template("governance/bodies.html", bodies=services.list_bodies())


@bp.route("/gremien/<int:body_id>")
@login_required
def body(body_id: int) -> str:
    body = db.session.get(Body, body_id)
    if body is None or (not body.active and not current_user.is_staff):
        abort(404)
    page = services.member_page(body.id, _page_arg())
    return render_template("governance/body.html", body=body, members=page.items, page=page)


@bp.route("/meine-gremien")
@login_required
def my_bodies() -> str:
    # Three queries however many bodies: memberships, member lines, counts.
    return render_template(
        "governance/my_bodies.html", entries=services.my_bodies(current_user.person_id)
    )


@bp.route("/verwaltung/")
@staff_required
def admin_index() -> str:
    return render_template("governance/admin_index.html", admin_sections=ADMIN_SECTIONS)


# ---------------------------------------------------------------------------
# Administration (staff only): organisations, persons, bodies, memberships,
# action fields.  Views parse the form, call one service, map its errors.
# ---------------------------------------------------------------------------


def _actor() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _values(form: FlaskForm, id_fields: tuple[str, ...] = ()) -> dict[str, Any]:
    """The form's data for a service; select fields of ids become int or None."""
    out: dict[str, Any] = {}
    for name, f in form._fields.items():
        if f.type in ("CSRFTokenField", "SubmitField"):
            continue
        out[name] = int_or_none(f.data) if name in id_fields else f.data
    return out


def _page_arg() -> int:
    page = request.args.get("page", 1, type=page_number)
    return page if page is not None else 1


def _get_or_404(model: type[ModelT], object_id: int) -> ModelT:
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def _flash_error(exc: services.GovernanceError) -> None:
    flash(str(exc), "error")


# --- organisations ---------------------------------------------------------


@bp.route("/verwaltung/organisationen/")
@staff_required
def admin_organisations() -> str:
    search = OrganisationSearchForm(request.args)
    search.kind.choices = [choice("", _("all kinds")), *choice_list(ORGANISATION_KIND_LABELS)]
    q = clean_search(search.q.data)
    kind = search.kind.data if search.kind.data in {k.value for k in OrganisationKind} else ""
    page = services.list_organisations(q=q, kind=kind or None, page=_page_arg())
    return render_template(
        "governance/admin_organisations.html",
        search=search,
        page=page,
        page_args={"q": q, "kind": kind},
    )


@bp.route("/verwaltung/organisationen/neu", methods=["GET", "POST"])
@staff_required
def admin_organisation_new() -> str | Response:
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(_values(form), actor_id=current_user.id)
        except services.GovernanceError as exc:
            show_error(form, exc)
        else:
            flash(_("The organisation has been created."), "success")
            return redirect(url_for(".admin_organisation", organisation_id=organisation.id))
    return render_template(
        "governance/admin_form.html",
        form=form,
        title=_("New organisation"),
        back_url=url_for(".admin_organisations"),
        back_label=_("Organisations"),
    )


@bp.route("/verwaltung/organisationen/<int:organisation_id>")
@staff_required
def admin_organisation(organisation_id: int) -> str:
    detail = services.organisation_detail(organisation_id)
    if detail is None:
        abort(404)
    return render_template(
        "governance/admin_organisation.html",
        detail=detail,
        organisation=detail.organisation,
        confirm=ConfirmForm(),
        today=local_today(),
    )


@bp.route("/verwaltung/organisationen/<int:organisation_id>/bearbeiten", methods=["GET", "POST"])
@staff_required
def admin_organisation_edit(organisation_id: int) -> str | Response:
    organisation = _get_or_404(Organisation, organisation_id)
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        try:
            services.update_organisation(organisation.id, _values(form), actor_id=current_user.id)
        except services.GovernanceError as exc:
            show_error(form, exc)
        else:
            flash(_("The organisation has been saved."), "success")
            return redirect(url_for(".admin_organisation", organisation_id=organisation.id))
    return render_template(
        "governance/admin_form.html",
        form=form,
        title=_("Edit organisation"),
        back_url=url_for(".admin_organisation", organisation_id=organisation.id),
        back_label=organisation.name,
    )


@bp.route("/verwaltung/organisationen/<int:organisation_id>/deaktivieren", methods=["POST"])
@staff_required
def admin_organisation_deactivate(organisation_id: int) -> Response:
    return _toggle(
        services.set_organisation_active,
        organisation_id,
        False,
        _("The organisation has been deactivated."),
        url_for(".admin_organisation", organisation_id=organisation_id),
    )


@bp.route("/verwaltung/organisationen/<int:organisation_id>/aktivieren", methods=["POST"])
@staff_required
def admin_organisation_activate(organisation_id: int) -> Response:
    return _toggle(
        services.set_organisation_active,
        organisation_id,
        True,
        _("The organisation has been reactivated."),
        url_for(".admin_organisation", organisation_id=organisation_id),
    )


def _toggle(
    setter: Callable[..., object], object_id: int, active: bool, message: str, target: str
) -> Response:
    """Run a deactivate/reactivate button's service call."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        setter(object_id, active, actor_id=current_user.id)
    except services.GovernanceError as exc:
        _flash_error(exc)
    else:
        flash(message, "success")
    return redirect(target)


# --- persons and logins ----------------------------------------------------


@bp.route("/verwaltung/personen/")
@staff_required
def admin_persons() -> str:
    search = PersonSearchForm(request.args)
    q = clean_search(search.q.data)
    status = search.status.data if search.status.data in services.PERSON_STATUSES else "active"
    search.status.data = status
    page = services.list_persons(q=q, status=status, page=_page_arg())
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
        services.organisation_choices(include_id=person.organisation_id if person else None)
    )
    return form


@bp.route("/verwaltung/personen/neu", methods=["GET", "POST"])
@staff_required
def admin_person_new() -> str | Response:
    form = _person_form()
    if form.validate_on_submit():
        try:
            person = services.create_person(
                _values(form, ("organisation_id",)), actor_id=current_user.id
            )
        except services.GovernanceError as exc:
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
    detail = services.person_detail(person_id)
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
            services.update_person(
                person.id, _values(form, ("organisation_id",)), actor_id=current_user.id
            )
        except services.GovernanceError as exc:
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
        change = services.set_person_active(person_id, active, actor=_actor())
    except services.GovernanceError as exc:
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
            services.create_login(
                person.id,
                email=form.email.data or "",
                password=form.password.data or "",
                is_admin=bool("is_admin" in form and form.is_admin.data),
                is_office=bool(form.is_office.data),
                actor=_actor(),
            )
        except (services.GovernanceError, AccountError) as exc:
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
            services.set_login_roles(
                user.id,
                is_admin=bool(is_admin),
                is_office=bool(form.is_office.data),
                actor=_actor(),
            )
        except services.GovernanceError as exc:
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
        services.set_login_active(user.id, active, actor=_actor())
    except services.GovernanceError as exc:
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


# --- bodies and memberships ------------------------------------------------


@bp.route("/verwaltung/gremien/")
@staff_required
def admin_bodies() -> str:
    return render_template("governance/admin_bodies.html", rows=services.list_bodies_admin())


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
        services.body_choices(
            exclude_id=body.id if body else None, include_id=body.parent_id if body else None
        )
    )
    form.action_field_id.choices = optional_choices(
        services.action_field_choices(include_id=body.action_field_id if body else None)
    )
    return form


@bp.route("/verwaltung/gremien/neu", methods=["GET", "POST"])
@staff_required
def admin_body_new() -> str | Response:
    form = _body_form()
    if form.validate_on_submit():
        try:
            body = services.create_body(
                _values(form, ("parent_id", "action_field_id")), actor_id=current_user.id
            )
        except services.GovernanceError as exc:
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
            services.update_body(
                body.id, _values(form, ("parent_id", "action_field_id")), actor_id=current_user.id
            )
        except services.GovernanceError as exc:
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
            services.person_choices(), empty_label=_("– please choose –")
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
        services.organisation_choices(include_id=membership.organisation_id if membership else None)
    )
    form.deputy_of_id.choices = optional_choices(
        [
            (mid, label)
            for mid, label in services.deputy_choices(
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
        memberships=services.body_memberships(body.id),
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
            services.add_membership(
                body.id,
                _values(form, ("person_id", "organisation_id", "deputy_of_id")),
                actor_id=current_user.id,
            )
        except services.GovernanceError as exc:
            show_error(form, exc)
        else:
            flash(_("The member has been added."), "success")
            return redirect(url_for(".admin_body", body_id=body.id))
    return _render_body_admin(body, form)


@bp.route("/verwaltung/gremien/<int:body_id>/deaktivieren", methods=["POST"])
@staff_required
def admin_body_deactivate(body_id: int) -> Response:
    return _toggle(
        services.set_body_active,
        body_id,
        False,
        _("The body has been deactivated; members no longer see it."),
        url_for(".admin_body", body_id=body_id),
    )


@bp.route("/verwaltung/gremien/<int:body_id>/aktivieren", methods=["POST"])
@staff_required
def admin_body_activate(body_id: int) -> Response:
    return _toggle(
        services.set_body_active,
        body_id,
        True,
        _("The body has been reactivated."),
        url_for(".admin_body", body_id=body_id),
    )


def _flash_deputies_ended(deputies_ended: list[Membership]) -> None:
    if deputies_ended:
        flash(
            ngettext(
                "The membership of %(num)d deputy has been ended as well.",
                "The memberships of %(num)d deputies have been ended as well.",
                len(deputies_ended),
            ),
            "success",
        )


@bp.route("/verwaltung/mitgliedschaften/<int:membership_id>/bearbeiten", methods=["GET", "POST"])
@staff_required
def admin_membership_edit(membership_id: int) -> str | Response:
    membership = _get_or_404(Membership, membership_id)
    form = _membership_form(membership.body_id, membership)
    if form.validate_on_submit():
        try:
            change = services.update_membership(
                membership.id,
                _values(form, ("organisation_id", "deputy_of_id")),
                actor_id=current_user.id,
            )
        except services.GovernanceError as exc:
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
            change = services.end_membership(
                membership.id, form.end_date.data, actor_id=current_user.id
            )
        except services.GovernanceError as exc:
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


# --- action fields -----------------------------------------------------------


@bp.route("/verwaltung/aktionsfelder/")
@staff_required
def admin_action_fields() -> str:
    return render_template(
        "governance/admin_action_fields.html",
        fields=services.list_action_fields(include_inactive=True),
        confirm=ConfirmForm(),
    )


@bp.route("/verwaltung/aktionsfelder/neu", methods=["GET", "POST"])
@staff_required
def admin_action_field_new() -> str | Response:
    form = ActionFieldForm()
    if form.validate_on_submit():
        try:
            services.create_action_field(_values(form), actor_id=current_user.id)
        except services.GovernanceError as exc:
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
            services.update_action_field(field.id, _values(form), actor_id=current_user.id)
        except services.GovernanceError as exc:
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
        services.set_action_field_active,
        action_field_id,
        False,
        _("The action field has been deactivated."),
        url_for(".admin_action_fields"),
    )


@bp.route("/verwaltung/aktionsfelder/<int:action_field_id>/aktivieren", methods=["POST"])
@staff_required
def admin_action_field_activate(action_field_id: int) -> Response:
    return _toggle(
        services.set_action_field_active,
        action_field_id,
        True,
        _("The action field has been reactivated."),
        url_for(".admin_action_fields"),
    )


# The administration sections of this package (registered by governance.init_app).
ADMIN_PAGES = [
    ("governance.admin_bodies", _l("Bodies and memberships")),
    ("governance.admin_persons", _l("Persons and logins")),
    ("governance.admin_organisations", _l("Organisations")),
    ("governance.admin_action_fields", _l("Action fields")),
]
