"""Fixtures of the counselling tests: demo offers and a counsellor client."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from netzwerk.auth.models import User
from netzwerk.counselling import services
from netzwerk.counselling.demo import load_counselling_demo
from netzwerk.counselling.models import Offer
from netzwerk.extensions import db

COUNSELLOR = "buero@osnabrueck.example"


@pytest.fixture
def counselling_demo(app: Flask, demo: None) -> None:
    with app.app_context():
        load_counselling_demo()
        db.session.remove()


@pytest.fixture
def counsellor(client_as: Any, counselling_demo: None) -> Any:
    """A client logged in as the demo counsellor (Bildungsbüro, counselling staff)."""
    return client_as("office")


def user_id(email: str) -> int:
    found = db.session.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return int(found)


def first_offer_id() -> int:
    found = db.session.scalar(select(Offer.id).order_by(Offer.id))
    assert found is not None
    return int(found)


def contact_data(**overrides: Any) -> services.ContactData:
    values: dict[str, Any] = {
        "contact_date": date(2026, 3, 2),
        "channel": "in_person",
        "language": "ar",
        "age_group": "18_24",
        "situation": "school_leaver_without_place",
        "outcome": "referred",
        "topics": ["vocational_training"],
    }
    values.update(overrides)
    return services.ContactData(**values)


def make_case(actor_id: int | None = None, **overrides: Any) -> int:
    return services.create_case(
        contact_data(**overrides), actor_id, now=datetime.fromisoformat("2026-03-02T10:00:00+00:00")
    )
