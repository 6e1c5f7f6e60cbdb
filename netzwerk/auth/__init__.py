"""Accounts, login sessions, global roles and security headers."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register the package's scheduler jobs; read the identity provider's
    settings and, when one is configured, add its login routes."""
    from . import jobs, oidc

    jobs.register_jobs()
    oidc.init_app(app)
    if oidc.configured(app):
        from .views import oidc_bp

        app.register_blueprint(oidc_bp)
