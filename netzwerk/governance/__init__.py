"""Bodies, memberships, organisations, persons and action fields."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register the administration sections and tell the workflow engine
    which roles a person holds in a body."""
    from ..admin import register_admin_section
    from ..workflow import registry
    from . import memberships, views, workflow_views

    for endpoint, label in [*views.ADMIN_PAGES, *workflow_views.ADMIN_PAGES]:
        register_admin_section(endpoint, label)
    registry.set_body_roles(memberships.body_roles_of)
