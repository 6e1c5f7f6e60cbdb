"""Called once at the end of create_app(): load and validate every workflow."""

from __future__ import annotations

from flask import Flask

from .catalog import init_catalog


def init_app(app: Flask) -> None:
    """Refuse to start with an invalid definition (DefinitionError names file and line)."""
    init_catalog(app)
