"""Polls on the workflow engine.

A circular resolution and a vote in a meeting each have a process whose
definition (workflows/umlaufverfahren.yaml, workflows/abstimmung.yaml)
decides who may open and close them, and whose effects open, count and
close the poll.  The code asks flags (``open``, ``closed``), so renaming
every state and transition in a copy of ``workflows/`` breaks nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import make_test_app
from sqlalchemy import select
from test_mutated_workflows import SUFFIX, mutated_copy

from netzwerk.audit.models import AuditEvent
from netzwerk.database import utcnow
from netzwerk.extensions import db
from netzwerk.governance.models import Membership
from netzwerk.meetings import access, agenda, places, planning
from netzwerk.notifications.models import Notification
from netzwerk.papers.models import Paper
from netzwerk.voting import engine, services
from netzwerk.voting.meeting import open_meeting_poll
from netzwerk.voting.models import Poll, PollEligibility, PollProcess
from netzwerk.workflow import services as wf
from netzwerk.workflow.catalog import default_directory
from netzwerk.workflow.jobs import run_timers

from .helpers import body, make_decidable_paper, meeting_in_session, seat_persons, user

STEP = re.compile(r"/abstimmungen/\d+/schritt/([a-z0-9_]+)")


def _steps(html: str) -> set[str]:
    """The workflow steps the page offers (forms posting to .../schritt/<name>)."""
    return set(STEP.findall(html))


def _process(poll_id: int) -> PollProcess:
    db.session.expire_all()
    poll = db.session.get(Poll, poll_id)
    assert poll is not None
    return engine.process_of(poll)


def _start_circular(paper: Paper, hours: int = 48) -> Poll:
    return services.start_circular_resolution(
        body_id=body("VK").id,
        subject_type="paper",
        subject_id=paper.id,
        title=paper.title,
        question="Die Vorstandskonferenz beschließt die Lernorte.",
        closes_at=utcnow() + timedelta(hours=hours),
        actor=user("office"),
    )


# --- a vote in a meeting: the chair runs it ---------------------------------------------


@pytest.fixture
def vk_item(app: Any, demo: Any) -> tuple[int, int]:
    """A free agenda item of a VK meeting in session (everyone present)."""
    with app.app_context():
        meeting = meeting_in_session("VK")
        item = agenda.add_free_item(user("office"), meeting, title="Lernorte")
        ids = (meeting.id, item.id)
        db.session.remove()
    return ids


def test_the_chair_opens_and_closes_a_meeting_vote(app, client_as, vk_item):
    """The demo mayor chairs the Vorstandskonferenz: abstimmung.yaml lets the
    chair open and close (``by: [chair, ...]``); the page offers exactly the
    closing step."""
    meeting_id, item_id = vk_item
    chair = client_as("chair")
    url = f"/sitzungen/{meeting_id}/top/{item_id}/abstimmung"
    assert chair.get(url).status_code == 200
    response = chair.post(
        url,
        data={"title": "Lernorte", "kind": "open", "options": "yes_no_abstain"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    poll_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        chair_id = user("chair").id
        process = _process(poll_id)
        assert engine.is_open(process) and process.poll.is_open
        closing = {t.name for t in wf.transitions_to_flag(process, "closed")}
        opened = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "workflow.transition",
                AuditEvent.object_type == engine.MEETING_TYPE,
                AuditEvent.object_id == process.id,
            )
        )
        assert opened is not None and opened.actor_id == chair_id
        version = process.version
        db.session.remove()
    page = chair.get(f"/abstimmungen/{poll_id}").get_data(as_text=True)
    assert _steps(page) == closing
    (step,) = closing
    response = chair.post(
        f"/abstimmungen/{poll_id}/schritt/{step}", data={f"t-{step}-version": str(version)}
    )
    assert response.status_code == 302
    with app.app_context():
        process = _process(poll_id)
        assert engine.is_closed(process) and wf.is_final(process)
        poll = process.poll
        assert poll.is_closed and poll.closed_by_id == chair_id and poll.result is not None
        db.session.remove()
    assert _steps(chair.get(f"/abstimmungen/{poll_id}").get_data(as_text=True)) == set()


def test_a_plain_member_may_neither_open_nor_close_and_sees_no_button(app, client_as, vk_item):
    meeting_id, item_id = vk_item
    url = f"/sitzungen/{meeting_id}/top/{item_id}/abstimmung"
    # "lead" is a plain member of the VK here (no chair, no office role).
    with app.app_context():
        from datetime import date

        from netzwerk.database import write_transaction

        with write_transaction():
            db.session.add(
                Membership(
                    person_id=user("lead").person_id,
                    body_id=body("VK").id,
                    role="member",
                    voting_right=False,
                    start_date=date(2020, 1, 1),
                )
            )
        db.session.remove()
    member = client_as("lead")
    assert member.get(url).status_code == 403
    assert member.post(url, data={"title": "X", "kind": "open"}).status_code == 403
    with app.app_context():
        poll = open_meeting_poll(user("chair"), access.get_meeting(meeting_id), item_id, title="X")
        poll_id = poll.id
        process = _process(poll_id)
        closing = [t.name for t in wf.transitions_to_flag(process, "closed")]
        db.session.remove()
    page = member.get(f"/abstimmungen/{poll_id}")
    assert page.status_code == 200 and _steps(page.get_data(as_text=True)) == set()
    for step in closing:
        assert member.post(f"/abstimmungen/{poll_id}/schritt/{step}").status_code == 403
    assert member.post(f"/abstimmungen/{poll_id}/schliessen").status_code == 403
    with app.app_context():
        assert engine.is_open(_process(poll_id))
        db.session.remove()


def test_a_vote_opens_only_while_the_meeting_is_in_session(app_ctx, demo):
    from meetings.helpers import in_days

    staff = user("office")
    place = places.create_location(staff, name="Rathaus", address="Markt 1", room="Saal")
    planned = planning.create_meeting(
        staff, body_id=body("VK").id, starts_at=in_days(20), location_id=place.id
    )
    item = agenda.add_free_item(staff, planned, title="Lernorte")
    assert not wf.has_flag(access.get_meeting(planned.id), "in_session")
    with pytest.raises(services.VotingError):
        open_meeting_poll(user("chair"), access.get_meeting(planned.id), item.id, title="X")
    assert db.session.scalar(select(db.func.count()).select_from(Poll)) == 0


# --- a circular resolution: timers and every outcome -------------------------------------


def test_opening_a_circular_resolution_asks_the_scheduler_to_run_at_its_deadline(app_ctx, demo):
    """Whoever leads the scheduler runs the timers at the deadline and at the
    reminder, not at its next round (tests/scheduler proves run_at holds
    across a takeover)."""
    from netzwerk.scheduler import pending_runs
    from netzwerk.workflow.jobs import TIMER_JOB

    poll = _start_circular(make_decidable_paper())
    runs = pending_runs(TIMER_JOB)
    assert poll.closes_at in runs
    assert poll.closes_at - services.REMINDER_BEFORE in runs


def test_a_circular_resolution_closes_at_its_deadline_through_the_engine_timer(
    app_ctx, demo, clock
):
    paper = make_decidable_paper()
    poll = _start_circular(paper)
    poll_id, paper_id, deadline = poll.id, paper.id, poll.closes_at
    assert engine.is_open(_process(poll_id))
    for person in seat_persons(body("VK").id):
        services.cast_ballot(poll_id, person, "yes")
    # Everyone has voted, but nobody closes: the timer waits for the deadline.
    clock.move_to(deadline - timedelta(minutes=1))
    run_timers()
    assert engine.is_open(_process(poll_id))
    assert db.session.get(Poll, poll_id).is_open
    clock.move_to(deadline + timedelta(seconds=30))
    run_timers()
    process = _process(poll_id)
    assert engine.is_closed(process)
    poll = process.poll
    assert poll.is_closed and poll.result == "passed"
    assert deadline <= poll.closed_at <= deadline + timedelta(minutes=1)
    closing = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action == "workflow.transition",
            AuditEvent.object_type == engine.CIRCULAR_TYPE,
            AuditEvent.object_id == process.id,
        )
        .order_by(AuditEvent.id.desc())
    ).first()
    assert closing is not None and closing.actor_id is None
    assert json.loads(closing.data)["timer"] is True
    # The paper took its next step in the same run (poll_passed).
    decided = db.session.get(Paper, paper_id)
    assert wf.is_final(decided) and wf.has_flag(decided, "public")


def test_the_reminder_timer_reminds_who_has_not_voted_a_day_before(app_ctx, demo, clock):
    poll = _start_circular(make_decidable_paper(), hours=30)
    people = seat_persons(body("VK").id)
    services.cast_ballot(poll.id, people[0], "yes")
    clock.move_to(poll.closes_at - timedelta(hours=25))
    run_timers()
    assert not db.session.scalars(
        select(Notification.id).where(Notification.kind == "poll_reminder")
    ).all()
    clock.move_to(poll.closes_at - timedelta(hours=23))
    run_timers()
    reminded = set(
        db.session.scalars(
            select(Notification.person_id).where(Notification.kind == "poll_reminder")
        )
    )
    assert reminded == set(people[1:])
    assert engine.is_open(_process(poll.id))


def _no_quorum_notes(poll_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(Notification.person_id).where(
                Notification.kind == "poll_no_quorum", Notification.object_id == poll_id
            )
        )
    )


def _office_people() -> set[int]:
    from netzwerk.auth.models import User

    return set(db.session.scalars(select(User.person_id).where(User.is_office, User.active)))


def test_no_quorum_tells_office_and_members_and_sends_the_paper_back(app_ctx, demo, clock):
    """Every outcome has a next step: the shipped beschlussvorlage.yaml has a
    way back from the vote to the review, which the engine takes."""
    paper = make_decidable_paper()
    came_from = engine._came_from("paper", paper)
    assert came_from is not None
    poll = _start_circular(paper)
    poll_id, paper_id = poll.id, paper.id
    clock.move_to(poll.closes_at + timedelta(minutes=1))
    run_timers()
    poll = db.session.get(Poll, poll_id)
    assert poll.result == "not_quorate" and engine.is_closed(_process(poll_id))
    members = set(
        db.session.scalars(
            select(PollEligibility.person_id).where(PollEligibility.poll_id == poll_id)
        )
    )
    assert members and _office_people()
    assert _no_quorum_notes(poll_id) == members | _office_people()
    paper = db.session.get(Paper, paper_id)
    assert paper.state == came_from
    assert not wf.is_final(paper) and not wf.has_flag(paper, "open_for_voting")
    title = wf.definition_of(paper).state_title(paper.state)
    note = db.session.scalars(
        select(Notification).where(Notification.kind == "poll_no_quorum")
    ).first()
    assert "Beschlussfähigkeit nicht erreicht" in note.message and title in note.message
    # The office can put it before the body again.
    assert wf.available_transitions(user("office"), paper)


def _without_way_back(directory: Path) -> Path:
    """A copy of workflows/ whose resolution paper has no way back from the
    vote (a city's own definition may lack one)."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in default_directory().glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        if path.stem == "beschlussvorlage":
            definition = yaml.safe_load(text)
            back = [
                name
                for name, t in definition["transitions"].items()
                if "zur_entscheidung" in (t["from"] if isinstance(t["from"], list) else [t["from"]])
                and not definition["states"][t["to"]].get("final")
            ]
            for name in back:
                del definition["transitions"][name]
            text = yaml.safe_dump(definition, allow_unicode=True, sort_keys=False)
        (directory / path.name).write_text(text, encoding="utf-8")
    return directory


def _app_on(tmp_path: Path, database_url: str, directory: Path) -> Iterator[None]:
    if not database_url.startswith("sqlite"):
        pytest.skip("runs on its own SQLite file; the ids do not depend on the database")
    app = make_test_app(f"sqlite:///{tmp_path / 'voting.db'}", NETZWERK_WORKFLOW_DIR=str(directory))
    with app.app_context():
        from netzwerk.demo import load_network

        db.create_all()
        load_network()
        db.session.remove()
        yield
        db.session.remove()


@pytest.fixture
def no_way_back(tmp_path, database_url) -> Iterator[None]:  # type: ignore[no-untyped-def]
    yield from _app_on(tmp_path, database_url, _without_way_back(tmp_path / "wf"))


def test_without_a_way_back_the_paper_stays_votable_and_a_new_vote_can_start(no_way_back, clock):
    paper = make_decidable_paper()
    poll = _start_circular(paper)
    poll_id, paper_id = poll.id, paper.id
    state_before = paper.state
    clock.move_to(poll.closes_at + timedelta(minutes=1))
    run_timers()
    assert db.session.get(Poll, poll_id).result == "not_quorate"
    paper = db.session.get(Paper, paper_id)
    assert paper.state == state_before and wf.has_flag(paper, "open_for_voting")
    assert _no_quorum_notes(poll_id) >= _office_people()
    note = db.session.scalars(
        select(Notification).where(Notification.kind == "poll_no_quorum")
    ).first()
    assert "erneut zur Abstimmung" in note.message
    again = _start_circular(paper)
    assert engine.is_open(_process(again.id))


# --- renamed states and transitions break nothing ------------------------------------------


@pytest.fixture
def renamed(tmp_path, database_url) -> Iterator[None]:  # type: ignore[no-untyped-def]
    copy = mutated_copy(tmp_path / "wf")
    for name in ("umlaufverfahren", "abstimmung"):
        definition = yaml.safe_load((copy / f"{name}.yaml").read_text(encoding="utf-8"))
        assert all(state.endswith(SUFFIX) for state in definition["states"])
        assert all(step.endswith(SUFFIX) for step in definition["transitions"])
    yield from _app_on(tmp_path, database_url, copy)


def test_a_circular_resolution_runs_end_to_end_on_renamed_workflows(renamed, clock):
    paper = make_decidable_paper()
    poll = _start_circular(paper)
    poll_id, paper_id = poll.id, paper.id
    process = _process(poll_id)
    assert process.state.endswith(SUFFIX) and engine.is_open(process)
    for person in seat_persons(body("VK").id):
        services.cast_ballot(poll_id, person, "yes")
    clock.move_to(poll.closes_at + timedelta(minutes=1))
    assert services.close_due_polls() == [poll_id]
    process = _process(poll_id)
    assert engine.is_closed(process) and process.poll.result == "passed"
    decided = db.session.get(Paper, paper_id)
    assert wf.is_final(decided) and wf.has_flag(decided, "public")


def test_a_meeting_vote_runs_end_to_end_on_renamed_workflows(renamed):
    meeting = meeting_in_session("VK")
    assert meeting.state.endswith(SUFFIX)
    item = agenda.add_free_item(user("office"), meeting, title="Lernorte")
    assert services.may_open(user("chair"), body("VK").id, "meeting")
    poll = open_meeting_poll(
        user("chair"), access.get_meeting(meeting.id), item.id, title="Lernorte"
    )
    poll_id = poll.id
    process = _process(poll_id)
    assert process.state.endswith(SUFFIX) and engine.is_open(process)
    voters = db.session.scalars(
        select(PollEligibility.person_id).where(PollEligibility.poll_id == poll_id)
    ).all()
    for person in voters:
        services.cast_ballot(poll_id, person, "yes")
    services.close_poll(poll_id, user("chair"))
    process = _process(poll_id)
    assert engine.is_closed(process) and process.poll.result == "passed"
    assert process.poll.closed_by_id == user("chair").id


# --- polls from before the engine ------------------------------------------------------------


def test_a_poll_without_process_is_adopted_in_the_state_its_flags_match(app_ctx, demo):
    """Polls created before revision a17b1c2d3e4f get their process from the
    job voting.adopt_polls (or on first use) and then run on the engine."""
    from netzwerk.database import write_transaction
    from netzwerk.voting import jobs

    from .helpers import start_poll

    vk = body("VK")
    open_poll = start_poll(vk.id)
    closed_poll = start_poll(vk.id, title="Schon entschieden")
    for person in seat_persons(vk.id):
        services.cast_ballot(closed_poll.id, person, "yes")
    services.close_poll(closed_poll.id)
    ids = (open_poll.id, closed_poll.id)
    with write_transaction():
        db.session.execute(PollProcess.__table__.delete())
    db.session.expire_all()
    assert jobs.adopt_polls() == 2
    assert jobs.adopt_polls() == 0
    assert engine.is_open(_process(ids[0])) and engine.is_closed(_process(ids[1]))
    assert wf.is_final(_process(ids[1]))
    for person in seat_persons(vk.id):
        services.cast_ballot(ids[0], person, "no")
    assert services.close_poll(ids[0], user("office")).result == "failed"
    assert engine.is_closed(_process(ids[0]))


def test_the_open_vote_page_offers_no_button_before_the_session(app, client_as, demo):
    from meetings.helpers import in_days

    with app.app_context():
        staff = user("office")
        place = places.create_location(staff, name="Rathaus", address="Markt 1", room="Saal")
        planned = planning.create_meeting(
            staff, body_id=body("VK").id, starts_at=in_days(20), location_id=place.id
        )
        item = agenda.add_free_item(staff, planned, title="Lernorte")
        url = f"/sitzungen/{planned.id}/top/{item.id}/abstimmung"
        db.session.remove()
    page = client_as("chair").get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="title"' not in html and 'type="submit"' not in html.split("<main", 1)[-1]
