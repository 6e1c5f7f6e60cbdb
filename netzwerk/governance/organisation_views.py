"""Administration of organisations."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth.access import staff_required
from ..forms import show_error
from ..timeutil import local_today
from .blueprint import _get_or_404, _page_arg, _toggle, _values, bp
from .common import GovernanceError
from .forms import (
    ConfirmForm,
    OrganisationForm,
    OrganisationSearchForm,
    choice,
    choice_list,
    clean_search,
)
from .models import ORGANISATION_KIND_LABELS, Organisation, OrganisationKind
from .organisations import (
    create_organisation,
    list_organisations,
    organisation_detail,
    set_organisation_active,
    update_organisation,
)


@bp.route("/verwaltung/organisationen/")
@staff_required
def admin_organisations() -> str:
    search = OrganisationSearchForm(request.args)
    search.kind.choices = [choice("", _("all kinds")), *choice_list(ORGANISATION_KIND_LABELS)]
    q = clean_search(search.q.data)
    kind = search.kind.data if search.kind.data in {k.value for k in OrganisationKind} else ""
    page = list_organisations(q=q, kind=kind or None, page=_page_arg())
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
            organisation = create_organisation(_values(form), actor_id=current_user.id)
        except GovernanceError as exc:
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
    detail = organisation_detail(organisation_id)
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
            update_organisation(organisation.id, _values(form), actor_id=current_user.id)
        except GovernanceError as exc:
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
        set_organisation_active,
        organisation_id,
        False,
        _("The organisation has been deactivated."),
        url_for(".admin_organisation", organisation_id=organisation_id),
    )


@bp.route("/verwaltung/organisationen/<int:organisation_id>/aktivieren", methods=["POST"])
@staff_required
def admin_organisation_activate(organisation_id: int) -> Response:
    return _toggle(
        set_organisation_active,
        organisation_id,
        True,
        _("The organisation has been reactivated."),
        url_for(".admin_organisation", organisation_id=organisation_id),
    )
