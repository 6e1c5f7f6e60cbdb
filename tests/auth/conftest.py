"""Helpers of the account-security tests: mails in the outbox, reset links
in them, audit events, the demo accounts' ids."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from netzwerk.audit.models import AuditEvent
from netzwerk.auth.models import User
from netzwerk.extensions import db
from netzwerk.governance.models import Person
from netzwerk.mail.models import OutboxMail

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
