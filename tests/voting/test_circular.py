"""Circular resolutions: reminders, closing at the deadline by the scheduler, workflow."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from meetings.helpers import berlin
from sqlalchemy import select

from netzwerk.database import utcnow
from netzwerk.decisions.models import Decision
from netzwerk.extensions import db
from netzwerk.mail.models import OutboxMail
from netzwerk.notifications.models import Notification
from netzwerk.timeutil import format_local, local_today, to_local
from netzwerk.voting import jobs, services
from netzwerk.voting.models import Poll
from netzwerk.workflow import services as wf_services

from .helpers import body, make_decidable_paper, seat_persons, start_poll, user


@pytest.mark.calendar
def test_reminder_24_hours_before_goes_to_those_who_have_not_voted(app_ctx, demo, clock):
    vk = body("VK")
    poll = start_poll(vk.id, hours=30)
    deadline = poll.closes_at
    people = seat_persons(vk.id)
    services.cast_ballot(poll.id, people[0], "yes")
    # The job runs on the app's clock: 25 hours before the deadline, nothing.
    clock.move_to(deadline - timedelta(hours=25))
    assert jobs.run_circular_resolutions() == {"reminded": 0, "closed": 0}
    clock.move_to(deadline - timedelta(hours=23))
    assert jobs.run_circular_resolutions() == {"reminded": len(people) - 1, "closed": 0}
    reminded = set(db.session.scalars(select(Notification.person_id)))
    assert people[0] not in reminded
    assert reminded == set(people[1:])
    # The reminder names the deadline on the clock of Osnabrück.
    note = db.session.scalars(select(Notification)).first()
    assert format_local(deadline) in note.message
    # Idempotent: a second run writes nothing new.
    clock.shift(timedelta(hours=1))
    assert jobs.run_circular_resolutions() == {"reminded": 0, "closed": 0}
    assert db.session.scalar(select(db.func.count()).select_from(Notification)) == len(people) - 1
    # The outbox got one reminder mail per person with an address, once.
    mails = db.session.scalars(
        select(OutboxMail).where(OutboxMail.reason.like("poll-reminder:%"))
    ).all()
    assert len(mails) == len(people) - 1


@pytest.mark.calendar
def test_the_job_closes_at_the_deadline_given_in_berlin_time(app_ctx, demo, clock):
    """A deadline of 12:00 (Berlin) three days ahead – over a switch of
    daylight saving time at the DST instants, into the new year at New Year's
    Eve: open a minute before, closed by the job at the deadline, and the
    decision is numbered in the deadline's year in Berlin."""
    paper = make_decidable_paper()
    vk = body("VK")
    deadline = berlin(local_today() + timedelta(days=3), 12, 0)
    poll = services.start_circular_resolution(
        body_id=vk.id,
        subject_type="paper",
        subject_id=paper.id,
        title=paper.title,
        question="Die Vorstandskonferenz beschließt die Lernorte.",
        closes_at=deadline,
        actor=user("office"),
    )
    people = seat_persons(vk.id)
    for person in people[:-1]:
        services.cast_ballot(poll.id, person, "yes")
    clock.move_to(deadline - timedelta(minutes=1))
    assert jobs.run_circular_resolutions()["closed"] == 0
    services.cast_ballot(poll.id, people[-1], "no")  # still in time
    clock.move_to(deadline)
    assert jobs.run_circular_resolutions()["closed"] == 1
    closed = db.session.get(Poll, poll.id)
    assert closed.state == "closed" and closed.result == "passed"
    assert deadline <= closed.closed_at < deadline + timedelta(minutes=1)
    decision = db.session.scalar(select(Decision).where(Decision.poll_id == poll.id))
    year = to_local(deadline).year
    assert decision.year == year and decision.number.startswith(f"VK/{year}/")
    with pytest.raises(services.PollNotOpen):
        services.cast_ballot(poll.id, people[0], "yes")


def test_reminder_is_shown_to_the_member(client_as, app, clock):
    with app.app_context():
        vk = body("VK")
        poll = start_poll(vk.id, hours=20, title="Lernorte")
        clock.shift(timedelta(minutes=2))  # the umlaufverfahren timers look after PT1M
        assert jobs.run_circular_resolutions()["reminded"] > 0
        poll_id = poll.id
    html = client_as("member").get("/benachrichtigungen").get_data(as_text=True)
    assert "Erinnerung" in html and "Lernorte" in html
    assert f'href="/abstimmungen/{poll_id}"' in html


def test_scheduler_closes_circular_resolution_at_deadline(app, app_ctx, demo, clock):
    """A real BackgroundScheduler runs the job; the test moves the app's clock."""
    from netzwerk.scheduler import build_scheduler

    paper = make_decidable_paper()
    vk = body("VK")
    poll = services.start_circular_resolution(
        body_id=vk.id,
        subject_type="paper",
        subject_id=paper.id,
        title=paper.title,
        question="Die Vorstandskonferenz beschließt die Lernorte.",
        closes_at=utcnow() + timedelta(days=3),
        actor=user("office"),
    )
    people = seat_persons(vk.id)
    for person in people[:5]:
        services.cast_ballot(poll.id, person, "yes")
    services.cast_ballot(poll.id, people[5], "no")
    poll_id, paper_id, deadline = poll.id, paper.id, poll.closes_at
    db.session.remove()

    clock.move_to(deadline - timedelta(minutes=5))
    scheduler = build_scheduler(app, blocking=False)
    scheduler.start()
    try:

        def run_job_now() -> None:
            scheduler.modify_job("workflow.timers", next_run_time=utcnow())

        run_job_now()
        time.sleep(1.5)
        db.session.remove()
        assert db.session.get(Poll, poll_id).state == "open"  # before the deadline

        clock.move_to(deadline + timedelta(seconds=1))
        run_job_now()
        for _ in range(100):
            db.session.remove()
            if db.session.get(Poll, poll_id).state == "closed":
                break
            time.sleep(0.1)
    finally:
        scheduler.remove_all_jobs()
        scheduler.shutdown(wait=True)
    db.session.remove()
    closed = db.session.get(Poll, poll_id)
    assert closed.state == "closed"
    assert deadline < closed.closed_at < deadline + timedelta(minutes=1)
    assert closed.result == "passed"
    decision = db.session.scalar(select(Decision).where(Decision.poll_id == poll_id))
    assert decision is not None and decision.number.startswith(f"VK/{decision.year}/")
    from netzwerk.papers.models import Paper

    assert _decided_by(db.session.get(Paper, paper_id)) == "poll_passed"


def _decided_by(paper) -> str | None:  # type: ignore[no-untyped-def]
    """The guard of the step that decided the paper (it is then final)."""
    from netzwerk.audit.services import history
    from netzwerk.workflow import services as wf

    assert wf.is_final(paper)
    last = [e for e in history("paper", paper.id) if e.action == "workflow.transition"][-1]
    step = json.loads(last.data)["transition"]
    return wf.definition_of(paper).transitions[step].when


def test_rejected_paper_moves_to_its_rejected_state(app_ctx, demo):
    paper = make_decidable_paper()
    vk = body("VK")
    poll = services.start_circular_resolution(
        body_id=vk.id,
        subject_type="paper",
        subject_id=paper.id,
        title=paper.title,
        question=None,
        closes_at=utcnow() + timedelta(days=2),
    )
    for person in seat_persons(vk.id):
        services.cast_ballot(poll.id, person, "no")
    services.close_poll(poll.id, user("office"))
    db.session.refresh(paper)
    assert _decided_by(paper) == "poll_failed"


def test_not_quorate_poll_sends_the_paper_back_and_writes_no_decision(app_ctx, demo, clock):
    paper = make_decidable_paper()
    state_before = paper.state
    vk = body("VK")
    poll = services.start_circular_resolution(
        body_id=vk.id,
        subject_type="paper",
        subject_id=paper.id,
        title=paper.title,
        question=None,
        closes_at=utcnow() + timedelta(days=2),
    )
    services.cast_ballot(poll.id, seat_persons(vk.id)[0], "yes")
    clock.shift(timedelta(days=3))
    closed = services.close_due_polls()
    assert closed == [poll.id]
    db.session.refresh(paper)
    # The paper has a next step: back into review (beschlussvorlage.yaml).
    assert paper.state != state_before
    assert not wf_services.has_flag(paper, "open_for_voting")
    assert not wf_services.is_final(paper)
    # The office can put it to the vote again.
    wf_services.fire_to_flag(user("office"), paper, "open_for_voting", comment="erneut")
    assert paper.state == state_before
    assert db.session.scalar(select(db.func.count()).select_from(Decision)) == 0


def test_second_running_poll_on_same_paper_is_refused(app_ctx, demo):
    paper = make_decidable_paper()
    vk = body("VK")
    kwargs = {
        "body_id": vk.id,
        "subject_type": "paper",
        "subject_id": paper.id,
        "title": "x",
        "question": None,
        "closes_at": utcnow() + timedelta(days=2),
    }
    services.start_circular_resolution(**kwargs)
    try:
        services.start_circular_resolution(**kwargs)
    except services.VotingError as exc:
        assert exc.field == "subject_id"
    else:
        raise AssertionError("second poll was allowed")
