"""Accounts: hashing, login, server-side sessions, throttling, redirects."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from conftest import IN_CI, ROLE_EMAILS, login
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from netzwerk.auth import services
from netzwerk.auth.models import AuthSession, User
from netzwerk.database import utcnow
from netzwerk.demo import DEMO_PASSWORD
from netzwerk.extensions import db

COOKIE = "netzwerk_session"
NEW_PASSWORD = "ein neuer langer Satz 2026"


def _user(app, role: str = "member") -> User:  # type: ignore[no-untyped-def]
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == ROLE_EMAILS[role]))
        assert user is not None
        db.session.expunge(user)
        return user


def _cookie(client) -> str:  # type: ignore[no-untyped-def]
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "no session cookie"
    return str(cookie.value)


def _client_with_cookie(app, value: str):  # type: ignore[no-untyped-def]
    other = app.test_client()
    other.set_cookie(COOKIE, value, domain="localhost")
    return other


def _is_logged_in(client) -> bool:  # type: ignore[no-untyped-def]
    response = client.get("/meine-gremien")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    return False


# --- passwords ------------------------------------------------------------


def test_password_is_hashed_with_argon2id(app, demo):
    user = _user(app)
    assert user.password_hash.startswith("$argon2id$")
    assert DEMO_PASSWORD not in user.password_hash


def test_hash_password_uses_argon2id_with_salt(app_ctx):
    first = services.hash_password("zwölf Zeichen!")
    second = services.hash_password("zwölf Zeichen!")
    assert first.startswith("$argon2id$") and second.startswith("$argon2id$")
    assert first != second


def test_production_hashes_with_the_strong_argon2_profile_and_tests_with_a_cheap_one(
    app, demo, extra_app, monkeypatch, tmp_path
):
    """An app made as in production (no ARGON2_PARAMETERS in its config
    mapping, whatever the environment says) hashes with argon2-cffi's
    defaults, the RFC 9106 low-memory profile; only the test app's explicit
    mapping makes it cheap, and a cheap hash is upgraded at the next login."""
    from argon2 import extract_parameters
    from argon2.profiles import RFC_9106_LOW_MEMORY

    from netzwerk.config import build_config

    monkeypatch.setenv("NETZWERK_ARGON2_PARAMETERS", "time_cost=1")  # no such setting
    assert not any("ARGON2" in key for key in build_config(tmp_path))
    production = extra_app(ARGON2_PARAMETERS=None)  # as build_config leaves it
    with production.app_context():
        strong = extract_parameters(services.hash_password("zwölf Zeichen!"))
    with app.app_context():
        cheap = extract_parameters(services.hash_password("zwölf Zeichen!"))
    assert (strong.time_cost, strong.memory_cost, strong.parallelism) == (
        RFC_9106_LOW_MEMORY.time_cost,
        RFC_9106_LOW_MEMORY.memory_cost,
        RFC_9106_LOW_MEMORY.parallelism,
    )
    assert strong.memory_cost >= 64 * 1024
    assert cheap.memory_cost < strong.memory_cost
    member = _user(app)  # its demo hash was made by the test app
    assert extract_parameters(member.password_hash).memory_cost == cheap.memory_cost
    with production.app_context():
        assert services.authenticate(member.email, DEMO_PASSWORD) is not None
        upgraded = db.session.get(User, member.id)
        assert extract_parameters(upgraded.password_hash).memory_cost == strong.memory_cost
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("password", ["", "a", "elf Zeichen", "x" * 11])
def test_passwords_shorter_than_12_characters_are_refused(app_ctx, password):
    with pytest.raises(services.AccountError):
        services.hash_password(password)


@pytest.mark.parametrize("password", ["nur kleine buchstaben", "ohne ziffern und zeichen"])
def test_no_composition_rules(app_ctx, password):
    """No capital letters, digits or symbols demanded: length and being hard
    to guess decide (tests/auth/test_password_rules.py)."""
    services.check_new_password(password)
    assert services.hash_password(password).startswith("$argon2id$")


@pytest.mark.parametrize("password", ["x" * 12, "aaaaaaaaaaaa"])
def test_twelve_characters_of_one_kind_are_refused(app_ctx, password):
    with pytest.raises(services.AccountError):
        services.check_new_password(password)


def test_password_change_form_refuses_short_password(app, client_as):
    client = client_as("member")
    response = client.post(
        "/konto/passwort",
        data={
            "current_password": DEMO_PASSWORD,
            "new_password": "kurz",
            "confirm": "kurz",
        },
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    with app.app_context():
        assert services.authenticate(ROLE_EMAILS["member"], DEMO_PASSWORD) is not None


# --- logging in -----------------------------------------------------------


def test_login_works(app, demo, client):
    response = login(client, ROLE_EMAILS["member"])
    assert urlsplit(response.headers["Location"]).path == "/"
    assert _is_logged_in(client)
    assert "Ahlers" in client.get("/").get_data(as_text=True)


def test_login_email_is_case_insensitive(demo, client):
    login(client, "  Mitglied@Osnabrueck.Example ")
    assert _is_logged_in(client)


@pytest.mark.parametrize(
    "email,password",
    [
        (ROLE_EMAILS["member"], "wrong password here"),
        ("nobody@osnabrueck.example", DEMO_PASSWORD),
    ],
)
def test_wrong_credentials_give_one_message(app, demo, client, email, password):
    from flask_babel import gettext

    with app.test_request_context("/login"):
        message = gettext("E-mail address or password is not correct.")
    assert message.startswith("E-Mail-Adresse")  # the German catalogue is used
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # One message for a wrong password and an unknown address (no enumeration).
    assert message in html
    assert 'aria-invalid="true"' in html
    assert email.strip() in html  # the typed address is shown again
    assert not _is_logged_in(client)


def test_empty_login_form_shows_field_errors(demo, client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('aria-invalid="true"') == 2


def test_deactivated_user_cannot_log_in(app, demo, client):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == ROLE_EMAILS["member"]))
        services.set_active(user, False)
    response = client.post(
        "/login", data={"email": ROLE_EMAILS["member"], "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200
    assert not _is_logged_in(client)


def test_session_is_cleared_on_login(demo, client):
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "value from before the login"
        sess["_user_id"] = "forged-token"
    login(client, ROLE_EMAILS["member"])
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("_user_id") not in (None, "forged-token")


def test_login_creates_a_server_side_session(app, demo, client):
    login(client, ROLE_EMAILS["member"])
    user = _user(app)
    with app.app_context():
        rows = db.session.scalars(select(AuthSession).where(AuthSession.user_id == user.id)).all()
        assert len(rows) == 1
        assert rows[0].revoked_at is None
        assert rows[0].expires_at > utcnow()
        # Only a hash of the token is stored.
        with client.session_transaction() as sess:
            assert sess["_user_id"] != rows[0].token_hash
            assert len(rows[0].token_hash) == 64


def test_logged_in_user_is_sent_away_from_login(client_as):
    response = client_as("member").get("/login")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"


# --- ending sessions ------------------------------------------------------


def test_logout_and_replaying_the_old_cookie_does_not_get_back_in(app, client_as):
    client = client_as("member")
    old_cookie = _cookie(client)
    assert _is_logged_in(_client_with_cookie(app, old_cookie))

    response = client.post("/logout")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert not _is_logged_in(client)

    replay = _client_with_cookie(app, old_cookie)
    assert not _is_logged_in(replay)
    assert replay.get("/").status_code == 302


def test_logout_needs_post_with_csrf(client_as):
    client = client_as("member")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", csrf=False).status_code == 400
    assert _is_logged_in(client)


def test_password_change_invalidates_other_sessions_but_keeps_current(app, client_as):
    current = client_as("member")
    other_device = client_as("member")
    copied = _client_with_cookie(app, _cookie(current))
    assert _is_logged_in(other_device)

    response = current.post(
        "/konto/passwort",
        data={
            "current_password": DEMO_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert _is_logged_in(current)
    # The copied cookie of the same session keeps working: it is this session.
    assert _is_logged_in(copied)
    assert not _is_logged_in(other_device)

    with app.app_context():
        assert services.authenticate(ROLE_EMAILS["member"], DEMO_PASSWORD) is None
        assert services.authenticate(ROLE_EMAILS["member"], NEW_PASSWORD) is not None


def test_password_change_with_wrong_current_password_changes_nothing(app, client_as):
    client = client_as("member")
    other_device = client_as("member")
    response = client.post(
        "/konto/passwort",
        data={
            "current_password": "not my password",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert _is_logged_in(other_device)
    with app.app_context():
        assert services.authenticate(ROLE_EMAILS["member"], DEMO_PASSWORD) is not None


def test_administrator_set_password_ends_every_session(app, client_as):
    client = client_as("member")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == ROLE_EMAILS["member"]))
        services.set_password(user, NEW_PASSWORD)
    assert not _is_logged_in(client)


def test_deactivation_invalidates_sessions(app, client_as):
    client = client_as("member")
    cookie = _cookie(client)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == ROLE_EMAILS["member"]))
        services.set_active(user, False)
    assert not _is_logged_in(client)
    # Reactivation does not bring the old sessions back.
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == ROLE_EMAILS["member"]))
        services.set_active(user, True)
    assert not _is_logged_in(_client_with_cookie(app, cookie))


@pytest.mark.calendar
def test_session_expires_after_its_lifetime(app, client_as, clock):
    """A login lasts its lifetime of elapsed time, also across midnight, the
    turn of the year and both changes of daylight saving time."""
    lifetime = app.permanent_session_lifetime
    client = client_as("member")
    assert _is_logged_in(client)
    clock.shift(lifetime - timedelta(minutes=1))
    assert _is_logged_in(client)
    clock.shift(timedelta(minutes=2))
    assert not _is_logged_in(client)
    # A new login starts a new lifetime.
    login(client, ROLE_EMAILS["member"])
    assert _is_logged_in(client)


def test_session_lifetime_is_bounded(app, demo, client):
    login(client, ROLE_EMAILS["member"])
    user = _user(app)
    with app.app_context():
        row = db.session.scalars(select(AuthSession).where(AuthSession.user_id == user.id)).one()
        lifetime = row.expires_at - row.created_at
    assert lifetime == app.permanent_session_lifetime
    assert lifetime <= timedelta(days=1)


def test_tampered_cookie_is_ignored(app, client_as):
    client = client_as("member")
    value = _cookie(client)
    forged = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    assert not _is_logged_in(_client_with_cookie(app, forged))


# --- throttling -----------------------------------------------------------


def test_login_is_throttled(extra_app, demo, clock):
    # The per-client limit alone (the per-account one: tests/auth/test_throttle.py).
    throttled = extra_app(RATELIMIT_ENABLED=True, NETZWERK_ACCOUNT_LOGIN_LIMIT="1000 per hour")
    from limits import parse

    rate = parse(throttled.config["NETZWERK_LOGIN_RATE_LIMIT"])
    limit = rate.amount
    client = throttled.test_client()
    for _ in range(limit):
        response = client.post(
            "/login", data={"email": ROLE_EMAILS["member"], "password": "guessing wrong"}
        )
        assert response.status_code == 200
    response = client.post(
        "/login", data={"email": ROLE_EMAILS["member"], "password": DEMO_PASSWORD}
    )
    assert response.status_code == 429
    assert not _is_logged_in(client)
    # Reading the login page is not throttled.
    assert client.get("/login").status_code == 200
    # Once the window has passed, the right password gets in again.
    clock.shift(timedelta(seconds=rate.get_expiry() + 1))
    login(client, ROLE_EMAILS["member"])
    assert _is_logged_in(client)


def test_login_throttle_is_shared_through_redis(extra_app, demo):
    """With NETZWERK_REDIS_URL set, all workers count attempts in one place:
    two app instances (two workers) share the limit."""
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
        "NETZWERK_LOGIN_RATE_LIMIT": "3 per minute",
    }
    first, second = extra_app(**config), extra_app(**config)
    wrong = {"email": ROLE_EMAILS["member"], "password": "guessing wrong"}
    statuses = [first.test_client().post("/login", data=dict(wrong)).status_code for _ in range(2)]
    statuses.append(second.test_client().post("/login", data=dict(wrong)).status_code)
    statuses.append(second.test_client().post("/login", data=dict(wrong)).status_code)
    assert statuses == [200, 200, 200, 429]


def test_shared_app_is_not_throttled(demo, client):
    for _ in range(15):
        assert (
            client.post("/login", data={"email": "x@y.example", "password": "z"}).status_code == 200
        )


# --- redirects after login -----------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        " //evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
    ],
)
def test_open_redirect_is_refused(demo, client, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": ROLE_EMAILS["member"], "password": DEMO_PASSWORD},
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost")
    assert location.path == "/"


def test_next_within_the_site_is_followed(demo, client):
    response = client.post(
        "/login",
        query_string={"next": "/meine-gremien"},
        data={"email": ROLE_EMAILS["member"], "password": DEMO_PASSWORD},
    )
    assert urlsplit(response.headers["Location"]).path == "/meine-gremien"


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.text(max_size=40) | st.from_regex(r"[/\\ \t]{0,3}[a-z:.]{0,12}/?.*"))
@example(target="//[")  # urlsplit: "Invalid IPv6 URL" (a 500 once)
@example(target="/[")
def test_safe_next_never_leaves_the_site(app, target):
    from netzwerk.auth.views import _safe_next

    with app.test_request_context("/login"):
        result = _safe_next(target)
    parts = urlsplit(result)
    assert not parts.scheme and not parts.netloc
    assert result.startswith("/") and not result.startswith("//")
    assert "\\" not in result
    # Browsers drop tabs and newlines from URLs: "/\t/evil" would become "//evil".
    assert not any(c in result for c in "\t\n\r")
