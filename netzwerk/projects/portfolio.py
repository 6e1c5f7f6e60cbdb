"""Portfolio figures: progress, overdue milestones, reach; CSV export and import.

**Progress** of a project is the weighted mean of its parts, in percent:

* each milestone counts with its weight and its progress (0–100);
* each sub-project counts with its own ``weight`` (same scale as milestone
  weights, default 1) and its own progress, computed the same way
  (recursively); sub-projects that were rejected or cancelled, or that have
  no parts yet, do not count;
* a project without any counting part has no progress (shown as "–").

The whole forest is computed from two queries (all projects' parent links and
the milestone sums per project), whatever the number of projects, with
protection against cycles (a project met again on its own path counts as
having no progress there).

**Reach** is the sum over projects of each indicator's latest reported value
(status report values are cumulative totals up to the report date).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from ..audit.services import record
from ..auth.models import User
from ..csvutil import write_csv
from ..database import write_transaction
from ..extensions import db
from ..governance.models import ActionField, Organisation, OrganisationKind
from ..monitoring.indicators import Period, register_indicator
from ..timeutil import local_today
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
from .services import (
    ProjectError,
    default_deciding_body_id,
    parse_budget,
    visible_condition,
)
from .vocab import REACH_CODE, REPORT_INTERVALS, TARGET_GROUPS, report_indicators

# --- progress ----------------------------------------------------------


def compute_progress() -> dict[int, float | None]:
    """Progress in percent of every project (two queries; see module docstring)."""
    excluded = _ended_unsuccessfully()
    projects = db.session.execute(
        select(Project.id, Project.parent_id, Project.weight, Project.state)
    ).all()
    sums = {
        r.project_id: (float(r.weighted or 0), float(r.weights or 0))
        for r in db.session.execute(
            select(
                Milestone.project_id,
                func.sum(Milestone.weight * Milestone.progress).label("weighted"),
                func.sum(Milestone.weight).label("weights"),
            ).group_by(Milestone.project_id)
        )
    }
    in_cycle = _projects_in_cycles({p.id: p.parent_id for p in projects})
    children: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for p in projects:
        if p.parent_id is not None and p.state not in excluded and p.id not in in_cycle:
            children[p.parent_id].append((p.id, p.weight))
    result: dict[int, float | None] = {}

    def visit(project_id: int, path: frozenset[int]) -> float | None:
        if project_id in result:
            return result[project_id]
        if project_id in path:  # a cycle: no progress on this path
            return None
        path = path | {project_id}
        weighted, weights = sums.get(project_id, (0.0, 0.0))
        for child_id, weight in children.get(project_id, []):
            child = visit(child_id, path)
            if child is not None:
                weighted += child * weight
                weights += weight
        value = round(weighted / weights, 1) if weights > 0 else None
        result[project_id] = value
        return value

    for p in projects:
        visit(p.id, frozenset())
    return result


def _projects_in_cycles(parents: dict[int, int | None]) -> set[int]:
    """Projects on a parent cycle (corrupt data): their parent link is ignored."""
    in_cycle: set[int] = set()
    for start in parents:
        seen: list[int] = []
        current: int | None = start
        while current is not None and current not in seen and current not in in_cycle:
            seen.append(current)
            current = parents.get(current)
        if current is not None and current in seen:
            in_cycle.update(seen[seen.index(current) :])
    return in_cycle


def _ended_unsuccessfully() -> set[str]:
    """Final states that are not public (rejected, cancelled) in project workflows."""
    states: set[str] = set()
    for definition in get_catalog().for_object_type("project"):
        for state in definition.states.values():
            if state.final and "public" not in state.flags:
                states.add(state.name)
    return states


def overdue_counts(today: date | None = None) -> dict[int, int]:
    today = today or local_today()
    return dict(
        db.session.execute(
            select(Milestone.project_id, func.count(Milestone.id))
            .where(Milestone.due_date < today, Milestone.progress < 100)
            .group_by(Milestone.project_id)
        )
        .tuples()
        .all()
    )


def latest_values(
    project_ids: Sequence[int] | None = None, before: date | None = None
) -> dict[int, dict[str, int]]:
    """{project: {indicator: latest value}} (one query; ``before`` = exclusive date)."""
    ranked = select(
        StatusReport.project_id,
        ReportValue.code,
        ReportValue.value,
        func.row_number()
        .over(
            partition_by=(StatusReport.project_id, ReportValue.code),
            order_by=(StatusReport.report_date.desc(), StatusReport.id.desc()),
        )
        .label("rank"),
    ).join(StatusReport, ReportValue.report_id == StatusReport.id)
    if before is not None:
        ranked = ranked.where(StatusReport.report_date < before)
    if project_ids is not None:
        ranked = ranked.where(StatusReport.project_id.in_(list(project_ids)))
    sub = ranked.subquery()
    result: dict[int, dict[str, int]] = defaultdict(dict)
    for project_id, code, value in db.session.execute(
        select(sub.c.project_id, sub.c.code, sub.c.value).where(sub.c.rank == 1)
    ):
        result[project_id][code] = int(value)
    return result


def last_report_dates() -> dict[int, date]:
    return dict(
        db.session.execute(
            select(StatusReport.project_id, func.max(StatusReport.report_date)).group_by(
                StatusReport.project_id
            )
        )
        .tuples()
        .all()
    )


# --- the portfolio ----------------------------------------------------------


@dataclass(frozen=True)
class PortfolioFilter:
    action_field_id: int | None = None
    state: str | None = None
    partner_kind: str | None = None
    target_group: str | None = None


@dataclass
class PortfolioRow:
    project: Project
    state_title: str
    progress: float | None
    overdue: int
    values: dict[str, int]


@dataclass
class Portfolio:
    rows: list[PortfolioRow]
    by_state: list[tuple[str, str, int]]  # (state, title, count)
    reach: dict[str, int]
    overdue_total: int
    progress: float | None
    indicators: list[Any] = field(default_factory=list)


def portfolio_query(user: Any, flt: PortfolioFilter) -> Select[tuple[Project]]:
    stmt = (
        select(Project)
        .options(
            joinedload(Project.action_field),
            joinedload(Project.lead),
            selectinload(Project.target_groups),
            selectinload(Project.partners).joinedload(ProjectPartner.organisation),
        )
        .where(visible_condition(user))
        .order_by(Project.title, Project.id)
    )
    if flt.action_field_id:
        stmt = stmt.where(Project.action_field_id == flt.action_field_id)
    if flt.state:
        stmt = stmt.where(Project.state == flt.state)
    if flt.partner_kind:
        stmt = stmt.where(
            exists(
                select(ProjectPartner.id)
                .join(Organisation, ProjectPartner.organisation_id == Organisation.id)
                .where(
                    ProjectPartner.project_id == Project.id,
                    Organisation.kind == flt.partner_kind,
                )
            )
        )
    if flt.target_group:
        stmt = stmt.where(
            exists(
                select(ProjectTargetGroup.id).where(
                    ProjectTargetGroup.project_id == Project.id,
                    ProjectTargetGroup.code == flt.target_group,
                )
            )
        )
    return stmt


def build_portfolio(user: Any, flt: PortfolioFilter, limit: int = 2000) -> Portfolio:
    """The projects the user may see with their figures (a fixed number of queries)."""
    projects = db.session.scalars(portfolio_query(user, flt).limit(limit)).unique().all()
    progress = compute_progress()
    overdue = overdue_counts()
    values = latest_values()
    titles: dict[tuple[str, str, str], str] = {}
    rows = []
    counts: dict[str, int] = defaultdict(int)
    state_titles: dict[str, str] = {}
    reach: dict[str, int] = defaultdict(int)
    for project in projects:
        key = (project.workflow_name, project.workflow_hash, project.state)
        if key not in titles:
            titles[key] = workflow.definition_of(project).state_title(project.state)
        state_titles.setdefault(project.state, titles[key])
        counts[project.state] += 1
        project_values = values.get(project.id, {})
        for code, value in project_values.items():
            reach[code] += value
        rows.append(
            PortfolioRow(
                project,
                titles[key],
                progress.get(project.id),
                overdue.get(project.id, 0),
                project_values,
            )
        )
    order = _state_order()
    by_state = sorted(
        ((s, state_titles[s], n) for s, n in counts.items()),
        key=lambda item: (order.get(item[0], 99), item[1]),
    )
    top_level = [r for r in rows if r.progress is not None and r.project.parent_id is None]
    weights = sum(r.project.weight for r in top_level)
    overall = (
        round(sum((r.progress or 0) * r.project.weight for r in top_level) / weights, 1)
        if weights
        else None
    )
    return Portfolio(
        rows=rows,
        by_state=by_state,
        reach=dict(reach),
        overdue_total=sum(r.overdue for r in rows),
        progress=overall,
        indicators=report_indicators(),
    )


def _state_order() -> dict[str, int]:
    order: dict[str, int] = {}
    for definition in get_catalog().for_object_type("project"):
        for index, name in enumerate(definition.states):
            order.setdefault(name, index)
    return order


def state_choices() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for definition in get_catalog().for_object_type("project"):
        for state in definition.states.values():
            seen.setdefault(state.name, state.title)
    return list(seen.items())


# --- CSV export ----------------------------------------------------------

EXPORT_COLUMNS = [
    "id",
    "title",
    "action_field",
    "state",
    "lead",
    "start_date",
    "end_date",
    "budget",
    "public",
    "target_groups",
    "partners",
    "progress",
    "overdue_milestones",
]


def export_csv(portfolio: Portfolio) -> str:
    codes = [i.code for i in portfolio.indicators]
    rows: list[tuple[Any, ...]] = []
    for row in portfolio.rows:
        p = row.project
        rows.append(
            (
                p.id,
                p.title,
                p.action_field.name,
                row.state_title,
                p.lead.full_name,
                p.start_date.isoformat() if p.start_date else "",
                p.end_date.isoformat() if p.end_date else "",
                f"{p.budget:.2f}".replace(".", ",") if p.budget is not None else "",
                "ja" if p.public else "nein",
                ",".join(p.target_group_codes),
                " | ".join(f"{x.organisation.name} ({x.role})" for x in p.partners),
                f"{row.progress:.1f}".replace(".", ",") if row.progress is not None else "",
                row.overdue,
                *(row.values.get(c, "") for c in codes),
            )
        )
    return write_csv(EXPORT_COLUMNS + codes, rows)


# --- CSV import ----------------------------------------------------------

IMPORT_REQUIRED = ("title", "action_field", "lead_email")
IMPORT_OPTIONAL = (
    "goals",
    "start_date",
    "end_date",
    "budget",
    "public",
    "target_groups",
    "report_interval_months",
)
MAX_IMPORT_ROWS = 5000


@dataclass
class ImportProblem:
    row: int  # line number in the file, 1 = header
    column: str
    message: str


class ImportFailed(Exception):
    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def _parse_date(text: str) -> date:
    text = text.strip()
    if "." in text:
        day, month, year = text.split(".")
        return date(int(year), int(month), int(day))
    return date.fromisoformat(text)


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("", "0", "nein", "no", "false", "n"):
        return False
    if value in ("1", "ja", "yes", "true", "j", "y"):
        return True
    raise ValueError(text)


def import_csv(user: User, data: bytes) -> int:
    """Create projects from CSV (``;`` or ``,``): all rows or none.

    Columns: title, action_field (slug or name), lead_email (a login) and
    optionally goals, start_date, end_date (YYYY-MM-DD or DD.MM.YYYY),
    budget, public (ja/nein), target_groups (codes, comma-separated),
    report_interval_months.  Each problem names its line and column.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed([ImportProblem(0, "", _("The file is not UTF-8 text."))]) from None
    if not text.strip():
        raise ImportFailed([ImportProblem(0, "", _("The file is empty."))])
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    problems = [
        ImportProblem(1, c, _("The column is missing.")) for c in IMPORT_REQUIRED if c not in header
    ]
    unknown = [h for h in header if h not in IMPORT_REQUIRED + IMPORT_OPTIONAL]
    problems += [ImportProblem(1, h, _("Unknown column.")) for h in unknown]
    if problems:
        raise ImportFailed(problems)

    fields = db.session.execute(select(ActionField.id, ActionField.slug, ActionField.name)).all()
    field_ids = {f.slug.lower(): f.id for f in fields} | {f.name.lower(): f.id for f in fields}
    leads = {
        email.lower(): person_id
        for email, person_id in db.session.execute(
            select(User.email, User.person_id).where(User.active)
        )
        .tuples()
        .all()
    }
    body_id = default_deciding_body_id()
    parsed: list[dict[str, Any]] = []
    seen_titles: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_IMPORT_ROWS:
            problems.append(ImportProblem(line, "", _("Too many rows (at most 5000).")))
            break
        if None in raw:
            problems.append(ImportProblem(line, "", _("The row has more cells than the header.")))
            continue
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(row.values()):
            continue
        values: dict[str, Any] = {"line": line}

        def bad(column: str, message: str, _line: int = line) -> None:
            problems.append(ImportProblem(_line, column, message))

        title = row.get("title", "")
        if not title:
            bad("title", _("This field is required."))
        elif len(title) > 200:
            bad("title", _("At most %(n)s characters.", n=200))
        elif title.lower() in seen_titles:
            bad("title", _("Same title as in row %(row)s.", row=seen_titles[title.lower()]))
        else:
            seen_titles[title.lower()] = line
        values["title"] = title
        field_id = field_ids.get(row.get("action_field", "").lower())
        if field_id is None:
            bad("action_field", _("Unknown action field."))
        values["action_field_id"] = field_id
        lead = leads.get(row.get("lead_email", "").lower())
        if lead is None:
            bad("lead_email", _("No active login with this e-mail address."))
        values["lead_person_id"] = lead
        goals = row.get("goals", "")
        if len(goals) > 20000:
            bad("goals", _("At most %(n)s characters.", n=20000))
        values["goals"] = goals
        for column in ("start_date", "end_date"):
            values[column] = None
            if row.get(column):
                try:
                    values[column] = _parse_date(row[column])
                    if not date(1990, 1, 1) <= values[column] <= date(2100, 12, 31):
                        raise ValueError(row[column])
                except ValueError:
                    bad(column, _("Use YYYY-MM-DD or DD.MM.YYYY."))
                    values[column] = None
        if (
            values["start_date"]
            and values["end_date"]
            and values["end_date"] < values["start_date"]
        ):
            bad("end_date", _("The end must not be before the start."))
        try:
            values["budget"] = parse_budget(row.get("budget", ""))
        except ProjectError as exc:
            bad("budget", str(exc))
        try:
            values["public"] = _parse_bool(row.get("public", ""))
        except ValueError:
            bad("public", _("Use ja or nein."))
        groups = [g.strip() for g in row.get("target_groups", "").split(",") if g.strip()]
        wrong = [g for g in groups if g not in TARGET_GROUPS]
        if wrong:
            bad("target_groups", _("Unknown target group: %(codes)s", codes=", ".join(wrong)))
        values["target_groups"] = sorted(set(groups))
        interval = row.get("report_interval_months", "") or "3"
        try:
            values["report_interval_months"] = int(interval)
            if values["report_interval_months"] not in REPORT_INTERVALS:
                raise ValueError(interval)
        except ValueError:
            bad("report_interval_months", _("Use 0, 1, 3, 6 or 12."))
        parsed.append(values)
    if not problems:
        existing = {
            t.lower()
            for t in db.session.scalars(
                select(Project.title).where(func.lower(Project.title).in_(list(seen_titles)))
            )
        }
        for values in parsed:
            if values["title"].lower() in existing:
                problems.append(
                    ImportProblem(values["line"], "title", _("A project with this title exists."))
                )
    if problems:
        raise ImportFailed(problems)
    if not parsed:
        raise ImportFailed([ImportProblem(0, "", _("The file has no rows."))])
    definition = workflow.workflow_for(body_id, "project")
    with write_transaction():
        for values in parsed:
            values.pop("line")
            groups = values.pop("target_groups")
            project = Project(
                **values,
                weight=1,
                deciding_body_id=body_id,
                created_by_person_id=user.person_id,
                workflow_name=definition.name,
                workflow_hash=definition.hash,
                state=definition.initial,
            )
            project.target_groups = [ProjectTargetGroup(code=g) for g in groups]
            db.session.add(project)
            db.session.flush()
            workflow.start(project, definition, user)
        record("project.imported", "project", None, actor_id=user.id, data={"rows": len(parsed)})
    return len(parsed)


# --- the monitoring indicators "project reach" ---------------------------------
#
# A status report's participant count is the project's total up to the
# report's date (a partner's numbers are added to it, see
# partner_portal.accept_entries).  So the reach at a time is, per project,
# the value of its latest report before then, carried forward through
# months without a report; the reach of a period in the monitoring is that
# total at the period's end: cumulative, growing over the months, never the
# latest report within the month alone.  What a period added is the
# difference of the totals at its end and at its start ("project_reach_new").


def _reach_by_field(before: date) -> dict[int, tuple[str, int]]:
    """{project: (action field, participants reached before the day)} (two queries)."""
    values = latest_values(before=before)
    if not values:
        return {}
    fields = dict(
        db.session.execute(
            select(Project.id, ActionField.name)
            .join(ActionField, Project.action_field_id == ActionField.id)
            .where(Project.id.in_(list(values)))
        )
        .tuples()
        .all()
    )
    return {
        project_id: (fields[project_id], project_values[REACH_CODE])
        for project_id, project_values in values.items()
        if REACH_CODE in project_values and project_id in fields
    }


def reach_by_action_field(period: Period) -> dict[str, float]:
    """Participants reached up to the end of the period, per action field
    (cumulative: each project's latest report before the end); "" is the total."""
    result: dict[str, float] = defaultdict(float)
    for name, reached in _reach_by_field(period.end.date()).values():
        result[name] += max(reached, 0)
    if result:
        result[""] = sum(result.values())
    return dict(result)


def reach_gained_by_action_field(period: Period) -> dict[str, float]:
    """Participants newly reached in the period, per action field.

    For each project: latest cumulative value before the period's end minus
    the latest before its start (never below zero); "" is the total.
    """
    at_end = _reach_by_field(period.end.date())
    if not at_end:
        return {}
    at_start = _reach_by_field(period.start.date())
    result: dict[str, float] = defaultdict(float)
    for project_id, (name, reached) in at_end.items():
        before = at_start.get(project_id, (name, 0))[1]
        result[name] += max(reached - before, 0)
    if result:
        result[""] = sum(result.values())
    return dict(result)


def register_indicators() -> None:
    """From projects.init_app."""
    # Sums of participants per action field, not counts of individual
    # people (one person may take part in several projects): not suppressed.
    register_indicator(
        "project_reach",
        name=_l("Project reach (participants reached so far)"),
        unit="participants",
        source="Netzwerk: projects",
        dimension="action_field",
        provider=reach_by_action_field,
        suppress_small=False,
    )
    register_indicator(
        "project_reach_new",
        name=_l("Project reach: participants newly reached in the period"),
        unit="participants",
        source="Netzwerk: projects",
        dimension="action_field",
        provider=reach_gained_by_action_field,
        suppress_small=False,
    )


def partner_kind_choices() -> list[tuple[str, str]]:
    return [(k.value, k.label) for k in OrganisationKind]


def target_group_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, label in TARGET_GROUPS.items()]
