"""Database helpers shared by every domain package.

SQLite is tuned on every connection (WAL, foreign keys, busy timeout) and a
write transaction starts as ``BEGIN IMMEDIATE`` so that "read, then write"
never fails with SQLITE_BUSY under concurrent writers.  PostgreSQL needs none
of this.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows: no write queue
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import DateTime, event, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.types import TypeDecorator

from .extensions import db
from .timeutil import LOCAL_TZ, to_local, utcnow

__all__ = [
    "UTCDateTime",
    "utcnow",
    "write_transaction",
    "unit_of_work",
    "autocommit_connection",
    "DriverStatement",
    "driver_write_transaction",
    "end_read_transaction",
    "is_sqlite",
    "local_month",
    "read_before_write",
    "value_taken",
]

SQLITE_BUSY_TIMEOUT_MS = 15000
# SHA-256 (hex) of a text, for the audit chain (PostgreSQL has sha256()).
SQLITE_SHA256 = "netzwerk_sha256"
# strftime() of a stored UTC timestamp in Europe/Berlin (SQLite has no time zones).
SQLITE_LOCAL_STRFTIME = "netzwerk_local_strftime"

# Set for requests that may write (POST, ...) and inside write_transaction().
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "netzwerk_write_intent", default=False
)
# How many write_transaction() blocks are open: 0 outside, 1 in the unit of
# work, more in nested (savepoint) blocks.
_transaction_depth: contextvars.ContextVar[int] = contextvars.ContextVar(
    "netzwerk_transaction_depth", default=0
)
# In the session's info: the unit of work has written (its later write
# blocks are savepoints, so that a failing one leaves the earlier ones).
UNIT_WROTE_KEY = "netzwerk.unit_wrote"
# Set inside unit_of_work(): the boundary of a request, job or command, which
# commits; write_transaction() blocks inside it only mark savepoints.
_unit_of_work: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "netzwerk_unit_of_work", default=False
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


def enum_check(column: str, enum: type[StrEnum]) -> str:
    """SQL for a check constraint: the column holds one of the enum's values."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


def value_taken(column: Any, value: str, exclude_id: int | None = None) -> bool:
    """Whether another row already holds ``value`` in ``column`` (ignoring
    case); ``exclude_id`` is the row being edited.  The unique constraint
    stays the last word (a race ends in an IntegrityError)."""
    id_column = column.class_.id
    stmt = select(id_column).where(func.lower(column) == value.lower())
    if exclude_id is not None:
        stmt = stmt.where(id_column != exclude_id)
    return db.session.scalar(stmt.limit(1)) is not None


def is_sqlite(engine: Engine | Connection | None = None) -> bool:
    engine = engine or db.engine
    return engine.dialect.name == "sqlite"


def set_write_intent(value: bool) -> contextvars.Token[bool]:
    return _write_intent.set(value)


def reset_write_intent(token: contextvars.Token[bool]) -> None:
    _write_intent.reset(token)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """The boundary of a request, a scheduler job or a command: the one
    transaction of its writes.

    Everything written inside commits together when the block ends, or is
    rolled back when it raises.  Services never commit: they write inside
    :func:`write_transaction` blocks, which within a unit of work are
    savepoints of its transaction (an error caught by the caller undoes only
    that block).  A unit inside a unit joins the outer one.  Also usable as a
    decorator (a command's callback).
    """
    if _unit_of_work.get():
        yield
        return
    token = _unit_of_work.set(True)
    try:
        yield
        commit_unit()
    except BaseException:
        db.session.info.pop(UNIT_WROTE_KEY, None)
        db.session.rollback()
        raise
    finally:
        _unit_of_work.reset(token)


def begin_unit() -> contextvars.Token[bool]:
    """Open a unit of work whose end is not one block (a request: its
    ``after_request`` calls :func:`commit_unit`, its teardown
    :func:`end_unit`)."""
    return _unit_of_work.set(True)


def commit_unit() -> None:
    """Commit the unit's transaction, if it wrote anything."""
    if not db.session.registry.has():
        return  # no session was opened (a ballot writes beside it): nothing to commit
    session = db.session()
    session.info.pop(UNIT_WROTE_KEY, None)
    if session.in_transaction():
        session.commit()


def end_unit(token: contextvars.Token[bool], failed: bool) -> None:
    """Close a unit opened by :func:`begin_unit`; roll back what a failed
    one left uncommitted."""
    try:
        if db.session.registry.has():  # else no session was opened: nothing to end
            db.session.info.pop(UNIT_WROTE_KEY, None)
            if failed:
                db.session.rollback()
    finally:
        _unit_of_work.reset(token)


def in_unit_of_work() -> bool:
    return _unit_of_work.get()


@contextmanager
def write_transaction() -> Iterator[None]:
    """A block of writes that belong together: they count together or not
    at all.

    Inside a :func:`unit_of_work` (every request, scheduler job and command
    runs in one) the block is a savepoint of the unit's transaction: an
    exception leaving it undoes the block, and what it wrote commits when
    the unit ends.  Blocks nest the same way.  Outside any unit (a test
    calling a service, a script) the outermost block is the transaction and
    commits when it ends.

    On SQLite the unit's transaction starts with BEGIN IMMEDIATE at its first
    write block, so that it holds the write lock from its first read on; a
    read transaction still open on the session (for example from loading the
    current user) is ended first.  On PostgreSQL the writes simply continue
    the transaction (its reads take no locks that a write would have to
    upgrade).
    """
    depth = _transaction_depth.get()
    if depth:
        depth_token = _transaction_depth.set(depth + 1)
        try:
            with db.session.begin_nested():
                yield
        finally:
            _transaction_depth.reset(depth_token)
        return
    token = _write_intent.set(True)
    depth_token = _transaction_depth.set(1)
    try:
        end_read_transaction()
        if _unit_of_work.get():
            session = db.session()
            if session.info.get(UNIT_WROTE_KEY) or session.new or session.dirty or session.deleted:
                # The unit commits; this block is its savepoint.
                session.connection()  # BEGIN (IMMEDIATE) under the write intent
                with session.begin_nested():
                    yield
                return
            # The unit's first write: nothing to keep if it fails, so no
            # savepoint (the hot paths stay at their statements): a failure
            # rolls the transaction back, which holds nothing else.
            try:
                yield
                session.flush()
            except BaseException:
                session.rollback()
                raise
            session.info[UNIT_WROTE_KEY] = True
            return
        try:
            yield
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    finally:
        _transaction_depth.reset(depth_token)
        _write_intent.reset(token)


def in_write_transaction() -> bool:
    """Whether a ``write_transaction()`` is open (effects may rely on it)."""
    return bool(_transaction_depth.get())


@contextmanager
def autocommit_connection() -> Iterator[Connection]:
    """PostgreSQL: a connection on which every statement is its own
    transaction, committed by the server as the statement ends (no BEGIN or
    COMMIT round trips): for a write that is one statement (the ballot with
    its audit link).  Not for SQLite, whose writers queue for the write lock
    (use :func:`driver_write_transaction`)."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            raise RuntimeError("autocommit_connection() is for PostgreSQL")
        # Straight on the driver's connection (psycopg sends no BEGIN then),
        # and back before the pool takes it: SQLAlchemy's isolation-level
        # machinery costs more than the ballot's own Python work here.
        driver = conn.connection.dbapi_connection
        driver.autocommit = True  # type: ignore[union-attr]
        try:
            yield conn
        finally:
            driver = conn.connection.dbapi_connection if not conn.invalidated else None
            if driver is not None and not driver.closed:  # type: ignore[attr-defined]
                driver.autocommit = False  # type: ignore[attr-defined]


class DriverStatement:
    """A Core statement compiled once per process and run straight on the
    SQLite driver's connection (:func:`driver_write_transaction`).

    For the ballot, SQLAlchemy's execution of a cached statement (cache
    look-up, parameter processing, execution context, result) cost several
    times what SQLite itself spends on it.  The SQL is SQLAlchemy's own
    compilation of the statement, and each parameter goes through the bind
    processor SQLAlchemy would apply (timestamps, dates); constants of the
    statement are processed once.  SQLAlchemy's statement events do not see
    these statements (the driver's trace does)."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._prepared: tuple[Any, str, list[tuple[str | None, Any]]] | None = None

    def _prepare(self, dialect: Any) -> tuple[str, list[tuple[str | None, Any]]]:
        prepared = self._prepared
        if prepared is not None and prepared[0] is dialect:
            return prepared[1], prepared[2]
        compiled = self.statement.compile(dialect=dialect)
        if compiled.positiontup is None:  # pragma: no cover - SQLite's paramstyle is qmark
            raise RuntimeError("DriverStatement needs a positional paramstyle")
        # (name, processor) of a parameter given per execution; (None, value)
        # of a constant, processed now.
        steps: list[tuple[str | None, Any]] = []
        for name in compiled.positiontup:
            bind = compiled.binds[name]
            if bind.expanding or bind.literal_execute or bind.callable is not None:
                # pragma: no cover - rendered or computed per execution
                raise RuntimeError(f"DriverStatement cannot run the parameter {name!r}")
            processor = bind.type.bind_processor(dialect)
            if bind.required:
                steps.append((name, processor))
            else:
                value = bind.effective_value
                steps.append((None, processor(value) if processor else value))
        self._prepared = (dialect, str(compiled), steps)
        return self._prepared[1], steps

    def execute(self, driver: Any, dialect: Any, params: Mapping[str, Any]) -> Any:
        """Run on the driver's connection; returns the driver's cursor."""
        sql, steps = self._prepare(dialect)
        values = tuple(
            step if name is None else (step(params[name]) if step else params[name])
            for name, step in steps
        )
        try:
            return driver.execute(sql, values)
        except dialect.loaded_dbapi.Error as exc:
            # As SQLAlchemy raises it (IntegrityError, OperationalError, ...).
            raise DBAPIError.instance(sql, values, exc, dialect.loaded_dbapi.Error) from exc

    def scalar(self, driver: Any, dialect: Any, params: Mapping[str, Any]) -> Any:
        """The first column of the first row (RETURNING), or None."""
        cursor = self.execute(driver, dialect, params)
        try:
            rows = cursor.fetchall()  # the statement runs to its end
        finally:
            cursor.close()
        return rows[0][0] if rows else None


@contextmanager
def driver_write_transaction() -> Iterator[tuple[Any, Any]]:
    """SQLite: one write transaction straight on a pooled driver connection,
    for :class:`DriverStatement` s: ``(driver connection, dialect)``.

    Without SQLAlchemy's connection and transaction objects: the writer
    queues for the write lock (the :class:`SQLiteWriteQueue`), begins with
    BEGIN IMMEDIATE, commits when the block ends and rolls back on an
    exception; the connection goes back to the pool either way."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise RuntimeError("driver_write_transaction() is for SQLite")
    dialect = engine.dialect
    error = dialect.loaded_dbapi.Error
    queue = _WRITE_QUEUES.get(engine)
    pooled = engine.raw_connection()
    try:
        driver: Any = pooled.driver_connection
        fd = queue.acquire() if queue is not None else None
        try:
            try:
                driver.execute("BEGIN IMMEDIATE")
            except error as exc:
                raise DBAPIError.instance("BEGIN IMMEDIATE", (), exc, error) from exc
            try:
                yield driver, dialect
            except BaseException:
                driver.rollback()
                raise
            try:
                driver.commit()
            except error as exc:
                driver.rollback()
                raise DBAPIError.instance("COMMIT", (), exc, error) from exc
        finally:
            if fd is not None and queue is not None:
                queue.release(fd)
    finally:
        pooled.close()


def end_read_transaction() -> None:
    """SQLite: end the session's open read transaction (keeping pending
    changes), so that the next statement starts BEGIN IMMEDIATE.  Elsewhere,
    or inside a write transaction already, nothing to do."""
    session = db.session()
    if not session.in_transaction() or session.info.get("immediate"):
        return
    if not is_sqlite(session.get_bind()):
        return
    if session.new or session.dirty or session.deleted:
        session.flush()
    else:
        session.commit()


@contextmanager
def read_before_write() -> Iterator[None]:
    """Run the first read of a writing request (the login check) as its own
    short read transaction on SQLite.

    Under a request's write intent (POST, ...) SQLite would start that read
    with BEGIN IMMEDIATE and hold the write lock for the rest of the request.
    Here it runs in a plain transaction that ends right after the read, and
    what it loaded stays loaded (not expired), so the request's next statement
    starts a fresh transaction – BEGIN IMMEDIATE on SQLite, as before.  Inside
    an open transaction, without write intent, or on PostgreSQL (no lock to
    hold) this does nothing.
    """
    session = db.session()
    if not _write_intent.get() or session.in_transaction() or not is_sqlite(session.get_bind()):
        yield
        return
    token = _write_intent.set(False)
    try:
        yield
    finally:
        _write_intent.reset(token)
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        expire = session.expire_on_commit
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire


class SQLiteWriteQueue:
    """Queues the write transactions of all processes on one SQLite file.

    SQLite lets a second writer wait by sleeping and retrying (1, 2, 5, 10,
    ... ms), so under concurrent writers from several gunicorn workers the
    CPU idles while requests sleep: two workers cast ballots at half the rate
    of one.  Before ``BEGIN IMMEDIATE`` a writer therefore takes an exclusive
    ``flock`` on ``<database>-writelock`` and releases it right after COMMIT
    or ROLLBACK; the kernel wakes the next writer at once.  SQLite's own lock
    and busy timeout stay in force underneath (other tools, the deadline
    below).  A writer that waited ``timeout`` seconds goes on without the
    queue; a thread that already holds it (a second connection) never waits
    for itself.
    """

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._local = threading.local()

    def acquire(self) -> int | None:
        """Take the queue; returns the descriptor to release, or None."""
        if getattr(self._local, "held", 0):
            return None
        fd = self._descriptor()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not self._wait(fd):
                return None
        self._local.held = 1
        return fd

    def _descriptor(self) -> int:
        # One open file per thread and process: flock belongs to the open
        # file, so threads (and a forked child) must not share one.
        pid = os.getpid()
        if getattr(self._local, "pid", None) != pid:
            self._local.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._local.pid = pid
        return int(self._local.fd)

    def _wait(self, fd: int) -> bool:
        # flock has no timeout: poll in short steps (a writer holds it well
        # under a millisecond) until the deadline.
        deadline = time.monotonic() + self.timeout
        pause = 0.00005
        while time.monotonic() < deadline:
            time.sleep(pause)
            pause = min(pause * 2, 0.0005)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                continue
        return False

    def release(self, fd: int) -> None:
        self._local.held = 0
        fcntl.flock(fd, fcntl.LOCK_UN)


_QUEUE_KEY = "netzwerk_write_queue_fd"
# The write queue of each SQLite engine (for driver_write_transaction).
_WRITE_QUEUES: weakref.WeakKeyDictionary[Engine, SQLiteWriteQueue] = weakref.WeakKeyDictionary()


def _sqlite_file(engine: Engine) -> str | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    if engine.url.query.get("mode") == "memory":
        return None
    return database


def _sha256_hex(value: str | None) -> str | None:
    return None if value is None else hashlib.sha256(value.encode()).hexdigest()


def _local_strftime(fmt: str | None, value: str | None) -> str | None:
    """SQLite: a timestamp as stored (UTC text) formatted in Europe/Berlin."""
    if fmt is None or value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return to_local(parsed).strftime(fmt)


def local_month(column: Any) -> Any:
    """SQL: the month of a stored timestamp in Europe/Berlin, as 'YYYY-MM'
    (PostgreSQL converts the time zone itself, SQLite through Python)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(LOCAL_TZ.key, column), "YYYY-MM")
    return getattr(func, SQLITE_LOCAL_STRFTIME)("%Y-%m", column)


# A pooled connection idle for longer than this is pinged before it is used.
PING_AFTER_IDLE_SECONDS = 2
_LAST_USED_KEY = "netzwerk_last_used"


def install_ping_after_idle(engine: Engine, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Ping a pooled connection before use only when it has been idle.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round
    trip per request.  A connection that came back to the pool moments ago
    is alive but for a server that died in those moments; then its statement
    fails once, SQLAlchemy sees the disconnect and replaces every pooled
    connection.  A failed ping makes the pool connect afresh (up to three
    times) before the request runs.
    """

    @event.listens_for(engine, "connect")
    def _connected(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED_KEY] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_LAST_USED_KEY] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        last_used = record.info.get(_LAST_USED_KEY)
        if last_used is not None and time.monotonic() - last_used < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("connection failed its ping") from exc


def _no_jit(engine: Engine) -> None:
    """PostgreSQL compiles a plan to machine code when its estimated cost is
    high, and the policy's subqueries make estimates high: the search then
    spent seconds compiling a query that runs in milliseconds.  Queries of
    a web application are short; JIT is off on its connections."""

    @event.listens_for(engine, "connect")
    def _connected(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET jit = off")
        cursor.close()
        dbapi_connection.commit()  # a SET in a transaction ends with it


def install_engine_hooks(engine: Engine, ping_after_idle: float = PING_AFTER_IDLE_SECONDS) -> None:
    if engine.dialect.name == "postgresql":
        _no_jit(engine)
    if engine.dialect.name != "sqlite":
        install_ping_after_idle(engine, ping_after_idle)
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
        dbapi_connection.create_function(SQLITE_SHA256, 1, _sha256_hex, deterministic=True)
        dbapi_connection.create_function(
            SQLITE_LOCAL_STRFTIME, 2, _local_strftime, deterministic=True
        )

    database = _sqlite_file(engine)
    queue = (
        SQLiteWriteQueue(f"{database}-writelock", SQLITE_BUSY_TIMEOUT_MS / 1000)
        if database and fcntl is not None
        else None
    )
    if queue is not None:
        _WRITE_QUEUES[engine] = queue

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        immediate = _write_intent.get()
        if immediate and queue is not None:
            fd = queue.acquire()
            if fd is not None:
                conn.info[_QUEUE_KEY] = fd
        try:
            # Straight to the driver, as the COMMIT below: nothing of
            # SQLAlchemy's statement handling is needed for BEGIN.
            conn.connection.dbapi_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except BaseException:
            _release(conn.info)
            raise
        # Without an application context the session's transaction is not this one.
        with contextlib.suppress(RuntimeError):
            db.session.info["immediate"] = immediate

    def _release(info: dict[str, Any]) -> None:
        fd = info.pop(_QUEUE_KEY, None)
        if fd is not None and queue is not None:
            queue.release(fd)

    # End the transaction first, then let the next writer in.  (SQLAlchemy's
    # own COMMIT/ROLLBACK that follows finds no transaction and does nothing.)
    @event.listens_for(engine, "commit")
    def _sqlite_commit(conn: Any) -> None:
        if _QUEUE_KEY in conn.info:
            try:
                conn.connection.dbapi_connection.commit()
            finally:
                _release(conn.info)

    @event.listens_for(engine, "rollback")
    def _sqlite_rollback(conn: Any) -> None:
        if _QUEUE_KEY in conn.info:
            try:
                conn.connection.dbapi_connection.rollback()
            finally:
                _release(conn.info)

    # A connection closed, invalidated or reset by the pool never keeps it.
    @event.listens_for(engine.pool, "reset")
    def _on_reset(_dbapi_connection: Any, record: Any, _reset_state: Any) -> None:
        if record is not None:
            _release(record.info)

    @event.listens_for(engine.pool, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: Any, _exception: Any) -> None:
        if record is not None:
            _release(record.info)

    @event.listens_for(engine.pool, "close")
    def _on_close(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            _release(record.info)
