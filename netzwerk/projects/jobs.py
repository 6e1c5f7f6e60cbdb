"""Scheduler jobs of projects: remind about milestones and reports.

Idempotent: reminders are unique per key.  The jobs read the time from the
application's one clock (``netzwerk.timeutil``); "today" is the day in
Berlin.  (A project follows its paper's decision in the transaction that
records it, not in a job: see ``approval.on_decision_recorded``.)
"""

from __future__ import annotations

from ..database import utcnow
from ..scheduler import register_job
from ..timeutil import to_local
from . import reminders


def send_reminders() -> dict[str, int]:
    now = utcnow()
    today = to_local(now).date()
    return {
        "milestones": reminders.remind_overdue_milestones(today, now),
        "reports": reminders.remind_due_reports(today, now),
    }


def register_jobs() -> None:
    """From projects.init_app (never on import)."""
    register_job("projects.reminders", "interval", hours=1)(send_reminders)
