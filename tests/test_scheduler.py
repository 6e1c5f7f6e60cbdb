"""The one scheduler process: jobs registered, lock on PostgreSQL, idempotent jobs."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from netzwerk import scheduler as sched
from netzwerk.auth.jobs import purge_sessions
from netzwerk.auth.models import AuthSession
from netzwerk.database import utcnow, write_transaction
from netzwerk.extensions import db


def test_every_registered_job_is_scheduled(app):
    scheduler = sched.build_scheduler(app, blocking=False)
    try:
        scheduler.start(paused=True)
        ids = {job.id for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    assert "auth.purge_sessions" in ids
    assert ids == set(sched.JOBS)
    assert str(scheduler.timezone) == "Europe/Berlin"


def test_purge_sessions_removes_only_old_dead_sessions(app_ctx, demo, clock):
    from netzwerk.auth.models import User

    user = db.session.scalar(db.select(User))
    now = utcnow()
    with write_transaction():
        db.session.add_all(
            [
                AuthSession(user_id=user.id, token_hash="a" * 64, expires_at=now),
                AuthSession(
                    user_id=user.id,
                    token_hash="b" * 64,
                    expires_at=now + timedelta(days=3),
                    revoked_at=now,
                ),
                AuthSession(
                    user_id=user.id, token_hash="c" * 64, expires_at=now + timedelta(days=3)
                ),
            ]
        )
    # Dead for less than a day: kept (the login page can still say why).
    clock.shift(timedelta(hours=23))
    assert purge_sessions() == 0
    clock.shift(timedelta(hours=2))
    assert purge_sessions() == 2
    assert purge_sessions() == 0
    assert [s.token_hash[0] for s in db.session.scalars(db.select(AuthSession))] == ["c"]


@pytest.mark.calendar
def test_daily_jobs_run_once_a_day_at_their_berlin_time(app):
    """The cron jobs (retention) run at their hour in Berlin, also on the
    nights the clocks change: their times lie outside the hour that is
    skipped or repeated."""
    from apscheduler.triggers.cron import CronTrigger

    from netzwerk.timeutil import LOCAL_TZ

    scheduler = sched.build_scheduler(app, blocking=False)
    try:
        scheduler.start(paused=True)
        jobs = {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    daily = {spec.id: spec for spec in sched.JOBS.values() if spec.trigger == "cron"}
    assert daily, "the retention jobs run daily"
    now = utcnow()
    for job_id, spec in daily.items():
        trigger = jobs[job_id].trigger
        assert isinstance(trigger, CronTrigger)
        assert not 2 <= spec.trigger_args["hour"] < 3, "02:00-03:00 is skipped or repeated"
        first = trigger.get_next_fire_time(None, now)
        second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
        for run in (first, second):
            local = run.astimezone(LOCAL_TZ)
            assert (local.hour, local.minute) == (
                spec.trigger_args["hour"],
                spec.trigger_args["minute"],
            ), job_id
        assert now < first <= now + timedelta(hours=25), job_id
        # One run a day: the next day's run, 23, 24 or 25 hours later.
        assert second.astimezone(LOCAL_TZ).date() - first.astimezone(LOCAL_TZ).date() == (
            timedelta(days=1)
        )


def test_second_scheduler_waits_for_the_lock_on_postgres(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("advisory locks exist on PostgreSQL only")
    first = sched.acquire_leadership(app, poll_seconds=0.05)
    assert first is not None
    acquired = threading.Event()
    holder: list = []

    def second() -> None:
        holder.append(sched.acquire_leadership(app, poll_seconds=0.05))
        acquired.set()

    thread = threading.Thread(target=second, daemon=True)
    thread.start()
    time.sleep(0.5)
    assert not acquired.is_set(), "the second scheduler must stay idle while the first runs"
    first.close()  # the first scheduler stops
    assert acquired.wait(5), "the second scheduler takes over when the first stops"
    holder[0].close()
    thread.join(5)


def test_sqlite_needs_no_lock(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
    assert sched.acquire_leadership(app) is None
