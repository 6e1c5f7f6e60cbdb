"""Counselling (Bildungsberatung) and transition management.

A directory of education offers, a pseudonymous log of counselling contacts
and referrals (Weitervermittlung) with follow-ups, reminders, a waiting-loop
flag and suppressed figures for the monitoring.
"""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register the administration sections and the monitoring indicator."""
    from ..admin import register_admin_section
    from . import indicators, jobs, views

    for endpoint, label in views.ADMIN_PAGES:
        register_admin_section(endpoint, label)
    indicators.register_indicators()
    jobs.register_jobs()
