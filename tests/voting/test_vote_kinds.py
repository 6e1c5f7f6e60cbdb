"""Every kind of vote in a meeting (issue #19, part B): show of hands,
mixed, the quorum stored at each opening, amendments before the main motion,
elections with run-off and lot; each rule at the service level."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from netzwerk.audit.models import AuditEvent
from netzwerk.database import write_transaction
from netzwerk.decisions.models import Decision
from netzwerk.extensions import db
from netzwerk.meetings import access, agenda, attendance
from netzwerk.voting import amendments, elections, hands, services
from netzwerk.voting.meeting import open_meeting_poll, vote_progress
from netzwerk.voting.models import HandCount, Poll, PollEligibility
from netzwerk.voting.rules import election_round

from .helpers import meeting_in_session, run_threads, user


def _actions(object_type: str, object_id: int) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
            .order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def vk(app_ctx: Any, demo: Any) -> Any:
    """A VK meeting in session (every voting member present) and a free item."""
    meeting = meeting_in_session("VK")
    item = agenda.add_free_item(user("office"), meeting, title="Lernorte")
    return access.get_meeting(meeting.id), item


def _round_voters(rnd: Any) -> list[int]:
    """The persons holding a seat in an election round."""
    return list(
        db.session.scalars(
            select(elections.ElectionSeat.person_id).where(
                elections.ElectionSeat.round_id == rnd.id
            )
        )
    )


def _open(vk: Any, **kwargs: Any) -> Poll:
    meeting, item = vk
    return open_meeting_poll(
        user("office"), access.get_meeting(meeting.id), item.id, title="Lernorte", **kwargs
    )


def _present(vk: Any) -> int:
    return attendance.quorum(access.get_meeting(vk[0].id)).present


# --- show of hands -------------------------------------------------------------------------


def test_show_of_hands_refuses_more_votes_than_present_and_counts_the_room(vk):
    poll = _open(vk, method="hands")
    present = _present(vk)
    assert present >= 3
    # Nobody can vote electronically in a show of hands.
    assert (
        db.session.scalar(select(PollEligibility).where(PollEligibility.poll_id == poll.id)) is None
    )
    with pytest.raises(services.VotingError) as refused:
        hands.enter_counts(user("office"), poll.id, yes=present, no=1, abstain=0)
    assert refused.value.field == "yes"
    assert f"nur {present} anwesende Mitglieder" in str(refused.value)
    assert hands.hand_count(poll.id) is None  # nothing stored
    hands.enter_counts(user("office"), poll.id, yes=present - 2, no=1, abstain=1)
    closed = services.close_poll(poll.id, user("office"))
    assert (closed.yes_count, closed.no_count, closed.abstain_count) == (present - 2, 1, 1)
    assert closed.participants == present and closed.result == "passed"
    assert closed.how_label == "durch Handzeichen"
    decision = db.session.scalar(select(Decision).where(Decision.poll_id == poll.id))
    assert decision is not None and decision.how_label == "durch Handzeichen"
    assert "poll.hand_count" in _actions("poll", poll.id)


def test_a_show_of_hands_needs_its_counts_and_cannot_be_secret(vk):
    with pytest.raises(services.VotingError) as refused:
        _open(vk, method="hands", kind="secret")
    assert refused.value.field == "kind"
    poll = _open(vk, method="hands")
    with pytest.raises(services.VotingError, match="Zahlen der Abstimmung per Handzeichen"):
        services.close_poll(poll.id, user("office"))
    assert db.session.get(Poll, poll.id).is_open


def test_counts_cannot_change_after_the_close(vk):
    poll = _open(vk, method="hands")
    hands.enter_counts(user("office"), poll.id, yes=2, no=0)
    services.close_poll(poll.id, user("office"))
    with pytest.raises(services.PollNotOpen):
        hands.enter_counts(user("office"), poll.id, yes=1, no=0)
    assert db.session.get(Poll, poll.id).yes_count == 2
    # The database refuses it too (triggers), whoever writes.
    with pytest.raises(DBAPIError, match="poll is not open"), write_transaction():
        db.session.execute(
            update(HandCount).where(HandCount.poll_id == poll.id).values(yes_count=9)
        )
    db.session.rollback()
    assert hands.hand_count(poll.id).yes_count == 2


def test_a_named_show_of_hands_names_every_hand_from_those_present(vk):
    poll = _open(vk, method="hands")
    seats = hands.present_seats(poll)
    a, b, c = seats[0].membership_id, seats[1].membership_id, seats[2].membership_id
    with pytest.raises(services.VotingError) as refused:
        hands.enter_counts(user("office"), poll.id, yes=2, no=1, names={"yes": [a], "no": [b]})
    assert refused.value.field == "names_yes"
    with pytest.raises(services.VotingError, match="mehr als einer Antwort"):
        hands.enter_counts(user("office"), poll.id, yes=2, no=1, names={"yes": [a, b], "no": [b]})
    hands.enter_counts(user("office"), poll.id, yes=2, no=1, names={"yes": [a, b], "no": [c]})
    services.close_poll(poll.id, user("office"))
    names = hands.hand_names([poll.id])[poll.id]
    assert sorted(names["yes"]) == sorted([seats[0].name, seats[1].name])
    assert names["no"] == [seats[2].name]


# --- mixed -----------------------------------------------------------------------------------


def _seat_persons(poll_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(PollEligibility.person_id)
            .where(PollEligibility.poll_id == poll_id)
            .order_by(PollEligibility.membership_id)
        )
    )


def test_mixed_counts_each_member_once(vk):
    poll = _open(vk, method="mixed")
    entitled = poll.eligible_count
    voters = _seat_persons(poll.id)
    services.cast_ballot(poll.id, voters[0], "yes")
    services.cast_ballot(poll.id, voters[1], "no")
    # Hands plus the two electronic ballots above the seats entitled: refused.
    with pytest.raises(services.VotingError) as refused:
        hands.enter_counts(user("office"), poll.id, yes=entitled - 1, no=0)
    assert refused.value.field == "yes"
    assert "nicht zusätzlich per Handzeichen" in str(refused.value)
    # Naming a member who voted electronically: refused.
    electronic_seat = next(s for s in hands.present_seats(poll) if s.voted_electronically)
    with pytest.raises(services.VotingError, match="hat elektronisch abgestimmt"):
        hands.enter_counts(
            user("office"), poll.id, yes=1, no=0, names={"yes": [electronic_seat.membership_id]}
        )
    hands.enter_counts(user("office"), poll.id, yes=entitled - 3, no=1)
    progress = vote_progress(db.session.get(Poll, poll.id))
    assert (progress.voted, progress.eligible, progress.counted_by_hand) == (
        entitled,
        entitled,
        entitled - 2,
    )
    closed = services.close_poll(poll.id, user("office"))
    assert (closed.yes_count, closed.no_count) == (entitled - 3 + 1, 2)
    assert closed.participants == entitled
    assert closed.how_label == "gemischt (Handzeichen und elektronisch)"


def test_mixed_close_refuses_when_a_ballot_came_after_the_count(vk):
    poll = _open(vk, method="mixed")
    entitled = poll.eligible_count
    voters = _seat_persons(poll.id)
    hands.enter_counts(user("office"), poll.id, yes=entitled, no=0)
    services.cast_ballot(poll.id, voters[0], "no")  # the room counted this member too
    with pytest.raises(services.VotingError, match="mehr als die"):
        services.close_poll(poll.id, user("office"))
    assert db.session.get(Poll, poll.id).is_open
    hands.enter_counts(user("office"), poll.id, yes=entitled - 1, no=0)
    assert services.close_poll(poll.id, user("office")).participants == entitled


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    yes=st.integers(min_value=-3, max_value=30),
    no=st.integers(min_value=0, max_value=30),
    abstain=st.integers(min_value=0, max_value=30),
)
def test_counts_are_stored_exactly_when_they_can_be_true(vk, yes, no, abstain):
    meeting, item = vk
    poll = db.session.scalar(select(Poll).where(Poll.method == "hands", Poll.state == "open"))
    if poll is None:
        poll = _open(vk, method="hands")
    present = _present(vk)
    possible = yes >= 0 and yes + no + abstain <= present
    try:
        hands.enter_counts(user("office"), poll.id, yes=yes, no=no, abstain=abstain)
    except services.VotingError as exc:
        assert not possible
        assert exc.field == "yes"
    else:
        assert possible
        row = hands.hand_count(poll.id)
        assert (row.yes_count, row.no_count, row.abstain_count) == (yes, no, abstain)


# --- the quorum at each opening ------------------------------------------------------------


def test_the_quorum_is_recomputed_and_stored_at_each_opening(vk):
    meeting, item = vk
    first = _open(vk, method="hands")
    assert first.present_at_opening == _present(vk) and first.quorate_at_opening is True
    hands.enter_counts(user("office"), first.id, yes=1, no=0)
    services.close_poll(first.id, user("office"))
    # Most members leave; the next vote stores the smaller room.
    roster = [s.membership_id for s in attendance.seats(access.get_meeting(meeting.id))]
    for membership_id in roster[1:]:
        attendance.arrive_or_leave(
            user("office"), access.get_meeting(meeting.id), membership_id, arrive=False
        )
    second = _open(vk, method="hands")
    assert second.present_at_opening == 1 and second.quorate_at_opening is False
    opened = db.session.scalar(
        select(AuditEvent.data).where(
            AuditEvent.action == "poll.opened", AuditEvent.object_id == second.id
        )
    )
    assert json.loads(opened)["quorate"] is False
    assert db.session.get(Poll, first.id).present_at_opening > 1


# --- amendments ------------------------------------------------------------------------------


def test_amendments_are_voted_first_and_the_adopted_text_becomes_the_decision(vk):
    meeting, item = vk
    office = user("office")
    amendment = amendments.create_amendment(
        office, meeting, item.id, text="Fünf Lernorte statt drei.", proposer="Frau Aydın"
    )
    with pytest.raises(services.VotingError, match="Zuerst wird über die Änderungsanträge"):
        _open(vk, question="Drei Lernorte.")
    vote = amendments.open_amendment_vote(
        office, access.get_meeting(meeting.id), amendment.id, method="hands"
    )
    hands.enter_counts(office, vote.id, yes=3, no=1)
    services.close_poll(vote.id, office)
    assert amendments.get_amendment(amendment.id).is_adopted
    # An amendment vote is no decision of its own.
    assert db.session.scalar(select(Decision).where(Decision.poll_id == vote.id)) is None
    main = _open(vk, question="Drei Lernorte.", method="hands")
    assert main.question == "Fünf Lernorte statt drei."
    hands.enter_counts(office, main.id, yes=3, no=0)
    services.close_poll(main.id, office)
    decision = db.session.scalar(select(Decision).where(Decision.poll_id == main.id))
    assert decision is not None and decision.text == "Fünf Lernorte statt drei."
    assert _actions("amendment", amendment.id) == ["amendment.created", "amendment.decided"]
    with pytest.raises(services.VotingError, match="Hauptantrag"):
        amendments.create_amendment(office, meeting, item.id, text="Zu spät.")


def test_a_rejected_amendment_leaves_the_proposed_resolution(vk):
    meeting, item = vk
    office = user("office")
    amendment = amendments.create_amendment(office, meeting, item.id, text="Keine Lernorte.")
    vote = amendments.open_amendment_vote(office, meeting, amendment.id, method="hands")
    hands.enter_counts(office, vote.id, yes=0, no=3)
    services.close_poll(vote.id, office)
    assert amendments.get_amendment(amendment.id).state == "rejected"
    main = _open(vk, question="Drei Lernorte.")
    assert main.question == "Drei Lernorte."


# --- elections -------------------------------------------------------------------------------


def _first(tied: list[int], k: int) -> list[int]:
    return sorted(tied)[:k]


def test_election_rules_absolute_majority_runoff_and_lot():
    # One seat: 4 of 9 ballots is no absolute majority -> run-off of the two leading.
    out = election_round("absolute_runoff", {1: 4, 2: 3, 3: 2}, 9, 1, runoff=False, draw=_first)
    assert out.elected == [] and out.runoff == [1, 2]
    # 5 of 9 is.
    out = election_round("absolute_runoff", {1: 5, 2: 3, 3: 1}, 9, 1, runoff=False, draw=_first)
    assert out.elected == [1] and out.runoff == []
    # Two seats: one elected, the run-off for the other between the next two.
    out = election_round(
        "absolute_runoff", {1: 6, 2: 3, 3: 3, 4: 1}, 9, 2, runoff=False, draw=_first
    )
    assert out.elected == [1] and out.runoff == [2, 3]
    # Who enters the run-off on a tie: the lot.
    out = election_round("absolute_runoff", {1: 4, 2: 2, 3: 2}, 9, 1, runoff=False, draw=_first)
    assert out.runoff == [1, 2] and out.lots == [([2, 3], [2])]
    # The run-off: most votes, a tie by lot.
    out = election_round("absolute_runoff", {2: 4, 3: 4}, 8, 1, runoff=True, draw=_first)
    assert out.elected == [2] and out.lots == [([2, 3], [2])]
    # Relative: the most votes at once; nobody without a vote.
    out = election_round("relative", {1: 3, 2: 0}, 3, 2, runoff=False, draw=_first)
    assert out.elected == [1]


def test_an_election_of_two_with_a_runoff_is_secret_and_in_the_register(vk):
    meeting, item = vk
    chair = user("chair")
    election = elections.create_election(
        chair,
        access.get_meeting(meeting.id),
        item.id,
        title="Wahl der Sprecher",
        seats=2,
        names=["Anna Alt", "Bernd Berg", "Carla Cramer"],
    )
    ids = [c.id for c in election.candidates]
    rnd = elections.current_round(election)
    voters = _round_voters(rnd)
    assert rnd.quorate_at_opening and len(voters) >= 5
    # Anna gets everyone's vote; Bernd and Carla split the second.
    for i, person in enumerate(voters):
        elections.cast_election_ballot(election.id, person, [ids[0], ids[1 + i % 2]])
    with pytest.raises(services.AlreadyVoted):
        elections.cast_election_ballot(election.id, voters[0], [ids[0]])
    with pytest.raises(services.VotingError):
        elections.cast_election_ballot(election.id, voters[0], ids)  # three for two seats
    # While the round is open, only sealed choices exist.
    assert db.session.scalar(select(db.func.count()).select_from(elections.ElectionBallot)) == 0
    elections.close_round(chair, election.id)
    db.session.expire_all()
    election = elections.get_election(election.id)
    assert [c.name for c in election.elected] == ["Anna Alt"]
    runoff = elections.current_round(election)
    assert runoff is not None and runoff.runoff and sorted(runoff.standing) == sorted(ids[1:])
    for person in voters[:3]:
        elections.cast_election_ballot(election.id, person, [ids[2]])
    elections.close_round(chair, election.id)
    db.session.expire_all()
    election = elections.get_election(election.id)
    assert not election.is_open
    assert [c.name for c in election.elected] == ["Anna Alt", "Carla Cramer"]
    decision = db.session.scalar(select(Decision).where(Decision.election_id == election.id))
    assert decision is not None and decision.text.endswith(": Anna Alt, Carla Cramer")
    actions = _actions("election", election.id)
    assert actions.count("election.round_closed") == 2 and "election.closed" in actions
    # The audit trail knows who took part, never for whom.
    for data in db.session.scalars(
        select(AuditEvent.data).where(AuditEvent.action == "election.ballot_cast")
    ):
        assert set(json.loads(data)) == {"round", "membership_id", "secret"}


def test_the_cockpit_and_the_projector_follow_an_election(vk, app, client_as):
    from netzwerk.meetings import cockpit, projector

    meeting, item = vk
    chair = user("chair")
    cockpit.call_item(chair, access.get_meeting(meeting.id), item.id)
    election = elections.create_election(
        chair,
        access.get_meeting(meeting.id),
        item.id,
        title="Wahl der Sprecherin",
        seats=1,
        names=["Anna Alt", "Bernd Berg"],
    )
    rnd = elections.current_round(election)
    voters = _round_voters(rnd)
    anna = election.candidates[0].id
    for person in voters[:2]:
        elections.cast_election_ballot(election.id, person, [anna])
    with app.test_request_context("/"):
        state = projector.live_state(access.get_meeting(meeting.id))
        polls = cockpit.cockpit(access.get_meeting(meeting.id)).polls
    assert state.vote is not None and state.vote.kind == "election" and state.vote.is_open
    assert (state.vote.voted, state.vote.eligible) == (2, rnd.eligible_count)
    [shown] = [p for p in polls if p.kind == "election"]
    assert shown.close_url == f"/wahlen/{election.id}/runde-schliessen"
    page = client_as("chair").get(f"/sitzungen/{meeting.id}/cockpit").get_data(as_text=True)
    assert f'data-election="{election.id}"' in page and "2 von" in page
    assert f'action="/wahlen/{election.id}/runde-schliessen"' in page
    for person in voters[2:]:
        elections.cast_election_ballot(election.id, person, [anna])
    elections.close_round(chair, election.id)
    db.session.expire_all()
    with app.test_request_context("/"):
        state = projector.live_state(access.get_meeting(meeting.id))
        html = app.jinja_env.get_template("meetings/_projector_live.html").render(state=state)
    assert not state.vote.is_open and state.vote.result_label == "Gewählt: Anna Alt"
    assert "Wahl: Wahl der Sprecherin" in html and "Gewählt: Anna Alt" in html
    assert "None" not in html


def test_a_tie_in_the_runoff_is_decided_by_lot_and_audited(vk):
    meeting, item = vk
    chair = user("chair")
    election = elections.create_election(
        chair, meeting, item.id, title="Vorsitz AG", seats=1, names=["Anna Alt", "Bernd Berg"]
    )
    a, b = (c.id for c in election.candidates)
    rnd = elections.current_round(election)
    voters = _round_voters(rnd)
    elections.cast_election_ballot(election.id, voters[0], [a])
    elections.cast_election_ballot(election.id, voters[1], [b])
    elections.close_round(chair, election.id)  # 1:1 of 2 ballots: no absolute majority
    db.session.expire_all()
    election = elections.get_election(election.id)
    elections.cast_election_ballot(election.id, voters[0], [a])
    elections.cast_election_ballot(election.id, voters[1], [b])
    elections.close_round(chair, election.id)
    db.session.expire_all()
    election = elections.get_election(election.id)
    (winner,) = election.elected
    assert winner.by_lot and winner.id in (a, b)
    lot = db.session.scalar(
        select(AuditEvent.data).where(
            AuditEvent.action == "election.lot", AuditEvent.object_id == election.id
        )
    )
    assert json.loads(lot)["drawn"] == [winner.id]


@pytest.mark.postgres
def test_concurrent_count_entries_and_close_count_once(app, demo):
    """Two minute-takers enter counts while the chair closes: the close
    counts exactly one complete entry (or refuses, never a mixture), and an
    entry after the close is refused."""
    with app.app_context():
        meeting = meeting_in_session("VK")
        item = agenda.add_free_item(user("office"), meeting, title="Lernorte")
        poll = open_meeting_poll(
            user("office"), access.get_meeting(meeting.id), item.id, title="X", method="hands"
        )
        poll_id = poll.id
        hands.enter_counts(user("office"), poll_id, yes=1, no=1, abstain=1)
        db.session.remove()
    entries = [(2, 1, 0), (1, 2, 0), (3, 0, 1)]

    def work(i: int) -> Any:
        if i == len(entries):
            try:
                return services.close_poll(poll_id, user("chair")).id
            except services.VotingError as exc:
                return exc
        yes, no, abstain = entries[i]
        try:
            hands.enter_counts(user("office"), poll_id, yes=yes, no=no, abstain=abstain)
        except services.PollNotOpen as exc:
            return exc
        return entries[i]

    results, errors = run_threads(app, len(entries) + 1, work)
    assert not errors, errors
    with app.app_context():
        closed = db.session.get(Poll, poll_id)
        assert closed.is_closed
        counted = (closed.yes_count, closed.no_count, closed.abstain_count)
        assert counted in [*entries, (1, 1, 1)]
        # The counts audited last before the close are the ones counted.
        events = [
            (a, json.loads(d or "{}"))
            for a, d in db.session.execute(
                select(AuditEvent.action, AuditEvent.data)
                .where(AuditEvent.object_type == "poll", AuditEvent.object_id == poll_id)
                .order_by(AuditEvent.id)
            )
        ]
        last_count = [d for a, d in events if a == "poll.hand_count"][-1]
        assert (last_count["yes"], last_count["no"], last_count["abstain"]) == counted
        assert [a for a, _d in events].count("poll.closed") == 1
        refused = [r for r in results if isinstance(r, services.PollNotOpen)]
        stored = [r for r in results if isinstance(r, tuple)]
        assert len(refused) + len(stored) == len(entries)
        with pytest.raises(services.PollNotOpen):
            hands.enter_counts(user("office"), poll_id, yes=0, no=0)
