"""Action-field projects (Modellmaßnahmen): partners, milestones, status reports, reach."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register projects with the workflow engine: the object type, the
    effect that sends a proposal to its body, the guard provider, and the
    receiver that lets a project follow its paper's decision."""
    from ..admin import register_admin_section
    from . import approval, feedback_links, jobs, models, portfolio, views

    models.register_project_subject()
    approval.register()
    feedback_links.register()
    jobs.register_jobs()
    for endpoint, label in views.ADMIN_PAGES:
        register_admin_section(endpoint, label)
    portfolio.register_indicators()
