"""Helpers of the governance administration tests."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from netzwerk.auth.models import User
from netzwerk.extensions import db
from netzwerk.governance.models import Body, Organisation, Person


class Lookup:
    """Finds demo rows by name inside a fresh app context."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def _scalar(self, stmt: Any) -> Any:
        with self.app.app_context():
            value = db.session.scalar(stmt)
            db.session.remove()
        return value

    def body(self, short_name: str) -> int:
        return int(self._scalar(select(Body.id).where(Body.short_name == short_name)))

    def person(self, last_name: str) -> int:
        return int(self._scalar(select(Person.id).where(Person.last_name == last_name)))

    def organisation(self, name: str) -> int:
        return int(self._scalar(select(Organisation.id).where(Organisation.name == name)))

    def user(self, email: str) -> int:
        return int(self._scalar(select(User.id).where(User.email == email)))

    def count(self, model: Any, *where: Any) -> int:
        return int(self._scalar(select(func.count()).select_from(model).where(*where)))

    def get(self, model: Any, object_id: int) -> Any:
        """A detached copy of a row's column values."""
        with self.app.app_context():
            obj = db.session.get(model, object_id)
            values = (
                None
                if obj is None
                else {c.key: getattr(obj, c.key) for c in model.__table__.columns}
            )
            db.session.remove()
        return values


@pytest.fixture
def lookup(app: Flask, demo: None) -> Lookup:
    return Lookup(app)


def field_error(html: str, field_id: str) -> str | None:
    """The error text shown next to the field, or None."""
    marker = f'id="{field_id}-error">'
    start = html.find(marker)
    if start < 0:
        return None
    end = html.find("</p>", start)
    return html[start + len(marker) : end]
