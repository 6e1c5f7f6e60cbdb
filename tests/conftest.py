"""Test foundations: the clock, app, database, clients per role, query counter.

The suite runs on SQLite by default and on PostgreSQL when
NETZWERK_TEST_DATABASE_URL is set (.ci/run sets it).  Every test starts with
empty tables; fixtures load the demo network where a test asks for it.

The clock: every test runs at a fixed instant (``time-machine``, ticking from
there), never at the day the suite runs.  By default that is
``DEFAULT_INSTANT``, a Monday in the middle of the year; a test marked
``@pytest.mark.calendar`` runs once at each of ``CALENDAR_INSTANTS`` (New
Year's Eve, the first half hour of the new year in Berlin while UTC is still
in the old one, a leap day, the nights daylight saving time starts and ends,
and the Monday).  A test reads the frozen time through the ``clock`` fixture or
the application's own ``netzwerk.timeutil``, and moves it with
``clock.shift(...)`` or ``clock.move_to(...)``.  Browser tests keep the
machine's clock (Chromium does not share the frozen one); they too derive
every date from the application's clock.
"""

from __future__ import annotations

import functools
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import event, text

os.environ.setdefault("NETZWERK_INSTANCE_PATH", tempfile.mkdtemp(prefix="netzwerk-test-instance-"))

from netzwerk import create_app  # noqa: E402
from netzwerk.audit.models import CHAIN_HEAD_GENESIS  # noqa: E402
from netzwerk.extensions import db  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("NETZWERK_TEST_DATABASE_URL")

# The instant every test runs at unless it is marked ``calendar``.
DEFAULT_INSTANT = "2026-06-15T10:00:00+02:00"  # a Monday in the middle of the year
# The instants a ``calendar`` test runs at, by name (the test id's suffix).
CALENDAR_INSTANTS = {
    "new-years-eve": "2026-12-31T23:30:00+01:00",
    "new-year-night": "2027-01-01T00:30:00+01:00",  # still 2026 in UTC
    "leap-day": "2028-02-29T12:00:00+01:00",
    "dst-starts": "2027-03-28T01:30:00+01:00",  # half an hour before 02:00 becomes 03:00
    "dst-ends": "2026-10-25T02:30:00+01:00",  # the second 02:30 of the night (CET)
    "midyear-monday": DEFAULT_INSTANT,
}


BROWSER_TESTS = Path(__file__).parent / "browser"
# Tests that run once per CI run (on SQLite by default, see below) which CI
# runs on PostgreSQL instead, to balance its two runs: paths relative to
# tests/, comma-separated (``NETZWERK_ONCE_ON_POSTGRES=browser,test_x.py``).
ONCE_ON_POSTGRES = tuple(
    Path(__file__).parent / part.strip()
    for part in os.environ.get("NETZWERK_ONCE_ON_POSTGRES", "").split(",")
    if part.strip()
)


def _moved_to_postgres(item: pytest.Item) -> bool:
    path = Path(str(item.path))
    return any(path == moved or moved in path.parents for moved in ONCE_ON_POSTGRES)


# Fixtures of tests that drive pages through the test client.
PAGE_FIXTURES = frozenset({"client", "client_as"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL run only what depends on the database: a test that uses
    neither the app nor the database (rules, definitions, catalogues, the
    clock's guards) and is not marked ``postgres`` runs on SQLite only, and so
    do the browser tests (Chromium sees pages, whose behaviour on PostgreSQL
    the test client checks).  Each runs once per CI run instead of twice;
    those under ``NETZWERK_ONCE_ON_POSTGRES`` on PostgreSQL instead."""
    if not (PG_URL and PG_URL.startswith("postgresql")):
        if ONCE_ON_POSTGRES:
            moved = [item for item in items if _moved_to_postgres(item)]
            if moved:
                config.hook.pytest_deselected(items=moved)
                items[:] = [item for item in items if not _moved_to_postgres(item)]
        return
    kept, once = [], []
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        uses_db = {"app", "database_url"} & fixtures
        in_browser = BROWSER_TESTS in Path(str(item.path)).parents
        # A test of a page (the test client) checks templates, forms and
        # routing, which are the same on both databases; what a page asks of
        # PostgreSQL its services' tests check here, and the whole-site walks
        # (marked ``postgres``) send every form of every role to it.
        through_pages = bool(PAGE_FIXTURES & fixtures)
        if (
            item.get_closest_marker("postgres")
            or (uses_db and not in_browser and not through_pages)
            or _moved_to_postgres(item)
        ):
            kept.append(item)
        else:
            once.append(item)
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = kept


# On PostgreSQL the calendar tests run at the instants where the database's
# own time handling differs (the Berlin year and month boundary while UTC is
# still in the old year, and the repeated autumn hour); the other instants
# test the application's Python, which the SQLite run covers at every one.
POSTGRES_CALENDAR_INSTANTS = ("new-year-night", "dst-ends")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("calendar") is not None:
        names = list(CALENDAR_INSTANTS)
        if PG_URL and PG_URL.startswith("postgresql"):
            names = [n for n in names if n in POSTGRES_CALENDAR_INSTANTS]
        metafunc.parametrize(
            "instant",
            [CALENDAR_INSTANTS[n] for n in names],
            ids=names,
            indirect=True,
        )


@pytest.fixture
def instant(request: pytest.FixtureRequest) -> datetime:
    """The instant this test starts at (aware, UTC offset as written)."""
    return datetime.fromisoformat(getattr(request, "param", DEFAULT_INSTANT))


@pytest.fixture(autouse=True)
def clock(request: pytest.FixtureRequest, instant: datetime) -> Iterator[Any]:
    """The frozen, ticking clock of the test (a time-machine traveller with
    ``shift()`` and ``move_to()``); None for browser tests, which keep the
    machine's clock."""
    if request.node.get_closest_marker("browser") is not None:
        yield None
        return
    with time_machine.travel(instant, tick=True) as traveller:
        yield traveller


# Demo logins by role; the password is netzwerk.demo.DEMO_PASSWORD.
ROLE_EMAILS = {
    "admin": "admin@osnabrueck.example",
    "office": "buero@osnabrueck.example",
    "chair": "ob@osnabrueck.example",
    "member": "mitglied@osnabrueck.example",
    "lead": "projekt@osnabrueck.example",
}


def csrf_token_for(client: FlaskClient) -> str:
    """A valid CSRF token for the client's session (as Flask-WTF makes it)."""
    app = client.application
    with client.session_transaction() as sess:
        if "csrf_token" not in sess:
            sess["csrf_token"] = secrets.token_hex(20)
        raw = sess["csrf_token"]
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


class NetzwerkClient(FlaskClient):
    """A test client that adds a valid CSRF token to form posts.

    Pass ``csrf=False`` to send a request without one.
    """

    def open(self, *args: Any, csrf: bool = True, **kwargs: Any) -> Any:  # type: ignore[override]
        method = kwargs.get("method", "GET")
        if args and hasattr(args[0], "method"):
            method = args[0].method
        if csrf and method.upper() not in ("GET", "HEAD", "OPTIONS"):
            data = kwargs.get("data")
            if data is None and "json" not in kwargs:
                data = {}
                kwargs["data"] = data
            if isinstance(data, dict) and "csrf_token" not in data:
                data["csrf_token"] = csrf_token_for(self)
        return super().open(*args, **kwargs)


def _database_url(tmp_dir: str) -> str:
    if PG_URL:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        return _worker_database(PG_URL, worker) if worker else PG_URL
    return f"sqlite:///{os.path.join(tmp_dir, 'test.sqlite')}"


def _worker_database(url: str, worker: str) -> str:
    """With pytest-xdist (``-n 2``) on PostgreSQL: a database of the worker's
    own beside the given one (``<name>_gw0``), created when missing."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


TEST_ARGON2_PARAMETERS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def make_test_app(database_url: str, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
        # Cheap argon2id for tests only (tests/test_auth.py proves that an app
        # created without it, as in production, hashes with the strong defaults).
        "ARGON2_PARAMETERS": TEST_ARGON2_PARAMETERS,
        # Demo users and tests log in with the password only; tests/auth turn
        # the second-factor requirement on where they test it.
        "NETZWERK_REQUIRE_2FA": False,
        # Tests written before the open-early guard open meetings days ahead;
        # tests/meetings/test_cockpit.py sets the production default (60).
        "NETZWERK_MEETING_OPEN_EARLY": 60 * 24 * 400,
    }
    if database_url.startswith("postgresql"):
        # A test database need not survive a crash: commits do not wait for the disk.
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": "-c synchronous_commit=off"}
        }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = NetzwerkClient
    return app


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if os.environ.get("NETZWERK_REQUIRE_POSTGRES") == "1" and not (
        PG_URL and PG_URL.startswith("postgresql")
    ):
        pytest.fail("NETZWERK_REQUIRE_POSTGRES=1 needs a PostgreSQL NETZWERK_TEST_DATABASE_URL")
    return _database_url(str(tmp_path_factory.mktemp("db")))


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    app = make_test_app(database_url)
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))
        db.session.commit()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


_CATALOGUE: dict[str, tuple[dict[str, list[str]], frozenset[str]]] = {}


def _pg_catalogue(conn: Any) -> tuple[dict[str, list[str]], frozenset[str]]:
    """PostgreSQL, read once per database: the id sequences each table owns,
    and the tables with triggers of their own (the append-only audit trail,
    ballots: they refuse DELETE)."""
    url = str(conn.engine.url)
    if url not in _CATALOGUE:
        sequences: dict[str, list[str]] = {}
        for table, sequence in conn.execute(
            text(
                "SELECT t.relname, s.relname FROM pg_class s "
                "JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
                "JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S'"
            )
        ):
            sequences.setdefault(table, []).append(sequence)
        guarded = conn.execute(
            text(
                "SELECT DISTINCT c.relname FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
            )
        ).scalars()
        _CATALOGUE[url] = sequences, frozenset(guarded)
    return _CATALOGUE[url]


@functools.cache
def _filled_tables_probe(tables: tuple[str, ...]) -> Any:
    """One statement naming the tables that hold rows (built once: text()
    parses its whole SQL each time it is made)."""
    return text(
        " UNION ALL ".join(
            f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in tables
        )
    )


def truncate_all(app: Flask) -> None:
    """Empty every table and start the audit trail afresh.

    Only the tables that hold rows are emptied, with DELETE: TRUNCATE costs
    PostgreSQL new files and an fsync per table, seconds per test.  Tables
    whose triggers refuse DELETE (append-only) are truncated, and on
    PostgreSQL the emptied tables' id sequences restart at 1."""
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            found = set(conn.execute(_filled_tables_probe(tuple(tables))).scalars())
            filled = [name for name in tables if name in found]
            if conn.dialect.name == "postgresql":
                sequences, guarded = _pg_catalogue(conn)
                truncated = [name for name in filled if name in guarded]
                if truncated:
                    names = ", ".join(f'"{name}"' for name in truncated)
                    conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
                for name in filled:
                    if name not in guarded:
                        conn.execute(text(f'DELETE FROM "{name}"'))
                        for sequence in sequences.get(name, ()):
                            conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))
            else:
                conn.execute(text("PRAGMA defer_foreign_keys = ON"))
                for name in filled:
                    conn.execute(text(f'DELETE FROM "{name}"'))
                if "search_document" in filled:  # the FTS5 index over it
                    conn.execute(text("INSERT INTO search_fts(search_fts) VALUES ('delete-all')"))
            conn.execute(CHAIN_HEAD_GENESIS)  # an empty trail starts from its head


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "app" in request.fixturenames:
        truncate_all(request.getfixturevalue("app"))


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> NetzwerkClient:
    return app.test_client()  # type: ignore[return-value]


# Rows a demo loader wrote, per (loader, instant, database): table name and rows.
_SNAPSHOTS: dict[tuple[str, str, str], list[tuple[str, list[dict[str, Any]]]]] = {}


def load_once(app: Flask, loader: Any, instant: datetime | None) -> None:
    """Run a demo loader on the empty database, the first time for its
    instant (None: the machine's clock, in browser tests); every later time
    restore the rows it wrote, ids and audit chain included, in one
    transaction (a fraction of the loader's own time: no password hashing,
    no services, one INSERT per table)."""
    when = instant.isoformat() if instant is not None else "machine clock"
    key = (f"{loader.__module__}.{loader.__qualname__}", when, _db_key(app))
    with app.app_context():
        snapshot = _SNAPSHOTS.get(key)
        if snapshot is None:
            loader()
            db.session.remove()
            _SNAPSHOTS[key] = _capture()
        else:
            _restore(snapshot)


@contextmanager
def _triggers_off(conn: Any) -> Iterator[None]:
    """Restored rows are rows the services wrote: the guards that refuse a
    ballot in a closed poll, or a change of a closed one, do not apply to
    putting them back.  PostgreSQL: the transaction replays as a replica
    (the test database's user is a superuser).  SQLite: the triggers are
    dropped and created again inside the transaction, foreign keys checked
    at its commit."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        yield
        return
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # checked at commit
    triggers = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
    ).all()
    for name, _sql in triggers:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for _name, sql in triggers:
        conn.exec_driver_sql(sql)


def _db_key(app: Flask) -> str:
    return str(app.config["SQLALCHEMY_DATABASE_URI"])


# SQLite: the search's full-text index keeps its data in shadow tables that
# no model describes; a snapshot copies them as they are.
FTS_SHADOW_TABLES = ("search_fts_data", "search_fts_idx", "search_fts_docsize")


def _capture() -> list[tuple[str, list[dict[str, Any]]]]:
    snapshot = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(table.select().order_by(*table.primary_key.columns)).mappings()
            found = [dict(row) for row in rows]
            if found:
                snapshot.append((table.name, found))
        if conn.dialect.name == "sqlite":
            for name in FTS_SHADOW_TABLES:
                rows = conn.exec_driver_sql(f"SELECT * FROM {name}").mappings()
                snapshot.append((name, [dict(row) for row in rows]))
    return snapshot


def _restore(snapshot: list[tuple[str, list[dict[str, Any]]]]) -> None:
    tables = db.metadata.tables
    with db.engine.begin() as conn, _triggers_off(conn):
        # What is there (the network under a package's demo, the audit
        # chain's genesis head) goes first, children before parents.
        for name, _rows in reversed(snapshot):
            if name not in FTS_SHADOW_TABLES:
                conn.execute(tables[name].delete())
        for name, rows in snapshot:
            if name in FTS_SHADOW_TABLES:
                conn.exec_driver_sql(f"DELETE FROM {name}")
                if rows:
                    columns = list(rows[0])
                    conn.execute(
                        text(
                            f"INSERT INTO {name} ({', '.join(columns)}) "
                            f"VALUES ({', '.join(':' + c for c in columns)})"
                        ),
                        rows,
                    )
                continue
            table = tables[name]
            conn.execute(table.insert(), rows)
            column = table.autoincrement_column
            if conn.dialect.name == "postgresql" and column is not None:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('\"{name}\"', '{column.name}'), "
                        f'max("{column.name}")) FROM "{name}"'
                    )
                )


@pytest.fixture
def demo(app: Flask, instant: datetime) -> None:
    """The demo network of Osnabrück (bodies, people, organisations), loaded
    into the empty database; packages load their own demo data on top."""
    from netzwerk.demo import load_network

    load_once(app, load_network, instant)


@pytest.fixture
def full_demo(app: Flask, instant: datetime, clock: Any) -> None:
    """Every package's demo data on top of the network (the demo year of
    ``make run``), loaded the first time and restored from its rows after
    that: the whole-site walks share one load per process and clock."""
    from netzwerk.demo import load_demo

    load_once(app, load_demo, instant if clock is not None else None)


def login(client: FlaskClient, email: str, password: str | None = None) -> Any:
    from netzwerk.demo import DEMO_PASSWORD

    response = client.post("/login", data={"email": email, "password": password or DEMO_PASSWORD})
    assert response.status_code == 302, "login failed for " + email
    return response


@pytest.fixture
def client_as(app: Flask, demo: None):  # type: ignore[no-untyped-def]
    """Factory: a fresh client logged in as a demo role (admin, office, chair,
    member, lead) or as any e-mail address."""

    def factory(role: str) -> NetzwerkClient:
        c: NetzwerkClient = app.test_client()  # type: ignore[assignment]
        login(c, ROLE_EMAILS.get(role, role))
        return c

    return factory


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask):  # type: ignore[no-untyped-def]
    """Context manager factory counting SQL statements sent to the database."""

    @contextmanager
    def counter() -> Iterator[QueryCounter]:
        result = QueryCounter()
        with app.app_context():
            engine = db.engine

        def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
                result.statements.append(statement)

        event.listen(engine, "before_cursor_execute", _before)
        try:
            yield result
        finally:
            event.remove(engine, "before_cursor_execute", _before)

    return counter


@pytest.fixture
def extra_app(database_url: str):  # type: ignore[no-untyped-def]
    """Factory of extra app instances on the test database, never the shared app:
    ``extra_app(**config_overrides)`` (e.g. RATELIMIT_ENABLED=True or test-only
    routes).  The rate limiter is a module-level extension whose ``enabled``
    flag and storage are reset by every init_app; they are restored afterwards
    so that the shared app stays unthrottled."""
    from netzwerk.extensions import limiter

    saved = (limiter.enabled, getattr(limiter, "_storage", None), limiter.initialized)
    created: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        extra = make_test_app(database_url, **overrides)
        created.append(extra)
        return extra

    try:
        yield factory
    finally:
        limiter.enabled, limiter._storage, limiter.initialized = saved
        for extra in created:
            with extra.app_context():
                db.session.remove()
                db.engine.dispose()


class SMTPCollector:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        from email import message_from_bytes

        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server(app: Flask) -> Iterator[SMTPCollector]:
    """A real SMTP server on loopback; the app's mail settings point at it."""
    from aiosmtpd.controller import Controller

    handler = SMTPCollector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    old = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = "127.0.0.1", port
    try:
        yield handler
    finally:
        app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = old
        controller.stop()


def demo_user(role_or_email: str) -> Any:
    """The demo account of a role (admin, office, chair, member, lead) or an
    e-mail address; inside an app context."""
    from sqlalchemy import select as _select

    from netzwerk.auth.models import User

    email = ROLE_EMAILS.get(role_or_email, role_or_email)
    found = db.session.scalar(_select(User).where(User.email == email))
    assert found is not None, role_or_email
    return found


def demo_body(short_name: str) -> Any:
    """A body of the demo network by its short name (VK, BK, AG UT, ...)."""
    from sqlalchemy import select as _select

    from netzwerk.governance.models import Body

    found = db.session.scalar(_select(Body).where(Body.short_name == short_name))
    assert found is not None, short_name
    return found
