"""Issue #18: failed logins are throttled per account as well as per client,
without telling whether the account exists."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import IN_CI, ROLE_EMAILS

from netzwerk.demo import DEMO_PASSWORD

MEMBER = ROLE_EMAILS["member"]
UNKNOWN = "niemand@osnabrueck.example"


def _post(app, email: str, password: str):  # type: ignore[no-untyped-def]
    # A new client each time: the per-client limit is not what stops them.
    return app.test_client().post("/login", data={"email": email, "password": password})


@pytest.fixture
def throttled(extra_app, demo):  # type: ignore[no-untyped-def]
    return extra_app(RATELIMIT_ENABLED=True, NETZWERK_LOGIN_RATE_LIMIT="1000 per minute")


def test_ten_failures_make_the_account_wait(throttled, clock):
    for _ in range(10):
        assert _post(throttled, MEMBER, "guessing wrong again").status_code == 200
    blocked = _post(throttled, MEMBER, DEMO_PASSWORD)
    assert blocked.status_code == 429
    assert "Zu viele Fehlversuche" in blocked.get_data(as_text=True)
    # Another account is not affected.
    assert _post(throttled, ROLE_EMAILS["lead"], DEMO_PASSWORD).status_code == 302
    clock.shift(timedelta(minutes=14))
    assert _post(throttled, MEMBER, DEMO_PASSWORD).status_code == 429
    clock.shift(timedelta(minutes=2))
    assert _post(throttled, MEMBER, DEMO_PASSWORD).status_code == 302


def test_an_unknown_address_is_throttled_just_the_same(throttled):
    def run(email: str) -> list[tuple[int, str]]:
        answers = []
        for _ in range(11):
            response = _post(throttled, email, "guessing wrong again")
            html = response.get_data(as_text=True)
            html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*', r"\1", html)
            answers.append((response.status_code, html.replace(email, "ADDRESS")))
        return answers

    known, unknown = run(MEMBER), run(UNKNOWN)
    assert [status for status, _ in known] == [200] * 10 + [429]
    assert known == unknown  # status and page alike: nothing tells them apart


def test_a_success_clears_the_failures(throttled):
    for _ in range(9):
        _post(throttled, MEMBER, "guessing wrong again")
    assert _post(throttled, MEMBER, DEMO_PASSWORD).status_code == 302
    for _ in range(9):
        assert _post(throttled, MEMBER, "guessing wrong again").status_code == 200
    assert _post(throttled, MEMBER, DEMO_PASSWORD).status_code == 302


def test_the_account_limit_is_shared_through_redis(extra_app, demo):
    import secrets

    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if IN_CI:
            raise
        pytest.skip("no Redis on 127.0.0.1:6379")
    config = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": url,
        "RATELIMIT_KEY_PREFIX": f"netzwerk-test-{secrets.token_hex(4)}",
        "NETZWERK_LOGIN_RATE_LIMIT": "1000 per minute",
        "NETZWERK_ACCOUNT_LOGIN_LIMIT": "3 per 15 minutes",
    }
    first, second = extra_app(**config), extra_app(**config)
    statuses = [_post(first, MEMBER, "wrong guess here").status_code for _ in range(2)]
    statuses.append(_post(second, MEMBER, "wrong guess here").status_code)
    statuses.append(_post(second, MEMBER, DEMO_PASSWORD).status_code)
    assert statuses == [200, 200, 200, 429]
