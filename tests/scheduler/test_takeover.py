"""Issue #25, points 1 and 2: several scheduler hosts on PostgreSQL.

Two hosts run :class:`netzwerk.scheduler.SchedulerHost`; the test ends the
leader's lock session with ``pg_terminate_backend`` (what a PostgreSQL
restart or a dropped network does) and counts the runs the jobs recorded.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from netzwerk import scheduler as sched
from netzwerk.database import utcnow

from .helpers import lock_holder, record_run, terminate_session, wait_for

# How late a job due at an instant may run: a heartbeat (1 s) and some slack.
LATE = timedelta(seconds=3)


@pytest.mark.parametrize("sessions", ["lock", "lock and fence"])
def test_terminating_the_leaders_lock_session_runs_no_job_twice(
    pg_app, runs, test_jobs, hosts, sessions
):
    test_jobs("test.tick", "interval", seconds=1, seconds_busy=0.3)
    for i in range(8):
        test_jobs(f"test.once.{i}")
    a = hosts("a")
    assert a.leading.wait(10), "the first host leads"
    b = hosts("b")
    assert not b.leading.wait(0.5), "the second host stands by while the first leads"

    # Three runs due before the leader's session dies, five after.
    now = utcnow()
    with pg_app.app_context():
        for i in range(3):
            sched.run_at(f"test.once.{i}", now + timedelta(seconds=0.2 * i))
    wait_for(lambda: all(runs.count(f"test.once.{i}") for i in range(3)), 10, "a's one-shots")
    wait_for(lambda: len(runs.of("test.tick", "a")) >= 2, 10, "a's ticks")
    with pg_app.app_context():
        now = utcnow()
        for i in range(3, 8):
            sched.run_at(f"test.once.{i}", now + timedelta(seconds=0.5 + 0.3 * (i - 3)))
    leadership = a.leadership
    assert leadership is not None
    terminate_session(pg_app, leadership.lock_pid)
    if sessions == "lock and fence":
        terminate_session(pg_app, leadership.fence_pid)
    killed_at = utcnow()

    assert b.leading.wait(15), "the standby takes over"
    wait_for(lambda: all(runs.count(f"test.once.{i}") for i in range(8)), 15, "every one-shot")
    wait_for(lambda: len(runs.of("test.tick", "b")) >= 2, 10, "b's ticks")
    b.stop()
    a.stop()
    wait_for(lambda: not b.leading.is_set(), 15, "b to stop")

    # No job ran twice: every one-shot once, by the leader of its instant, ...
    once = {r.job_id: r.host for r in runs.all() if r.job_id.startswith("test.once.")}
    assert [runs.count(f"test.once.{i}") for i in range(8)] == [1] * 8
    assert [once[f"test.once.{i}"] for i in range(8)] == ["a"] * 3 + ["b"] * 5
    # ... and the leaders never ran at the same time: the old one started no
    # job once its lock was gone, and the new one started only after the old
    # one's last job (its fence) had ended.
    ticks_a, ticks_b = runs.of("test.tick", "a"), runs.of("test.tick", "b")
    every_a = [r for r in runs.all() if r.host == "a"]
    every_b = [r for r in runs.all() if r.host == "b"]
    assert max(r.started_at for r in every_a) < killed_at
    assert min(r.started_at for r in every_b) > killed_at
    if sessions == "lock":
        assert max(r.ended_at for r in every_a) <= min(r.started_at for r in every_b)
    assert ticks_a and ticks_b
    assert a.terms == 1 and b.terms == 1, "the old leader stood by again and did not come back"


def test_deadline_is_met_when_the_leader_dies_15_s_before_it(pg_app, runs, test_jobs, hosts, clock):
    """The acceptance case of a circular resolution: its closing job is due
    at the deadline; the leader's session dies 15 s before it."""
    test_jobs("test.deadline")
    a = hosts("a")
    assert a.leading.wait(10)
    b = hosts("b")
    deadline = utcnow() + timedelta(seconds=15)
    with pg_app.app_context():
        sched.run_at("test.deadline", deadline)  # a web request opening the resolution
    assert a.leadership is not None
    terminate_session(pg_app, a.leadership.lock_pid)
    assert b.leading.wait(15), "the standby takes over"
    assert runs.count("test.deadline") == 0, "nothing runs before the deadline"
    wait_for(
        lambda: b.heartbeats, 5, "b's first heartbeat (its scheduler sleeps till the deadline)"
    )
    # The test does not sit out the remaining seconds: the clock jumps to just
    # before the deadline (the hosts' heartbeats notice within a second).
    clock.move_to(deadline - timedelta(seconds=1))

    wait_for(lambda: runs.count("test.deadline"), 15, "the deadline job")
    with pg_app.app_context():
        wait_for(lambda: not sched.pending_runs("test.deadline"), 5, "the entry to go")
    b.stop()
    a.stop()
    wait_for(lambda: not (a.leading.is_set() or b.leading.is_set()), 15, "the hosts to stop")
    (run,) = runs.of("test.deadline")
    assert run.host == "b"
    assert deadline <= run.started_at <= deadline + timedelta(seconds=10)
    assert run.started_at <= deadline + LATE


def test_a_new_leader_runs_what_fell_due_while_nobody_led_and_keeps_the_timers(
    pg_app, runs, test_jobs, hosts, clock
):
    test_jobs("test.deadline")
    test_jobs("test.hourly", "interval", hours=1)
    a = hosts("a")
    assert a.leading.wait(10)
    deadline = utcnow() + timedelta(seconds=5)
    with pg_app.app_context():
        sched.run_at("test.deadline", deadline)
    hourly_next = a.scheduler.get_job("test.hourly").next_run_time
    assert hourly_next > utcnow() + timedelta(minutes=59)
    # The only scheduler stops; nobody leads at the deadline.
    a.stop()
    wait_for(lambda: not a.leading.is_set() and not a.scheduler.running, 15, "a to stop")
    assert runs.count("test.deadline") == 0

    clock.move_to(deadline + timedelta(minutes=10))
    taken_over = utcnow()
    b = hosts("b")
    assert b.leading.wait(10)
    wait_for(lambda: runs.count("test.deadline"), 10, "the overdue deadline job")
    (run,) = runs.of("test.deadline")
    assert taken_over <= run.started_at <= taken_over + LATE, "run at once on takeover"
    # The hourly timer did not restart with the new leader.
    assert b.scheduler.get_job("test.hourly").next_run_time == hourly_next
    assert runs.count("test.hourly") == 0

    # An hour job overdue (by three of its intervals) runs at once, once.
    clock.move_to(hourly_next + timedelta(hours=2, minutes=30))
    overdue_at = utcnow()
    wait_for(lambda: runs.count("test.hourly"), 10, "the overdue hourly job")
    (hourly,) = runs.of("test.hourly")
    assert overdue_at <= hourly.started_at <= overdue_at + LATE
    wait_for(
        lambda: (
            b.scheduler.get_job("test.hourly").next_run_time == hourly_next + timedelta(hours=3)
        ),
        5,
        "the hourly job's next run on its own beat",
    )
    assert runs.count("test.hourly") == 1


def test_a_new_leader_waits_until_the_old_leaders_running_job_has_ended(
    pg_app, runs, test_jobs, hosts
):
    """The fence: a standby that has the lock does not start while the old
    leader (which lost its lock session) still runs a job."""
    entered, gate = threading.Event(), threading.Event()

    def slow() -> None:
        started = utcnow()
        entered.set()
        assert gate.wait(20), "the test never opened the gate"
        record_run("test.slow", started)

    test_jobs("test.other")  # only the test's jobs are registered
    sched.register_job("test.slow", None)(slow)
    a = hosts("a")
    assert a.leading.wait(10)
    b = hosts("b")
    with pg_app.app_context():
        sched.run_at("test.slow", utcnow())
    assert a.leadership is not None
    lock_pid, fence_pid = a.leadership.lock_pid, a.leadership.fence_pid
    assert entered.wait(10), "a runs the job (it waits at the gate)"
    terminate_session(pg_app, lock_pid)
    wait_for(
        lambda: lock_holder(pg_app, sched.ADVISORY_LOCK_KEY) not in (None, lock_pid),
        10,
        "the standby to take the lock",
    )
    assert not b.leading.wait(1.5), "the standby must not lead while a's job runs"
    assert lock_holder(pg_app, sched.FENCE_LOCK_KEY) == fence_pid
    gate.set()
    assert b.leading.wait(10), "the standby leads once a's job has ended"
    (run,) = runs.of("test.slow")
    assert run.host == "a"


def test_the_leader_runs_an_entry_another_process_wrote_at_its_instant(
    pg_app, runs, test_jobs, hosts
):
    """run_at from a web process: the leader's scheduler sleeps (no job due),
    its heartbeat has it look at the shared store again."""
    test_jobs("test.deadline")
    a = hosts("a")
    assert a.leading.wait(10)
    wait_for(lambda: a.heartbeats, 5, "a's first heartbeat (its scheduler waits for jobs)")
    when = utcnow() + timedelta(seconds=1)
    with pg_app.app_context():
        sched.run_at("test.deadline", when)
    wait_for(lambda: runs.count("test.deadline"), 10, "the job")
    (run,) = runs.of("test.deadline")
    assert when <= run.started_at <= when + LATE
