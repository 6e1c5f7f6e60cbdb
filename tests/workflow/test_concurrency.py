"""Twenty concurrent firings of one transition: exactly one applies."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from netzwerk.audit.models import AuditEvent
from netzwerk.audit.services import verify_chain
from netzwerk.extensions import db
from netzwerk.papers.models import Paper
from netzwerk.workflow import services

from .helpers import make_paper, user

THREADS = 20


def _race(app, paper_id: int) -> tuple[list[str], list[str]]:
    barrier = threading.Barrier(THREADS)
    applied: list[str] = []
    refused: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        with app.app_context():
            try:
                paper = db.session.get(Paper, paper_id)
                office = user("office")
                assert paper.version == 1
                # Like a request: the page showed version 1; the pool has fewer
                # connections than threads, so give this one back while waiting.
                db.session.commit()
                barrier.wait(timeout=30)
                try:
                    services.fire(office, paper, "vorberatung_beginnen", expected_version=1)
                except services.WorkflowConflict as exc:
                    with lock:
                        refused.append(str(exc))
                else:
                    with lock:
                        applied.append("ok")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return applied, refused


@pytest.mark.postgres
def test_twenty_threads_fire_the_same_transition_once(app, demo):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL (NETZWERK_TEST_DATABASE_URL)")
        paper = make_paper()
        services.fire(user("member"), paper, "einreichen")
        paper_id = paper.id
        db.session.remove()

    applied, refused = _race(app, paper_id)

    assert len(applied) == 1
    assert len(refused) == THREADS - 1
    assert all("meantime" in m or "zwischenzeitlich" in m for m in refused)
    with app.app_context():
        paper = db.session.get(Paper, paper_id)
        assert paper.state == "vorberatung" and paper.version == 2
        count = db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.object_id == paper_id,
                AuditEvent.action == services.TRANSITION_ACTION,
                AuditEvent.to_state == "vorberatung",
            )
        )
        assert count == 1
        assert verify_chain() is None
        db.session.remove()


def test_concurrent_firing_on_sqlite_also_applies_once(app, demo):
    """SQLite serialises writers (BEGIN IMMEDIATE); the version check still decides."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the PostgreSQL variant above covers this")
        paper = make_paper()
        services.fire(user("member"), paper, "einreichen")
        paper_id = paper.id
        db.session.remove()
    applied, refused = _race(app, paper_id)
    assert len(applied) == 1 and len(refused) == THREADS - 1
    with app.app_context():
        assert verify_chain() is None
        db.session.remove()
