"""Polls, ballots, majority rules and circular resolutions (Umlaufverfahren)."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register circular resolutions and votes in meetings with the workflow
    engine (subjects, guards, effects) and tell it how polls ended."""
    from ..admin import register_admin_section
    from . import amendments, engine, jobs, meeting, services, views

    engine.register()
    services.register_workflow_providers()
    meeting.register_meeting_polls()
    amendments.register_amendments()
    jobs.register_jobs()
    for endpoint, label in views.ADMIN_PAGES:
        register_admin_section(endpoint, label)
