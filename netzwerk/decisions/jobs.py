"""Scheduler job of the implementation tracking: remind about overdue action items.

Importing this module also registers the voting jobs (circular resolutions),
so ``netzwerk/jobs.py`` needs one line for both packages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..database import utcnow
from ..scheduler import register_job
from ..timeutil import to_local
from ..voting import jobs as voting_jobs  # noqa: F401  (registers voting.circular_resolutions)
from . import services

#: The job's clock; tests replace it to control time.
clock: Callable[[], datetime] = utcnow


@register_job("decisions.overdue_action_items", "interval", hours=1)
def remind_overdue_action_items() -> int:
    now = clock()
    return services.remind_overdue(to_local(now).date(), now)
