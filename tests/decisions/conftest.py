from __future__ import annotations

from typing import Any

import pytest

from netzwerk.extensions import db


@pytest.fixture
def office_client(client_as: Any) -> Any:
    return client_as("office")


@pytest.fixture
def decision_id(app: Any, office_client: Any) -> int:
    from voting.helpers import body, seat_persons, start_poll

    from netzwerk.decisions.models import Decision
    from netzwerk.voting import services

    with app.app_context():
        vk = body("VK")
        poll = start_poll(vk.id)
        for person in seat_persons(vk.id):
            services.cast_ballot(poll.id, person, "yes")
        services.close_poll(poll.id)
        found = db.session.query(Decision).filter_by(poll_id=poll.id).one()
        db.session.remove()
        return found.id
