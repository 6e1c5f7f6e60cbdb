"""The public feedback system (Rückmeldesystem) and its triage by the Bildungsbüro.

Anonymous by default: no IP address or user agent is stored with feedback,
and no time finer than the day it arrived (``models.day_start``); the rate
limit counts under a daily keyed hash of the address (``netzwerk.clientkey``);
the receipt code is posted, never put in a URL.  Contact details exist only
with explicit consent, in their own table, and are deleted by the scheduler
after NETZWERK_FEEDBACK_RETENTION_DAYS.

The triage state of a feedback is the workflow engine's
(``workflows/rueckmeldung.yaml``); the code asks its flags.
"""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register feedback, its guards and its effects with the workflow engine."""
    from ..admin import register_admin_section
    from . import flow, jobs, models, outcomes, views

    models.register_feedback_subject()
    flow.register()
    outcomes.register()
    jobs.register_jobs()
    for endpoint, label in views.ADMIN_PAGES:
        register_admin_section(endpoint, label)
