"""Scheduler jobs of projects: follow decisions, remind about milestones and reports.

All idempotent: a project moves only once (the workflow's version check),
reminders are unique per key.  The jobs read the time from the application's
one clock (``netzwerk.timeutil``); "today" is the day in Berlin.
"""

from __future__ import annotations

from ..database import utcnow
from ..scheduler import register_job
from ..timeutil import to_local
from . import approval, reminders


@register_job("projects.follow_decisions", "interval", minutes=1)
def follow_decisions() -> int:
    return len(approval.sync_decided_projects())


@register_job("projects.reminders", "interval", hours=1)
def send_reminders() -> dict[str, int]:
    now = utcnow()
    today = to_local(now).date()
    return {
        "milestones": reminders.remind_overdue_milestones(today, now),
        "reports": reminders.remind_due_reports(today, now),
    }
