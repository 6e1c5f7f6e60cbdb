"""Helpers of the account-security tests: mails in the outbox, reset links
in them, audit events, the demo accounts' ids; the OpenID Connect provider
started for the tests (oidc_provider.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from netzwerk.audit.models import AuditEvent
from netzwerk.auth.models import User
from netzwerk.extensions import db
from netzwerk.governance.models import Person
from netzwerk.mail.models import OutboxMail

from .oidc_provider import TestProvider, serve_provider

LINK = re.compile(r"https?://[^/\s]+(/passwort-zuruecksetzen/[A-Za-z0-9_\-]+)")
PERSONS = "/verwaltung/personen/"
STRONG = "Kanufahrt über den Dümmer bei Nebel"


class Accounts:
    """Reads rows of the test database inside a fresh app context each time."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def _run(self, fn: Any) -> Any:
        with self.app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()

    def user_id(self, email: str) -> int:
        return int(self._run(lambda: db.session.scalar(select(User.id).where(User.email == email))))

    def person_id(self, email: str) -> int:
        return int(
            self._run(lambda: db.session.scalar(select(User.person_id).where(User.email == email)))
        )

    def password_hash(self, email: str) -> str:
        return str(
            self._run(
                lambda: db.session.scalar(select(User.password_hash).where(User.email == email))
            )
        )

    def mails_to(self, address: str) -> list[tuple[str, str]]:
        return list(
            self._run(
                lambda: [
                    (m.subject, m.body)
                    for m in db.session.scalars(
                        select(OutboxMail)
                        .where(OutboxMail.recipient == address)
                        .order_by(OutboxMail.id)
                    )
                ]
            )
        )

    def all_mails(self) -> int:
        return int(self._run(lambda: len(db.session.scalars(select(OutboxMail.id)).all())))

    def link_to(self, address: str) -> str:
        """The path of the newest reset link mailed to the address."""
        for _subject, body in reversed(self.mails_to(address)):
            found = LINK.search(body)
            if found:
                return found.group(1)
        raise AssertionError(f"no reset link mailed to {address}")

    def audit(self, action: str) -> list[dict[str, Any]]:
        return list(
            self._run(
                lambda: [
                    {"actor_id": e.actor_id, "object_id": e.object_id, "data": e.data}
                    for e in db.session.scalars(
                        select(AuditEvent)
                        .where(AuditEvent.action == action)
                        .order_by(AuditEvent.id)
                    )
                ]
            )
        )

    def person_name(self, email: str) -> str:
        return str(
            self._run(
                lambda: (
                    db.session.scalar(
                        select(Person)
                        .join(User, User.person_id == Person.id)
                        .where(User.email == email)
                    ).full_name
                )
            )
        )


@pytest.fixture
def accounts(app: Flask, demo: None) -> Accounts:
    return Accounts(app)


@pytest.fixture(scope="session")
def _oidc_provider_server() -> Iterator[TestProvider]:
    yield from serve_provider()


@pytest.fixture
def oidc_provider(_oidc_provider_server: TestProvider) -> Iterator[TestProvider]:
    """The test's OpenID Connect provider (reset for each test)."""
    _oidc_provider_server.reset()
    yield _oidc_provider_server
    _oidc_provider_server.reset()


@pytest.fixture(scope="module")
def _oidc_app(database_url: str, _oidc_provider_server: TestProvider) -> Iterator[Flask]:
    """One app per module that logs in through the test's provider (an app
    is slow to make; the settings a test changes are read per request)."""
    from conftest import make_test_app

    from netzwerk.extensions import limiter

    saved = (limiter.enabled, getattr(limiter, "_storage", None), limiter.initialized)
    made = make_test_app(database_url, **_oidc_provider_server.app_config())
    try:
        yield made
    finally:
        limiter.enabled, limiter._storage, limiter.initialized = saved
        with made.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def oidc_app(
    _oidc_app: Flask, demo: None, oidc_provider: TestProvider, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """``oidc_app(**config)``: the app that logs in through the test's
    provider, with these settings for this test."""

    def factory(**overrides: Any) -> Flask:
        for key, value in overrides.items():
            monkeypatch.setitem(_oidc_app.config, key, value)
        return _oidc_app

    return factory
