"""Polls: lifecycle, one ballot per seat, secrecy, immutability after close."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from meetings.helpers import berlin
from sqlalchemy import inspect, select, text, update
from sqlalchemy.exc import DBAPIError

from netzwerk.audit.models import AuditEvent
from netzwerk.database import utcnow, write_transaction
from netzwerk.extensions import db
from netzwerk.voting import services
from netzwerk.voting.models import Ballot, Poll, PollParticipation, SecretBallot

from .helpers import make_body, run_threads, seat_persons, start_poll


def test_circular_poll_opens_with_all_voting_members(app_ctx):
    b = make_body("T1", 5)
    poll = start_poll(b.id)
    assert poll.state == "open"
    assert poll.eligible_count == 5
    assert poll.voting_members == 5
    assert poll.quorum_required == 3  # more than half of 5
    assert poll.majority_rule == "simple"


def test_majority_override_is_recorded(app_ctx):
    b = make_body("T2", 3)
    poll = start_poll(b.id, majority_rule="two_thirds")
    assert poll.majority_rule == "two_thirds"
    assert poll.majority_overridden


def test_vote_count_and_result_only_at_close(app_ctx):
    b = make_body("T3", 5)
    poll = start_poll(b.id)
    people = seat_persons(b.id)
    for person, value in zip(people, ["yes", "yes", "no", "abstain"], strict=False):
        services.cast_ballot(poll.id, person, value)
    poll = services.get_poll(poll.id)
    assert services.progress(poll).voted == 4
    assert poll.result is None and poll.yes_count is None
    closed = services.close_poll(poll.id, by_scheduler=True)
    assert (closed.yes_count, closed.no_count, closed.abstain_count) == (2, 1, 1)
    assert closed.participants == 4
    assert closed.quorate
    assert closed.result == "passed"


def test_not_quorate_when_too_few_take_part(app_ctx):
    b = make_body("T4", 5)
    poll = start_poll(b.id)
    people = seat_persons(b.id)
    services.cast_ballot(poll.id, people[0], "yes")
    services.cast_ballot(poll.id, people[1], "yes")
    closed = services.close_poll(poll.id, by_scheduler=True)
    assert closed.result == "not_quorate"
    assert closed.quorate is False


def test_second_ballot_is_refused(app_ctx):
    b = make_body("T5", 3)
    poll = start_poll(b.id)
    person = seat_persons(b.id)[0]
    services.cast_ballot(poll.id, person, "yes")
    with pytest.raises(services.AlreadyVoted):
        services.cast_ballot(poll.id, person, "no")
    assert db.session.scalar(select(Ballot.value).where(Ballot.poll_id == poll.id)) == "yes"


def test_non_member_cannot_vote(app_ctx):
    b = make_body("T6", 3)
    other = make_body("T6X", 1)
    poll = start_poll(b.id)
    with pytest.raises(services.NotEligible):
        services.cast_ballot(poll.id, seat_persons(other.id)[0], "yes")


@pytest.mark.calendar
def test_member_who_left_after_opening_cannot_vote(app_ctx, clock):
    """Seats are fixed when the poll opens, but casting one needs a membership
    in the body on the day of the ballot – the day in Berlin: a membership
    that ends today is over at 00:30 tomorrow, while UTC is still on today."""
    from netzwerk.governance.models import Membership
    from netzwerk.timeutil import local_today

    b = make_body("T6L", 3)
    poll = start_poll(b.id)
    leaving, staying = seat_persons(b.id)[:2]
    today = local_today()
    with write_transaction():
        db.session.execute(
            update(Membership)
            .where(Membership.person_id == leaving, Membership.body_id == b.id)
            .values(end_date=today)
        )
    assert services.has_current_seat(leaving, b.id)  # the last day of the seat
    clock.move_to(berlin(today + timedelta(days=1), 0, 30))
    assert utcnow().date() == today
    assert not services.has_current_seat(leaving, b.id)
    with pytest.raises(services.NotEligible):
        services.cast_ballot(poll.id, leaving, "yes")
    services.cast_ballot(poll.id, staying, "yes")
    assert services.vote_count(poll) == 1


def test_abstain_not_allowed_in_yes_no_poll(app_ctx):
    b = make_body("T7", 3)
    poll = start_poll(b.id, options="yes_no")
    with pytest.raises(services.VotingError) as info:
        services.cast_ballot(poll.id, seat_persons(b.id)[0], "abstain")
    assert info.value.field == "value"
    assert services.vote_count(poll) == 0


def test_vote_after_deadline_is_refused(app_ctx, clock):
    b = make_body("T8", 3)
    poll = start_poll(b.id, hours=2)
    clock.shift(timedelta(hours=3))
    with pytest.raises(services.PollNotOpen):
        services.cast_ballot(poll.id, seat_persons(b.id)[0], "yes")


def test_early_close_only_when_everyone_voted(app_ctx):
    b = make_body("T9", 2)
    poll = start_poll(b.id)
    people = seat_persons(b.id)
    services.cast_ballot(poll.id, people[0], "yes")
    with pytest.raises(services.VotingError):
        services.close_poll(poll.id)
    services.cast_ballot(poll.id, people[1], "yes")
    assert services.close_poll(poll.id).result == "passed"


def test_ballot_and_close_write_audit_events(app_ctx):
    b = make_body("TA", 3)
    poll = start_poll(b.id)
    services.cast_ballot(poll.id, seat_persons(b.id)[0], "no")
    services.close_poll(poll.id, by_scheduler=True)
    actions = list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "poll", AuditEvent.object_id == poll.id)
            .order_by(AuditEvent.id)
        )
    )
    assert actions == ["poll.created", "poll.opened", "poll.ballot_cast", "poll.closed"]


# --- result never editable after close --------------------------------------


def test_closed_poll_cannot_be_closed_again(app_ctx):
    b = make_body("TB", 1)
    poll = start_poll(b.id)
    services.cast_ballot(poll.id, seat_persons(b.id)[0], "yes")
    services.close_poll(poll.id)
    with pytest.raises(services.PollNotOpen):
        services.close_poll(poll.id, by_scheduler=True)


def test_database_refuses_changing_a_closed_result(app_ctx):
    b = make_body("TC", 1)
    poll = start_poll(b.id)
    services.cast_ballot(poll.id, seat_persons(b.id)[0], "yes")
    services.close_poll(poll.id)
    with pytest.raises(DBAPIError), write_transaction():
        db.session.execute(update(Poll).where(Poll.id == poll.id).values(yes_count=99))
    with pytest.raises(DBAPIError), write_transaction():
        db.session.execute(update(Poll).where(Poll.id == poll.id).values(result="failed"))
    db.session.expire_all()
    stored = db.session.get(Poll, poll.id)
    assert (stored.yes_count, stored.result) == (1, "passed")


def test_database_refuses_ballots_in_a_closed_poll(app_ctx):
    b = make_body("TD", 2)
    poll = start_poll(b.id)
    people = seat_persons(b.id)
    services.close_poll(poll.id, by_scheduler=True)
    membership_id = (
        db.session.execute(
            text("SELECT membership_id FROM poll_eligibility WHERE poll_id = :p"), {"p": poll.id}
        )
        .scalars()
        .first()
    )
    with pytest.raises(DBAPIError), write_transaction():
        db.session.add(
            Ballot(
                poll_id=poll.id,
                voter_membership_id=membership_id,
                cast_by_person_id=people[0],
                value="yes",
            )
        )
    with pytest.raises(services.PollNotOpen):
        services.cast_ballot(poll.id, people[0], "yes")


# --- secret polls ---------------------------------------------------------------


def test_secret_poll_keeps_participation_apart_from_values(app_ctx):
    b = make_body("TS", 4)
    poll = start_poll(b.id, kind="secret")
    people = seat_persons(b.id)
    for person, value in zip(people, ["yes", "no", "yes", "abstain"], strict=True):
        services.cast_ballot(poll.id, person, value)
    closed = services.close_poll(poll.id)
    assert (closed.yes_count, closed.no_count, closed.abstain_count) == (2, 1, 1)
    # No named ballot at all; participation without values; anonymous values.
    assert db.session.scalar(select(db.func.count()).select_from(Ballot)) == 0
    assert db.session.scalar(select(db.func.count()).select_from(PollParticipation)) == 4
    assert db.session.scalar(select(db.func.count()).select_from(SecretBallot)) == 4

    insp = inspect(db.engine)
    person_columns = {
        "person_id",
        "voter_membership_id",
        "cast_by_person_id",
        "membership_id",
        "actor_id",
        "user_id",
        "created_at",
        "cast_at",
    }
    secret_cols = {c["name"] for c in insp.get_columns("secret_ballot")}
    assert secret_cols == {"id", "poll_id", "value"}
    assert not secret_cols & person_columns
    fks = insp.get_foreign_keys("secret_ballot")
    assert [fk["referred_table"] for fk in fks] == ["poll"]
    # The participation table carries no value.
    assert "value" not in {c["name"] for c in insp.get_columns("poll_participation")}
    # No table has both a voter column and a ballot value column, except the
    # named ballots of open polls (empty here) and the names of a named show
    # of hands (a show of hands is never secret: the poll's check constraint).
    for table in insp.get_table_names():
        cols = {c["name"] for c in insp.get_columns(table)}
        if "value" in cols and cols & {"voter_membership_id", "cast_by_person_id", "person_id"}:
            assert table in {"ballot", "poll_hand_vote"}, table
    # Ids are random UUIDs, not a sequence.
    ids = list(db.session.scalars(select(SecretBallot.id)))
    assert all(len(i) == 36 and i.count("-") == 4 for i in ids)
    # The audit trail records participation, never the value.
    for raw in db.session.scalars(
        select(AuditEvent.data).where(AuditEvent.action == "poll.ballot_cast")
    ):
        assert "value" not in json.loads(raw)
    # The stored data contain no value next to a person.
    rows = db.session.execute(text("SELECT * FROM poll_participation")).mappings().all()
    assert all(set(r.keys()).isdisjoint({"value"}) for r in rows)


def test_secret_ballot_table_has_no_rowid_on_sqlite(app_ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    sql = db.session.execute(
        text("SELECT sql FROM sqlite_master WHERE name = 'secret_ballot'")
    ).scalar()
    assert "WITHOUT ROWID" in sql.upper()


# --- concurrency ------------------------------------------------------------------


def test_fifty_concurrent_attempts_leave_one_ballot(app, app_ctx):
    b = make_body("TX", 3)
    poll = start_poll(b.id)
    person = seat_persons(b.id)[0]
    poll_id = poll.id
    db.session.remove()

    def attempt(i: int) -> str:
        try:
            services.cast_ballot(poll_id, person, "yes" if i % 2 else "no")
        except services.AlreadyVoted:
            return "refused"
        return "ok"

    results, errors = run_threads(app, 50, attempt)
    assert errors == []
    assert results.count("ok") == 1
    assert results.count("refused") == 49
    assert (
        db.session.scalar(
            select(db.func.count()).select_from(Ballot).where(Ballot.poll_id == poll_id)
        )
        == 1
    )


@pytest.mark.parametrize("kind", ["open", "secret"])
def test_hundred_members_voting_at_once(app, app_ctx, kind):
    b = make_body("TH" + kind[0].upper(), 100)
    poll = start_poll(b.id, kind=kind)
    people = seat_persons(b.id)
    poll_id = poll.id
    db.session.remove()
    values = ["yes"] * 55 + ["no"] * 35 + ["abstain"] * 10

    def vote(i: int) -> int:
        return services.cast_ballot(poll_id, people[i], values[i])

    results, errors = run_threads(app, 100, vote)
    assert errors == []
    assert len(set(results)) == 100
    closed = services.close_poll(poll_id)
    assert (closed.yes_count, closed.no_count, closed.abstain_count) == (55, 35, 10)
    assert closed.participants == 100
    assert closed.result == "passed"
    assert services.vote_count(closed) == 100
