"""The one scheduler process: jobs registered, lock on PostgreSQL, idempotent jobs.

Several hosts (leadership, takeover, deadlines) on PostgreSQL: tests/scheduler/.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import inspect, text

from netzwerk import scheduler as sched
from netzwerk.auth.jobs import purge_sessions
from netzwerk.auth.models import AuthSession
from netzwerk.database import utcnow, write_transaction
from netzwerk.extensions import db
from netzwerk.timeutil import LOCAL_TZ


@pytest.fixture(autouse=True)
def _empty_job_store(app):
    """The job store is not one of the application's tables: emptied here."""

    def clear() -> None:
        with app.app_context():
            db.session.remove()
            if inspect(db.engine).has_table(sched.JOBS_TABLE):
                with db.engine.begin() as conn:
                    conn.execute(text(f"DELETE FROM {sched.JOBS_TABLE}"))

    clear()
    yield
    clear()


def _started(app):
    scheduler = sched.build_scheduler(app)
    scheduler.start(paused=True)
    return scheduler


def test_every_registered_job_is_scheduled(app):
    scheduler = sched.build_scheduler(app, blocking=False)
    try:
        scheduler.start(paused=True)
        ids = {job.id for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    assert "auth.purge_sessions" in ids
    assert ids == {job_id for job_id, spec in sched.JOBS.items() if spec.trigger}
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


def test_a_restart_keeps_the_timers_of_unchanged_jobs(app, clock, monkeypatch):
    """Issue #25: every start used to reset every timer (replace_existing), so
    hourly jobs were postponed by every restart or takeover."""
    first = _started(app)
    try:
        before = {job.id: job.next_run_time for job in first.get_jobs()}
    finally:
        first.shutdown(wait=False)
    assert before["auth.purge_sessions"] > utcnow() + timedelta(hours=5)
    clock.shift(timedelta(hours=2))

    # One job's trigger changed in the meantime, one job was dropped.
    spec = sched.JOBS["auth.purge_sessions"]
    monkeypatch.setitem(
        sched.JOBS, spec.id, sched.JobSpec(spec.id, spec.func, "interval", {"hours": 3})
    )
    with app.app_context():
        entry = sched.run_at("mail.send_pending", utcnow() + timedelta(minutes=5))
    dropped = sched.JOBS["decisions.overdue_action_items"]
    monkeypatch.delitem(sched.JOBS, dropped.id)

    second = _started(app)
    try:
        after = {job.id: job.next_run_time for job in second.get_jobs()}
    finally:
        second.shutdown(wait=False)
    unchanged = set(before) - {spec.id, dropped.id}
    assert {job_id: after[job_id] for job_id in unchanged} == {
        job_id: before[job_id] for job_id in unchanged
    }
    assert abs(after[spec.id] - (utcnow() + timedelta(hours=3))) < timedelta(seconds=5)
    assert dropped.id not in after, "a job no longer registered leaves the store"
    assert entry in after, "a run_at entry of a registered job stays"


def test_run_at_writes_one_entry_in_the_callers_transaction(app_ctx, clock):
    from netzwerk.database import write_transaction

    when = utcnow() + timedelta(minutes=30)
    with pytest.raises(RuntimeError), write_transaction():
        sched.run_at("workflow.timers", when)
        raise RuntimeError("the request fails")
    assert sched.pending_runs("workflow.timers") == []

    with write_transaction():
        first = sched.run_at("workflow.timers", when)
        again = sched.run_at("workflow.timers", when.astimezone(LOCAL_TZ))
    assert first == again == sched.one_shot_id("workflow.timers", when)
    assert sched.pending_runs("workflow.timers") == [when]

    with pytest.raises(KeyError):
        sched.run_at("no.such.job", when)
    with pytest.raises(ValueError):
        sched.run_at("workflow.timers", when.replace(tzinfo=None))


def test_an_entry_due_when_the_scheduler_starts_runs_at_once(app, clock, monkeypatch):
    """A scheduler that starts (or takes over) runs what fell due meanwhile:
    no misfire limit, however late."""
    ran = threading.Event()
    monkeypatch.setitem(sched.JOBS, "test.due", sched.JobSpec("test.due", ran.set, None, {}))
    with app.app_context():
        sched.run_at("test.due", utcnow() - timedelta(days=2))
    scheduler = sched.build_scheduler(app)
    scheduler.start()
    try:
        assert ran.wait(10), "the overdue entry runs at once"
        # The scheduler removes the one-shot entry right after handing it to
        # its executor, which may run it first: wait for the store.
        deadline = time.monotonic() + 10
        with app.app_context():
            while sched.pending_runs("test.due") and time.monotonic() < deadline:
                db.session.rollback()
                time.sleep(0.05)
            assert sched.pending_runs("test.due") == []
    finally:
        scheduler.shutdown(wait=True)


def test_a_job_id_may_not_contain_the_one_shot_separator():
    with pytest.raises(ValueError):
        sched.register_job("a@b")
