"""Project pages: portfolio, action fields, detail, forms, partners, import/export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..auth.access import public, staff_required
from ..extensions import db
from ..forms import optional_id, show_error
from ..funding import forms as funding_forms
from ..funding import services as funding
from ..governance.models import ActionField, Organisation
from ..timeutil import local_today
from ..workflow import ui
from ..workflow.forms import TransitionForm
from ..workflow.services import CommentRequired, WorkflowError
from . import approval, feedback_links, organisations, partner_portal, portfolio, services
from .forms import (
    ConfirmForm,
    ConfirmProposalForm,
    FeedbackLinkForm,
    FilterForm,
    ImportForm,
    MilestoneForm,
    PartnerForm,
    ProjectForm,
    ProposeOrganisationForm,
    report_form_class,
)
from .models import Milestone, Project
from .vocab import PARTNER_ROLE_SUGGESTIONS, report_indicators

bp = Blueprint("projects", __name__)

# The administration sections of this package (registered by its init_app).
ADMIN_PAGES = [
    ("projects.import_projects", _l("Import projects (CSV)")),
    ("projects.organisation_proposals", _l("Proposed partner organisations")),
]


def _user() -> Any:
    return current_user if current_user.is_authenticated else None


def _load(project_id: int) -> Project:
    project = services.get_project(project_id)
    if project is None:
        abort(404)
    if not services.may_view(_user(), project):
        if current_user.is_authenticated:
            abort(403)
        abort(404)  # anonymous visitors do not learn that a project exists
    return project


# --- portfolio ----------------------------------------------------------


def _filter() -> tuple[FilterForm, portfolio.PortfolioFilter]:
    form = FilterForm(request.args)
    form.state.choices = [("", _("All states"))] + portfolio.state_choices()
    form.partner_kind.choices = [("", _("All kinds"))] + portfolio.partner_kind_choices()
    form.target_group.choices = [("", _("All target groups"))] + portfolio.target_group_choices()
    valid = form.validate()
    flt = portfolio.PortfolioFilter(
        state=(form.state.data or None) if valid else None,
        partner_kind=(form.partner_kind.data or None) if valid else None,
        target_group=(form.target_group.data or None) if valid else None,
    )
    return form, flt


@bp.route("/projekte/")
@public
def index() -> str:
    form, flt = _filter()
    data = portfolio.build_portfolio(_user(), flt)
    fields = db.session.scalars(
        select(ActionField).where(ActionField.active).order_by(ActionField.position)
    ).all()
    return render_template(
        "projects/portfolio.html", data=data, form=form, flt=flt, field=None, fields=fields
    )


@bp.route("/projekte/aktionsfeld/<slug>")
@public
def action_field(slug: str) -> str:
    field = db.session.scalar(select(ActionField).where(ActionField.slug == slug))
    if field is None:
        abort(404)
    form, flt = _filter()
    flt = portfolio.PortfolioFilter(
        action_field_id=field.id,
        state=flt.state,
        partner_kind=flt.partner_kind,
        target_group=flt.target_group,
    )
    data = portfolio.build_portfolio(_user(), flt)
    return render_template(
        "projects/portfolio.html", data=data, form=form, flt=flt, field=field, fields=[]
    )


@bp.route("/projekte/export.csv")
@public
def export_csv() -> Response:
    _form, flt = _filter()
    field_id = request.args.get("aktionsfeld", type=optional_id)
    if field_id:
        flt = portfolio.PortfolioFilter(field_id, flt.state, flt.partner_kind, flt.target_group)
    data = portfolio.build_portfolio(_user(), flt)
    body = "\ufeff" + portfolio.export_csv(data)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=projekte.csv"},
    )


@bp.route("/projekte/import", methods=["GET", "POST"])
@staff_required
def import_projects() -> Any:
    form = ImportForm()
    problems: list[portfolio.ImportProblem] = []
    status = 200
    if form.validate_on_submit():
        data = form.file.data.read(5_000_001)
        if len(data) > 5_000_000:
            form.file.errors = [_("The file is too large (at most 5 MB).")]
            status = 422
        else:
            try:
                count = portfolio.import_csv(current_user, data)
            except portfolio.ImportFailed as exc:
                problems = exc.problems
                status = 422
            else:
                flash(_("%(n)s projects were imported.", n=count), "success")
                return redirect(url_for("projects.index"))
    elif request.method == "POST":
        status = 422
    return render_template(
        "projects/import.html",
        form=form,
        problems=problems,
        required=portfolio.IMPORT_REQUIRED,
        optional=portfolio.IMPORT_OPTIONAL,
    ), status


# --- my projects ----------------------------------------------------------


@bp.route("/projekte/meine")
@login_required
def mine() -> str:
    projects = db.session.scalars(
        select(Project)
        .where(
            (Project.lead_person_id == current_user.person_id)
            | (Project.created_by_person_id == current_user.person_id)
        )
        .order_by(Project.title)
    ).all()
    return render_template(
        "projects/mine.html",
        projects=projects,
        state_title=ui.state_title,
    )


# --- creating and editing ----------------------------------------------------------


def _project_form(project: Project | None = None) -> ProjectForm:
    form = ProjectForm(obj=project) if project else ProjectForm()
    form.action_field_id.choices = services.action_field_choices()
    form.lead_person_id.choices = services.lead_choices(
        current_user, project.lead_person_id if project else None
    )
    form.deciding_body_id.choices = [("", _("Default (Vorstandskonferenz)"))] + [
        (str(i), n) for i, n in services.body_choices()
    ]
    form.parent_id.choices = [("", _("None (a project of its own)"))] + [
        (str(i), t) for i, t in services.parent_choices(_user(), project.id if project else None)
    ]
    if request.method == "GET":
        if project is None:
            form.lead_person_id.data = current_user.person_id
            field_id = request.args.get("aktionsfeld", type=optional_id)
            if field_id:
                form.action_field_id.data = field_id
            default_body = services.default_deciding_body_id()
            form.deciding_body_id.data = default_body
        else:
            form.target_groups.data = project.target_group_codes
            form.budget.data = (
                f"{project.budget:.2f}".replace(".", ",") if project.budget is not None else ""
            )
    return form


def _data(form: ProjectForm) -> services.ProjectData:
    return services.ProjectData(
        title=form.title.data or "",
        goals=form.goals.data or "",
        action_field_id=form.action_field_id.data,
        lead_person_id=form.lead_person_id.data,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        budget=form.budget.data,
        public=bool(form.public.data),
        parent_id=form.parent_id.data,
        weight=form.weight.data if isinstance(form.weight.data, int) else 0,
        report_interval_months=form.report_interval_months.data,
        deciding_body_id=form.deciding_body_id.data,
        target_groups=form.target_groups.data or [],
        district=form.district.data or None,
    )


@bp.route("/projekte/neu", methods=["GET", "POST"])
@login_required
def new() -> Any:
    form = _project_form()
    if form.validate_on_submit():
        try:
            project = services.create_project(current_user, _data(form))
        except services.ProjectError as exc:
            show_error(form, exc)
        except WorkflowError as exc:
            flash(str(exc), "error")
        else:
            flash(_("The project was created as an idea."), "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    status = 422 if request.method == "POST" else 200
    return render_template("projects/project_form.html", form=form, project=None), status


@bp.route("/projekte/<int:project_id>/bearbeiten", methods=["GET", "POST"])
@login_required
def edit(project_id: int) -> Any:
    project = _load(project_id)
    if not services.may_edit(current_user, project):
        abort(403)
    form = _project_form(project)
    if form.validate_on_submit():
        try:
            services.update_project(current_user, project, _data(form))
        except services.ProjectError as exc:
            show_error(form, exc)
        else:
            flash(_("The project was saved."), "success")
            return redirect(url_for("projects.detail", project_id=project_id))
    status = 422 if request.method == "POST" else 200
    return render_template("projects/project_form.html", form=form, project=project), status


# --- detail and workflow ----------------------------------------------------------


def _render_detail(
    project: Project,
    failed: tuple[str, TransitionForm] | None = None,
    status: int = 200,
    feedback_form: FeedbackLinkForm | None = None,
) -> tuple[str, int]:
    user = _user()
    progress = portfolio.compute_progress()
    values = portfolio.latest_values([project.id]).get(project.id, {})
    reports = services.reports_of(project.id)
    context: dict[str, Any] = {
        "project": project,
        "progress": progress.get(project.id),
        "sub_projects": services.sub_projects(project.id, user),
        "progress_of": progress,
        "values": values,
        "indicators": report_indicators(),
        "today": local_today(),
        "decision": approval.decision_for_project(project),
        "state_title": ui.state_title(project),
    }
    if user is None:
        return render_template("projects/public_project.html", **context), status
    panel = ui.panel(
        current_user,
        project,
        lambda name: url_for("projects.transition", project_id=project.id, transition=name),
        failed=failed,
    )
    paper = approval.paper_of(project)
    context.update(
        panel=panel,
        paper=paper,
        paper_state=ui.state_title(paper) if paper is not None else None,
        reports=reports,
        next_report=services.next_report_due(project, reports[0].report_date if reports else None),
        may_edit=services.may_edit(current_user, project),
        may_manage=services.may_manage(current_user, project),
        editable_reports={
            r.id for r in reports if services.may_edit_report(current_user, project, r)
        },
        remove_form=ConfirmForm(),
        feedback_form=(feedback_form or FeedbackLinkForm(formdata=None))
        if current_user.is_staff
        else None,
        linked_feedback=feedback_links.linked_feedback_count(project.id),
        partner_entries_waiting=len(partner_portal.pending_entries(project.id))
        if services.may_manage(current_user, project)
        else 0,
        parent=db.session.get(Project, project.parent_id) if project.parent_id else None,
    )
    return render_template("projects/project.html", **context), status


@bp.route("/projekte/<int:project_id>")
@public
def detail(project_id: int) -> tuple[str, int]:
    return _render_detail(_load(project_id))


@bp.route("/projekte/<int:project_id>/schritt/<transition>", methods=["POST"])
@login_required
def transition(project_id: int, transition: str) -> Any:
    project = _load(project_id)
    form = ui.transition_form(transition)
    if not form.validate_on_submit():
        return _render_detail(project, failed=(transition, form), status=422)
    try:
        project = approval.fire_project_transition(
            current_user,
            project,
            transition,
            comment=form.comment.data,
            expected_version=form.expected_version(),
        )
    except CommentRequired as exc:
        form.comment.errors = [str(exc)]
        return _render_detail(_load(project_id), failed=(transition, form), status=422)
    except WorkflowError as exc:
        flash(str(exc), "error")
        return redirect(url_for("projects.detail", project_id=project_id))
    flash(
        _("Done: the project is now in the state “%(state)s”.", state=ui.state_title(project)),
        "success",
    )
    return redirect(url_for("projects.detail", project_id=project_id))


@bp.route("/projekte/<int:project_id>/rueckmeldung", methods=["POST"])
@staff_required
def link_feedback(project_id: int) -> Any:
    """The Bildungsbüro records that the project came out of a feedback."""
    project = _load(project_id)
    form = FeedbackLinkForm()
    if form.validate_on_submit():
        try:
            feedback_links.link_feedback(current_user, project, form.feedback.data or "")
        except services.ProjectError as exc:
            show_error(form, exc)
        else:
            flash(_("The feedback was linked; its sender sees the project."), "success")
            return redirect(url_for("projects.detail", project_id=project_id))
    return _render_detail(project, status=422, feedback_form=form)


# --- partners ----------------------------------------------------------


def _manage(project_id: int) -> Project:
    project = _load(project_id)
    if not services.may_manage(current_user, project):
        abort(403)
    return project


@bp.route("/projekte/<int:project_id>/partner/neu", methods=["GET", "POST"])
@login_required
def partner_new(project_id: int) -> Any:
    project = _manage(project_id)
    form = PartnerForm()
    form.organisation_id.choices = [("", _("Please choose"))] + [
        (str(i), n) for i, n in services.organisation_choices()
    ]
    # The contact list: the chosen organisation's people only (after "Show
    # contact persons", or a failed post); else grouped by organisation.
    chosen = form.organisation_id.data if request.method == "POST" else None
    if request.method == "GET":
        chosen = request.args.get("organisation", type=optional_id)
        form.organisation_id.data = chosen
    if chosen:
        form.contact_person_id.choices = [("", _("None"))] + [
            (str(i), n) for i, n in organisations.contact_choices(chosen)
        ]
    else:
        form.contact_person_id.choices = {
            "": [("", _("None"))],
            **organisations.contacts_by_organisation(),
        }
    if form.validate_on_submit():
        try:
            services.add_partner(
                current_user,
                project,
                organisation_id=form.organisation_id.data,
                role=form.role.data or "",
                contact_person_id=form.contact_person_id.data,
            )
        except services.ProjectError as exc:
            show_error(form, exc)
        else:
            flash(_("The partner was added."), "success")
            return redirect(url_for("projects.detail", project_id=project_id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "projects/partner_form.html",
        form=form,
        project=project,
        suggestions=[str(s) for s in PARTNER_ROLE_SUGGESTIONS],
        filtered=bool(chosen),
    ), status


def _propose_form() -> ProposeOrganisationForm:
    from ..governance.models import ORGANISATION_KIND_LABELS

    form = ProposeOrganisationForm()
    form.kind.choices = [("", _("Please choose"))] + [
        (k.value, str(label)) for k, label in ORGANISATION_KIND_LABELS.items()
    ]
    return form


@bp.route("/projekte/<int:project_id>/partner/vorschlagen", methods=["GET", "POST"])
@login_required
def propose_organisation(project_id: int) -> Any:
    project = _manage(project_id)
    form = _propose_form()
    if form.validate_on_submit():
        try:
            organisations.propose(
                current_user,
                project,
                name=form.name.data or "",
                kind=form.kind.data or "",
                role=form.role.data or "",
                website=form.website.data or "",
                email=form.email.data or "",
            )
        except services.ProjectError as exc:
            show_error(form, exc)
        else:
            flash(
                _("Proposed. The Bildungsbüro confirms the organisation; then it is a partner."),
                "success",
            )
            return redirect(url_for("projects.detail", project_id=project_id))
    status = 422 if request.method == "POST" else 200
    return render_template("projects/propose_form.html", form=form, project=project), status


@bp.route("/projekte/partner/vorschlaege")
@staff_required
def organisation_proposals() -> str:
    return render_template(
        "projects/proposals.html",
        proposals=organisations.open_proposals(),
        confirm_form=ConfirmProposalForm(formdata=None),
        projects={p.id: p for p in db.session.scalars(select(Project))},
    )


@bp.route("/projekte/partner/vorschlaege/<int:proposal_id>", methods=["POST"])
@staff_required
def confirm_proposal(proposal_id: int) -> Response:
    form = ConfirmProposalForm()
    if form.validate_on_submit():
        try:
            organisations.confirm(current_user, proposal_id)
        except services.ProjectError as exc:
            flash(str(exc), "error")
        else:
            flash(_("The organisation was confirmed and added as a partner."), "success")
    return redirect(url_for("projects.organisation_proposals"))


@bp.route("/projekte/<int:project_id>/partner/<int:partner_id>/entfernen", methods=["POST"])
@login_required
def partner_remove(project_id: int, partner_id: int) -> Response:
    project = _manage(project_id)
    partner = services.get_partner(partner_id)
    if partner is None or partner.project_id != project.id:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.remove_partner(current_user, partner)
        except services.ProjectError as exc:
            flash(str(exc), "error")
        else:
            flash(_("The partner was removed."), "success")
    return redirect(url_for("projects.detail", project_id=project_id))


@bp.route("/projekte/partner/<int:organisation_id>")
@public
def partner(organisation_id: int) -> str:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    if not organisation.active and not (_user() and current_user.is_staff):
        abort(404)  # proposed, not yet confirmed
    rows = services.projects_of_organisation(_user(), organisation_id)
    titles = {p.id: ui.state_title(p) for _pp, p in rows}
    return render_template(
        "projects/partner.html",
        organisation=organisation,
        rows=rows,
        titles=titles,
        overview=organisations.partner_overview(_user(), rows),
    )


# --- milestones ----------------------------------------------------------


def _milestone_form(project: Project, milestone: Milestone | None = None) -> MilestoneForm:
    form = MilestoneForm(obj=milestone) if milestone else MilestoneForm()
    form.lead_person_id.choices = [("", _("The project lead"))] + [
        (str(i), n) for i, n in services.person_choices()
    ]
    form.partner_organisation_id.choices = [("", _("None"))] + [
        (str(i), n) for i, n in services.partner_organisation_choices(project)
    ]
    return form


def _milestone_values(form: MilestoneForm) -> dict[str, Any]:
    return {
        "title": form.title.data or "",
        "due_date": form.due_date.data,
        "weight": form.weight.data,
        "progress": form.progress.data,
        "lead_person_id": form.lead_person_id.data,
        "partner_organisation_id": form.partner_organisation_id.data,
    }


@bp.route("/projekte/<int:project_id>/meilensteine/neu", methods=["GET", "POST"])
@login_required
def milestone_new(project_id: int) -> Any:
    project = _manage(project_id)
    form = _milestone_form(project)
    if form.validate_on_submit():
        try:
            services.add_milestone(current_user, project, **_milestone_values(form))
        except services.ProjectError as exc:
            show_error(form, exc)
        else:
            flash(_("The milestone was added."), "success")
            return redirect(url_for("projects.detail", project_id=project_id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "projects/milestone_form.html", form=form, project=project, milestone=None
    ), status


def _load_milestone(milestone_id: int) -> Milestone:
    milestone = services.get_milestone(milestone_id)
    if milestone is None:
        abort(404)
    _manage(milestone.project_id)
    return milestone


@bp.route("/projekte/meilensteine/<int:milestone_id>", methods=["GET", "POST"])
@login_required
def milestone_edit(milestone_id: int) -> Any:
    milestone = _load_milestone(milestone_id)
    form = _milestone_form(milestone.project, milestone)
    if form.validate_on_submit():
        try:
            services.update_milestone(current_user, milestone, **_milestone_values(form))
        except services.ProjectError as exc:
            show_error(form, exc)
        else:
            flash(_("The milestone was saved."), "success")
            return redirect(url_for("projects.detail", project_id=milestone.project_id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "projects/milestone_form.html",
        form=form,
        project=milestone.project,
        milestone=milestone,
        delete_form=ConfirmForm(),
    ), status


@bp.route("/projekte/meilensteine/<int:milestone_id>/loeschen", methods=["POST"])
@login_required
def milestone_delete(milestone_id: int) -> Response:
    milestone = _load_milestone(milestone_id)
    project_id = milestone.project_id
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.delete_milestone(current_user, milestone)
        except services.ProjectError as exc:
            flash(str(exc), "error")
        else:
            flash(_("The milestone was removed."), "success")
    return redirect(url_for("projects.detail", project_id=project_id))


# --- status reports ----------------------------------------------------------


def _report_form(indicators: list[Any], spending_sources: Any = None, recorded: int = 0) -> Any:
    return report_form_class([(i.code, i.label) for i in indicators], spending_sources, recorded)()


def _report_fields(form: Any, indicators: list[Any]) -> dict[str, Any]:
    """The service's keyword arguments from a report form."""
    return {
        "report_date": form.report_date.data,
        "text": form.text.data or "",
        "values": {i.code: getattr(form, f"value_{i.code}").data for i in indicators},
    }


def _show_report_error(form: Any, exc: services.RuleError, indicators: list[Any]) -> None:
    if exc.field in {i.code for i in indicators}:
        exc.field = f"value_{exc.field}"
    show_error(form, exc)


@bp.route("/projekte/<int:project_id>/berichte/neu", methods=["GET", "POST"])
@login_required
def report_new(project_id: int) -> Any:
    project = _manage(project_id)
    indicators = report_indicators()
    form = _report_form(indicators, funding.budget_sources(project.id))
    if request.method == "GET":
        form.report_date.data = local_today()
    if form.validate_on_submit():
        try:
            funding.file_status_report(
                current_user,
                project,
                spending=funding_forms.spending_rows(form),
                **_report_fields(form, indicators),
            )
        except (services.ProjectError, funding.FundingError) as exc:
            if not funding_forms.show_spending_error(form, exc):
                _show_report_error(form, exc, indicators)
        else:
            flash(_("The status report was filed."), "success")
            return redirect(url_for("projects.detail", project_id=project_id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "projects/report_form.html", form=form, project=project, report=None
    ), status


@bp.route("/projekte/berichte/<int:report_id>/bearbeiten", methods=["GET", "POST"])
@login_required
def report_edit(report_id: int) -> Any:
    report = services.get_report(report_id)
    if report is None:
        abort(404)
    project = _load(report.project_id)
    if not services.may_edit_report(current_user, project, report):
        abort(403)
    indicators = report_indicators()
    recorded = funding.report_spending(report.id)
    form = _report_form(indicators, funding.budget_sources(project.id), len(recorded))
    form.submit.label.text = _("Save status report")
    if request.method == "GET":
        form.report_date.data = report.report_date
        form.text.data = report.text
        filed = {v.code: v.value for v in report.values}
        for i in indicators:
            getattr(form, f"value_{i.code}").data = filed.get(i.code)
        funding_forms.fill_spending_lines(form, recorded)
    if form.validate_on_submit():
        try:
            update = funding.revise_status_report(
                current_user,
                report,
                spending=funding_forms.spending_rows(form),
                **_report_fields(form, indicators),
            )
        except (services.ProjectError, funding.FundingError) as exc:
            if not funding_forms.show_spending_error(form, exc):
                _show_report_error(form, exc, indicators)
        else:
            if update.changed:
                flash(_("The status report was saved."), "success")
            else:
                flash(_("Nothing was changed in the status report."), "info")
            return redirect(url_for("projects.detail", project_id=project.id))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "projects/report_form.html", form=form, project=project, report=report
    ), status
