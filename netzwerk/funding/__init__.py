"""Funding of projects: budgets per funding source, spending recorded with
status reports, overspending flagged, the proof of spending (Verwendungsnachweis)."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Nothing to register yet: pages only (the blueprint is in netzwerk.blueprints)."""
