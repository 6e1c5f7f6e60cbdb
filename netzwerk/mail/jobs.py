from __future__ import annotations

from ..scheduler import register_job
from .services import send_pending


@register_job("mail.send_pending", "interval", minutes=1)
def send_outbox() -> int:
    return send_pending()
