"""Scheduler jobs of circular resolutions: reminders and closing at the deadline.

Both are idempotent: a reminder is one notification row per poll and seat
(unique key), and a closed poll is never closed again.  The jobs read the
time from the application's one clock (``netzwerk.timeutil``).
"""

from __future__ import annotations

import logging

from ..database import utcnow
from ..scheduler import register_job
from . import services

log = logging.getLogger(__name__)


@register_job("voting.circular_resolutions", "interval", minutes=1)
def run_circular_resolutions() -> dict[str, int]:
    now = utcnow()
    reminded = services.send_due_reminders(now)
    closed = services.close_due_polls(now)
    if reminded or closed:
        log.info("circular resolutions: %d reminders, closed %s", reminded, closed)
    return {"reminded": reminded, "closed": len(closed)}
