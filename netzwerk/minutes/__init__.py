"""Minutes: drafted from the meeting, approved, archived as PDF/A."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register minutes with the workflow engine."""
    from . import models, services

    models.register_minutes_subject()
    services.register_workflow_providers()
