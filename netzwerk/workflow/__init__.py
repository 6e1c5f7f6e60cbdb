"""The workflow engine: definitions in YAML, validation, transitions, timers.

Workflows are data (``workflows/*.yaml``); guards and effects are named
Python functions in a registry; every transition is one transaction with an
optimistic version check and an audit event.
"""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register the engine's own guards and effects (before the packages')."""
    from . import builtin, jobs

    builtin.register()
    jobs.connect_timers()
    jobs.register_jobs()
