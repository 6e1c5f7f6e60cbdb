"""Attendance, the live quorum per QuorumRule, deputies, votes in a meeting."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from netzwerk.database import write_transaction
from netzwerk.decisions.models import Decision
from netzwerk.extensions import db
from netzwerk.governance.models import Body, Membership, Person, QuorumRule
from netzwerk.meetings import agenda, attendance
from netzwerk.papers.models import Consultation, Paper
from netzwerk.voting import services as voting
from netzwerk.voting.meeting import open_meeting_poll

from .helpers import OFFICE, body, fresh, invite_and_open, meeting, paper_for_decision, user

# (rule, voting members, present) -> quorate; hand-computed.
QUORUM_CASES = [
    (QuorumRule.MORE_THAN_HALF, 8, 4, False),
    (QuorumRule.MORE_THAN_HALF, 8, 5, True),
    (QuorumRule.MORE_THAN_HALF, 7, 4, True),
    (QuorumRule.MORE_THAN_HALF, 7, 3, False),
    (QuorumRule.AT_LEAST_HALF, 8, 4, True),
    (QuorumRule.AT_LEAST_HALF, 8, 3, False),
    (QuorumRule.AT_LEAST_HALF, 7, 4, True),
    (QuorumRule.AT_LEAST_HALF, 7, 3, False),
    (QuorumRule.ONE_THIRD, 9, 3, True),
    (QuorumRule.ONE_THIRD, 9, 2, False),
    (QuorumRule.ONE_THIRD, 7, 3, True),
    (QuorumRule.ONE_THIRD, 7, 2, False),
    (QuorumRule.NONE, 5, 0, True),
    (QuorumRule.NONE, 5, 1, True),
]


def _body_with_members(rule: QuorumRule, members: int) -> Body:
    with write_transaction():
        new = Body(
            name=f"Testgremium {rule.value}",
            short_name=f"T{rule.value[:6]}",
            kind="board",
            quorum_rule=rule.value,
            notice_days=7,
            public=True,
        )
        db.session.add(new)
        db.session.flush()
        for i in range(members):
            person = Person(
                first_name=f"P{i}", last_name="Test", email=f"p{i}-{rule.value}@example.org"
            )
            db.session.add(person)
            db.session.flush()
            db.session.add(
                Membership(
                    person_id=person.id,
                    body_id=new.id,
                    role="member",
                    voting_right=True,
                    start_date=date(2020, 1, 1),
                )
            )
        db.session.add(
            Membership(
                person_id=user(OFFICE).person_id,
                body_id=new.id,
                role="office",
                voting_right=False,
                start_date=date(2020, 1, 1),
            )
        )
    return new


@pytest.mark.parametrize(("rule", "members", "present", "quorate"), QUORUM_CASES)
def test_quorum_is_computed_live(app_ctx, demo, rule, members, present, quorate):
    new = _body_with_members(rule, members)
    m = invite_and_open(meeting(new.short_name))
    seats = attendance.roster(m)
    voters = [line.membership.id for line in seats if line.membership.voting_right]
    statuses = {mid: ("present" if i < present else "excused") for i, mid in enumerate(voters)}
    attendance.set_attendance(user(OFFICE), m, statuses)
    status = attendance.quorum(fresh(m.id))
    assert (status.voting_members, status.present) == (members, present)
    assert status.quorate is quorate
    # Live: one present member leaves, the count follows at once.
    if present:
        attendance.arrive_or_leave(user(OFFICE), fresh(m.id), voters[0], arrive=False)
        assert attendance.quorum(fresh(m.id)).present == present - 1


def _bk_seats() -> tuple[Membership, Membership]:
    bk = body("BK")
    seat = db.session.scalar(
        select(Membership)
        .join(Person)
        .where(Membership.body_id == bk.id, Person.last_name == "Kovalenko")
    )
    deputy = db.session.scalar(select(Membership).where(Membership.deputy_of_id == seat.id))
    assert seat is not None and deputy is not None
    return seat, deputy


def test_deputy_votes_when_member_is_absent(app_ctx, demo):
    m = invite_and_open(meeting("BK", days=30))
    seat, deputy = _bk_seats()
    attendance.set_attendance(user(OFFICE), m, {seat.id: "excused", deputy.id: "present"})
    (row,) = [s for s in attendance.seats(fresh(m.id)) if s.membership_id == seat.id]
    assert row.voter_person_id == deputy.person_id and row.by_deputy
    assert attendance.quorum(fresh(m.id)).present == 1


def test_deputy_does_not_vote_when_member_is_present(app_ctx, demo):
    m = invite_and_open(meeting("BK", days=30))
    seat, deputy = _bk_seats()
    attendance.set_attendance(user(OFFICE), m, {seat.id: "present", deputy.id: "present"})
    seats = attendance.seats(fresh(m.id))
    (row,) = [s for s in seats if s.membership_id == seat.id]
    assert row.voter_person_id == seat.person_id and not row.by_deputy
    assert deputy.person_id not in {s.voter_person_id for s in seats}
    assert attendance.quorum(fresh(m.id)).present == 1


def test_deputy_gets_the_ballot_in_a_meeting_poll(app_ctx, demo):
    m = invite_and_open(meeting("BK", days=30))
    seat, deputy = _bk_seats()
    attendance.set_attendance(user(OFFICE), m, {seat.id: "absent", deputy.id: "present"})
    item = agenda.add_free_item(user(OFFICE), fresh(m.id), title="Resolution")
    poll = open_meeting_poll(user(OFFICE), fresh(m.id), item.id, title="Resolution")
    seats = voting.seats_of(poll.id, deputy.person_id)
    assert [s.membership_id for s in seats] == [seat.id]
    assert voting.seats_of(poll.id, seat.person_id) == []


def test_meeting_poll_decides_moves_paper_and_fills_consultation(app_ctx, demo):
    m = meeting("VK", days=20)
    paper = paper_for_decision()
    item = agenda.add_paper_item(user(OFFICE), m, paper.id)
    m = invite_and_open(fresh(m.id))
    vk = [line.membership for line in attendance.roster(m) if line.membership.voting_right]
    present = vk[:5]  # 5 of 8: quorate (more than half)
    attendance.set_attendance(
        user(OFFICE), m, {mm.id: "present" for mm in present} | {mm.id: "excused" for mm in vk[5:]}
    )
    poll = open_meeting_poll(
        user(OFFICE), fresh(m.id), item.id, title="Sprachförderung", kind="open"
    )
    assert poll.eligible_count == 5 and poll.present_at_opening == 5 and poll.voting_members == 8
    for mm in present[:3]:
        voting.cast_ballot(poll.id, mm.person_id, "yes")
    voting.cast_ballot(poll.id, present[3].person_id, "no")
    # An excused member has no vote.
    with pytest.raises(voting.NotEligible):
        voting.cast_ballot(poll.id, vk[6].person_id, "yes")
    closed = voting.close_poll(poll.id, user(OFFICE))
    assert closed.result == "passed" and closed.quorate and closed.present_at_closing == 5
    decision = db.session.scalar(select(Decision).where(Decision.poll_id == poll.id))
    assert decision.meeting_id == m.id and decision.agenda_item_id == item.id
    assert decision.number.startswith("VK/")
    assert db.session.get(Paper, paper.id).state == "beschlossen"
    consultation = db.session.scalar(select(Consultation).where(Consultation.paper_id == paper.id))
    assert consultation.result == "adopted"


def test_no_quorum_no_decision(app_ctx, demo):
    m = meeting("VK", days=20)
    paper = paper_for_decision()
    item = agenda.add_paper_item(user(OFFICE), m, paper.id)
    m = invite_and_open(fresh(m.id))
    vk = [line.membership for line in attendance.roster(m) if line.membership.voting_right]
    attendance.set_attendance(user(OFFICE), m, {mm.id: "present" for mm in vk[:4]})
    poll = open_meeting_poll(user(OFFICE), fresh(m.id), item.id, title="X")
    for mm in vk[:4]:
        voting.cast_ballot(poll.id, mm.person_id, "yes")
    closed = voting.close_poll(poll.id, user(OFFICE))
    assert closed.result == "not_quorate" and closed.present_at_closing == 4
    assert db.session.scalar(select(Decision.id)) is None
    assert db.session.get(Paper, paper.id).state == "zur_entscheidung"


def test_quorum_present_guard_provider(app_ctx, demo):
    from netzwerk.workflow import registry

    m = meeting("VK", days=20)
    paper = paper_for_decision()
    agenda.add_paper_item(user(OFFICE), m, paper.id)
    assert attendance.quorum_provider("paper", paper) is None  # no open meeting yet
    m = invite_and_open(fresh(m.id))
    assert attendance.quorum_provider("paper", paper) is False
    vk = [line.membership for line in attendance.roster(m) if line.membership.voting_right]
    attendance.set_attendance(user(OFFICE), m, {mm.id: "present" for mm in vk[:5]})
    assert registry.first_answer(registry.quorum_providers, "paper", paper) is True


def test_polls_only_in_an_opened_meeting(app_ctx, demo):
    m = meeting("VK", days=20)
    item = agenda.add_free_item(user(OFFICE), m, title="X")
    with pytest.raises(voting.VotingError):
        open_meeting_poll(user(OFFICE), fresh(m.id), item.id, title="X")


def test_attendance_form_and_arrivals(client_as, app):
    office = client_as("office")
    with app.app_context():
        m = invite_and_open(meeting("VK", days=20))
        first = [
            line.membership.id for line in attendance.roster(m) if line.membership.voting_right
        ][0]
        meeting_id = m.id
    response = office.post(
        f"/sitzungen/{meeting_id}/anwesenheit", data={f"status-{first}": "present"}
    )
    assert response.status_code == 302
    html = office.get(f"/sitzungen/{meeting_id}/anwesenheit").get_data(as_text=True)
    assert 'data-quorate="no"' in html
    office.post(f"/sitzungen/{meeting_id}/anwesenheit/{first}/geht")
    with app.app_context():
        row = [r for r in attendance.roster(fresh(meeting_id)) if r.membership.id == first][0]
        assert row.attendance.left_at is not None and not row.attendance.present_now
    office.post(f"/sitzungen/{meeting_id}/anwesenheit/{first}/kommt")
    with app.app_context():
        row = [r for r in attendance.roster(fresh(meeting_id)) if r.membership.id == first][0]
        assert row.attendance.present_now
    response = office.post(
        f"/sitzungen/{meeting_id}/anwesenheit",
        data={"guest-name": "Gast Eins", "guest-submit": "1"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert [g.name for g in attendance.guests(fresh(meeting_id))] == ["Gast Eins"]


def test_member_cannot_record_attendance(client_as, app):
    with app.app_context():
        m = invite_and_open(meeting("VK", days=20))
        meeting_id = m.id
    member = client_as("member")
    assert member.get(f"/sitzungen/{meeting_id}").status_code == 200
    assert member.get(f"/sitzungen/{meeting_id}/anwesenheit").status_code == 403
