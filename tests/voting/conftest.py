from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def vote_setup(app: Any, client_as: Any) -> Any:
    from netzwerk.extensions import db

    from .helpers import body, start_poll

    client = client_as("member")
    with app.app_context():
        poll = start_poll(body("VK").id)
        poll_id = poll.id
        db.session.remove()
    return app, client, poll_id
