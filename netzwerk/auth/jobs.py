"""Housekeeping of login sessions and reset links."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_

from ..database import utcnow, write_transaction
from ..extensions import db
from ..scheduler import register_job
from .models import AuthSession, PasswordResetToken


def purge_sessions() -> int:
    """Delete sessions that expired or were revoked more than a day ago, and
    reset links that expired more than a day ago (used or not: the audit
    trail keeps that they were sent and used).  Returns the sessions deleted."""
    cutoff = utcnow() - timedelta(days=1)
    with write_transaction():
        result = db.session.execute(
            delete(AuthSession).where(
                or_(AuthSession.expires_at < cutoff, AuthSession.revoked_at < cutoff)
            )
        )
        db.session.execute(delete(PasswordResetToken).where(PasswordResetToken.expires_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def register_jobs() -> None:
    """From auth.init_app (never on import)."""
    register_job("auth.purge_sessions", "interval", hours=6)(purge_sessions)
