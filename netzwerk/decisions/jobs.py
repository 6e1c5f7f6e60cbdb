"""Scheduler job of the implementation tracking: remind about overdue action items.

Importing this module also registers the voting jobs (circular resolutions),
so ``netzwerk/jobs.py`` needs one line for both packages.
"""

from __future__ import annotations

from ..database import utcnow
from ..scheduler import register_job
from ..timeutil import to_local
from ..voting import jobs as voting_jobs  # noqa: F401  (registers voting.circular_resolutions)
from . import services


def remind_overdue_action_items() -> int:
    """An item is overdue from the first minute of the day after its due
    date in Berlin (one reading of the clock gives both day and instant)."""
    now = utcnow()
    return services.remind_overdue(to_local(now).date(), now)


def register_jobs() -> None:
    """From decisions.init_app (never on import)."""
    register_job("decisions.overdue_action_items", "interval", hours=1)(remind_overdue_action_items)
