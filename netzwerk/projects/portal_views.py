"""Partner portal pages: the project lead's invitations and review, and the
partner's pages behind their personal link (no account).

A link that cannot be used (unknown, expired, revoked, project closed)
answers with a page that says why and whom to ask: never a login form,
never a 500.  Every form of the partner's page is refused the same way
unless this browser confirmed the mailed code.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..auth.access import public
from ..extensions import limiter
from ..forms import show_error
from . import partner_portal as portal
from . import services
from .forms import (
    AcceptForm,
    CodeForm,
    CountersignForm,
    EvidenceForm,
    InviteForm,
    MilestoneConfirmForm,
    ParticipantsForm,
    RevokeForm,
    SendCodeForm,
)
from .models import PartnerInvitation, Project

bp = Blueprint("partner_portal", __name__)

SESSION_KEY = "partner_portal"
DEFAULT_CODE_LIMIT = "10 per minute;30 per hour"

REFUSALS: dict[str, tuple[Any, Any, int]] = {
    "unknown": (
        _l("This link is not valid"),
        _l("Please check that you copied the whole link from the e-mail."),
        404,
    ),
    "expired": (
        _l("This link has expired"),
        _l("Please ask the project lead for a new link."),
        410,
    ),
    "revoked": (
        _l("This link was revoked"),
        _l("The project lead has withdrawn it. Please ask them for a new link if needed."),
        410,
    ),
    "closed": (
        _l("This project is closed"),
        _l("Nothing more can be entered for it."),
        410,
    ),
}


def _code_limit() -> str:
    return str(current_app.config.get("PROJECTS_PARTNER_CODE_LIMIT", DEFAULT_CODE_LIMIT))


# --- the project lead ----------------------------------------------------------------


def _managed(project_id: int) -> Project:
    project = services.get_project(project_id)
    if project is None:
        abort(404)
    if not services.may_view(current_user, project):
        abort(403)
    if not services.may_manage(current_user, project):
        abort(403)
    return project


def _invite_form(project: Project) -> InviteForm:
    form = InviteForm()
    form.partner_id.choices = [("", _("Please choose"))] + [
        (str(p.id), p.organisation.name) for p in project.partners
    ]
    contacts: list[tuple[str, str]] = [("", _("Please choose"))]
    for partner in project.partners:
        contacts += [
            (str(pid), f"{label} – {partner.organisation.name}")
            for pid, label in portal.contact_choices(partner)
        ]
    form.contact_person_id.choices = contacts
    return form


def _lead_page(
    project: Project,
    status: int = 200,
    invite_form: InviteForm | None = None,
    accept_form: AcceptForm | None = None,
) -> tuple[str, int]:
    entries = portal.pending_entries(project.id)
    form = accept_form or AcceptForm(formdata=None)
    form.entry_ids.choices = [(e.id, str(e.id)) for e in entries]
    invitations = portal.invitations_of(project.id)
    return render_template(
        "projects/partner_portal_lead.html",
        project=project,
        invite_form=invite_form or _invite_form(project),
        accept_form=form,
        revoke_form=RevokeForm(formdata=None),
        entries=entries,
        invitations=invitations,
        status_of=portal.invitation_status,
    ), status


@bp.route("/projekte/<int:project_id>/partnerportal")
@login_required
def lead(project_id: int) -> tuple[str, int]:
    return _lead_page(_managed(project_id))


@bp.route("/projekte/<int:project_id>/partnerportal/einladen", methods=["POST"])
@login_required
def invite(project_id: int) -> Any:
    project = _managed(project_id)
    form = _invite_form(project)
    if form.validate_on_submit():
        try:
            invitation, _token = portal.invite(
                current_user,
                project,
                partner_id=form.partner_id.data,
                contact_person_id=form.contact_person_id.data,
            )
        except services.ProjectError as exc:
            show_error(form, exc)
        else:
            flash(_("The personal link was sent to %(email)s.", email=invitation.email), "success")
            return redirect(url_for("partner_portal.lead", project_id=project_id))
    return _lead_page(project, 422, invite_form=form)


@bp.route(
    "/projekte/<int:project_id>/partnerportal/<int:invitation_id>/widerrufen", methods=["POST"]
)
@login_required
def revoke(project_id: int, invitation_id: int) -> Response:
    project = _managed(project_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            portal.revoke(current_user, project, invitation_id)
        except services.ProjectError as exc:
            flash(str(exc), "error")
        else:
            flash(_("The link was revoked."), "success")
    return redirect(url_for("partner_portal.lead", project_id=project_id))


@bp.route("/projekte/<int:project_id>/partnerportal/uebernehmen", methods=["POST"])
@login_required
def accept(project_id: int) -> Any:
    project = _managed(project_id)
    entries = portal.pending_entries(project.id)
    form = AcceptForm()
    form.entry_ids.choices = [(e.id, str(e.id)) for e in entries]
    if form.validate_on_submit():
        try:
            result = portal.accept_entries(
                current_user, project, form.entry_ids.data or [], text=form.text.data or ""
            )
        except services.ProjectError as exc:
            show_error(form, exc)
        else:
            flash(
                _(
                    "Accepted into the status report of %(date)s.",
                    date=result.report.report_date.strftime("%d.%m.%Y"),
                ),
                "success",
            )
            return redirect(url_for("projects.detail", project_id=project_id))
    return _lead_page(project, 422, accept_form=form)


@bp.route("/projekte/<int:project_id>/partnerportal/nachweis/<int:entry_id>")
@login_required
def evidence(project_id: int, entry_id: int) -> Response:
    project = _managed(project_id)
    entry = portal.get_entry(entry_id)
    if entry is None or entry.project_id != project.id or entry.kind != "evidence":
        abort(404)
    from ..papers.files import clean_filename
    from ..storage import uploads

    assert entry.sha256 is not None
    return uploads().send(
        entry.sha256,
        mimetype=entry.content_type or "application/octet-stream",
        download_name=clean_filename(entry.filename or "datei"),
        as_attachment=True,
    )


# --- the partner ------------------------------------------------------------------------


def _refused(reason: str) -> tuple[str, int]:
    title, text, status = REFUSALS.get(reason, REFUSALS["unknown"])
    return render_template("projects/partner_portal_refused.html", title=title, text=text), status


def _session_key(invitation: PartnerInvitation) -> str | None:
    keys = session.get(SESSION_KEY) or {}
    value = keys.get(str(invitation.id)) if isinstance(keys, dict) else None
    return value if isinstance(value, str) else None


def _remember(invitation: PartnerInvitation, key: str) -> None:
    keys = session.get(SESSION_KEY)
    keys = dict(keys) if isinstance(keys, dict) else {}
    keys = dict(list(keys.items())[-4:])  # a few links per browser at most
    keys[str(invitation.id)] = key
    session[SESSION_KEY] = keys


def _portal_page(
    token: str, invitation: PartnerInvitation, status: int = 200, **forms: Any
) -> tuple[str, int]:
    if not portal.has_session(invitation, _session_key(invitation)):
        return render_template(
            "projects/partner_portal_code.html",
            token=token,
            invitation=invitation,
            email=portal.masked_email(invitation.email),
            code_pending=portal.code_pending(invitation),
            send_form=SendCodeForm(formdata=None),
            code_form=forms.get("code") or CodeForm(formdata=None),
        ), status
    milestones = portal.own_milestones(invitation)
    return render_template(
        "projects/partner_portal.html",
        token=token,
        invitation=invitation,
        project=invitation.project,
        partner=invitation.partner,
        milestones=milestones,
        entries=portal.entries_of_invitation(invitation),
        agreement=portal.agreement_text(invitation),
        participants_form=forms.get("participants") or ParticipantsForm(formdata=None),
        milestone_form=forms.get("milestone") or MilestoneConfirmForm(formdata=None),
        failed_milestone=forms.get("failed_milestone"),
        evidence_form=forms.get("evidence") or EvidenceForm(formdata=None),
        countersign_form=forms.get("countersign") or CountersignForm(formdata=None),
        evidence_mb=round(portal.evidence_limit() / 1024 / 1024, 1),
    ), status


def _open(token: str) -> PartnerInvitation | tuple[str, int]:
    try:
        return portal.open_link(token)
    except portal.LinkRefused as exc:
        return _refused(exc.reason)


def _confirmed(token: str) -> PartnerInvitation | tuple[str, int]:
    """The invitation, if this browser confirmed the code; else the page to say so."""
    found = _open(token)
    if not isinstance(found, PartnerInvitation):
        return found
    if not portal.has_session(found, _session_key(found)):
        return _portal_page(token, found, 403)
    return found


@bp.route("/partner/<token>", endpoint="portal")
@public
def portal_page(token: str) -> Any:
    found = _open(token)
    if not isinstance(found, PartnerInvitation):
        return found
    return _portal_page(token, found)


@bp.route("/partner/<token>/code", methods=["POST"])
@public
@limiter.limit(_code_limit)
def send_code(token: str) -> Any:
    found = _open(token)
    if not isinstance(found, PartnerInvitation):
        return found
    form = SendCodeForm()
    if form.validate_on_submit():
        portal.send_code(found)
        flash(_("We sent a code to %(email)s.", email=portal.masked_email(found.email)), "success")
    return redirect(url_for("partner_portal.portal", token=token))


@bp.route("/partner/<token>/bestaetigen", methods=["POST"])
@public
@limiter.limit(_code_limit)
def confirm(token: str) -> Any:
    found = _open(token)
    if not isinstance(found, PartnerInvitation):
        return found
    form = CodeForm()
    if form.validate_on_submit():
        try:
            key = portal.confirm_code(found, form.code.data)
        except portal.PortalError as exc:
            show_error(form, exc)
        else:
            _remember(found, key)
            flash(_("Confirmed. You can now report for your organisation."), "success")
            return redirect(url_for("partner_portal.portal", token=token))
    return _portal_page(token, found, 422, code=form)


@bp.route("/partner/<token>/teilnehmende", methods=["POST"])
@public
def participants(token: str) -> Any:
    found = _confirmed(token)
    if not isinstance(found, PartnerInvitation):
        return found
    form = ParticipantsForm()
    if form.validate_on_submit():
        try:
            portal.record_participants(
                found,
                period_start=form.period_start.data,
                period_end=form.period_end.data,
                participants=form.participants.data,
                note=form.note.data or "",
            )
        except portal.PortalError as exc:
            show_error(form, exc)
        else:
            flash(_("Thank you: the participant numbers were sent."), "success")
            return redirect(url_for("partner_portal.portal", token=token))
    return _portal_page(token, found, 422, participants=form)


@bp.route("/partner/<token>/meilenstein", methods=["POST"])
@public
def milestone(token: str) -> Any:
    found = _confirmed(token)
    if not isinstance(found, PartnerInvitation):
        return found
    form = MilestoneConfirmForm()
    if form.validate_on_submit():
        try:
            portal.confirm_milestone(found, form.milestone_id.data, note=form.note.data or "")
        except portal.PortalError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Thank you: the milestone was confirmed."), "success")
            return redirect(url_for("partner_portal.portal", token=token))
    else:
        flash(_("This milestone is not one of your organisation's in this project."), "error")
    return _portal_page(token, found, 422)


@bp.route("/partner/<token>/nachweis", methods=["POST"])
@public
def upload(token: str) -> Any:
    found = _confirmed(token)
    if not isinstance(found, PartnerInvitation):
        return found
    form = EvidenceForm()
    if form.validate_on_submit():
        storage = form.file.data
        limit = portal.evidence_limit()
        content = storage.read(limit + 1)
        try:
            portal.upload_evidence(
                found, storage.filename or "", content, note=form.note.data or ""
            )
        except portal.PortalError as exc:
            show_error(form, exc)
        else:
            flash(_("Thank you: the evidence was uploaded."), "success")
            return redirect(url_for("partner_portal.portal", token=token))
    return _portal_page(token, found, 422, evidence=form)


@bp.route("/partner/<token>/gegenzeichnen", methods=["POST"])
@public
def countersign(token: str) -> Any:
    found = _confirmed(token)
    if not isinstance(found, PartnerInvitation):
        return found
    form = CountersignForm()
    if form.validate_on_submit():
        try:
            portal.countersign(found, confirmed=bool(form.confirm.data))
        except portal.PortalError as exc:
            show_error(form, exc)
        else:
            flash(_("Thank you: the cooperation agreement is countersigned."), "success")
            return redirect(url_for("partner_portal.portal", token=token))
    return _portal_page(token, found, 422, countersign=form)
