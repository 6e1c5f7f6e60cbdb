"""Helpers of the voting and decisions tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from conftest import QueryCounter, demo_body, demo_user
from flask import Flask
from sqlalchemy import event, select

from netzwerk.database import utcnow, write_transaction
from netzwerk.extensions import db
from netzwerk.governance.models import Body, Membership, Person

user = demo_user


body = demo_body


def make_body(short_name: str, members: int, *, public: bool = True, **rules: str) -> Body:
    """A body with ``members`` members with a voting right (no logins)."""
    with write_transaction():
        b = Body(name=f"Gremium {short_name}", short_name=short_name, kind="board", public=public)
        for key, value in rules.items():
            setattr(b, key, value)
        db.session.add(b)
        db.session.flush()
        persons = [
            Person(first_name=f"P{i}", last_name=f"{short_name}{i:04d}") for i in range(members)
        ]
        db.session.add_all(persons)
        db.session.flush()
        db.session.add_all(
            Membership(
                person_id=p.id,
                body_id=b.id,
                role="member",
                voting_right=True,
                start_date=date(2020, 1, 1),
            )
            for p in persons
        )
    return b


def seat_persons(body_id: int) -> list[int]:
    """Person ids of the body's voting seats, in membership order."""
    return list(
        db.session.scalars(
            select(Membership.person_id)
            .where(Membership.body_id == body_id, Membership.voting_right)
            .order_by(Membership.id)
        )
    )


def start_poll(  # type: ignore[no-untyped-def]
    body_id: int,
    *,
    hours: int = 48,
    closes_at: datetime | None = None,
    subject_id: int | None = None,
    **kwargs: Any,
):
    """A circular resolution of the body, open until ``closes_at`` (default:
    ``hours`` from now on the app's clock)."""
    from netzwerk.voting import services

    return services.start_circular_resolution(
        body_id=body_id,
        subject_type=kwargs.pop("subject_type", "free"),
        subject_id=subject_id,
        title=kwargs.pop("title", "Testabstimmung"),
        question=kwargs.pop("question", "Soll es so sein?"),
        closes_at=closes_at or utcnow() + timedelta(hours=hours),
        **kwargs,
    )


def run_threads(
    app: Flask, n: int, work: Callable[[int], Any]
) -> tuple[list[Any], list[BaseException]]:
    """Run ``work(i)`` in n threads at once, each with its own app context and session."""
    barrier = threading.Barrier(n)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def target(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                value = work(i)
                with lock:
                    results.append(value)
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                with lock:
                    errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    return results, errors


def make_decidable_paper(
    author: str = "member", body_short: str = "VK", public: bool = True
) -> Any:
    """A paper of the demo network waiting for a vote (a state flagged
    ``open_for_voting``), reached by its workflow's graph, not by names."""
    from netzwerk.papers.services import create_paper
    from netzwerk.projects.demo import advance, flag
    from netzwerk.workflow import services as wf

    paper = create_paper(
        user(author),
        body_id=body(body_short).id,
        kind="resolution",
        title="Digitale Lernorte in Stadtteilbibliotheken",
        text="Die Vorstandskonferenz möge beschließen, drei Lernorte einzurichten.",
        public=public,
    )
    paper_id = paper.id
    wanted = flag("open_for_voting")
    advance(
        user(author), paper, lambda state: wanted(state) or "editable_by_author" not in state.flags
    )
    db.session.expire_all()
    advance(user("office"), db.session.get(type(paper), paper_id), wanted)
    db.session.expire_all()
    paper = db.session.get(type(paper), paper_id)
    assert wf.has_flag(paper, "open_for_voting"), paper.state
    return paper


def meeting_in_session(short_name: str = "VK") -> Any:
    """A meeting of the body, invited and opened (a state flagged
    ``in_session``) by the office, every voting member present."""
    from meetings.helpers import in_days

    from netzwerk.meetings import access, attendance, invitations, places, planning
    from netzwerk.projects.demo import advance, flag

    staff = user("office")
    place = places.locations()[0] if places.locations() else None
    if place is None:
        place = places.create_location(staff, name="Rathaus", address="Markt 1", room="Saal")
    meeting = planning.create_meeting(
        staff, body_id=body(short_name).id, starts_at=in_days(20), location_id=place.id
    )
    invitations.send_invitations(staff, meeting, reason="kurzfristig")
    assert advance(staff, access.get_meeting(meeting.id), flag("in_session"))
    db.session.expire_all()
    meeting = access.get_meeting(meeting.id)
    voters = [
        line.membership.id for line in attendance.roster(meeting) if line.membership.voting_right
    ]
    attendance.set_attendance(staff, meeting, dict.fromkeys(voters, "present"))
    db.session.expire_all()
    return access.get_meeting(meeting.id)


@contextmanager
def count_ballot_statements(app: Flask) -> Iterator[QueryCounter]:
    """The SQL statements sent to the database (BEGIN, COMMIT, ROLLBACK and
    PRAGMA not counted), as the ``count_queries`` fixture counts them, but on
    SQLite as the driver sees them: a session ballot runs its statements
    straight on the driver's connection (``database.DriverStatement``),
    beyond SQLAlchemy's statement events.  Each connection checked out of
    the pool inside the block is traced (Python's trace repeats a statement
    for each trigger it fires: counted once)."""
    result = QueryCounter()
    with app.app_context():
        engine = db.engine

    def counted(statement: str) -> None:
        text = statement.lstrip()
        if not text.startswith("--") and not text.upper().startswith(
            ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")
        ):
            result.statements.append(statement)

    if engine.dialect.name != "sqlite":

        def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            counted(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield result
        finally:
            event.remove(engine, "before_cursor_execute", before)
        return

    last: list[str] = [""]

    def trace(statement: str) -> None:
        if statement != last[0]:  # else a trigger of the statement just traced
            counted(statement)
        last[0] = statement

    connections: list[Any] = []

    def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.set_trace_callback(trace)
        connections.append(dbapi_connection)

    event.listen(engine, "checkout", checkout)
    try:
        yield result
    finally:
        event.remove(engine, "checkout", checkout)
        for connection in connections:
            connection.set_trace_callback(None)
