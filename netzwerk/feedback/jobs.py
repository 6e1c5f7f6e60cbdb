"""Timed work of the feedback system, run by the one scheduler process."""

from __future__ import annotations

from datetime import datetime

from ..scheduler import register_job
from . import services


def purge_expired_contacts(now: datetime | None = None) -> int:
    """Delete contact details older than NETZWERK_FEEDBACK_RETENTION_DAYS (default 180)."""
    return services.purge_contacts(now)


def register_jobs() -> None:
    """From feedback.init_app (never on import)."""
    register_job("feedback.contact_retention", "cron", hour=3, minute=41)(purge_expired_contacts)
