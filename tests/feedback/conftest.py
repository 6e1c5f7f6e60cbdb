"""Helpers of the feedback tests."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from netzwerk.auth.models import User
from netzwerk.extensions import db
from netzwerk.feedback import services
from netzwerk.feedback.models import FeedbackChoice

CODE_RE = re.compile(r'id="receipt-code">([A-Z0-9-]+)<')


@pytest.fixture
def seeded(app: Flask) -> None:
    with app.app_context():
        services.ensure_default_choices()
        db.session.remove()


def choice_id(kind: str, code: str) -> int:
    found = db.session.scalar(
        select(FeedbackChoice.id).where(FeedbackChoice.kind == kind, FeedbackChoice.code == code)
    )
    assert found is not None, (kind, code)
    return int(found)


def user(email: str = "buero@osnabrueck.example") -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def form_data(app: Flask, **overrides: Any) -> dict[str, Any]:
    with app.app_context():
        data: dict[str, Any] = {
            "category": str(choice_id("category", "language_courses")),
            "rating": "2",
            "text": "Es gibt zu wenige Sprachkurse am Abend.",
            "district": str(choice_id("district", "schinkel")),
            "target_group": str(choice_id("target_group", "adults")),
        }
    data.update(overrides)
    return data


def receipt_code(html: str) -> str:
    found = CODE_RE.search(html)
    assert found, "no receipt code on the page"
    return found.group(1)


def status_page(client: Any, lang: str, code: str) -> Any:
    """The receipt page of a code: posted (with CSRF), never in a URL."""
    return client.post(f"/rueckmeldung/{lang}/status", data={"code": code})


def submit(**overrides: Any) -> Any:
    """Store one feedback through the service (inside an app context)."""
    data = services.FeedbackInput(
        category_id=choice_id("category", overrides.pop("category", "school")),
        rating=overrides.pop("rating", 3),
        text=overrides.pop("text", "Mehr Ganztagsplätze"),
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return services.submit_feedback(data, language="de")
