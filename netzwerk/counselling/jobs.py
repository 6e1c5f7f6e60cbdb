"""Timed work of counselling, run by the one scheduler process."""

from __future__ import annotations

from datetime import datetime

from ..scheduler import register_job
from . import services


def remind_due_follow_ups(now: datetime | None = None) -> int:
    """Create a reminder for every open referral whose follow-up is due."""
    return services.create_due_reminders(now)


def purge_expired_personal_details(now: datetime | None = None) -> int:
    """Delete personal details older than NETZWERK_COUNSELLING_RETENTION_DAYS."""
    return services.purge_personal_details(now)


def register_jobs() -> None:
    """From counselling.init_app (never on import)."""
    register_job("counselling.follow_up_reminders", "interval", hours=1)(remind_due_follow_ups)
    register_job("counselling.retention", "cron", hour=3, minute=17)(purge_expired_personal_details)
