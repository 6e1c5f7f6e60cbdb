"""Issue #18, finding 3: the rate limits never store a client's address.

With ``NETZWERK_REDIS_URL`` the limiter wrote ``LIMITS:LIMITER/<ip>/...``
keys whose remaining lifetime re-identified a sender against the time of a
feedback.  Now every per-client limit (the feedback form, the login) and the
per-account login throttle count under a keyed hash that changes daily
(``netzwerk.clientkey``); these tests read the real Redis.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from conftest import IN_CI

from netzwerk import clientkey
from netzwerk.timeutil import LOCAL_TZ, local_today

from .conftest import form_data

ADDRESS = "203.0.113.77"
EMAIL = "niemand@osnabrueck.example"
REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def redis_prefix() -> Iterator[tuple[Any, str]]:
    """A Redis client and a key prefix of this test alone; its keys are removed."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if IN_CI:
            raise
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"netzwerk-test-{secrets.token_hex(6)}"
    try:
        yield client, prefix
    finally:
        for key in list(client.scan_iter(match=f"*{prefix}*")):
            client.delete(key)
        client.close()


def _stored(client: Any, prefix: str) -> dict[str, str]:
    """Every key of the test's prefix with everything stored under it, as text."""
    found = {}
    for raw in client.scan_iter(match=f"*{prefix}*"):
        key = raw.decode()
        kind = client.type(raw).decode()
        if kind == "string":
            value: Any = client.get(raw)
        elif kind == "list":
            value = client.lrange(raw, 0, -1)
        elif kind == "zset":
            value = client.zrange(raw, 0, -1, withscores=True)
        elif kind == "hash":
            value = client.hgetall(raw)
        else:
            value = kind
        found[key] = repr(value)
    return found


def test_limits_count_under_a_daily_keyed_hash_never_the_address(
    extra_app, seeded, clock, redis_prefix
):
    client, prefix = redis_prefix
    limited = extra_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=prefix,
        NETZWERK_FEEDBACK_RATE_LIMIT="10 per minute;60 per day",
    )
    browser = limited.test_client()
    environ = {"REMOTE_ADDR": ADDRESS}
    data = form_data(limited)
    statuses = [
        browser.post("/rueckmeldung/de/", data=dict(data), environ_base=environ).status_code
        for _ in range(11)
    ]
    assert statuses == [200] * 10 + [429]  # the limit still holds
    login = {"email": EMAIL, "password": "guessing wrong"}
    assert browser.post("/login", data=login, environ_base=environ).status_code == 200

    stored = _stored(client, prefix)
    with limited.test_request_context(environ_base=environ):
        today_key = clientkey.client_key()
        account_key = clientkey.keyed_hash(EMAIL)
    # Both limits of the form, the login's and the account's, under hashes.
    assert sum(today_key in key and "feedback.form" in key for key in stored) == 2
    assert any(today_key in key and "auth.login" in key for key in stored)
    assert any(f"account-login/{account_key}" in key for key in stored)
    plain = hashlib.sha256(EMAIL.encode()).hexdigest()
    for key, value in stored.items():
        for secret in (ADDRESS, ADDRESS.replace(".", ""), EMAIL, plain):
            assert secret not in key and secret not in value, (key, secret)

    # The next day the same client has another key: yesterday's count does
    # not follow it (Redis still holds it until its own expiry).
    midnight = datetime.combine(local_today() + timedelta(days=1), time(0, 1), LOCAL_TZ)
    clock.move_to(midnight)
    with limited.test_request_context(environ_base=environ):
        assert clientkey.client_key() != today_key
        assert clientkey.keyed_hash(EMAIL) != account_key
    again = browser.post("/rueckmeldung/de/", data=dict(data), environ_base=environ)
    assert again.status_code == 200


def test_client_key_is_a_keyed_hash_of_the_address_of_the_day(app):
    def key(address: str, secret: str = "test-secret-key") -> str:
        app.config["SECRET_KEY"] = secret
        try:
            with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
                return clientkey.client_key()
        finally:
            app.config["SECRET_KEY"] = "test-secret-key"

    first = key(ADDRESS)
    assert first == key(ADDRESS)  # every worker and host agrees (same secret key)
    assert first != key("203.0.113.78")
    assert first != key(ADDRESS, secret="another installation")
    assert ADDRESS not in first
    assert first != hashlib.sha256(ADDRESS.encode()).hexdigest()[: len(first)]
    with app.app_context():
        today = local_today()
        assert clientkey.keyed_hash(ADDRESS, today) == first
        assert clientkey.keyed_hash(ADDRESS, today + timedelta(days=1)) != first
        assert clientkey.daily_secret(today) != clientkey.daily_secret(today - timedelta(days=1))
