"""The meeting as it is held: opening times, attendance at real times,
deputies in the quorum, calling items, the speakers list, self check-in,
projector links, and decisions dated by the meeting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from netzwerk.audit.models import AuditEvent
from netzwerk.database import write_transaction
from netzwerk.extensions import db
from netzwerk.governance.models import Membership
from netzwerk.meetings import (
    access,
    agenda,
    attendance,
    checkin,
    cockpit,
    planning,
    projector,
    speakers,
)
from netzwerk.meetings.access import MeetingError
from netzwerk.meetings.models import Attendance, Speaker
from netzwerk.timeutil import local_today, utcnow
from netzwerk.workflow import services as workflow

from .helpers import OFFICE, berlin, body, fresh, meeting, paper_for_decision, reach, user

CHAIR = "ob@osnabrueck.example"
LEAD = "projekt@osnabrueck.example"  # a member of the BK, not its chair


@pytest.fixture
def early_rule(app):  # type: ignore[no-untyped-def]
    """The production default: a meeting opens at most 60 minutes early."""
    old = app.config["NETZWERK_MEETING_OPEN_EARLY"]
    app.config["NETZWERK_MEETING_OPEN_EARLY"] = 60
    yield 60
    app.config["NETZWERK_MEETING_OPEN_EARLY"] = old


def _invited_bk(hour: int = 11, minute: int = 0):  # type: ignore[no-untyped-def]
    """A BK meeting today (the test's instant is 10:00 in Berlin), invited."""
    m = meeting("BK", starts_at=berlin(local_today(), hour, minute))
    from netzwerk.meetings import invitations

    invitations.send_invitations(user(OFFICE), m, reason="kurzfristig")
    return fresh(m.id)


def _held(early_rule: int):  # type: ignore[no-untyped-def]
    m = _invited_bk(10, 30)
    planning.open_meeting(user(OFFICE), m)
    return fresh(m.id)


def _membership(meeting_obj, email: str) -> Membership:  # type: ignore[no-untyped-def]
    person_id = user(email).person_id
    return next(
        line.membership
        for line in attendance.roster(meeting_obj)
        if line.membership.person_id == person_id
    )


def _deputy_pair(meeting_obj):  # type: ignore[no-untyped-def]
    """(member's seat, deputy's seat) of the BK demo (the migrant organisation)."""
    roster = attendance.roster(meeting_obj)
    deputy = next(line.membership for line in roster if line.membership.deputy_of_id)
    member = next(line.membership for line in roster if line.membership.id == deputy.deputy_of_id)
    return member, deputy


# --- opening: not long before the start ----------------------------------------------------


def test_a_meeting_opens_early_only_by_the_office_with_a_reason(app_ctx, demo, early_rule):
    m = _invited_bk(14, 0)  # four hours ahead
    assert planning.opens_too_early(m)
    with pytest.raises(MeetingError) as refused:
        planning.open_meeting(user(OFFICE), m)
    assert refused.value.field == "reason"
    with pytest.raises(MeetingError, match="Nur das Bildungsbüro"):
        planning.open_meeting(user(CHAIR), fresh(m.id), reason="Wir sind alle da.")
    # The engine refuses the step without a reason too, saying why.
    step = planning.opening_steps(user(OFFICE), fresh(m.id))[0]
    possible = {t.transition.name: t for t in workflow.possible_transitions(user(OFFICE), m)}
    assert possible[step.name].refused and "zu früh" in possible[step.name].refused
    with pytest.raises(workflow.WorkflowError):
        workflow.fire(user(CHAIR), fresh(m.id), step.name, comment="trotzdem")
    assert not access.has_flag(fresh(m.id), "in_session")

    opened = planning.open_meeting(user(OFFICE), fresh(m.id), reason="Der Saal wird früher frei.")
    assert access.has_flag(fresh(opened.id), "in_session")
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "meeting", AuditEvent.object_id == m.id)
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None and event.comment == "Der Saal wird früher frei."


def test_within_the_allowed_time_the_chair_opens_without_a_reason(app_ctx, demo, early_rule):
    m = _invited_bk(11, 0)  # exactly 60 minutes ahead
    assert not planning.opens_too_early(m)
    opened = planning.open_meeting(user(CHAIR), m)
    current = fresh(opened.id)
    assert access.has_flag(current, "in_session")
    assert current.opened_at is not None and abs(current.opened_at - utcnow()) < timedelta(
        seconds=5
    )


# --- attendance at the meeting's real times ----------------------------------------------------


def test_attendance_before_the_meeting_is_not_stamped_with_the_entry_time(
    app_ctx, demo, early_rule, clock
):
    m = _invited_bk(11, 0)
    seat = _membership(m, CHAIR)
    attendance.set_attendance(user(OFFICE), m, {seat.id: "present"})
    row = db.session.scalar(select(Attendance).where(Attendance.membership_id == seat.id))
    assert row is not None and row.arrived_at is None  # not "arrived at 10:00"
    clock.shift(timedelta(minutes=55))
    planning.open_meeting(user(OFFICE), fresh(m.id))
    current = fresh(m.id)
    db.session.expire_all()
    row = db.session.scalar(select(Attendance).where(Attendance.membership_id == seat.id))
    assert row is not None and row.arrived_at == current.opened_at


def test_late_arrival_and_early_departure_at_their_real_time(app_ctx, demo, early_rule, clock):
    m = _held(early_rule)
    seat = _membership(m, LEAD)
    clock.shift(timedelta(minutes=40))
    at = cockpit.moment_from_form(fresh(m.id), _hm(m.opened_at + timedelta(minutes=10)))
    row = attendance.arrive_or_leave(user(OFFICE), fresh(m.id), seat.id, True, at=at)
    assert row.arrived_at == at
    with pytest.raises(MeetingError, match="Zukunft"):
        attendance.arrive_or_leave(
            user(OFFICE), fresh(m.id), seat.id, False, at=utcnow() + timedelta(minutes=5)
        )
    with pytest.raises(MeetingError, match="gekommen"):
        attendance.arrive_or_leave(
            user(OFFICE), fresh(m.id), seat.id, False, at=at - timedelta(minutes=1)
        )
    with pytest.raises(MeetingError, match="eröffnet"):
        cockpit.moment_from_form(fresh(m.id), _hm(m.opened_at - timedelta(minutes=20)))
    left = attendance.arrive_or_leave(
        user(OFFICE), fresh(m.id), seat.id, False, at=at + timedelta(minutes=15)
    )
    assert left.left_at == at + timedelta(minutes=15)
    reach(fresh(m.id), "closed")
    closed = fresh(m.id)
    assert closed.closed_at is not None
    with pytest.raises(MeetingError, match="geschlossen"):
        attendance.check_moment(closed, closed.closed_at + timedelta(minutes=1))


def _hm(value):  # type: ignore[no-untyped-def]
    from netzwerk.timeutil import to_local

    return to_local(value).strftime("%H:%M")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.one_of(st.text(max_size=12), st.from_regex(r"\A-?\d{1,3}[:.]\d{1,3}\Z")))
def test_a_typed_time_is_a_moment_of_the_meeting_or_a_clear_message(
    app_ctx, demo, early_rule, text
):
    meetings = [
        m for m in access.visible_meetings(user(OFFICE)) if access.has_flag(m, "in_session")
    ]
    m = meetings[0] if meetings else _held(early_rule)
    try:
        at = cockpit.moment_from_form(m, text)
    except MeetingError as exc:
        assert exc.field == "at" and str(exc)
    else:
        assert m.opened_at is not None and m.opened_at <= at <= utcnow()


# --- deputies and the quorum ---------------------------------------------------------------------


def test_a_deputy_represents_the_seat_once(app_ctx, demo, early_rule):
    m = _held(early_rule)
    member, deputy = _deputy_pair(m)
    before = attendance.quorum(fresh(m.id)).present
    attendance.deputy_arrives(user(OFFICE), fresh(m.id), member.id, deputy.id)
    after = attendance.quorum(fresh(m.id))
    assert after.present == before + 1
    seat = next(s for s in attendance.seats(fresh(m.id)) if s.membership_id == member.id)
    assert seat.by_deputy and seat.voter_person_id == deputy.person_id
    # The member comes too: the seat still counts once, now for the member.
    attendance.arrive_or_leave(user(OFFICE), fresh(m.id), member.id, True)
    assert attendance.quorum(fresh(m.id)).present == before + 1
    assert attendance.quorum(fresh(m.id)).voting_members == after.voting_members
    # A deputy is recorded only for an absent member, and only a deputy of that seat.
    with pytest.raises(MeetingError, match="anwesend"):
        attendance.deputy_arrives(user(OFFICE), fresh(m.id), member.id, deputy.id)
    other = _membership(m, LEAD)
    with pytest.raises(MeetingError, match="keine solche Stellvertretung"):
        attendance.deputy_arrives(user(OFFICE), fresh(m.id), other.id, deputy.id)
    events = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_type == "meeting", AuditEvent.object_id == m.id
        )
    ).all()
    assert "meeting.deputy_present" in events


# --- calling items -----------------------------------------------------------------------------------


def _with_items(m):  # type: ignore[no-untyped-def]
    office = user(OFFICE)
    first = agenda.add_free_item(office, fresh(m.id), title="Begrüßung", public=True)
    second = agenda.add_free_item(office, fresh(m.id), title="Bericht des Büros", public=True)
    return first, second


def test_the_chair_calls_the_items_in_order(app_ctx, demo, early_rule):
    m = meeting("BK", starts_at=berlin(local_today(), 10, 30))
    first, second = _with_items(m)
    from netzwerk.meetings import invitations

    invitations.send_invitations(user(OFFICE), fresh(m.id), reason="kurzfristig")
    planning.open_meeting(user(OFFICE), fresh(m.id))
    assert cockpit.current_item(fresh(m.id)) is None
    with pytest.raises(MeetingError):
        cockpit.call_item(user(LEAD), fresh(m.id))
    assert cockpit.call_item(user(CHAIR), fresh(m.id)).id == first.id
    assert cockpit.call_item(user(CHAIR), fresh(m.id)).id == second.id
    assert cockpit.current_item(fresh(m.id)).id == second.id  # type: ignore[union-attr]
    with pytest.raises(MeetingError, match="keinen weiteren Punkt"):
        cockpit.call_item(user(CHAIR), fresh(m.id))
    assert cockpit.call_item(user(CHAIR), fresh(m.id), first.id).id == first.id
    assert cockpit.current_item(fresh(m.id)).id == first.id  # type: ignore[union-attr]


# --- the speakers list ------------------------------------------------------------------------------


def _live_item(early_rule: int):  # type: ignore[no-untyped-def]
    m = meeting("BK", starts_at=berlin(local_today(), 10, 30))
    first, _second = _with_items(m)
    from netzwerk.meetings import invitations

    invitations.send_invitations(user(OFFICE), fresh(m.id), reason="kurzfristig")
    planning.open_meeting(user(OFFICE), fresh(m.id))
    cockpit.call_item(user(CHAIR), fresh(m.id))
    return fresh(m.id), first


def test_asking_twice_makes_one_entry_and_points_of_order_go_first(app_ctx, demo, early_rule):
    m, item = _live_item(early_rule)
    lead, member = user(LEAD), user("mitglied@osnabrueck.example")
    speakers.ask_to_speak(lead, m, item.id)
    with pytest.raises(MeetingError, match="bereits"):
        speakers.ask_to_speak(lead, fresh(m.id), item.id)
    speakers.ask_to_speak(member, fresh(m.id), item.id)
    point = speakers.ask_to_speak(lead, fresh(m.id), item.id, point_of_order=True)
    queue = speakers.queue(item.id)
    assert [s.person_id for s in queue] == [lead.person_id, lead.person_id, member.person_id]
    assert queue[0].id == point.id and queue[0].point_of_order
    assert (
        db.session.scalar(
            select(func.count()).select_from(Speaker).where(Speaker.point_of_order.is_(False))
        )
        == 2
    )
    # The database itself refuses a second pending request of the same kind.
    with pytest.raises(IntegrityError), write_transaction():
        db.session.add(
            Speaker(
                agenda_item_id=item.id,
                person_id=member.person_id,
                point_of_order=False,
                status="waiting",
                pending=True,
                position=9,
            )
        )
    db.session.rollback()
    # Withdrawn, the member may ask again.
    mine = speakers.my_requests(item.id, member.person_id)[0]
    speakers.withdraw(member, fresh(m.id), mine.id)
    speakers.ask_to_speak(member, fresh(m.id), item.id)
    assert len(speakers.my_requests(item.id, member.person_id)) == 1


def test_the_chair_orders_gives_the_floor_and_closes_the_list(app_ctx, demo, early_rule, clock):
    m, item = _live_item(early_rule)
    chair, lead, member = user(CHAIR), user(LEAD), user("mitglied@osnabrueck.example")
    a = speakers.ask_to_speak(lead, m, item.id)
    b = speakers.add_speaker(chair, fresh(m.id), item.id, member.person_id)
    with pytest.raises(MeetingError):
        speakers.move(lead, fresh(m.id), b.id, -1)  # not the chair
    speakers.move(chair, fresh(m.id), b.id, -1)
    assert [s.id for s in speakers.queue(item.id)] == [b.id, a.id]
    speakers.set_speaking_time(chair, fresh(m.id), item.id, 3)
    speakers.give_floor(chair, fresh(m.id), b.id)
    queue = speakers.queue(item.id)
    assert queue[0].id == b.id and queue[0].status == speakers.SPEAKING
    ends = speakers.speaking_ends_at(db.session.get(type(item), item.id), queue)
    assert ends is not None and ends - queue[0].started_at == timedelta(minutes=3)
    clock.shift(timedelta(minutes=2))
    speakers.give_floor(chair, fresh(m.id), a.id)  # the one before is done
    assert [s.id for s in speakers.spoken([item.id])[item.id]] == [b.id, a.id]
    speakers.set_closed(chair, fresh(m.id), item.id, True)
    with pytest.raises(MeetingError, match="geschlossen"):
        speakers.ask_to_speak(member, fresh(m.id), item.id)
    speakers.ask_to_speak(member, fresh(m.id), item.id, point_of_order=True)  # always possible
    speakers.add_speaker(chair, fresh(m.id), item.id, member.person_id)  # the chair may
    with pytest.raises(MeetingError):
        speakers.set_speaking_time(chair, fresh(m.id), item.id, 0)


# --- self check-in -------------------------------------------------------------------------------------


def test_a_confirmed_check_in_counts_towards_the_quorum(app_ctx, demo, early_rule, clock):
    m = _held(early_rule)
    lead = user(LEAD)
    before = attendance.quorum(fresh(m.id)).present
    clock.shift(timedelta(minutes=5))
    row = checkin.check_in(lead, fresh(m.id))
    assert checkin.check_in(lead, fresh(m.id)).id == row.id  # a second tap: the same
    assert attendance.quorum(fresh(m.id)).present == before  # not yet confirmed
    assert [c.id for c in checkin.pending(fresh(m.id))] == [row.id]
    with pytest.raises(MeetingError):
        checkin.confirm(lead, fresh(m.id), row.id)  # a member cannot confirm
    clock.shift(timedelta(minutes=3))
    checkin.confirm(user(OFFICE), fresh(m.id), row.id)
    assert attendance.quorum(fresh(m.id)).present == before + 1
    assert checkin.pending(fresh(m.id)) == []
    seat = _membership(fresh(m.id), LEAD)
    att = db.session.scalar(select(Attendance).where(Attendance.membership_id == seat.id))
    assert att is not None and att.arrived_at == row.checked_in_at  # the real time
    with pytest.raises(MeetingError, match="anwesend"):
        checkin.check_in(lead, fresh(m.id))


# --- projector links --------------------------------------------------------------------------------


def test_projector_links_are_stored_hashed_and_revocable(app_ctx, demo, early_rule):
    m = _held(early_rule)
    with pytest.raises(MeetingError):
        projector.create_link(user(LEAD), m)
    link, token = projector.create_link(user(CHAIR), m)
    assert link.token_hash != token and len(token) >= 30
    assert projector.meeting_for_token(token).meeting.id == m.id  # type: ignore[union-attr]
    assert projector.meeting_for_token(token + "x").meeting is None
    projector.revoke_link(user(OFFICE), fresh(m.id), link.id)
    found = projector.meeting_for_token(token)
    assert found.meeting is None and found.revoked
    state = projector.live_state(fresh(m.id))
    assert state.in_session and state.item_title is None


# --- plausible dates: decisions and the proposed resolution -----------------------------------------


def test_a_decision_carries_the_meetings_time(app_ctx, demo, early_rule, clock):
    m = _held(early_rule)
    clock.shift(timedelta(hours=2))
    reach(fresh(m.id), "closed")
    closed = fresh(m.id)
    clock.shift(timedelta(days=3))
    assert attendance.meeting_moment(closed.id, utcnow()) == closed.closed_at
    inside = closed.opened_at + timedelta(minutes=30)  # type: ignore[operator]
    assert attendance.meeting_moment(closed.id, inside) == inside


def test_the_proposed_resolution_is_the_papers_text(app_ctx, demo):
    paper = paper_for_decision("VK", title="Sprachförderung")
    m = meeting("VK")
    item = agenda.add_paper_item(user(OFFICE), m, paper.id, public=True)
    assert agenda.proposed_resolution(item) == "Der Text."
    free = agenda.add_free_item(user(OFFICE), fresh(m.id), title="Frei", text="Beschluss: X")
    assert agenda.proposed_resolution(free) == "Beschluss: X"
    assert body("VK") is not None


def test_the_minutes_name_the_speakers_of_each_item(app_ctx, demo, early_rule):
    from netzwerk.minutes import services as minutes

    m, item = _live_item(early_rule)
    chair, lead = user(CHAIR), user(LEAD)
    s = speakers.ask_to_speak(lead, m, item.id)
    speakers.give_floor(chair, fresh(m.id), s.id)
    speakers.finish(chair, fresh(m.id), s.id)
    doc = minutes.compose(fresh(m.id))
    entry = next(i for i in doc["items"] if i["id"] == item.id)
    assert [sp["name"] for sp in entry["speakers"]] == [lead.person.full_name]


@pytest.mark.postgres
def test_asking_at_once_from_several_devices_makes_one_entry(app, demo, early_rule):
    import threading

    with app.app_context():
        m, item = _live_item(early_rule)
        meeting_id, item_id = m.id, item.id
        db.session.remove()
    threads_count = 6
    barrier = threading.Barrier(threads_count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def device() -> None:
        with app.app_context():
            try:
                member = user(LEAD)
                current = fresh(meeting_id)
                db.session.commit()  # give the connection back while waiting
                barrier.wait(timeout=30)
                try:
                    speakers.ask_to_speak(member, current, item_id)
                    db.session.commit()
                except MeetingError:
                    db.session.rollback()
                    outcome = "refused"
                else:
                    outcome = "ok"
                with lock:
                    outcomes.append(outcome)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=device) for _ in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["ok"] + ["refused"] * (threads_count - 1)
    with app.app_context():
        assert len(speakers.queue(item_id)) == 1
        db.session.remove()
