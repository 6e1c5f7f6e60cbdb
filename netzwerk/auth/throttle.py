"""Failed logins counted per account (beside the per-client limit).

The count is kept per *submitted address*, whether an account has it or not,
in the rate limiter's storage (Redis when ``NETZWERK_REDIS_URL`` is set, so
all workers count in one place), under the address's keyed hash of the day
(``netzwerk.clientkey``, the same function that keys the per-client limits
by the client's address).  An address with
``NETZWERK_ACCOUNT_LOGIN_LIMIT`` failures (default: 10 in 15 minutes) waits
until the oldest of them leaves the window, known or unknown alike: the
answer says nothing about whether the account exists.  A wrong second-factor
code counts as a failure of its account as well.  ``RATELIMIT_ENABLED=False``
(the shared test app) turns it off with the per-client limit.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ..clientkey import keyed_hash

DEFAULT_LIMIT = "10 per 15 minutes"
# Reset links asked for on the login page, per address (no mail flood).
DEFAULT_RESET_MAIL_LIMIT = "3 per hour"
_KEY = "netzwerk.account_throttle"

LOGIN = ("account-login", "NETZWERK_ACCOUNT_LOGIN_LIMIT", DEFAULT_LIMIT)
RESET_MAIL = ("reset-mail", "NETZWERK_RESET_MAIL_LIMIT", DEFAULT_RESET_MAIL_LIMIT)

Kind = tuple[str, str, str]


def _strategy(kind: Kind) -> tuple[MovingWindowRateLimiter, RateLimitItem] | None:
    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True):
        return None
    cache: dict[str, Any] = current_app.extensions.setdefault(_KEY, {})
    strategy = cache.get("strategy")
    if strategy is None:
        uri = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
        strategy = cache["strategy"] = MovingWindowRateLimiter(storage_from_string(uri))
    name, config_key, default = kind
    item = cache.get(name)
    if item is None:
        item = cache[name] = parse(str(config.get(config_key) or default))
    return strategy, item


def _identifier(kind: Kind, email: str) -> str:
    """The key of an address: its keyed hash for today (``clientkey``), so
    the storage never holds addresses, nor a plain hash that a list of
    addresses would reverse; the count starts again at midnight."""
    prefix = str(current_app.config.get("RATELIMIT_KEY_PREFIX") or "")
    return f"{prefix}{kind[0]}/{keyed_hash(email.strip().lower())}"


def is_blocked(email: str, kind: Kind = LOGIN) -> bool:
    """Whether this address must wait (known or unknown address alike)."""
    found = _strategy(kind)
    if found is None:
        return False
    strategy, item = found
    return not strategy.test(item, _identifier(kind, email))


def note_failure(email: str, kind: Kind = LOGIN) -> None:
    """Count one attempt (a failed login; a reset mail asked for)."""
    found = _strategy(kind)
    if found is not None:
        strategy, item = found
        strategy.hit(item, _identifier(kind, email))


def clear(email: str, kind: Kind = LOGIN) -> None:
    """A successful login forgets the address's failures."""
    found = _strategy(kind)
    if found is not None:
        strategy, item = found
        strategy.clear(item, _identifier(kind, email))


def window_minutes() -> int:
    item = parse(str(current_app.config.get("NETZWERK_ACCOUNT_LOGIN_LIMIT") or DEFAULT_LIMIT))
    return max(1, item.get_expiry() // 60)
