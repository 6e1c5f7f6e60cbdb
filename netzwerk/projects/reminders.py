"""Reminders: overdue milestones and due status reports.

Both are idempotent: a reminder is one notification per person and
de-duplication key, and its mail goes through the outbox with the same key
as reason (queued once per recipient).  Keys: ``ms-overdue:<milestone>:<due
date>:<person>`` and ``report-due:<project>:<due date>:<person>``, so a
moved due date reminds again, the same one never twice.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..database import utcnow, write_transaction
from ..extensions import db
from ..notifications.services import notify
from ..timeutil import format_date, local_today
from .models import Milestone, Project
from .portfolio import last_report_dates
from .services import next_report_due, state_sets


def _remind(
    person_id: int, project: Project, kind: str, key: str, message: str, now: datetime
) -> bool:
    """Notify the person once per key (caller's transaction); True if new."""
    return bool(
        notify(
            [person_id],
            kind=kind,
            object_type="project",
            object_id=project.id,
            message=message,
            url=f"/projekte/{project.id}",
            dedup_key=key,
            now=now,
        )
    )


def remind_overdue_milestones(today: date | None = None, now: datetime | None = None) -> int:
    """Remind each overdue milestone's lead (else the project lead) once per due date."""
    today = today or local_today()
    now = now or utcnow()
    active = state_sets().active
    if not active:
        return 0
    sent = 0
    with write_transaction():
        milestones = db.session.scalars(
            select(Milestone)
            .options(joinedload(Milestone.project))
            .join(Project, Milestone.project_id == Project.id)
            .where(
                Milestone.due_date < today,
                Milestone.progress < 100,
                Project.state.in_(active),
            )
            .order_by(Milestone.id)
        ).all()
        for milestone in milestones:
            project = milestone.project
            person_id = milestone.lead_person_id or project.lead_person_id
            key = f"ms-overdue:{milestone.id}:{milestone.due_date.isoformat()}:{person_id}"
            message = _(
                "The milestone “%(milestone)s” of the project “%(project)s” was due on "
                "%(due)s and is at %(progress)s %%.",
                milestone=milestone.title,
                project=project.title,
                due=format_date(milestone.due_date),
                progress=milestone.progress,
            )
            if _remind(person_id, project, "milestone_overdue", key, message, now):
                sent += 1
    return sent


def remind_due_reports(today: date | None = None, now: datetime | None = None) -> int:
    """Remind the lead of each active project whose status report is due, once per due date."""
    today = today or local_today()
    now = now or utcnow()
    active = state_sets().active
    if not active:
        return 0
    sent = 0
    with write_transaction():
        last = last_report_dates()
        projects = db.session.scalars(
            select(Project)
            .where(Project.state.in_(active), Project.report_interval_months > 0)
            .order_by(Project.id)
        ).all()
        for project in projects:
            due = next_report_due(project, last.get(project.id))
            if due is None or due > today:
                continue
            key = f"report-due:{project.id}:{due.isoformat()}:{project.lead_person_id}"
            message = _(
                "The status report of the project “%(project)s” was due on %(due)s.",
                project=project.title,
                due=format_date(due),
            )
            if _remind(project.lead_person_id, project, "report_due", key, message, now):
                sent += 1
    return sent
