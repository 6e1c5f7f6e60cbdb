"""Helpers for the workflow tests: demo users, papers, a controllable poll."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from netzwerk.auth.models import User
from netzwerk.extensions import db
from netzwerk.governance.models import Body

ROLE_EMAILS = {
    "admin": "admin@osnabrueck.example",
    "office": "buero@osnabrueck.example",
    "chair": "ob@osnabrueck.example",  # chair of VK and BK
    "member": "mitglied@osnabrueck.example",  # vice chair of VK and BK
    "lead": "projekt@osnabrueck.example",  # chair of a working group, no VK seat
}


def user(role: str) -> User:
    found = db.session.scalar(select(User).where(User.email == ROLE_EMAILS.get(role, role)))
    assert found is not None, role
    return found


def body(short_name: str) -> Body:
    found = db.session.scalar(select(Body).where(Body.short_name == short_name))
    assert found is not None, short_name
    return found


def make_paper(
    author: str = "member", body_short: str = "VK", kind: str = "resolution", text: str = "Text"
) -> Any:
    from netzwerk.meetings.services import create_paper

    return create_paper(
        user(author),
        body_id=body(body_short).id,
        kind=kind,
        title=f"Vorlage von {author}",
        text=text,
    )


class FakePolls:
    """A poll result provider for tests: results[(type, id)] = True/False."""

    def __init__(self) -> None:
        self.results: dict[tuple[str, int], bool] = {}

    def __call__(self, object_type: str, obj: Any) -> bool | None:
        return self.results.get((object_type, obj.id))
