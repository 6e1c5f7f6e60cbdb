"""Counselling pages: public offer directory, staff offers, cases, figures."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

from ..auth.access import admin_required, public, staff_required
from ..forms import answer_failed_posts_with_422, optional_id, show_error
from . import figures as figures_service
from . import (
    indicators,  # noqa: F401  (registers the monitoring indicator)
    services,
)
from .access import counselling_staff_required, current_is_counselling_staff, offers_staff_required
from .forms import (
    CaseSearchForm,
    ClearWaitingLoopForm,
    ConfirmForm,
    ContactForm,
    FiguresFilterForm,
    FollowUpForm,
    OfferForm,
    OfferSearchForm,
    PersonalDetailsForm,
    ReferralForm,
    StaffForm,
)

bp = Blueprint("counselling", __name__)
answer_failed_posts_with_422(bp)

# The administration sections of this package (registered by its init_app).
ADMIN_PAGES = [
    ("counselling.offers_admin", _l("Education offers")),
    ("counselling.staff", _l("Counselling staff")),
    ("counselling.figures", _l("Counselling figures")),
]


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"is_counselling_staff": current_is_counselling_staff}


def _actor() -> int:
    return int(current_user.id)


# --- public directory ---------------------------------------------------------


@bp.route("/angebote/")
@public
def directory() -> str:
    form = OfferSearchForm(request.args)
    offers: list[Any] = []
    if form.validate():
        offers = list(
            services.search_offers(
                text=form.q.data,
                language=form.language.data or None,
                target_group=form.target_group.data or None,
                kind=form.kind.data or None,
            )
        )
    return render_template("counselling/directory.html", form=form, offers=offers)


@bp.route("/angebote/<int(max=2147483647):offer_id>")
@public
def offer(offer_id: int) -> str:
    found = services.get_offer(offer_id, public_only=True)
    if found is None:
        abort(404)
    return render_template("counselling/offer.html", offer=found)


# --- offers for staff ---------------------------------------------------------


@bp.route("/beratung/angebote/")
@offers_staff_required
def offers_admin() -> str:
    form = OfferSearchForm(request.args)
    text = form.q.data if form.validate() else None
    offers = services.search_offers(text=text, include_inactive=True)
    return render_template(
        "counselling/offers_admin.html", offers=offers, form=form, confirm=ConfirmForm()
    )


def _offer_form(**kwargs: Any) -> OfferForm:
    return OfferForm(services.organisation_choices(), services.action_field_choices(), **kwargs)


def _offer_data(form: OfferForm) -> services.OfferData:
    return services.OfferData(
        organisation_id=form.organisation_id.data,  # type: ignore[arg-type]
        title=form.title.data or "",
        description=form.description.data or "",
        target_groups=list(form.target_groups.data or []),
        languages=list(form.languages.data or []),
        contact=form.contact.data,
        contact_email=form.contact_email.data,
        contact_phone=form.contact_phone.data,
        address=form.address.data,
        district=form.district.data,
        action_field_id=form.action_field_id.data,
        active=bool(form.active.data),
    )


@bp.route("/beratung/angebote/neu", methods=["GET", "POST"])
@offers_staff_required
def offer_new() -> str | WerkzeugResponse:
    form = _offer_form()
    if form.validate_on_submit():
        try:
            saved = services.save_offer(None, _offer_data(form), _actor())
        except services.CounsellingError as exc:
            show_error(form, exc)
        else:
            flash(_("The offer has been saved."), "success")
            return redirect(url_for("counselling.offer_edit", offer_id=saved.id))
    return render_template("counselling/offer_form.html", form=form, offer=None)


@bp.route("/beratung/angebote/<int(max=2147483647):offer_id>/bearbeiten", methods=["GET", "POST"])
@offers_staff_required
def offer_edit(offer_id: int) -> str | WerkzeugResponse:
    existing = services.get_offer(offer_id)
    if existing is None:
        abort(404)
    if request.method == "POST":
        form = _offer_form()
    else:
        form = _offer_form(obj=existing)
        form.languages.data = existing.language_codes
        form.target_groups.data = existing.target_group_codes
    if form.validate_on_submit():
        try:
            services.save_offer(offer_id, _offer_data(form), _actor())
        except services.CounsellingError as exc:
            show_error(form, exc)
        except services.NotFound:
            abort(404)
        else:
            flash(_("The offer has been saved."), "success")
            return redirect(url_for("counselling.offer_edit", offer_id=offer_id))
    return render_template("counselling/offer_form.html", form=form, offer=existing)


def _set_active(offer_id: int, active: bool) -> WerkzeugResponse:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.set_offer_active(offer_id, active, _actor())
    except services.NotFound:
        abort(404)
    flash(
        _("The offer has been activated.") if active else _("The offer has been deactivated."),
        "success",
    )
    return redirect(url_for("counselling.offers_admin"))


@bp.route("/beratung/angebote/<int(max=2147483647):offer_id>/deaktivieren", methods=["POST"])
@offers_staff_required
def offer_deactivate(offer_id: int) -> WerkzeugResponse:
    return _set_active(offer_id, False)


@bp.route("/beratung/angebote/<int(max=2147483647):offer_id>/aktivieren", methods=["POST"])
@offers_staff_required
def offer_activate(offer_id: int) -> WerkzeugResponse:
    return _set_active(offer_id, True)


# --- figures ------------------------------------------------------------------


def _figures_from_request() -> tuple[FiguresFilterForm, figures_service.Figures]:
    form = FiguresFilterForm(request.args)
    if request.args and form.validate():
        result = figures_service.compute_figures(form.start.data, form.end.data)
    else:
        result = figures_service.compute_figures()
    return form, result


@bp.route("/beratung/kennzahlen")
@offers_staff_required
def figures() -> str:
    form, result = _figures_from_request()
    return render_template("counselling/figures.html", form=form, figures=result)


@bp.route("/beratung/kennzahlen.csv")
@offers_staff_required
def figures_csv() -> Response:
    _form, result = _figures_from_request()
    return Response(
        "\ufeff" + figures_service.figures_csv(result),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=beratung-kennzahlen.csv"},
    )


# --- counselling staff (administration) --------------------------------------


@bp.route("/verwaltung/beratungsteam", methods=["GET", "POST"])
@staff_required
def staff() -> str | WerkzeugResponse:
    form = StaffForm()
    if request.method == "POST":
        if not current_user.is_admin:
            abort(403)
        if form.validate_on_submit():
            try:
                services.add_counselling_staff(form.email.data or "", _actor())
            except services.CounsellingError as exc:
                show_error(form, exc)
            else:
                flash(_("The account has been added to the counselling staff."), "success")
                return redirect(url_for("counselling.staff"))
    return render_template(
        "counselling/staff.html",
        form=form,
        entries=services.list_counselling_staff(),
        confirm=ConfirmForm(),
    )


@bp.route("/verwaltung/beratungsteam/<int(max=2147483647):user_id>/entfernen", methods=["POST"])
@admin_required
def staff_remove(user_id: int) -> WerkzeugResponse:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if services.remove_counselling_staff(user_id, _actor()):
        flash(_("The account has been removed from the counselling staff."), "success")
    return redirect(url_for("counselling.staff"))


# --- cases (counselling staff only) -------------------------------------------


@bp.route("/beratung/")
@counselling_staff_required
def index() -> str:
    return render_template(
        "counselling/index.html",
        due=services.due_follow_ups(_actor()),
        recent=services.list_cases(limit=10),
        search=CaseSearchForm(),
    )


@bp.route("/beratung/faelle/")
@counselling_staff_required
def cases() -> str:
    form = CaseSearchForm(request.args)
    code = form.code.data if form.validate() else None
    return render_template(
        "counselling/cases.html",
        form=form,
        rows=services.list_cases(code=code),
        flagged_only=False,
    )


@bp.route("/beratung/faelle/warteschleifen")
@counselling_staff_required
def flagged_cases() -> str:
    return render_template(
        "counselling/cases.html",
        form=None,
        rows=services.list_cases(flagged_only=True, limit=500),
        flagged_only=True,
    )


def _contact_data(form: ContactForm) -> services.ContactData:
    return services.ContactData(
        contact_date=form.contact_date.data,  # type: ignore[arg-type]
        channel=form.channel.data or "",
        language=form.language.data or "",
        age_group=form.age_group.data or "",
        situation=form.situation.data or "",
        outcome=form.outcome.data or "",
        topics=list(form.topics.data or []),
        district=form.district.data or None,
        migration=form.migration.data or None,
    )


@bp.route("/beratung/faelle/neu", methods=["GET", "POST"])
@counselling_staff_required
def case_new() -> str | WerkzeugResponse:
    form = ContactForm()
    if form.validate_on_submit():
        try:
            case_id = services.create_case(_contact_data(form), _actor())
        except services.CounsellingError as exc:
            show_error(form, exc)
        else:
            flash(_("The case has been opened."), "success")
            return redirect(url_for("counselling.case", case_id=case_id))
    return render_template("counselling/contact_form.html", form=form, case_id=None, code=None)


def _case_code_or_404(case_id: int) -> str:
    code = services.case_exists(case_id)
    if code is None:
        abort(404)
    return code


def _render_case(
    case_id: int, clear_form: ClearWaitingLoopForm | None = None, status: int = 200
) -> tuple[str, int]:
    try:
        found = services.read_case(case_id, _actor())
    except services.NotFound:
        abort(404)
    return render_template(
        "counselling/case.html",
        case=found,
        confirm=ConfirmForm(),
        clear_form=clear_form or ClearWaitingLoopForm(),
    ), status


@bp.route("/beratung/faelle/<int(max=2147483647):case_id>")
@counselling_staff_required
def case(case_id: int) -> tuple[str, int]:
    return _render_case(case_id)


@bp.route("/beratung/faelle/<int(max=2147483647):case_id>/markierung-aufheben", methods=["POST"])
@counselling_staff_required
def clear_waiting_loop(case_id: int) -> tuple[str, int] | WerkzeugResponse:
    form = ClearWaitingLoopForm()
    if form.validate_on_submit():
        try:
            cleared = services.clear_waiting_loop(case_id, form.reason.data, _actor())
        except services.CounsellingError as exc:
            show_error(form, exc)
        except services.NotFound:
            abort(404)
        else:
            if cleared:
                flash(_("The waiting-loop mark has been cleared."), "success")
            else:
                flash(_("This case is not marked as a possible waiting loop."), "info")
            return redirect(url_for("counselling.case", case_id=case_id))
    else:
        flagged = services.case_flagged(case_id)
        if flagged is None:
            abort(404)
        if not flagged:
            # A stale page or a second click: nothing to clear, whatever was typed.
            flash(_("This case is not marked as a possible waiting loop."), "info")
            return redirect(url_for("counselling.case", case_id=case_id))
    return _render_case(case_id, clear_form=form, status=422)


@bp.route("/beratung/faelle/<int(max=2147483647):case_id>/export.csv")
@counselling_staff_required
def case_export(case_id: int) -> Response:
    try:
        code, text = services.export_case_csv(case_id, _actor())
    except services.NotFound:
        abort(404)
    return Response(
        "\ufeff" + text,
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=fall-{code}.csv"},
    )


@bp.route("/beratung/faelle/<int(max=2147483647):case_id>/kontakt", methods=["GET", "POST"])
@counselling_staff_required
def contact_new(case_id: int) -> str | WerkzeugResponse:
    code = _case_code_or_404(case_id)
    form = ContactForm()
    if form.validate_on_submit():
        try:
            services.add_contact(case_id, _contact_data(form), _actor())
        except services.CounsellingError as exc:
            show_error(form, exc)
        except services.NotFound:
            abort(404)
        else:
            flash(_("The contact has been saved."), "success")
            return redirect(url_for("counselling.case", case_id=case_id))
    return render_template("counselling/contact_form.html", form=form, case_id=case_id, code=code)


@bp.route(
    "/beratung/faelle/<int(max=2147483647):case_id>/weitervermittlung", methods=["GET", "POST"]
)
@counselling_staff_required
def referral_new(case_id: int) -> str | WerkzeugResponse:
    code = _case_code_or_404(case_id)
    form = ReferralForm(services.offer_choices(), services.organisation_choices())
    offer_id = optional_id(request.args.get("angebot"))
    if request.method == "GET" and offer_id is not None and offer_id > 0:
        form.offer_id.data = offer_id
    if form.validate_on_submit():
        data = services.ReferralData(
            offer_id=form.offer_id.data,
            organisation_id=form.organisation_id.data,
            referred_on=form.referred_on.data,  # type: ignore[arg-type]
            follow_up_on=form.follow_up_on.data,  # type: ignore[arg-type]
        )
        try:
            referral = services.create_referral(case_id, data, _actor())
        except services.CounsellingError as exc:
            show_error(form, exc)
        except services.NotFound:
            abort(404)
        else:
            if referral.case.flagged:
                flash(
                    _("This case is now marked as a possible waiting loop."),
                    "warning",
                )
            flash(_("The referral has been saved."), "success")
            return redirect(url_for("counselling.case", case_id=case_id))
    return render_template("counselling/referral_form.html", form=form, case_id=case_id, code=code)


@bp.route(
    "/beratung/weitervermittlungen/<int(max=2147483647):referral_id>/nachfassen",
    methods=["GET", "POST"],
)
@counselling_staff_required
def follow_up(referral_id: int) -> str | WerkzeugResponse:
    referral = services.get_referral(referral_id)
    if referral is None:
        abort(404)
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            services.record_follow_up(
                referral_id,
                form.arrival.data or "",
                form.arrived_on.data,
                form.next_follow_up_on.data,
                _actor(),
            )
        except services.CounsellingError as exc:
            show_error(form, exc)
        except services.NotFound:
            abort(404)
        else:
            flash(_("The follow-up has been saved."), "success")
            return redirect(url_for("counselling.case", case_id=referral.case_id))
    return render_template("counselling/follow_up_form.html", form=form, referral=referral)


@bp.route("/beratung/faelle/<int(max=2147483647):case_id>/personendaten", methods=["GET", "POST"])
@counselling_staff_required
def personal_details(case_id: int) -> str | WerkzeugResponse:
    code = _case_code_or_404(case_id)
    stored: services.StoredPersonalDetails | None = None
    if request.method == "POST":
        form = PersonalDetailsForm()  # a refused form shows what was typed
    else:
        try:
            stored = services.read_personal_details(case_id, _actor())
        except services.NotFound:
            abort(404)
        # Consent is not prefilled: saving again records it anew.
        form = PersonalDetailsForm(
            data={"name": stored.name, "contact": stored.contact} if stored else None
        )
    if form.validate_on_submit():
        try:
            services.record_personal_details(
                case_id, form.name.data, form.contact.data, bool(form.consent.data), _actor()
            )
        except services.CounsellingError as exc:
            show_error(form, exc)
        except services.NotFound:
            abort(404)
        else:
            flash(_("The personal details have been saved."), "success")
            return redirect(url_for("counselling.case", case_id=case_id))
    return render_template(
        "counselling/personal_details_form.html",
        form=form,
        case_id=case_id,
        code=code,
        stored=stored,
        retention_days=services.retention_days(),
    )


@bp.route("/beratung/faelle/<int(max=2147483647):case_id>/personendaten/loeschen", methods=["POST"])
@counselling_staff_required
def personal_details_delete(case_id: int) -> WerkzeugResponse:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        deleted = services.delete_personal_details(case_id, _actor())
    except services.NotFound:
        abort(404)
    if deleted:
        flash(_("The personal details have been deleted."), "success")
    return redirect(url_for("counselling.case", case_id=case_id))
