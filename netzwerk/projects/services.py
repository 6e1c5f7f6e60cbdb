"""Projects: access, creating and editing, partners, milestones, status reports.

Every write is one ``write_transaction()``; rules broken by the input raise
:class:`ProjectError` naming the form field.  Which states count as draft,
public or active is read from the project workflow's state flags (data, not
code): ``editable_by_author`` = draft, ``public`` = approved and later,
active = public and not final.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from .. import visibility
from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.models import ActionField, Body, Organisation, Person
from ..rules import RuleError, checked_text
from ..workflow import services as workflow
from ..workflow.catalog import get_catalog
from .models import (
    Milestone,
    Project,
    ProjectPartner,
    ProjectTargetGroup,
    ReportValue,
    StatusReport,
)
from .vocab import REPORT_INTERVALS, TARGET_GROUPS, report_indicators

MAX_BUDGET = Decimal("9999999999.99")
MAX_WEIGHT = 1000
MAX_INDICATOR_VALUE = 10_000_000


class ProjectError(RuleError):
    """A project rule was broken."""


# --- states from the workflow's flags ----------------------------------------------------------


@dataclass(frozen=True)
class StateSets:
    draft: frozenset[str]
    public: frozenset[str]
    final: frozenset[str]
    active: frozenset[str]


def state_sets() -> StateSets:
    draft: set[str] = set()
    public: set[str] = set()
    final: set[str] = set()
    for definition in get_catalog().for_object_type("project"):
        for state in definition.states.values():
            if "editable_by_author" in state.flags:
                draft.add(state.name)
            if "public" in state.flags:
                public.add(state.name)
            if state.final:
                final.add(state.name)
    return StateSets(
        frozenset(draft), frozenset(public), frozenset(final), frozenset(public - final)
    )


def _is_authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_lead(user: Any, project: Project) -> bool:
    return _is_authenticated(user) and user.person_id in (
        project.lead_person_id,
        project.created_by_person_id,
    )


def is_final(project: Project) -> bool:
    return workflow.definition_of(project).is_final(project.state)


def is_draft(project: Project) -> bool:
    state = workflow.definition_of(project).states.get(project.state)
    return bool(state and "editable_by_author" in state.flags)


# Who may see a project is the visibility policy's rule (netzwerk/visibility.py).


def is_publicly_visible(project: Project) -> bool:
    return visibility.may_see_project(visibility.ANONYMOUS, project)


def may_view(user: Any, project: Project) -> bool:
    """Anonymous: public and approved. Signed in: all but others' drafts."""
    return visibility.may_see_project(user, project)


def visible_condition(user: Any) -> Any:
    """The SQL form of :func:`may_view` for lists."""
    return visibility.project_filter(user)


def may_manage(user: Any, project: Project) -> bool:
    """Partners, milestones, reports: the lead and staff while not final."""
    if not _is_authenticated(user):
        return False
    return (user.is_staff or is_lead(user, project)) and not is_final(project)


def may_edit(user: Any, project: Project) -> bool:
    """The project's core data: staff while not final, the lead while a draft."""
    if not _is_authenticated(user) or is_final(project):
        return False
    return bool(user.is_staff or (is_lead(user, project) and is_draft(project)))


# --- reading ----------------------------------------------------------


def get_project(project_id: int) -> Project | None:
    return db.session.scalar(
        select(Project)
        .options(
            joinedload(Project.action_field),
            joinedload(Project.lead),
            joinedload(Project.deciding_body),
            selectinload(Project.target_groups),
            selectinload(Project.partners).joinedload(ProjectPartner.organisation),
            selectinload(Project.partners).joinedload(ProjectPartner.contact_person),
            selectinload(Project.milestones).joinedload(Milestone.lead),
        )
        .where(Project.id == project_id)
    )


def sub_projects(project_id: int, user: Any) -> Sequence[Project]:
    return db.session.scalars(
        select(Project)
        .where(Project.parent_id == project_id, visible_condition(user))
        .order_by(Project.title)
    ).all()


def reports_of(project_id: int) -> Sequence[StatusReport]:
    return db.session.scalars(
        select(StatusReport)
        .options(
            selectinload(StatusReport.values),
            joinedload(StatusReport.author),
            joinedload(StatusReport.updated_by),
        )
        .where(StatusReport.project_id == project_id)
        .order_by(StatusReport.report_date.desc(), StatusReport.id.desc())
    ).all()


def get_milestone(milestone_id: int) -> Milestone | None:
    return db.session.get(Milestone, milestone_id)


def get_partner(partner_id: int) -> ProjectPartner | None:
    return db.session.get(ProjectPartner, partner_id)


def projects_of_organisation(
    user: Any, organisation_id: int
) -> list[tuple[ProjectPartner, Project]]:
    rows = db.session.execute(
        select(ProjectPartner, Project)
        .join(Project, ProjectPartner.project_id == Project.id)
        .options(joinedload(Project.action_field))
        .where(ProjectPartner.organisation_id == organisation_id, visible_condition(user))
        .order_by(Project.title)
    ).all()
    return [(r[0], r[1]) for r in rows]


# --- choices for forms ----------------------------------------------------------


def action_field_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(ActionField.id, ActionField.name)
        .where(ActionField.active)
        .order_by(ActionField.position, ActionField.name)
    ).all()
    return [(r.id, r.name) for r in rows]


def lead_choices(user: User, include_id: int | None = None) -> list[tuple[int, str]]:
    """Persons with an active login; non-staff may only name themselves."""
    stmt = (
        select(Person.id, Person.first_name, Person.last_name)
        .join(User, User.person_id == Person.id)
        .where(User.active)
        .order_by(Person.last_name, Person.first_name)
    )
    if not user.is_staff:
        ids = {user.person_id} | ({include_id} if include_id else set())
        stmt = stmt.where(Person.id.in_(ids))
    return [(r.id, f"{r.last_name}, {r.first_name}") for r in db.session.execute(stmt)]


def person_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Person.id, Person.first_name, Person.last_name, Organisation.name)
        .outerjoin(Organisation, Person.organisation_id == Organisation.id)
        .where(Person.active)
        .order_by(Person.last_name, Person.first_name)
    ).all()
    return [
        (r.id, f"{r.last_name}, {r.first_name}" + (f" ({r.name})" if r.name else "")) for r in rows
    ]


def organisation_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Organisation.id, Organisation.name, Organisation.kind)
        .where(Organisation.active)
        .order_by(Organisation.name)
    ).all()
    from ..governance.models import OrganisationKind

    return [(r.id, f"{r.name} ({OrganisationKind(r.kind).label})") for r in rows]


def body_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Body.id, Body.name).where(Body.active).order_by(Body.name)
    ).all()
    return [(r.id, r.name) for r in rows]


def default_deciding_body_id() -> int | None:
    """The body named by PROJECTS_DECIDING_BODY (short name; default "VK")."""
    short = "VK"
    if has_app_context():
        short = current_app.config.get("PROJECTS_DECIDING_BODY", short)
    return db.session.scalar(select(Body.id).where(Body.short_name == short, Body.active))


def parent_choices(user: Any, exclude_id: int | None = None) -> list[tuple[int, str]]:
    stmt = select(Project.id, Project.title).where(visible_condition(user)).order_by(Project.title)
    if exclude_id is not None:
        stmt = stmt.where(Project.id != exclude_id)
    return [(r.id, r.title) for r in db.session.execute(stmt)]


# --- validation ----------------------------------------------------------


def _text(value: Any, field: str, max_length: int, *, required: bool = False) -> str:
    return checked_text(value, field, max_length, error=ProjectError, required=required)


def parse_budget(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace("€", "")
        if "," in text:
            text = text.replace(".", "").replace(",", ".")
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ProjectError(_("Please enter an amount in euros, e.g. 12500,00."), "budget") from None
    if not amount.is_finite():
        raise ProjectError(_("Please enter an amount in euros, e.g. 12500,00."), "budget")
    if amount < 0:
        raise ProjectError(_("The budget cannot be negative."), "budget")
    if amount > MAX_BUDGET:
        raise ProjectError(_("The budget is too large."), "budget")
    return amount.quantize(Decimal("0.01"))


@dataclass
class ProjectData:
    title: str
    goals: str
    action_field_id: int | None
    lead_person_id: int | None
    start_date: date | None = None
    end_date: date | None = None
    budget: Any = None
    public: bool = False
    parent_id: int | None = None
    weight: int = 1
    report_interval_months: int = 3
    deciding_body_id: int | None = None
    target_groups: Iterable[str] = ()
    district: str | None = None  # the venue's district (monitoring.districts code)


def _district(code: str | None) -> str | None:
    from ..monitoring.districts import codes

    if code and code not in codes():
        raise ProjectError(_("Please choose one of the options."), "district")
    return code or None


def _clean(user: User, data: ProjectData, project: Project | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": _text(data.title, "title", 200, required=True),
        "goals": _text(data.goals, "goals", 20000),
    }
    if data.action_field_id is None or db.session.get(ActionField, data.action_field_id) is None:
        raise ProjectError(_("Please choose an action field."), "action_field_id")
    values["action_field_id"] = data.action_field_id
    lead_ids = {c[0] for c in lead_choices(user, project.lead_person_id if project else None)}
    if data.lead_person_id is None or data.lead_person_id not in lead_ids:
        raise ProjectError(_("Please choose a project lead with a login."), "lead_person_id")
    values["lead_person_id"] = data.lead_person_id
    if data.start_date and data.end_date and data.end_date < data.start_date:
        raise ProjectError(_("The end must not be before the start."), "end_date")
    for name in ("start_date", "end_date"):
        value = getattr(data, name)
        if value is not None and not (date(1990, 1, 1) <= value <= date(2100, 12, 31)):
            raise ProjectError(_("Please enter a date between 1990 and 2100."), name)
    values["start_date"] = data.start_date
    values["end_date"] = data.end_date
    values["budget"] = parse_budget(data.budget)
    values["public"] = bool(data.public)
    values["district"] = _district(data.district)
    if not isinstance(data.weight, int) or not (1 <= data.weight <= MAX_WEIGHT):
        raise ProjectError(_("Please enter a whole number from 1 to 1000."), "weight")
    values["weight"] = data.weight
    if data.report_interval_months not in REPORT_INTERVALS:
        raise ProjectError(_("Please choose an interval."), "report_interval_months")
    values["report_interval_months"] = data.report_interval_months
    if data.deciding_body_id is not None:
        body = db.session.get(Body, data.deciding_body_id)
        if body is None or not body.active:
            raise ProjectError(_("Please choose an active body."), "deciding_body_id")
    values["deciding_body_id"] = data.deciding_body_id or default_deciding_body_id()
    if data.parent_id is not None:
        parent = db.session.get(Project, data.parent_id)
        if parent is None or not may_view(user, parent):
            raise ProjectError(_("Please choose a project."), "parent_id")
        if project is not None and _would_cycle(project.id, data.parent_id):
            raise ProjectError(
                _("A project cannot be a sub-project of itself or of its own sub-projects."),
                "parent_id",
            )
    values["parent_id"] = data.parent_id
    groups = sorted(set(data.target_groups or ()))
    unknown = [g for g in groups if g not in TARGET_GROUPS]
    if unknown:
        raise ProjectError(_("Please choose from the list."), "target_groups")
    values["target_groups"] = groups
    return values


def _would_cycle(project_id: int, parent_id: int) -> bool:
    """Walks up from the new parent; True when it reaches the project (or loops)."""
    parents = dict(db.session.execute(select(Project.id, Project.parent_id)).tuples().all())
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None:
        if current == project_id or current in seen:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


# --- creating and editing ----------------------------------------------------------


def create_project(user: User, data: ProjectData) -> Project:
    values = _clean(user, data)
    groups = values.pop("target_groups")
    definition = workflow.workflow_for(values["deciding_body_id"], "project")
    with write_transaction():
        project = Project(
            **values,
            created_by_person_id=user.person_id,
            workflow_name=definition.name,
            workflow_hash=definition.hash,
            state=definition.initial,
        )
        project.target_groups = [ProjectTargetGroup(code=g) for g in groups]
        db.session.add(project)
        db.session.flush()
        workflow.start(project, definition, user)
    return project


def update_project(user: User, project: Project, data: ProjectData) -> Project:
    if not may_edit(user, project):
        raise ProjectError(_("This project cannot be edited in its current state."))
    values = _clean(user, data, project)
    groups = values.pop("target_groups")
    project_id, version = project.id, project.version
    with write_transaction():
        current = db.session.scalar(
            select(Project).where(Project.id == project_id).with_for_update()
        )
        if current is None or current.version != version:
            raise ProjectError(_("The project has changed its state in the meantime."))
        for key, value in values.items():
            setattr(current, key, value)
        existing = {t.code: t for t in current.target_groups}
        for code in set(existing) - set(groups):
            current.target_groups.remove(existing[code])
        for code in groups:
            if code not in existing:
                current.target_groups.append(ProjectTargetGroup(code=code))
        record("project.updated", "project", current.id, actor_id=user.id)
    return current


# --- partners ----------------------------------------------------------


def add_partner(
    user: User,
    project: Project,
    *,
    organisation_id: int | None,
    role: str,
    contact_person_id: int | None = None,
) -> ProjectPartner:
    if not may_manage(user, project):
        raise ProjectError(_("You cannot change this project."))
    org = db.session.get(Organisation, organisation_id) if organisation_id else None
    if org is None or not org.active:
        raise ProjectError(_("Please choose an organisation."), "organisation_id")
    role = _text(role, "role", 100) or org.kind_label
    person = db.session.get(Person, contact_person_id) if contact_person_id is not None else None
    if contact_person_id is not None and (person is None or person.organisation_id != org.id):
        raise ProjectError(
            _("Please choose a contact person of this organisation."), "contact_person_id"
        )
    project_id = project.id
    try:
        with write_transaction():
            partner = ProjectPartner(
                project_id=project_id,
                organisation_id=org.id,
                role=role,
                contact_person_id=contact_person_id,
            )
            db.session.add(partner)
            db.session.flush()
            record(
                "project.partner_added",
                "project",
                project_id,
                actor_id=user.id,
                data={"organisation_id": org.id, "role": role},
            )
    except IntegrityError:
        raise ProjectError(
            _("This organisation is already a partner of the project."), "organisation_id"
        ) from None
    return partner


def remove_partner(user: User, partner: ProjectPartner) -> None:
    project = partner.project
    if not may_manage(user, project):
        raise ProjectError(_("You cannot change this project."))
    partner_id, project_id, org_id = partner.id, project.id, partner.organisation_id
    with write_transaction():
        found = db.session.get(ProjectPartner, partner_id)
        if found is not None:
            db.session.delete(found)
            record(
                "project.partner_removed",
                "project",
                project_id,
                actor_id=user.id,
                data={"organisation_id": org_id},
            )


# --- milestones ----------------------------------------------------------


def _milestone_values(
    title: str, due_date: date | None, weight: Any, progress: Any, lead_person_id: int | None
) -> dict[str, Any]:
    values: dict[str, Any] = {"title": _text(title, "title", 200, required=True)}
    if due_date is None:
        raise ProjectError(_("Please enter a due date."), "due_date")
    if not (date(1990, 1, 1) <= due_date <= date(2100, 12, 31)):
        raise ProjectError(_("Please enter a date between 1990 and 2100."), "due_date")
    values["due_date"] = due_date
    if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= MAX_WEIGHT:
        raise ProjectError(_("Please enter a whole number from 1 to 1000."), "weight")
    values["weight"] = weight
    if not isinstance(progress, int) or isinstance(progress, bool) or not 0 <= progress <= 100:
        raise ProjectError(_("Please enter a whole number from 0 to 100."), "progress")
    values["progress"] = progress
    if lead_person_id is not None and db.session.get(Person, lead_person_id) is None:
        raise ProjectError(_("Please choose a person."), "lead_person_id")
    values["lead_person_id"] = lead_person_id
    return values


def _milestone_owner(project_id: int, organisation_id: int | None) -> int | None:
    """The owning partner organisation: one of the project's partners."""
    if organisation_id is None:
        return None
    found = db.session.scalar(
        select(ProjectPartner.id).where(
            ProjectPartner.project_id == project_id,
            ProjectPartner.organisation_id == organisation_id,
        )
    )
    if found is None:
        raise ProjectError(
            _("Please choose a partner organisation of this project."), "partner_organisation_id"
        )
    return organisation_id


def partner_organisation_choices(project: Project) -> list[tuple[int, str]]:
    return [(p.organisation_id, p.organisation.name) for p in project.partners]


def add_milestone(
    user: User,
    project: Project,
    *,
    title: str,
    due_date: date | None,
    weight: Any = 1,
    progress: Any = 0,
    lead_person_id: int | None = None,
    partner_organisation_id: int | None = None,
) -> Milestone:
    if not may_manage(user, project):
        raise ProjectError(_("You cannot change this project."))
    values = _milestone_values(title, due_date, weight, progress, lead_person_id)
    values["partner_organisation_id"] = _milestone_owner(project.id, partner_organisation_id)
    project_id = project.id
    with write_transaction():
        milestone = Milestone(project_id=project_id, **values)
        db.session.add(milestone)
        db.session.flush()
        record(
            "project.milestone_added",
            "project",
            project_id,
            actor_id=user.id,
            data={"milestone_id": milestone.id, "title": milestone.title},
        )
    return milestone


def update_milestone(
    user: User,
    milestone: Milestone,
    *,
    title: str,
    due_date: date | None,
    weight: Any,
    progress: Any,
    lead_person_id: int | None = None,
    partner_organisation_id: int | None = None,
) -> Milestone:
    if not may_manage(user, milestone.project):
        raise ProjectError(_("You cannot change this project."))
    values = _milestone_values(title, due_date, weight, progress, lead_person_id)
    values["partner_organisation_id"] = _milestone_owner(
        milestone.project_id, partner_organisation_id
    )
    milestone_id = milestone.id
    with write_transaction():
        current = db.session.get(Milestone, milestone_id, with_for_update=True)
        if current is None:
            raise ProjectError(_("This milestone no longer exists."))
        before = current.progress
        for key, value in values.items():
            setattr(current, key, value)
        record(
            "project.milestone_updated",
            "project",
            current.project_id,
            actor_id=user.id,
            data={"milestone_id": current.id, "progress": [before, current.progress]},
        )
    return current


def delete_milestone(user: User, milestone: Milestone) -> None:
    if not may_manage(user, milestone.project):
        raise ProjectError(_("You cannot change this project."))
    milestone_id, project_id = milestone.id, milestone.project_id
    with write_transaction():
        found = db.session.get(Milestone, milestone_id)
        if found is not None:
            db.session.delete(found)
            record(
                "project.milestone_deleted",
                "project",
                project_id,
                actor_id=user.id,
                data={"milestone_id": milestone_id},
            )


# --- status reports ----------------------------------------------------------


def may_edit_report(user: Any, project: Project, report: StatusReport) -> bool:
    """A filed report: its author and staff, while the project is not final."""
    if not _is_authenticated(user) or report.project_id != project.id or is_final(project):
        return False
    return bool(user.is_staff or report.author_person_id == user.person_id)


def get_report(report_id: int) -> StatusReport | None:
    return db.session.get(StatusReport, report_id)


@dataclass(frozen=True)
class ReportContent:
    """A status report's checked input: date, text and indicator values."""

    report_date: date
    text: str
    values: dict[str, int]


def _report_content(report_date: Any, text: Any, values: Any) -> ReportContent:
    """The rules of a status report, for filing and for editing alike."""
    if report_date is None:
        raise ProjectError(_("Please enter a date."), "report_date")
    if not isinstance(report_date, date) or isinstance(report_date, datetime):
        raise ProjectError(_("Please enter a date."), "report_date")
    if not (date(1990, 1, 1) <= report_date <= date(2100, 12, 31)):
        raise ProjectError(_("Please enter a date between 1990 and 2100."), "report_date")
    body = _text(text, "text", 50000, required=True)
    codes = {i.code for i in report_indicators()}
    cleaned: dict[str, int] = {}
    for code, value in dict(values or {}).items():
        if code not in codes:
            raise ProjectError(_("Unknown indicator."), code)
        if value is None or value == "":
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            raise ProjectError(_("Please enter a whole number."), code)
        if not 0 <= value <= MAX_INDICATOR_VALUE:
            raise ProjectError(_("Please enter a whole number from 0 to 10,000,000."), code)
        cleaned[code] = value
    return ReportContent(report_date, body, cleaned)


def add_report(
    user: User,
    project: Project,
    *,
    report_date: date | None,
    text: str,
    values: dict[str, Any],
) -> StatusReport:
    if not may_manage(user, project):
        raise ProjectError(_("You cannot change this project."))
    content = _report_content(report_date, text, values)
    project_id = project.id
    with write_transaction():
        report = StatusReport(
            project_id=project_id,
            report_date=content.report_date,
            text=content.text,
            author_person_id=user.person_id,
        )
        report.values = [ReportValue(code=c, value=v) for c, v in sorted(content.values.items())]
        db.session.add(report)
        db.session.flush()
        record(
            "project.report_added",
            "project",
            project_id,
            actor_id=user.id,
            data={"report_id": report.id, "values": content.values},
        )
    return report


def update_report(
    user: User,
    report: StatusReport,
    *,
    report_date: date | None,
    text: str,
    values: dict[str, Any],
    now: datetime | None = None,
) -> ReportUpdate:
    """Correct a filed report (its author or staff; same rules as filing).

    A configured indicator left empty is removed from the report.  The report
    shows who corrected it last and when; the audit trail records who changed
    what and when, every time.  Saving it unchanged changes nothing.  The
    reach figures read the values live, so they follow the edit.
    """
    project = db.session.get(Project, report.project_id)
    if project is None or not may_edit_report(user, project, report):
        raise ProjectError(_("You cannot edit this status report."))
    content = _report_content(report_date, text, values)
    report_id = report.id
    with write_transaction():
        current = db.session.get(
            StatusReport, report_id, with_for_update=True, populate_existing=True
        )
        if current is None:
            raise ProjectError(_("This status report no longer exists."))
        before = {
            "report_date": current.report_date.isoformat(),
            "text": current.text,
            "values": {v.code: v.value for v in current.values},
        }
        current.report_date = content.report_date
        current.text = content.text
        # Changed in place: deleting and re-inserting a code in one flush would
        # insert before it deletes and trip the (report, code) unique constraint.
        # A value of an indicator no longer configured (not on the form) is kept.
        asked = {i.code for i in report_indicators()}
        existing = {v.code: v for v in current.values}
        for code, value in existing.items():
            if code in asked and code not in content.values:
                current.values.remove(value)
        for code, number in sorted(content.values.items()):
            if code in existing:
                existing[code].value = number
            else:
                current.values.append(ReportValue(code=code, value=number))
        after = {
            "report_date": content.report_date.isoformat(),
            "text": content.text,
            "values": content.values,
        }
        changes: dict[str, Any] = {
            key: [before[key], after[key]]
            for key in ("report_date", "values")
            if before[key] != after[key]
        }
        if before["text"] != after["text"]:
            changes["text_changed"] = True
        if changes:
            current.updated_at = now or utcnow()
            current.updated_by_person_id = user.person_id
            record(
                "project.report_updated",
                "project",
                current.project_id,
                actor_id=user.id,
                data={"report_id": current.id, **changes},
            )
    return ReportUpdate(current, bool(changes))


@dataclass(frozen=True)
class ReportUpdate:
    report: StatusReport
    changed: bool


def next_report_due(project: Project, last_report: date | None) -> date | None:
    """The day the next status report is due (None: no regular reports)."""
    months = project.report_interval_months
    if not months:
        return None
    base = last_report or project.start_date
    if base is None:
        return None
    return add_months(base, months)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    import calendar

    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
