"""Funding pages of a project (office and administrators)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth.access import staff_required
from ..extensions import db
from . import services
from .forms import BudgetForm, ProofForm, SpendingForm

bp = Blueprint("funding", __name__, url_prefix="/projekte")


def _project(project_id: int) -> Any:
    from ..projects.models import Project

    project = db.session.get(Project, project_id)
    if project is None:
        abort(404)
    return project


def _reports(project_id: int) -> list[Any]:
    from ..projects.models import StatusReport

    return list(
        db.session.scalars(
            select(StatusReport)
            .where(StatusReport.project_id == project_id)
            .order_by(StatusReport.report_date.desc())
        )
    )


def _page(project: Any, status: int = 200, **forms: Any) -> Any:
    reports = _reports(project.id)
    return render_template(
        "funding/project.html",
        project=project,
        overview=services.overview(project.id),
        items=services.spendings(project.id),
        budget_form=forms.get("budget") or BudgetForm(formdata=None),
        spending_form=forms.get("spending") or SpendingForm(formdata=None, reports=reports),
        proof_form=forms.get("proof") or ProofForm(formdata=None),
        labels=services.SOURCE_LABELS,
        euro=services.euro,
    ), status


@bp.route("/<int:project_id>/finanzierung")
@staff_required
def project(project_id: int) -> Any:
    return _page(_project(project_id))


@bp.route("/<int:project_id>/finanzierung/budget", methods=["POST"])
@staff_required
def budget(project_id: int) -> Any:
    project = _project(project_id)
    form = BudgetForm()
    if not form.validate_on_submit():
        return _page(project, 400, budget=form)
    try:
        services.set_budget(current_user, project.id, form.source.data or "", form.amount.data)
    except services.FundingError as exc:
        target = getattr(form, exc.field or "", None) or form.amount
        target.errors = [*target.errors, str(exc)]
        return _page(project, 400, budget=form)
    flash(_("Budget saved."), "success")
    return redirect(url_for("funding.project", project_id=project.id))


@bp.route("/<int:project_id>/finanzierung/ausgabe", methods=["POST"])
@staff_required
def spending(project_id: int) -> Any:
    project = _project(project_id)
    form = SpendingForm(reports=_reports(project.id))
    if not form.validate_on_submit():
        return _page(project, 400, spending=form)
    try:
        services.record_spending(
            current_user,
            project.id,
            source=form.source.data or "",
            spent_on=form.spent_on.data,  # type: ignore[arg-type]
            amount=form.amount.data,
            purpose=form.purpose.data or "",
            status_report_id=form.status_report.data,
        )
    except services.FundingError as exc:
        target = getattr(form, exc.field or "", None) or form.amount
        target.errors = [*target.errors, str(exc)]
        return _page(project, 400, spending=form)
    flash(_("Spending recorded."), "success")
    return redirect(url_for("funding.project", project_id=project.id))


@bp.route("/<int:project_id>/verwendungsnachweis.pdf")
@staff_required
def proof(project_id: int) -> Any:
    project = _project(project_id)
    form = ProofForm(request.args)
    if not form.validate() or form.bis.data < form.von.data:  # type: ignore[operator]
        if not form.bis.errors and form.bis.data and form.von.data:
            form.bis.errors = [_("The end lies before the start.")]
        return _page(project, 400, proof=form)
    body = services.proof_pdf(project, form.von.data, form.bis.data)  # type: ignore[arg-type]
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'inline; filename="verwendungsnachweis.pdf"'},
    )
