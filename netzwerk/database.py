"""Database helpers shared by every domain package.

SQLite is tuned on every connection (WAL, foreign keys, busy timeout) and a
write transaction starts as ``BEGIN IMMEDIATE`` so that "read, then write"
never fails with SQLITE_BUSY under concurrent writers.  PostgreSQL needs none
of this.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

from .extensions import db
from .timeutil import utcnow

__all__ = ["UTCDateTime", "utcnow", "write_transaction", "is_sqlite"]

SQLITE_BUSY_TIMEOUT_MS = 15000

# Set for requests that may write (POST, ...) and inside write_transaction().
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "netzwerk_write_intent", default=False
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Netzwerk stores aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def is_sqlite(engine: Engine | None = None) -> bool:
    engine = engine or db.engine
    return engine.dialect.name == "sqlite"


def set_write_intent(value: bool) -> contextvars.Token[bool]:
    return _write_intent.set(value)


def reset_write_intent(token: contextvars.Token[bool]) -> None:
    _write_intent.reset(token)


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run a service's writes as one transaction, committed or rolled back.

    On SQLite the transaction starts with BEGIN IMMEDIATE, so that it holds
    the write lock from its first read.  A read transaction still open on the
    session (for example from loading the current user) is ended first.
    """
    token = _write_intent.set(True)
    try:
        if db.session().in_transaction() and not db.session.info.get("immediate"):
            if db.session.new or db.session.dirty or db.session.deleted:
                db.session.flush()
            else:
                db.session.commit()
        try:
            yield
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    finally:
        _write_intent.reset(token)


def install_engine_hooks(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        immediate = _write_intent.get()
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        # Without an application context this is a bare connection: no session.
        with contextlib.suppress(RuntimeError):
            db.session.info["immediate"] = immediate
