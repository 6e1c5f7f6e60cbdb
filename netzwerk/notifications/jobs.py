"""The notifications' scheduler job: the daily digest (from init_app)."""

from __future__ import annotations

from ..scheduler import register_job
from .digest import send_digests


def send_daily_digests() -> int:
    return send_digests()


def register_jobs() -> None:
    """From notifications.init_app (never on import)."""
    register_job("notifications.digest", "cron", hour=6, minute=47)(send_daily_digests)
