from __future__ import annotations

import pytest

from netzwerk.extensions import db

from .helpers import Scenario, build_scenario


@pytest.fixture
def scenario(app, demo) -> Scenario:  # type: ignore[no-untyped-def]
    with app.app_context():
        built = build_scenario()
        db.session.remove()
    return built
