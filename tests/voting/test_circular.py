"""Circular resolutions: reminders, closing at the deadline by the scheduler, workflow."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from netzwerk.database import utcnow
from netzwerk.decisions.models import Decision
from netzwerk.extensions import db
from netzwerk.mail.models import OutboxMail
from netzwerk.notifications.models import Notification
from netzwerk.voting import jobs, services
from netzwerk.voting.models import Poll

from .helpers import body, make_decidable_paper, seat_persons, start_poll, user


def test_reminder_24_hours_before_goes_to_those_who_have_not_voted(app_ctx, demo):
    vk = body("VK")
    poll = start_poll(vk.id, hours=30)
    people = seat_persons(vk.id)
    services.cast_ballot(poll.id, people[0], "yes")
    # 7 hours later: more than 24 hours left, no reminder yet.
    assert services.send_due_reminders(utcnow() + timedelta(hours=5)) == 0
    sent = services.send_due_reminders(utcnow() + timedelta(hours=7))
    assert sent == len(people) - 1
    reminded = set(db.session.scalars(select(Notification.person_id)))
    assert people[0] not in reminded
    assert reminded == set(people[1:])
    # Idempotent: a second run writes nothing new.
    assert services.send_due_reminders(utcnow() + timedelta(hours=8)) == 0
    assert db.session.scalar(select(db.func.count()).select_from(Notification)) == len(people) - 1
    # The outbox got one reminder mail per person with an address, once.
    mails = db.session.scalars(
        select(OutboxMail).where(OutboxMail.reason.like("poll-reminder:%"))
    ).all()
    assert len(mails) == len(people) - 1


def test_reminder_is_shown_to_the_member(client_as, app):
    with app.app_context():
        vk = body("VK")
        poll = start_poll(vk.id, hours=20, title="Lernorte")
        services.send_due_reminders()
        poll_id = poll.id
    html = client_as("member").get("/benachrichtigungen").get_data(as_text=True)
    assert "Erinnerung" in html and "Lernorte" in html
    assert f'href="/abstimmungen/{poll_id}"' in html


def test_scheduler_closes_circular_resolution_at_deadline(app, app_ctx, demo, monkeypatch):
    """A real BackgroundScheduler runs the job; the test controls the job's clock."""
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

    fake_now = {"t": deadline - timedelta(minutes=5)}
    monkeypatch.setattr(jobs, "clock", lambda: fake_now["t"])
    scheduler = build_scheduler(app, blocking=False)
    scheduler.start()
    try:

        def run_job_now() -> None:
            scheduler.modify_job("voting.circular_resolutions", next_run_time=datetime.now(UTC))

        run_job_now()
        time.sleep(1.5)
        db.session.remove()
        assert db.session.get(Poll, poll_id).state == "open"  # before the deadline

        fake_now["t"] = deadline + timedelta(seconds=1)
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
    assert closed.closed_at == deadline + timedelta(seconds=1)
    assert closed.result == "passed"
    decision = db.session.scalar(select(Decision).where(Decision.poll_id == poll_id))
    assert decision is not None and decision.number.startswith(f"VK/{decision.year}/")
    from netzwerk.meetings.models import Paper

    assert db.session.get(Paper, paper_id).state == "beschlossen"


def test_rejected_paper_moves_to_abgelehnt(app_ctx, demo):
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
    assert paper.state == "abgelehnt"


def test_not_quorate_poll_leaves_paper_and_register_alone(app_ctx, demo):
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
    services.cast_ballot(poll.id, seat_persons(vk.id)[0], "yes")
    closed = services.close_due_polls(utcnow() + timedelta(days=3))
    assert closed == [poll.id]
    db.session.refresh(paper)
    assert paper.state == "zur_entscheidung"
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
