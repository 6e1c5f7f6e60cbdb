from __future__ import annotations

from ..scheduler import register_job
from .services import send_pending


def send_outbox() -> int:
    return send_pending()


def register_jobs() -> None:
    """From mail.init_app (never on import)."""
    register_job("mail.send_pending", "interval", minutes=1, own_units=True)(send_outbox)
