"""The hot paths measured by bench/: what they cost in queries and loads."""

from __future__ import annotations

import fcntl
from datetime import date, timedelta
from typing import Any

import pytest
from babel import support
from sqlalchemy import event, select
from voting.helpers import count_ballot_statements

from netzwerk.audit.services import verify_chain
from netzwerk.database import is_sqlite, read_before_write, write_transaction
from netzwerk.extensions import db
from netzwerk.governance import member_lists as gov
from netzwerk.governance.models import Body, Membership, Person
from netzwerk.voting.models import Ballot


def _vk_poll(app: Any) -> int:
    from netzwerk.database import utcnow
    from netzwerk.voting import services as voting

    with app.app_context():
        body_id = db.session.scalar(select(Body.id).where(Body.short_name == "VK"))
        poll_id = voting.start_circular_resolution(
            body_id=body_id,
            subject_type="free",
            subject_id=None,
            title="Testabstimmung",
            question="Soll es so sein?",
            closes_at=utcnow() + timedelta(hours=48),
        ).id
        db.session.remove()
    return int(poll_id)


def test_a_ballot_is_one_statement_on_postgresql_two_on_sqlite(app, client_as, monkeypatch):
    client = client_as("member")
    poll_id = _vk_poll(app)
    with app.app_context():
        engine = db.engine
    autocommit: list[bool] = []
    pings: list[object] = []
    ping = engine.dialect.do_ping

    def counted_ping(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return bool(ping(dbapi_connection))

    def seen(conn: Any, *_args: Any) -> None:
        autocommit.append(bool(getattr(conn.connection.dbapi_connection, "autocommit", False)))

    monkeypatch.setattr(engine.dialect, "do_ping", counted_ping)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with count_ballot_statements(app) as counter:
            response = client.post(
                f"/abstimmungen/{poll_id}/abstimmen",
                data={f"poll{poll_id}-value": "yes", f"poll{poll_id}-seat": ""},
            )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Ballot.value).where(Ballot.poll_id == poll_id)) == "yes"
        assert verify_chain() is None
    if engine.dialect.name == "sqlite":
        # The ballot (its select checks the login and the rules: only a
        # refused ballot loads more) and the audit link, straight on the
        # driver's connection (no statement through SQLAlchemy's execution).
        assert counter.count == 2, counter.statements
        assert autocommit == []
    else:
        # Ballot and audit link in one statement that commits by itself: no
        # BEGIN, no COMMIT, and no ping for a connection just used.
        assert counter.count == 1, counter.statements
        assert autocommit == [True]
        assert pings == []


def test_a_ballots_statements_are_compiled_once(app, client_as):
    """SQLAlchemy compiles the ballot's statements once per process: the
    second member's ballot finds every statement in the compiled cache (on
    SQLite, where they run on the driver, each DriverStatement keeps its
    compilation and none is compiled again)."""
    from sqlalchemy.engine.default import CACHE_HIT

    poll_id = _vk_poll(app)
    with app.app_context():
        sqlite = is_sqlite(db.engine)
    if sqlite:
        _driver_statements_compiled_once(app, client_as, poll_id)
        return
    first, second = client_as("member"), client_as("chair")

    def data() -> dict[str, str]:
        return {f"poll{poll_id}-value": "yes", f"poll{poll_id}-seat": ""}

    assert first.post(f"/abstimmungen/{poll_id}/abstimmen", data=data()).status_code == 302
    hits: list[tuple[str, bool]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, _p: Any, context: Any, _many: Any) -> None:
        if context is not None and not statement.lstrip().upper().startswith("BEGIN"):
            table = statement.split("INSERT INTO ")[1].split()[0]
            hits.append((table, context.cache_hit is CACHE_HIT))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", seen)
    try:
        assert second.post(f"/abstimmungen/{poll_id}/abstimmen", data=data()).status_code == 302
    finally:
        event.remove(engine, "after_cursor_execute", seen)
    # PostgreSQL: "WITH cast_ballot AS (INSERT INTO ballot ...), ... audit link"
    expected = ["ballot", "audit_event"] if engine.dialect.name == "sqlite" else ["ballot"]
    assert [table for table, _hit in hits] == expected
    assert all(hit for _table, hit in hits), hits


def _driver_statements_compiled_once(app: Any, client_as: Any, poll_id: int) -> None:
    from netzwerk.database import DriverStatement

    def data() -> dict[str, str]:  # the client adds its CSRF token to the dict
        return {f"poll{poll_id}-value": "yes", f"poll{poll_id}-seat": ""}

    first, second = client_as("member"), client_as("chair")
    assert first.post(f"/abstimmungen/{poll_id}/abstimmen", data=data()).status_code == 302
    compiled: list[Any] = []
    prepare = DriverStatement._prepare

    def counted(self: DriverStatement, dialect: Any) -> Any:
        before = self._prepared
        result = prepare(self, dialect)
        if self._prepared is not before:
            compiled.append(self.statement)
        return result

    DriverStatement._prepare = counted  # type: ignore[method-assign]
    try:
        with count_ballot_statements(app) as counter:
            assert second.post(f"/abstimmungen/{poll_id}/abstimmen", data=data()).status_code == 302
    finally:
        DriverStatement._prepare = prepare  # type: ignore[method-assign]
    assert [s.split("INSERT INTO ")[1].split()[0] for s in counter.statements] == [
        "ballot",
        "audit_event",
    ]
    assert compiled == []


def test_a_ballot_the_ordinary_way_costs_four_statements(app, client_as, count_queries):
    """A session without the user's id (as an older login left it) votes
    after the ordinary login check."""
    from netzwerk.auth.services import SESSION_USER_ID_KEY

    client = client_as("member")
    with client.session_transaction() as session:
        session.pop(SESSION_USER_ID_KEY)
    poll_id = _vk_poll(app)
    with count_queries() as counter:
        response = client.post(
            f"/abstimmungen/{poll_id}/abstimmen",
            data={f"poll{poll_id}-value": "no", f"poll{poll_id}-seat": ""},
        )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Ballot.value).where(Ballot.poll_id == poll_id)) == "no"
        # login check, poll with the voter's seats, ballot, audit link
        assert counter.count == 4, counter.statements


def test_wtforms_catalogue_is_parsed_once_per_process(app, client_as, monkeypatch):
    client = client_as("member")
    poll_id = _vk_poll(app)
    client.get(f"/abstimmungen/{poll_id}")  # loads it, unless an earlier test did
    loads: list[Any] = []
    original = support.Translations.load

    def counting(*args: Any, **kwargs: Any) -> Any:
        loads.append(kwargs.get("domain"))
        return original(*args, **kwargs)

    monkeypatch.setattr(support.Translations, "load", counting)
    for _ in range(3):
        assert client.get(f"/abstimmungen/{poll_id}").status_code == 200
        response = client.post(f"/abstimmungen/{poll_id}/abstimmen", data={})
        assert response.status_code == 422
    assert loads == []


def test_login_check_of_a_post_is_a_short_read(app, demo, count_queries):
    from netzwerk.auth.models import User
    from netzwerk.database import reset_write_intent, set_write_intent

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "mitglied@osnabrueck.example"))
        user_id = user.id
        db.session.remove()
        token = set_write_intent(True)
        try:
            with read_before_write():
                loaded = db.session.get(User, user_id)
            # SQLite: the read transaction is over (it would hold the write
            # lock), and what it loaded is still loaded.  PostgreSQL: the
            # request simply goes on in its transaction.
            assert db.session().in_transaction() is not is_sqlite()
            with count_queries() as counter:
                assert loaded is not None and loaded.person_id and not loaded.is_staff
            assert counter.count == 0
        finally:
            reset_write_intent(token)
            db.session.remove()


def test_sqlite_write_queue_is_held_only_during_a_write(app, demo):
    with app.app_context():
        if not is_sqlite():
            pytest.skip("the write queue exists for SQLite only")
        path = f"{db.engine.url.database}-writelock"

        def queue_free() -> bool:
            with open(path, "a+") as fh:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return False
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
                return True

        with write_transaction():
            db.session.execute(select(Body.id)).all()
            assert not queue_free()
        assert queue_free()
        with pytest.raises(RuntimeError), write_transaction():
            db.session.execute(select(Body.id)).all()
            raise RuntimeError("rolled back")
        assert queue_free()
        db.session.remove()


def test_sqlite_write_queue_excludes_other_threads(tmp_path):
    """Each thread takes the queue with its own open file (flock belongs to
    the open file): a second thread waits until the first releases it."""
    import threading

    from netzwerk.database import SQLiteWriteQueue

    queue = SQLiteWriteQueue(str(tmp_path / "db-writelock"), timeout=0.05)
    held = queue.acquire()
    assert held is not None
    outcome: dict[str, Any] = {}

    def other() -> None:
        outcome["while held"] = queue.acquire()  # times out: None
        first.set()
        second.wait(5)
        got = queue.acquire()
        outcome["after release"] = got
        if got is not None:
            queue.release(got)

    first, second = threading.Event(), threading.Event()
    thread = threading.Thread(target=other)
    thread.start()
    assert first.wait(5)
    queue.release(held)
    second.set()
    thread.join(5)
    assert outcome == {"while held": None, "after release": outcome["after release"]}
    assert outcome["after release"] is not None
    # The same thread takes it again with the same open file.
    again = queue.acquire()
    assert again == held
    queue.release(again)


def _grow(app: Any, short_name: str, n: int) -> int:
    with app.app_context():
        body_id = db.session.scalar(select(Body.id).where(Body.short_name == short_name))
        with write_transaction():
            people = [Person(first_name="Viele", last_name=f"Mitglied{i:04d}") for i in range(n)]
            db.session.add_all(people)
            db.session.flush()
            db.session.add_all(
                Membership(
                    person_id=p.id, body_id=body_id, role="member", start_date=date(2026, 1, 1)
                )
                for p in people
            )
        db.session.remove()
    return int(body_id)


def test_long_member_list_is_paged_chair_first(app, client_as, count_queries):
    client = client_as("member")
    body_id = _grow(app, "BK", 0)
    with count_queries() as few:
        assert client.get(f"/gremien/{body_id}").status_code == 200
    _grow(app, "BK", 150)
    with count_queries() as many:
        first = client.get(f"/gremien/{body_id}").get_data(as_text=True)
    assert many.count == few.count
    total = first.count("<tr") - 1  # minus the header
    assert total == gov.MEMBERS_PER_PAGE
    assert "Mitglieder 1–100 von" in first and 'rel="next"' in first
    assert first.index("Vorsitz") < first.index("Mitglied0000")
    second = client.get(f"/gremien/{body_id}?page=2").get_data(as_text=True)
    assert "Mitglied0149" in second and "Mitglied0149" not in first
    assert 'rel="prev"' in second


def test_my_bodies_shows_the_first_members_and_links_to_all(app, client_as):
    client = client_as("member")
    _grow(app, "BK", 60)
    html = client.get("/meine-gremien").get_data(as_text=True)
    with app.app_context():
        total = len(
            gov.member_rows(
                [db.session.scalar(select(Body.id).where(Body.short_name == "BK"))]
            ).popitem()[1]
        )
    assert f"Alle {total} Mitglieder von Bildungskonferenz" in html
    assert "Markus Feldkamp" in html  # the chair of the Vorstandskonferenz


def test_first_members_of_many_bodies_are_cut_per_body(app, demo):
    """More bodies than fit one statement, and bodies larger than the limit:
    each gets its own first lines, chair first, then by name."""
    with app.app_context():
        with write_transaction():
            bodies = [
                Body(name=f"Arbeitsgruppe {i:03d}", short_name=f"AG{i:03d}", kind="working_group")
                for i in range(gov._BODIES_PER_STATEMENT + 7)
            ]
            db.session.add_all(bodies)
            people = [Person(first_name="Erna", last_name=f"Zahl{i:02d}") for i in range(5)]
            db.session.add_all(people)
            db.session.flush()
            for b, body in enumerate(bodies):
                for i, person in enumerate(people[: 1 + b % 5]):
                    db.session.add(
                        Membership(
                            person_id=person.id,
                            body_id=body.id,
                            role="chair" if i == len(people[: 1 + b % 5]) - 1 else "member",
                            start_date=date(2026, 1, 1),
                        )
                    )
        ids = [body.id for body in bodies]
        rows = gov.member_rows(ids, limit=3)
        counts = gov.member_counts(ids)
        for b, body_id in enumerate(ids):
            size = 1 + b % 5
            assert counts[body_id] == size
            lines = rows[body_id]
            assert len(lines) == min(3, size)
            assert lines[0].role == "chair"
            members = [line.name for line in lines[1:]]
            assert members == sorted(members)
        db.session.remove()
