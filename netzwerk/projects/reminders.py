"""Reminders: overdue milestones and due status reports.

Both are idempotent: a reminder is one ``project_reminder`` row per key
(unique), and its mail goes through the outbox with the same key as
reason (queued once per recipient).  Keys: ``ms-overdue:<milestone>:<due
date>:<person>`` and ``report-due:<project>:<due date>:<person>``, so a
moved due date reminds again, the same one never twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.models import Person
from ..mail.services import queue_mail
from ..timeutil import format_date, local_today
from .models import Milestone, Project, ProjectReminder
from .portfolio import last_report_dates
from .services import next_report_due, state_sets


def _remind(
    person_id: int,
    project: Project,
    kind: str,
    key: str,
    message: str,
    subject: str,
    now: datetime,
    milestone_id: int | None = None,
) -> bool:
    """Insert the reminder once; queue its mail when it is new (caller's transaction)."""
    dialect = db.session.get_bind().dialect.name
    insert_fn: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    table = ProjectReminder.__table__
    stmt = (
        insert_fn(table)
        .values(
            person_id=person_id,
            project_id=project.id,
            milestone_id=milestone_id,
            kind=kind,
            message=message,
            dedupe_key=key,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(table.c.id)
    )
    if db.session.execute(stmt).first() is None:
        return False
    email = db.session.scalar(select(Person.email).where(Person.id == person_id))
    if email:
        queue_mail(
            email,
            subject,
            message + "\n\n" + _("Project page: /projekte/%(id)s", id=project.id),
            reason=key,
        )
    return True


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
            subject = _("Overdue milestone: %(milestone)s", milestone=milestone.title)
            if _remind(
                person_id, project, "milestone_overdue", key, message, subject, now, milestone.id
            ):
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
            subject = _("Status report due: %(project)s", project=project.title)
            if _remind(project.lead_person_id, project, "report_due", key, message, subject, now):
                sent += 1
    return sent


def reminders_for(person_id: int, limit: int = 50) -> list[ProjectReminder]:
    return list(
        db.session.scalars(
            select(ProjectReminder)
            .where(ProjectReminder.person_id == person_id, ProjectReminder.read_at.is_(None))
            .order_by(ProjectReminder.created_at.desc(), ProjectReminder.id.desc())
            .limit(limit)
        )
    )


def mark_reminder_read(reminder_id: int, person_id: int) -> bool:
    with write_transaction():
        reminder = db.session.get(ProjectReminder, reminder_id)
        if reminder is None or reminder.person_id != person_id:
            return False
        if reminder.read_at is None:
            reminder.read_at = utcnow()
    return True
