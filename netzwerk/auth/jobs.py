"""Housekeeping of login sessions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_

from ..database import utcnow, write_transaction
from ..extensions import db
from ..scheduler import register_job
from .models import AuthSession


@register_job("auth.purge_sessions", "interval", hours=6)
def purge_sessions() -> int:
    """Delete sessions that expired or were revoked more than a day ago."""
    cutoff = utcnow() - timedelta(days=1)
    with write_transaction():
        result = db.session.execute(
            delete(AuthSession).where(
                or_(AuthSession.expires_at < cutoff, AuthSession.revoked_at < cutoff)
            )
        )
    return int(getattr(result, "rowcount", 0) or 0)
