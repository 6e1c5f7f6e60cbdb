"""Accounts, login sessions, global roles and security headers."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register the package's scheduler jobs."""
    from . import jobs

    jobs.register_jobs()
