"""The one scheduler process.

Web workers never run jobs.  ``flask --app wsgi netzwerk scheduler`` starts an
APScheduler BlockingScheduler with its job store in the application's
database and the Europe/Berlin time zone.  On PostgreSQL it first takes a
session-level advisory lock, so a second scheduler (on another host) waits
idle until the first one stops, and then takes over.

Packages register their periodic jobs with :func:`register_job`; every job
must be idempotent (it may run again after a crash).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from .extensions import db

log = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x4E45545A  # "NETZ"
TIMEZONE = "Europe/Berlin"


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Callable[[], Any]
    trigger: str
    trigger_args: dict[str, Any]


JOBS: dict[str, JobSpec] = {}


def register_job(
    job_id: str, trigger: str = "interval", **trigger_args: Any
) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Decorator: run ``func`` (no arguments, in an app context) on a trigger."""

    def decorator(func: Callable[[], Any]) -> Callable[[], Any]:
        JOBS[job_id] = JobSpec(job_id, func, trigger, trigger_args)
        return func

    return decorator


def run_job(app: Flask, job_id: str) -> None:
    """Entry point APScheduler calls (importable by reference for the job store)."""
    from . import jobs  # noqa: F401  (registers every package's jobs)

    spec = JOBS[job_id]
    with app.app_context():
        try:
            spec.func()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job_id)
            raise
        finally:
            db.session.remove()


_APP: Flask | None = None


def _run_registered(job_id: str) -> None:
    assert _APP is not None
    run_job(_APP, job_id)


def acquire_leadership(app: Flask, poll_seconds: float = 5.0) -> Connection | None:
    """On PostgreSQL, block until this process holds the scheduler lock.

    Returns the connection that holds the lock (keep it open), or None on
    databases without advisory locks (SQLite runs on one host anyway).
    """
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        return None
    # A connection of its own, outside the pool: closing it (or the process
    # dying) really ends the session and so releases the lock.
    conn = create_engine(engine.url, poolclass=NullPool).connect()
    waiting_logged = False
    while True:
        got = conn.execute(
            text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY}
        ).scalar()
        conn.commit()
        if got:
            log.info("scheduler lock acquired")
            return conn
        if not waiting_logged:
            log.info("another scheduler holds the lock; waiting")
            waiting_logged = True
        time.sleep(poll_seconds)


def build_scheduler(app: Flask, blocking: bool = True) -> Any:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    from . import jobs  # noqa: F401

    global _APP
    _APP = app
    with app.app_context():
        engine = db.engine
    jobstore = SQLAlchemyJobStore(engine=engine, tablename="apscheduler_jobs")
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        jobstores={"default": jobstore},
        timezone=TIMEZONE,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    for spec in JOBS.values():
        scheduler.add_job(
            _run_registered,
            spec.trigger,
            args=[spec.id],
            id=spec.id,
            replace_existing=True,
            **spec.trigger_args,
        )
    return scheduler


def run_forever(app: Flask) -> None:
    lock_conn = acquire_leadership(app)
    scheduler = build_scheduler(app, blocking=True)
    log.info("scheduler started with jobs: %s", ", ".join(sorted(JOBS)))
    try:
        scheduler.start()
    finally:
        if lock_conn is not None:
            lock_conn.close()
