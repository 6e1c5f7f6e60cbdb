"""Helpers of the scheduler tests: waiting, the runs table, lock sessions."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import inspect, text

from netzwerk import scheduler as sched
from netzwerk.database import utcnow
from netzwerk.extensions import db

RUNS_TABLE = "scheduler_test_run"


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``predicate`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.perf_counter() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.perf_counter() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def clear_job_store(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        if inspect(db.engine).has_table(sched.JOBS_TABLE):
            with db.engine.begin() as conn:
                conn.execute(text(f"DELETE FROM {sched.JOBS_TABLE}"))


@dataclass(frozen=True)
class Run:
    job_id: str
    host: str
    started_at: datetime
    ended_at: datetime


class Runs:
    """The runs the test's jobs recorded."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def all(self) -> list[Run]:
        with self.app.app_context(), db.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT job_id, host, started_at, ended_at FROM {RUNS_TABLE} "
                    "ORDER BY started_at, id"
                )
            ).all()
        return [Run(*row) for row in rows]

    def of(self, job_id: str, host: str | None = None) -> list[Run]:
        return [r for r in self.all() if r.job_id == job_id and host in (None, r.host)]

    def count(self, job_id: str) -> int:
        return len(self.of(job_id))


def record_run(job_id: str, started_at: datetime) -> None:
    """Called by a test job inside its run (app context): one row per run."""
    host = threading.current_thread().name.split("-job")[0]
    db.session.execute(
        text(
            f"INSERT INTO {RUNS_TABLE} (job_id, host, started_at, ended_at) "
            "VALUES (:job_id, :host, :started_at, :ended_at)"
        ),
        {"job_id": job_id, "host": host, "started_at": started_at, "ended_at": utcnow()},
    )
    db.session.commit()


def terminate_session(app: Flask, pid: int) -> None:
    """pg_terminate_backend, as a PostgreSQL restart or a dropped network would
    end the session; returns once the session is gone."""
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
            conn.commit()

        def gone() -> bool:
            with db.engine.connect() as conn:
                return not conn.execute(
                    text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
                ).scalar()

        wait_for(gone, 10, f"session {pid} to end")


def lock_holder(app: Flask, key: int) -> int | None:
    """The pid of the session holding advisory lock ``key``, if any."""
    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = :key"
            ),
            {"key": key},
        ).scalar()
