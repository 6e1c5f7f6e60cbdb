"""Concurrent writers: the rules hold when requests race each other.

On SQLite BEGIN IMMEDIATE serialises writers; on PostgreSQL the person row
is locked for membership checks and the unique constraint refuses a second
organisation of the same name, which the service turns into a form error.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

from sqlalchemy import func, select

from netzwerk.extensions import db
from netzwerk.governance.common import GovernanceError
from netzwerk.governance.memberships import add_membership
from netzwerk.governance.models import Membership, Organisation
from netzwerk.governance.organisations import create_organisation

from .conftest import Lookup

THREADS = 4


def _race(app, action: Callable[[], object]) -> tuple[int, list[GovernanceError]]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(THREADS)
    lock = threading.Lock()
    done: list[object] = []
    refused: list[GovernanceError] = []
    crashed: list[BaseException] = []

    def worker() -> None:
        with app.test_request_context():
            try:
                barrier.wait(timeout=30)
                result = action()
            except GovernanceError as exc:
                with lock:
                    refused.append(exc)
            except BaseException as exc:  # noqa: BLE001 - reported below
                with lock:
                    crashed.append(exc)
            else:
                with lock:
                    done.append(result)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not crashed, crashed
    return len(done), refused


def test_same_organisation_name_at_once_is_created_once(app, demo):
    applied, refused = _race(
        app, lambda: create_organisation({"name": "Zeitgleich e. V.", "kind": "other"})
    )
    assert applied == 1
    assert len(refused) == THREADS - 1
    assert all(exc.field == "name" for exc in refused)
    with app.app_context():
        count = db.session.scalar(
            select(func.count(Organisation.id)).where(Organisation.name == "Zeitgleich e. V.")
        )
        db.session.remove()
    assert count == 1


def test_overlapping_memberships_at_once_are_added_once(app, demo):
    lookup = Lookup(app)
    body_id = lookup.body("AG DK")
    person_id = lookup.person("Gerdes")

    def add() -> object:
        return add_membership(
            body_id,
            {
                "person_id": person_id,
                "role": "member",
                "voting_right": True,
                "start_date": date(2026, 3, 1),
            },
        )

    applied, refused = _race(app, add)
    assert applied == 1
    assert all(exc.field == "start_date" for exc in refused)
    assert (
        lookup.count(Membership, Membership.body_id == body_id, Membership.person_id == person_id)
        == 1
    )
