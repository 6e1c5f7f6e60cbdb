"""One notification centre: every message to a person, in the app and by e-mail.

Producers (workflow effects, voting reminders, project reminders,
counselling follow-ups, decisions) call :func:`.services.notify` inside
their own transaction; the member reads everything on /benachrichtigungen.
"""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register the workflow effects that send messages."""
    from . import workflow_effects

    workflow_effects.register()
