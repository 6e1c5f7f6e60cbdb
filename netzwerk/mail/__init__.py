"""Outgoing e-mail through an outbox: every mail is stored before it is sent,
so none is silently lost, and the Bildungsbüro can see what went out."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register the outbox's administration section."""
    from ..admin import register_admin_section
    from . import jobs, views

    for endpoint, label in views.ADMIN_PAGES:
        register_admin_section(endpoint, label)
    jobs.register_jobs()
