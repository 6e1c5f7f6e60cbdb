"""Two scheduler hosts in one test process, on PostgreSQL.

Each host is a :class:`netzwerk.scheduler.SchedulerHost` in a thread of its
own, with its own lock sessions, exactly as on two machines.  Only the test's
jobs are registered; each records its runs (job, host, start, end) in a table
the test creates itself, ``scheduler_test_run``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from netzwerk import scheduler as sched
from netzwerk.database import utcnow
from netzwerk.extensions import db

from .helpers import RUNS_TABLE, Runs, clear_job_store, record_run


@pytest.fixture
def pg_app(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip(
                "several scheduler hosts elect a leader with PostgreSQL advisory locks; "
                "on SQLite one scheduler runs alone"
            )
    clear_job_store(app)
    yield app
    clear_job_store(app)


@pytest.fixture
def runs(pg_app: Flask) -> Iterator[Runs]:
    with pg_app.app_context(), db.engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {RUNS_TABLE} (id serial PRIMARY KEY, "
                "job_id text NOT NULL, host text NOT NULL, "
                "started_at timestamptz NOT NULL, ended_at timestamptz NOT NULL)"
            )
        )
        conn.execute(text(f"DELETE FROM {RUNS_TABLE}"))
    yield Runs(pg_app)
    with pg_app.app_context(), db.engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {RUNS_TABLE}"))


@pytest.fixture
def test_jobs(app: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Register jobs for this test only (the application's jobs are not scheduled).

    ``test_jobs(job_id, trigger=None, seconds_busy=0.0, gate=None, **trigger_args)``:
    the job records its run; it stays busy ``seconds_busy`` and, given a
    ``gate`` (threading.Event), waits for it first.
    """
    # create_app (the app fixture) registered the application's jobs before the swap.
    monkeypatch.setattr(sched, "JOBS", {})

    def register(
        job_id: str,
        trigger: str | None = None,
        seconds_busy: float = 0.0,
        gate: threading.Event | None = None,
        **trigger_args: Any,
    ) -> None:
        def job() -> None:
            started = utcnow()
            if gate is not None:
                assert gate.wait(20), "the test never opened the gate"
            if seconds_busy:
                time.sleep(seconds_busy)
            record_run(job_id, started)

        sched.register_job(job_id, trigger, **trigger_args)(job)

    return register


@pytest.fixture
def hosts(pg_app: Flask) -> Iterator[Callable[..., sched.SchedulerHost]]:
    """Start scheduler hosts in threads: ``hosts("a")``; all stop when the test ends."""
    started: list[tuple[sched.SchedulerHost, threading.Thread]] = []

    def start(name: str, **options: Any) -> sched.SchedulerHost:
        options.setdefault("poll_seconds", 0.2)
        options.setdefault("drain_seconds", 15)
        host = sched.SchedulerHost(pg_app, name=name, **options)
        thread = threading.Thread(target=host.run, name=f"host-{name}", daemon=True)
        thread.start()
        started.append((host, thread))
        return host

    yield start
    for host, _ in started:
        host.stop()
    for host, thread in started:
        thread.join(20)
        assert not thread.is_alive(), f"scheduler host {host.name} did not stop"
