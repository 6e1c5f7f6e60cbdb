"""Minutes: drafted from the meeting, approved, sealed and archived as PDF/A;
the Sitzungsmappe of a meeting."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register minutes with the workflow engine, the render queue with the
    scheduler, and read the seal's key from the environment."""
    from . import jobs, models, services, signing

    models.register_minutes_subject()
    services.register_workflow_providers()
    jobs.queue.register()
    signing.configure(app)
