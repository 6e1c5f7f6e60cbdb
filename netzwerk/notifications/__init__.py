"""One notification centre: every message to a person, in the app and by e-mail.

Producers (workflow effects, voting reminders, project reminders,
counselling follow-ups, decisions) call :func:`.services.notify` inside
their own transaction; the member reads everything on /benachrichtigungen.
"""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register the workflow effects that send messages, the daily digest's
    job and the receivers that tell how minutes and circular resolutions ended."""
    from . import jobs, outcomes, workflow_effects

    workflow_effects.register()
    jobs.register_jobs()
    outcomes.connect()
