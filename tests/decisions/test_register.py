"""Decisions register: numbers, visibility, CSV, action items and reminders."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from meetings.helpers import berlin, move_on_to
from sqlalchemy import select
from voting.helpers import (
    body,
    make_body,
    make_decidable_paper,
    run_threads,
    seat_persons,
    start_poll,
    user,
)

from netzwerk.database import utcnow
from netzwerk.decisions import jobs as decisions_jobs
from netzwerk.decisions import services as decisions
from netzwerk.decisions.models import ActionItem, Decision
from netzwerk.extensions import db
from netzwerk.notifications.models import Notification
from netzwerk.timeutil import local_today, to_local
from netzwerk.voting import jobs as voting_jobs
from netzwerk.voting import services as voting


def _decide(body_id: int, value: str = "yes", **kwargs) -> Decision:  # type: ignore[no-untyped-def]
    poll = start_poll(body_id, **kwargs)
    for person in seat_persons(body_id):
        voting.cast_ballot(poll.id, person, value)
    voting.close_poll(poll.id)
    found = db.session.scalar(select(Decision).where(Decision.poll_id == poll.id))
    assert found is not None
    return found


@pytest.mark.calendar
def test_decision_gets_number_per_body_and_year(app_ctx):
    b = make_body("VX", 2)
    first = _decide(b.id)
    second = _decide(b.id, "no")
    year = to_local(first.decided_at).year
    assert first.year == year
    assert first.number == f"VX/{year}/B001"
    assert second.number == f"VX/{year}/B002"
    assert first.outcome == "adopted" and second.outcome == "rejected"
    other = make_body("BX", 1)
    assert _decide(other.id).number == f"BX/{year}/B001"


@pytest.mark.calendar
def test_a_decision_after_midnight_in_berlin_opens_the_new_years_register(app_ctx, clock):
    """Numbers restart per body and year in Berlin: on the coming New Year's
    Eve a decision at 23:40 is the old year's; a circular resolution the job
    closes at its deadline, 00:45 on 1 January (still 31 December in UTC), is
    the first of the new year; the old year's register goes on unchanged."""
    b = make_body("NJ", 2)
    year = local_today().year
    move_on_to(clock, berlin(date(year, 12, 31), 22, 0))
    deadline = berlin(date(year + 1, 1, 1), 0, 45)
    new_years = start_poll(b.id, closes_at=deadline)
    for person in seat_persons(b.id):
        voting.cast_ballot(new_years.id, person, "yes")
    move_on_to(clock, berlin(date(year, 12, 31), 23, 40))
    assert _decide(b.id).number == f"NJ/{year}/B001"
    clock.move_to(deadline + timedelta(minutes=5))
    assert utcnow().year == year
    assert voting_jobs.run_circular_resolutions()["closed"] == 1
    decision = db.session.scalar(select(Decision).where(Decision.poll_id == new_years.id))
    assert (decision.number, decision.year) == (f"NJ/{year + 1}/B001", year + 1)
    assert decisions.years_with_decisions() == [year + 1, year]


def test_not_quorate_poll_makes_no_decision(app_ctx):
    b = make_body("NQ", 3)
    poll = start_poll(b.id)
    voting.close_poll(poll.id, by_scheduler=True)
    assert db.session.scalar(select(Decision).where(Decision.poll_id == poll.id)) is None


def test_numbers_unique_and_sequential_under_concurrency(app, app_ctx):
    body_id = make_body("CC", 1).id
    polls = []
    for _ in range(12):
        # one poll per free subject; all voted, ready to close
        p = start_poll(body_id)
        voting.cast_ballot(p.id, seat_persons(body_id)[0], "yes")
        polls.append(p.id)
    db.session.remove()

    results, errors = run_threads(app, len(polls), lambda i: voting.close_poll(polls[i]).id)
    assert errors == []
    seqs = sorted(db.session.scalars(select(Decision.seq).where(Decision.body_id == body_id)))
    assert seqs == list(range(1, 13))
    numbers = list(db.session.scalars(select(Decision.number)))
    assert len(numbers) == len(set(numbers)) == 12


def _visibility_fixture() -> tuple[Decision, Decision, Decision]:
    public_body = make_body("PUB", 1, public=True)
    private_body = make_body("PRIV", 1, public=False)
    # A free subject has no public flag: decisions on it are not public.
    hidden_subject = _decide(public_body.id, title="Interne Angelegenheit")
    paper = make_decidable_paper(public=True)  # VK is not public in the demo
    vk = body("VK")
    poll = voting.start_circular_resolution(
        body_id=vk.id,
        subject_type="paper",
        subject_id=paper.id,
        title="Vorlage im VK",
        question=None,
        closes_at=utcnow() + timedelta(days=2),
    )
    for person in seat_persons(vk.id):
        voting.cast_ballot(poll.id, person, "yes")
    voting.close_poll(poll.id)
    private = db.session.scalar(select(Decision).where(Decision.poll_id == poll.id))
    # A public paper in a public body: the BK.
    bk_paper = make_decidable_paper(author="chair", body_short="BK", public=True)
    db.session.refresh(bk_paper)
    bk = body("BK")
    poll = voting.start_circular_resolution(
        body_id=bk.id,
        subject_type="paper",
        subject_id=bk_paper.id,
        title="Öffentlicher Beschluss",
        question="Text",
        closes_at=utcnow() + timedelta(days=2),
    )
    for person in seat_persons(bk.id):
        voting.cast_ballot(poll.id, person, "yes")
    voting.close_poll(poll.id)
    public = db.session.scalar(select(Decision).where(Decision.poll_id == poll.id))
    _ = private_body
    return hidden_subject, private, public


def test_anonymous_sees_only_public_decisions(app, client, demo):
    with app.app_context():
        hidden, private, public = _visibility_fixture()
        ids = (hidden.id, private.id, public.id)
        numbers = (hidden.number, private.number, public.number)
        private_body_id = private.body_id
    html = client.get("/beschluesse/").get_data(as_text=True)
    assert numbers[2] in html
    assert numbers[0] not in html and numbers[1] not in html
    assert client.get(f"/beschluesse/{ids[2]}").status_code == 200
    assert client.get(f"/beschluesse/{ids[0]}").status_code == 404
    assert client.get(f"/beschluesse/{ids[1]}").status_code == 404
    assert client.get(f"/beschluesse/gremium/{private_body_id}").status_code == 404
    response = client.get("/beschluesse/export.csv")
    assert response.status_code == 200
    rows = list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert [r[0] for r in rows[1:]] == [numbers[2]]
    # Filtering by a private body does not reveal anything either.
    response = client.get(f"/beschluesse/export.csv?body={private_body_id}")
    assert len(response.get_data(as_text=True).strip().splitlines()) == 1


def test_members_and_staff_see_their_decisions(app, client_as, demo):
    with app.app_context():
        hidden, private, public = _visibility_fixture()
        numbers = (hidden.number, private.number, public.number)
    member_html = client_as("member").get("/beschluesse/").get_data(as_text=True)
    assert numbers[1] in member_html and numbers[2] in member_html  # member of VK
    assert numbers[0] not in member_html  # not a member of PUB
    office_csv = client_as("office").get("/beschluesse/export.csv").get_data(as_text=True)
    assert all(n in office_csv for n in numbers)


def test_action_items_and_overdue_reminder(app_ctx, demo):
    b = body("VK")
    decision = _decide(b.id)
    person = user("member").person_id
    item = decisions.add_action_item(
        decision.id,
        title="Konzept erstellen",
        responsible_person_id=person,
        responsible_organisation_id=None,
        due_date=date(2026, 1, 10),
        actor=user("office"),
    )
    assert [i.id for i in decisions.open_action_items(b.id)] == [item.id]
    assert decisions.remind_overdue(date(2026, 1, 10)) == 0  # due today: not overdue
    assert decisions.remind_overdue(date(2026, 1, 11)) == 1
    assert decisions.remind_overdue(date(2026, 1, 12)) == 0  # idempotent
    note = db.session.scalar(select(Notification).where(Notification.kind == "action_item_overdue"))
    assert note is not None and note.person_id == person
    assert "Konzept erstellen" in note.message and note.url == f"/beschluesse/{decision.id}"
    decisions.step_to_flag(user("office"), item.id, "done", comment="fertig")
    assert decisions.open_action_items(b.id) == []
    assert decisions.remind_overdue(date(2026, 2, 1)) == 0  # done: never overdue again


@pytest.mark.calendar
def test_an_action_item_is_overdue_from_midnight_in_berlin(app_ctx, demo, client_as, clock):
    """The hourly job: an item due today is not overdue; at 00:30 the next
    day in Berlin (still the due day in UTC) it is, its person is told once,
    and the decision's page marks it."""
    decision = _decide(body("VK").id)
    today = local_today()
    person = user("member").person_id
    decisions.add_action_item(
        decision.id,
        title="Raumplan abstimmen",
        responsible_person_id=person,
        responsible_organisation_id=None,
        due_date=today,
        actor=user("office"),
    )
    assert decisions_jobs.remind_overdue_action_items() == 0
    page = f"/beschluesse/{decision.id}"
    assert "überfällig" not in client_as("office").get(page).get_data(as_text=True)
    clock.move_to(berlin(today + timedelta(days=1), 0, 30))
    assert utcnow().date() == today
    assert "überfällig" in client_as("office").get(page).get_data(as_text=True)
    assert decisions_jobs.remind_overdue_action_items() == 1
    clock.shift(timedelta(hours=1))
    assert decisions_jobs.remind_overdue_action_items() == 0
    note = db.session.scalar(select(Notification).where(Notification.kind == "action_item_overdue"))
    assert note is not None and note.person_id == person
    assert today.strftime("%d.%m.%Y") in note.message


def test_action_item_needs_someone_responsible(app_ctx, demo):
    decision = _decide(body("VK").id)
    try:
        decisions.add_action_item(
            decision.id,
            title="x",
            responsible_person_id=None,
            responsible_organisation_id=None,
            due_date=None,
        )
    except decisions.DecisionError as exc:
        assert exc.field == "responsible_person_id"
    else:
        raise AssertionError("accepted an item without anyone responsible")
    assert db.session.scalar(select(db.func.count()).select_from(ActionItem)) == 0


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=st.fixed_dictionaries(
        {
            "title": st.text(max_size=400),
            "responsible_person_id": st.one_of(st.text(max_size=8), st.integers().map(str)),
            "responsible_organisation_id": st.one_of(st.text(max_size=8), st.integers().map(str)),
            "due_date": st.text(max_size=12),
            "status": st.text(max_size=12),
            "notes": st.text(max_size=200),
        }
    )
)
def test_action_item_form_never_500_never_partial(office_client, decision_id, data):
    app = office_client.application

    def count() -> int:
        with app.app_context():
            n = db.session.scalar(select(db.func.count()).select_from(ActionItem)) or 0
            db.session.remove()
        return n

    before = count()
    response = office_client.post(f"/beschluesse/{decision_id}/massnahmen/neu", data=data)
    assert response.status_code in (302, 422)
    assert count() == before + (1 if response.status_code == 302 else 0)
