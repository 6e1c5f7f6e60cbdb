"""Keys for rate limits that never hold a client's address (or an account's).

The rate limits count per client (the feedback form, the login) and per
account (failed logins, reset mails) in the limiter's storage – Redis when
``NETZWERK_REDIS_URL`` is set, so every worker and host counts in one place.
A key there is never the address itself but a keyed hash of it
(HMAC-SHA-256) under a secret that changes every day: the secret of a day
is derived from the application's ``SECRET_KEY`` and the date in
Europe/Berlin (``timeutil.local_today``), so all workers and hosts agree
without storing it, and the keys of one day cannot be linked to those of
the next.  Someone who reads the storage learns neither addresses nor
which key belonged to whom yesterday; only someone who also holds the
secret key could test guessed addresses against the keys of the day (the
keys expire with their limit's window, a day at most).

At midnight every key changes, so every count starts again then.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from flask import current_app, request

from .timeutil import local_today

_CONTEXT = b"netzwerk.clientkey.v1/"


def _secret_key() -> bytes:
    key = current_app.config.get("SECRET_KEY") or current_app.secret_key
    if not key:
        raise RuntimeError("SECRET_KEY is not set: rate limit keys cannot be derived")
    return key if isinstance(key, bytes) else str(key).encode()


def daily_secret(day: date | None = None) -> bytes:
    """The secret of a day (today in Berlin by default), never stored."""
    day = day or local_today()
    return hmac.new(_secret_key(), _CONTEXT + day.isoformat().encode(), hashlib.sha256).digest()


def keyed_hash(value: str, day: date | None = None) -> str:
    """The key of ``value`` (an address, an e-mail address) for one day."""
    return hmac.new(daily_secret(day), value.encode(), hashlib.sha256).hexdigest()[:40]


def client_key() -> str:
    """Flask-Limiter's key function: the client's address, hashed for today.

    The address is the one the request came from (the proxy's client with
    ``NETZWERK_PROXY_FIX``)."""
    return keyed_hash(request.remote_addr or "unknown")
