"""Scheduler work of the voting package.

Circular resolutions are closed at their deadline and their voters reminded
by the workflow engine's timers (job ``workflow.timers``, see
``workflows/umlaufverfahren.yaml``), not here.  This module keeps

* the job ``voting.adopt_polls``: polls created before the engine ran polls
  get their process (:func:`netzwerk.voting.engine.adopt`), so that the
  timers see them;
* :func:`run_circular_resolutions`, which runs the engine's timers at once
  and says what they did for polls (tests, a manual run).
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from ..database import utcnow
from ..extensions import db
from ..notifications.models import Notification
from ..scheduler import register_job
from . import engine, services

log = logging.getLogger(__name__)


def adopt_polls() -> int:
    adopted = engine.adopt_polls_without_process()
    if adopted:
        log.info("voting: %d polls got their workflow process", adopted)
    return adopted


def _reminders() -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.kind == "poll_reminder")
        )
        or 0
    )


def run_circular_resolutions() -> dict[str, int]:
    """Run the workflow timers now: {"reminded": reminders written, "closed": polls closed}."""
    before = _reminders()
    closed = services.close_due_polls(utcnow())
    return {"reminded": _reminders() - before, "closed": len(closed)}


def register_jobs() -> None:
    """From voting.init_app (never on import)."""
    register_job("voting.adopt_polls", "interval", hours=1)(adopt_polls)
