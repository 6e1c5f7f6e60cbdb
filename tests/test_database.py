"""Pooled PostgreSQL connections are pinged only after being idle
(netzwerk.database.install_ping_after_idle)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import IN_CI, PG_URL
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from netzwerk.database import install_ping_after_idle

pytestmark = pytest.mark.postgres

IDLE = 0.3


@pytest.fixture
def engine() -> Iterator[Engine]:
    if not PG_URL or not PG_URL.startswith("postgresql"):
        if IN_CI and os.environ.get("NETZWERK_REQUIRE_POSTGRES") == "1":
            pytest.fail("CI requires NETZWERK_TEST_DATABASE_URL (PostgreSQL)")
        pytest.skip("NETZWERK_TEST_DATABASE_URL is not a PostgreSQL URL")
    engine = create_engine(PG_URL, pool_size=1, max_overflow=0)
    install_ping_after_idle(engine, IDLE)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        seen.append(dbapi_connection)
        return bool(ping(dbapi_connection))

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return seen


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pid: int) -> None:
    admin = create_engine(PG_URL or "", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
    finally:
        admin.dispose()
    time.sleep(0.1)  # the server closes the socket


def test_a_connection_just_used_is_not_pinged(engine, pings):
    first = _backend_pid(engine)
    assert _backend_pid(engine) == first
    assert pings == []


def test_an_idle_connection_is_pinged_before_use(engine, pings):
    first = _backend_pid(engine)
    time.sleep(IDLE + 0.1)
    assert _backend_pid(engine) == first
    assert len(pings) == 1


def test_an_idle_connection_that_died_is_replaced_before_use(engine, pings):
    first = _backend_pid(engine)
    _terminate(first)
    time.sleep(IDLE)
    second = _backend_pid(engine)  # the ping fails, the pool connects afresh
    assert second != first
    assert len(pings) == 1


def test_a_connection_that_died_while_hot_fails_once_then_the_pool_recovers(engine, pings):
    """The price of pinging only idle connections: a server that went away
    within the idle time fails the next statement once; SQLAlchemy sees the
    disconnect and the pool's next connection is a fresh one."""
    first = _backend_pid(engine)
    _terminate(first)
    with pytest.raises(OperationalError), engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert _backend_pid(engine) != first
    assert pings == []


def test_the_applications_connections_do_not_compile_plans(engine: Engine) -> None:
    """JIT compiled the search's plan (its policy subqueries make estimates
    high) for seconds before a run of milliseconds: the app turns it off,
    and the setting survives the connection's first transaction."""
    from netzwerk.database import install_engine_hooks

    app_engine = create_engine(PG_URL or "", pool_size=1, max_overflow=0)
    install_engine_hooks(app_engine, IDLE)
    try:
        for _ in range(2):
            with app_engine.connect() as conn:
                assert conn.execute(text("SHOW jit")).scalar_one() == "off"
                conn.rollback()
    finally:
        app_engine.dispose()
