"""The one scheduler process.

Web workers never run jobs.  ``flask --app wsgi netzwerk scheduler`` starts a
:class:`SchedulerHost`: an APScheduler scheduler with its job store in the
application's database and the Europe/Berlin time zone.  Several hosts may
run it; one leads, the others wait as standbys.

Leadership (PostgreSQL)
    The leader holds two session-level advisory locks, each on a connection
    of its own: the *lock* (``ADVISORY_LOCK_KEY``), which elects it, and the
    *fence* (``FENCE_LOCK_KEY``), which it keeps until its last job has
    ended.  A standby polls the lock; once it holds it, it waits for the
    fence, and only then starts its scheduler.  So a new leader never runs a
    job while the old one still runs one.

    Every ``heartbeat_seconds`` the leader checks in ``pg_locks`` that both
    sessions are alive and still hold their locks; so does every look for
    due jobs.  When the lock is lost (the session terminated, PostgreSQL
    restarted, the network dropped), the leader claims no more jobs, lets the
    running ones end, releases the fence and becomes a standby again.  A job
    starts only after a check that the fence is still held.  Jobs stay
    idempotent all the same (a second line of defence).

Timers survive a takeover
    The job store is shared.  A job whose trigger is unchanged keeps its next
    run time when a scheduler starts; whatever is due (also long overdue)
    runs at once, once (``coalesce``, no misfire limit).  :func:`run_at`
    schedules a registered job to run once at an instant (a deadline): any
    process may call it, inside its own transaction; whoever leads at that
    instant runs it within about a heartbeat.

Packages register their jobs with :func:`register_job`.
"""

from __future__ import annotations

import logging
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from .database import unit_of_work, write_transaction
from .extensions import db

log = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x4E45545A  # "NETZ": who leads
FENCE_LOCK_KEY = 0x4E455446  # "NETF": held by the leader until its last job has ended
TIMEZONE = "Europe/Berlin"
JOBS_TABLE = "apscheduler_jobs"
ONE_SHOT_SEPARATOR = "@"  # a run_at job's id: "<job id>@<instant in UTC>"

HEARTBEAT_SECONDS = 1.0
STANDBY_POLL_SECONDS = 2.0
DRAIN_SECONDS = 60.0  # how long a leader that lost its lock waits for its running jobs
CHECK_TIMEOUT_SECONDS = 5.0

# The lock sessions notice a dead peer within seconds: the client gives up on
# an unanswered query after tcp_user_timeout, so a leader cut off from the
# database stops claiming jobs long before the server (keepalives, 10 s idle,
# 3 probes 5 s apart) ends its sessions and frees the locks for a standby.
LOCK_CONNECT_ARGS: dict[str, Any] = {
    "application_name": "netzwerk-scheduler",
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 2,
    "tcp_user_timeout": 5000,
    "options": "-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3",
}

_HOLDS_LOCK = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND objsubid = 1"
    " AND ((classid::bigint << 32) | objid::bigint) = :key)"
)


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable[[], Any]
    trigger: str | None
    trigger_args: dict[str, Any]
    # The job opens a unit of work per item itself (sending mail: a mail
    # that went out stays marked sent when a later one fails); otherwise the
    # whole run is one unit of work.
    own_units: bool = False

    @property
    def fingerprint(self) -> str:
        """The job's name in the store: a stored job with the same name keeps its timer."""
        args = " ".join(f"{key}={value}" for key, value in sorted(self.trigger_args.items()))
        return f"{self.id} [{self.trigger} {args}]".replace(" ]", "]")


JOBS: dict[str, JobSpec] = {}


def register_job(
    job_id: str, trigger: str | None = "interval", *, own_units: bool = False, **trigger_args: Any
) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Decorator: run ``func`` (no arguments, in an app context) on a trigger.

    A run is one unit of work (``database.unit_of_work``): it commits when
    the job returns and rolls back when it raises.  ``own_units=True`` for a
    job that opens a unit per item itself.

    ``trigger=None``: no periodic run; the job runs only when :func:`run_at`
    asks for it.  ``job_id`` may not contain ``ONE_SHOT_SEPARATOR``.
    """
    if ONE_SHOT_SEPARATOR in job_id:
        raise ValueError(f"a job id may not contain {ONE_SHOT_SEPARATOR!r}: {job_id!r}")

    def decorator(func: Callable[[], Any]) -> Callable[[], Any]:
        JOBS[job_id] = JobSpec(job_id, func, trigger, trigger_args, own_units)
        return func

    return decorator


# -- leadership ---------------------------------------------------------------


class Leadership:
    """The two advisory locks a leader holds, each on a session of its own."""

    def __init__(self, engine: Engine, lock_conn: Connection, fence_conn: Connection) -> None:
        self._engine = engine
        self._conns = {ADVISORY_LOCK_KEY: lock_conn, FENCE_LOCK_KEY: fence_conn}
        self._guards = {ADVISORY_LOCK_KEY: threading.Lock(), FENCE_LOCK_KEY: threading.Lock()}
        self.lock_pid = _backend_pid(lock_conn)
        self.fence_pid = _backend_pid(fence_conn)
        self.lost = threading.Event()  # the lock is gone: claim no more jobs
        self.fence_lost = threading.Event()  # the fence is gone: start no job at all
        self._on_lost: list[Callable[[], None]] = []

    def on_lost(self, callback: Callable[[], None]) -> None:
        self._on_lost.append(callback)

    def check(self) -> bool:
        """Both sessions alive and holding their locks (False from the first failure on)."""
        return self.check_fence() and self._check(ADVISORY_LOCK_KEY)

    def check_fence(self) -> bool:
        """The fence still held: no other scheduler can have started."""
        if self.fence_lost.is_set():
            return False
        if self._check(FENCE_LOCK_KEY):
            return True
        self.fence_lost.set()
        return False

    def _check(self, key: int) -> bool:
        if self.lost.is_set() and key == ADVISORY_LOCK_KEY:
            return False
        guard = self._guards[key]
        held = False
        if guard.acquire(timeout=CHECK_TIMEOUT_SECONDS):
            try:
                held = bool(self._conns[key].execute(_HOLDS_LOCK, {"key": key}).scalar())
            except Exception as exc:  # the session is gone (terminated, restart, network)
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                log.error("scheduler: %s session lost: %s", _lock_name(key), reason)
            finally:
                guard.release()
        if not held:
            self._lose(key)
        return held

    def _lose(self, key: int) -> None:
        if not self.lost.is_set():
            log.error("scheduler: lost the %s; no more jobs from this host", _lock_name(key))
        self.lost.set()
        for callback in self._on_lost:
            callback()

    def close(self) -> None:
        """Release the fence, then the lock (closing the sessions releases them)."""
        for key in (FENCE_LOCK_KEY, ADVISORY_LOCK_KEY):
            with self._guards[key]:
                try:
                    self._conns[key].close()
                except Exception:  # already dead
                    log.debug("closing the %s session failed", _lock_name(key), exc_info=True)
        self.lost.set()
        self.fence_lost.set()
        self._engine.dispose()


def _lock_name(key: int) -> str:
    return "lock" if key == ADVISORY_LOCK_KEY else "fence"


def _backend_pid(conn: Connection) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _try_lock(conn: Connection, key: int) -> bool:
    return bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())


def _lock_engine(app: Flask) -> Engine | None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        return None
    # Connections of their own, outside the pool: closing one (or the process
    # dying) really ends the session and so releases its lock.
    return create_engine(
        engine.url,
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
        connect_args=LOCK_CONNECT_ARGS,
    )


def _acquire(
    engine: Engine,
    poll_seconds: float,
    stop: threading.Event,
    fence_poll_seconds: float = 0.2,
) -> Leadership | None:
    """Block until this process holds the lock and the fence; None when stopped."""
    waiting_logged = False
    while not stop.is_set():
        lock_conn: Connection | None = None
        fence_conn: Connection | None = None
        try:
            lock_conn = engine.connect()
            while not _try_lock(lock_conn, ADVISORY_LOCK_KEY):
                if not waiting_logged:
                    log.info("scheduler: another scheduler leads; standing by")
                    waiting_logged = True
                if stop.wait(poll_seconds):
                    lock_conn.close()
                    return None
            log.info("scheduler: lock acquired")
            fence_conn = engine.connect()
            fence_logged = False
            while not _try_lock(fence_conn, FENCE_LOCK_KEY):
                if not fence_logged:
                    log.info("scheduler: waiting for the previous leader's jobs to end")
                    fence_logged = True
                if stop.wait(fence_poll_seconds):
                    fence_conn.close()
                    lock_conn.close()
                    return None
                _backend_pid(lock_conn)  # still alive? (raises when the session is gone)
            log.info("scheduler: fence acquired; leading")
            return Leadership(engine, lock_conn, fence_conn)
        except Exception as exc:  # the database is unreachable or a session died
            log.warning("scheduler: cannot take the lock: %s", exc)
            for conn in (fence_conn, lock_conn):
                if conn is not None:
                    with suppress(Exception):  # already dead
                        conn.close()
            if stop.wait(poll_seconds):
                return None
    return None


def acquire_leadership(
    app: Flask, poll_seconds: float = STANDBY_POLL_SECONDS, stop: threading.Event | None = None
) -> Leadership | None:
    """On PostgreSQL, block until this process leads (holds the lock and the fence).

    Returns the :class:`Leadership` (keep it; ``close()`` hands over), or None
    on databases without advisory locks (SQLite runs on one host anyway) and
    when ``stop`` is set while waiting.
    """
    engine = _lock_engine(app)
    if engine is None:
        return None
    return _acquire(engine, poll_seconds, stop or threading.Event())


# -- running jobs --------------------------------------------------------------


def call_job(spec: JobSpec) -> Any:
    """Run a job's function in the current app context as its unit of work
    (or its own units); return what it returns."""
    if spec.own_units:
        return spec.func()
    with unit_of_work():
        return spec.func()


def run_job(app: Flask, job_id: str, leadership: Leadership | None = None) -> bool:
    """Run registered job ``job_id`` in an app context; False when it may not run.

    With a ``leadership``, the job starts only while the fence is held.
    """
    spec = JOBS.get(job_id)
    if spec is None:
        log.error("scheduler: no job %r is registered", job_id)
        return False
    if leadership is not None and not leadership.check_fence():
        log.warning("scheduler: job %s not run: this host no longer leads", job_id)
        return False
    with app.app_context():
        started = time.perf_counter()
        try:
            call_job(spec)
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job_id)
            raise
        finally:
            db.session.remove()
        log.info("job %s ran in %.2f s", job_id, time.perf_counter() - started)
    return True


class _Runner:
    """Runs the jobs of one scheduler: its app, its leadership, its running jobs."""

    def __init__(self, app: Flask, leadership: Leadership | None) -> None:
        self.app = app
        self.leadership = leadership
        self._running = 0
        self._idle = threading.Condition()
        self._job_locks: dict[str, threading.Lock] = {}

    def run(self, job_id: str) -> bool:
        # The periodic job and a run_at of the same job never overlap here.
        with self._idle:
            lock = self._job_locks.setdefault(job_id, threading.Lock())
            self._running += 1
        try:
            with lock:
                return run_job(self.app, job_id, self.leadership)
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def drain(self, timeout: float) -> bool:
        """Wait until no job runs; False if some still ran after ``timeout`` seconds."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout)


_local = threading.local()
_DEFAULT_RUNNER: _Runner | None = None


def _bind_runner(runner: _Runner) -> None:
    _local.runner = runner


def _run_registered(job_id: str) -> None:
    """Entry point APScheduler calls (importable by reference for the job store)."""
    runner = getattr(_local, "runner", None) or _DEFAULT_RUNNER
    assert runner is not None, "no scheduler runs jobs in this process"
    runner.run(job_id)


_RUN_REGISTERED_REF = f"{__name__}:_run_registered"


# -- the scheduler -------------------------------------------------------------


def _jobstore_class() -> type:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    class LeaderJobStore(SQLAlchemyJobStore):  # type: ignore[misc]
        """The shared job store, read and written only while this host leads."""

        def __init__(self, engine: Engine, leadership: Leadership | None) -> None:
            super().__init__(engine=engine, tablename=JOBS_TABLE)
            self.leadership = leadership

        def get_due_jobs(self, now: datetime) -> list[Any]:
            # Checked before every claim: a host that lost the lock claims nothing.
            if self.leadership is not None and not self.leadership.check():
                return []
            return super().get_due_jobs(now)  # type: ignore[no-any-return]

        def update_job(self, job: Any) -> None:
            if self._fenced_out(job.id):
                return
            super().update_job(job)

        def remove_job(self, job_id: str) -> None:
            if self._fenced_out(job_id):
                return
            super().remove_job(job_id)

        def _fenced_out(self, job_id: str) -> bool:
            # A host whose fence is gone may already have a successor: it
            # leaves the successor's timers alone.
            if self.leadership is not None and self.leadership.fence_lost.is_set():
                log.warning("scheduler: job %s left as it is: this host no longer leads", job_id)
                return True
            return False

        def shutdown(self) -> None:
            pass  # the engine is the application's

    return LeaderJobStore


def _scheduler_class() -> type:
    from apscheduler.schedulers.background import BackgroundScheduler

    class LeaderScheduler(BackgroundScheduler):  # type: ignore[misc]
        """Starts with the registered jobs, keeping the timers found in the store."""

        def start(self, paused: bool = False) -> None:
            super().start(paused=True)
            reconcile_jobs(self)
            if not paused:
                self.resume()  # what is due (also overdue) runs at once

    return LeaderScheduler


def reconcile_jobs(scheduler: Any) -> None:
    """Bring the store in line with :data:`JOBS`.

    A stored job with the same trigger keeps its next run time (the timer
    does not restart when a scheduler starts); a new or changed job is
    (re)scheduled; jobs no longer registered are removed; :func:`run_at`
    jobs of registered jobs stay.
    """
    stored = {job.id: job for job in scheduler.get_jobs()}
    for spec in JOBS.values():
        if spec.trigger is None:
            continue
        job = stored.pop(spec.id, None)
        if (
            job is not None
            and job.name == spec.fingerprint
            and job.func_ref == _RUN_REGISTERED_REF
            and tuple(job.args) == (spec.id,)
        ):
            continue
        scheduler.add_job(
            _run_registered,
            spec.trigger,
            args=[spec.id],
            id=spec.id,
            name=spec.fingerprint,
            replace_existing=True,
            **spec.trigger_args,
        )
    for job_id, job in stored.items():
        base, sep, _ = job_id.partition(ONE_SHOT_SEPARATOR)
        if sep and base in JOBS and job.func_ref == _RUN_REGISTERED_REF:
            continue
        log.warning("scheduler: removing job %s from the store (not registered)", job_id)
        scheduler.remove_job(job_id)


def build_scheduler(
    app: Flask,
    blocking: bool = False,
    *,
    leadership: Leadership | None = None,
    runner: _Runner | None = None,
    name: str = "scheduler",
) -> Any:
    """A background scheduler on the shared job store (not started).

    ``start()`` reconciles the store with the registered jobs and runs what is
    due at once.  ``blocking`` is accepted for callers of the old signature and
    must be False (:class:`SchedulerHost` blocks instead).
    """
    from apscheduler.executors.pool import ThreadPoolExecutor

    if blocking:
        raise ValueError("the scheduler runs in the background; SchedulerHost blocks")
    global _DEFAULT_RUNNER
    runner = runner or _Runner(app, leadership)
    _DEFAULT_RUNNER = runner
    with app.app_context():
        engine = db.engine
    executor = ThreadPoolExecutor(
        max_workers=4,
        pool_kwargs={
            "initializer": _bind_runner,
            "initargs": (runner,),
            "thread_name_prefix": f"{name}-job",
        },
    )
    return _scheduler_class()(
        jobstores={"default": _jobstore_class()(engine, leadership)},
        executors={"default": executor},
        timezone=TIMEZONE,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        daemon=True,
    )


# -- one-shot runs ---------------------------------------------------------------

_OFFLINE: Any = None


def _offline_scheduler() -> Any:
    """A scheduler that never starts: jobs built for the store need one."""
    global _OFFLINE
    if _OFFLINE is None:
        from apscheduler.schedulers.background import BackgroundScheduler

        _OFFLINE = BackgroundScheduler(timezone=TIMEZONE)
    return _OFFLINE


def one_shot_id(job_id: str, when: datetime) -> str:
    return f"{job_id}{ONE_SHOT_SEPARATOR}{when.astimezone(UTC).isoformat()}"


def run_at(job_id: str, when: datetime) -> str:
    """Have the leading scheduler run registered job ``job_id`` once at ``when``.

    Written to the shared job store in a ``write_transaction()`` (inside the
    caller's, it counts only if that commits); the same job and instant twice
    is one run.  An
    instant in the past runs as soon as a scheduler leads.  A leader picks a
    new entry up within a heartbeat; whoever leads at ``when`` runs it.
    Returns the entry's id.
    """
    from apscheduler.job import Job
    from apscheduler.triggers.date import DateTrigger
    from apscheduler.util import datetime_to_utc_timestamp

    if job_id not in JOBS:
        raise KeyError(f"no job {job_id!r} is registered")
    if when.tzinfo is None:
        raise ValueError("run_at needs an aware datetime")
    entry_id = one_shot_id(job_id, when)
    job = Job(
        _offline_scheduler(),
        id=entry_id,
        func=_run_registered,
        trigger=DateTrigger(run_date=when, timezone=TIMEZONE),
        executor="default",
        args=(job_id,),
        kwargs={},
        name=f"{job_id} [at {when.astimezone(UTC).isoformat()}]",
        misfire_grace_time=None,
        coalesce=True,
        max_instances=1,
        next_run_time=when,
    )
    store = _jobstore_class()(db.engine, None)
    table = store.jobs_t
    with write_transaction():
        bind = db.session.connection()
        _ensure_jobs_table(bind, table)
        if db.session.scalar(select(table.c.id).where(table.c.id == entry_id)) is None:
            values = {
                "id": entry_id,
                "next_run_time": datetime_to_utc_timestamp(when),
                "job_state": pickle.dumps(job.__getstate__(), store.pickle_protocol),
            }
            insert: Any
            if bind.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            db.session.execute(insert(table).values(**values).on_conflict_do_nothing())
    return entry_id


_TABLE_READY: set[str] = set()


def _ensure_jobs_table(bind: Connection, table: Any) -> None:
    key = str(bind.engine.url)
    if key not in _TABLE_READY:
        table.create(bind, checkfirst=True)
        _TABLE_READY.add(key)


def pending_runs(job_id: str) -> list[datetime]:
    """The instants :func:`run_at` entries of ``job_id`` wait for (oldest first)."""
    store = _jobstore_class()(db.engine, None)
    table = store.jobs_t
    _ensure_jobs_table(db.session.connection(), table)
    prefix = f"{job_id}{ONE_SHOT_SEPARATOR}"
    rows = db.session.scalars(
        select(table.c.next_run_time)
        .where(table.c.id.startswith(prefix, autoescape=True))
        .order_by(table.c.next_run_time)
    )
    return [datetime.fromtimestamp(value, UTC) for value in rows if value is not None]


# -- the process -----------------------------------------------------------------


class SchedulerHost:
    """One scheduler process: standby until it leads, leads until it stops or
    loses the lock, then stands by again."""

    def __init__(
        self,
        app: Flask,
        *,
        name: str = "scheduler",
        poll_seconds: float = STANDBY_POLL_SECONDS,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        drain_seconds: float = DRAIN_SECONDS,
    ) -> None:
        self.app = app
        self.name = name
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.drain_seconds = drain_seconds
        self.leading = threading.Event()
        self.leadership: Leadership | None = None
        self.scheduler: Any = None
        self.terms = 0  # how often this host has taken the lead
        self.heartbeats = 0  # heartbeats of the current term
        self._stop = threading.Event()
        self._wake = threading.Event()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        engine = _lock_engine(self.app)
        while not self._stop.is_set():
            leadership = None
            if engine is not None:
                leadership = _acquire(engine, self.poll_seconds, self._stop)
                if leadership is None:
                    break
            self._lead(leadership)
            if engine is None:
                break

    def _lead(self, leadership: Leadership | None) -> None:
        self._wake.clear()
        self.heartbeats = 0
        runner = _Runner(self.app, leadership)
        scheduler = build_scheduler(self.app, leadership=leadership, runner=runner, name=self.name)
        if leadership is not None:
            leadership.on_lost(self._wake.set)
        self.leadership, self.scheduler = leadership, scheduler
        try:
            scheduler.start()
            self.terms += 1
            self.leading.set()
            log.info("scheduler %s leads with jobs: %s", self.name, ", ".join(sorted(JOBS)))
            while not self._stop.is_set():
                self._wake.wait(self.heartbeat_seconds)
                self._wake.clear()
                if self._stop.is_set():
                    break
                if leadership is not None and not leadership.check():
                    break
                scheduler.wakeup()  # also sees run_at entries other processes wrote
                self.heartbeats += 1
        finally:
            self.leading.clear()
            self._hand_over(scheduler, runner, leadership)

    def _hand_over(self, scheduler: Any, runner: _Runner, leadership: Leadership | None) -> None:
        try:
            if scheduler.running:
                scheduler.pause()
                scheduler.shutdown(wait=False)
        except Exception:
            log.exception("scheduler %s: shutting the scheduler down failed", self.name)
        if not runner.drain(self.drain_seconds):
            log.error(
                "scheduler %s: jobs still run after %.0f s; handing over anyway",
                self.name,
                self.drain_seconds,
            )
        if leadership is not None:
            leadership.close()
            log.info("scheduler %s: handed over", self.name)


@contextmanager
def _signals_stop(host: SchedulerHost) -> Iterator[None]:
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda *_: host.stop())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_forever(app: Flask) -> None:
    """The ``scheduler`` command: lead or stand by until SIGTERM/SIGINT."""
    host = SchedulerHost(app)
    with _signals_stop(host):
        host.run()
