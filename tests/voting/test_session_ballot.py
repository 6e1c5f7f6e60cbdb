"""The ballot that checks the login itself (cast_session_ballot) and the
ordinary way the vote view falls back to for everything else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from netzwerk.audit.models import AuditEvent
from netzwerk.audit.services import verify_chain
from netzwerk.auth.models import AuthSession, User
from netzwerk.auth.services import SESSION_USER_ID_KEY, start_session
from netzwerk.database import utcnow, write_transaction
from netzwerk.extensions import db
from netzwerk.governance.models import Body, Membership
from netzwerk.voting import services
from netzwerk.voting.models import (
    Ballot,
    PollEligibility,
    PollKind,
    PollOptions,
    PollParticipation,
    SealedBallot,
)

from .helpers import (
    body,
    count_ballot_statements,
    make_body,
    run_threads,
    seat_persons,
    start_poll,
    user,
)


def _vk_poll(app, **kwargs) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        poll_id = start_poll(body("VK").id, title="Lernorte", **kwargs).id
        db.session.remove()
        return int(poll_id)


def _post(client, poll_id: int, value: str = "yes"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/abstimmungen/{poll_id}/abstimmen",
        data={f"poll{poll_id}-value": value, f"poll{poll_id}-seat": ""},
    )


def _ballots(app, poll_id: int) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = db.session.execute(
            select(Ballot.cast_by_person_id, Ballot.value).where(Ballot.poll_id == poll_id)
        ).all()
        db.session.remove()
        return [tuple(r) for r in rows]


def _member(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        member = user("member")
        ids = member.id, member.person_id
        db.session.remove()
        return ids


# --- through the view -----------------------------------------------------------


def test_a_login_leaves_the_user_id_in_the_session(app, client_as):
    client = client_as("member")
    user_id, _person = _member(app)
    with client.session_transaction() as session:
        assert session[SESSION_USER_ID_KEY] == user_id


@pytest.mark.parametrize("how", ["revoked", "expired", "deactivated"])
def test_no_ballot_without_a_live_login(app, client_as, how):
    client = client_as("member")
    poll_id = _vk_poll(app)
    user_id, _person = _member(app)
    with app.app_context(), write_transaction():
        if how == "deactivated":
            db.session.execute(update(User).where(User.id == user_id).values(active=False))
        else:
            values = (
                {"revoked_at": utcnow()}
                if how == "revoked"
                else {"expires_at": utcnow() - timedelta(seconds=1)}
            )
            db.session.execute(
                update(AuthSession).where(AuthSession.user_id == user_id).values(**values)
            )
    response = _post(client, poll_id)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert _ballots(app, poll_id) == []
    with app.app_context():
        assert (
            db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "poll.ballot_cast"))
            is None
        )


def test_a_session_claiming_another_user_votes_only_as_its_own_login(app, client_as):
    """The user id in the cookie must belong to the session's login; if not,
    the ordinary login check decides (defence in depth: the cookie is signed)."""
    client = client_as("member")
    poll_id = _vk_poll(app)
    _user_id, person_id = _member(app)
    with app.app_context():
        chair_id = user("chair").id
        db.session.remove()
    with client.session_transaction() as session:
        session[SESSION_USER_ID_KEY] = chair_id
    assert _post(client, poll_id).status_code == 302
    assert _ballots(app, poll_id) == [(person_id, "yes")]


@pytest.mark.parametrize("change", ["older session without user id", "other browser"])
def test_unusual_sessions_still_vote_the_ordinary_way(app, client_as, change):
    client = client_as("member")
    poll_id = _vk_poll(app)
    _user_id, person_id = _member(app)
    if change == "older session without user id":
        with client.session_transaction() as session:
            session.pop(SESSION_USER_ID_KEY)
        response = _post(client, poll_id)
    else:
        response = client.post(
            f"/abstimmungen/{poll_id}/abstimmen",
            data={f"poll{poll_id}-value": "no", f"poll{poll_id}-seat": ""},
            headers={"User-Agent": "another browser/1.0"},
        )
    assert response.status_code == 302 and "abgestimmt=1" in response.headers["Location"]
    assert len(_ballots(app, poll_id)) == 1
    assert _ballots(app, poll_id)[0][0] == person_id


def test_secret_poll_is_cast_the_fast_way_too(app, client_as):
    client = client_as("member")
    poll_id = _vk_poll(app, kind=PollKind.SECRET.value)
    page = client.get(f"/abstimmungen/{poll_id}").get_data(as_text=True)
    assert f'name="poll{poll_id}-secret" type="hidden" value="1"' in page
    response = client.post(
        f"/abstimmungen/{poll_id}/abstimmen",
        data={
            f"poll{poll_id}-value": "yes",
            f"poll{poll_id}-seat": "",
            f"poll{poll_id}-secret": "1",
        },
    )
    assert response.status_code == 302 and "abgestimmt=1" in response.headers["Location"]
    with app.app_context():
        poll = services.get_poll(poll_id)
        assert services.progress(poll).voted == 1
        sealed = db.session.scalar(
            select(func.count()).select_from(SealedBallot).where(SealedBallot.poll_id == poll_id)
        )
        assert sealed == 1
        db.session.remove()
    assert _ballots(app, poll_id) == []  # no named ballot for a secret poll
    again = _post(client, poll_id, "no")
    assert again.status_code == 302 and "abgestimmt" not in again.headers["Location"]
    assert "bereits abgestimmt" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_second_ballot_by_the_fast_way_is_refused_politely(app, client_as):
    client = client_as("member")
    poll_id = _vk_poll(app)
    assert _post(client, poll_id, "yes").status_code == 302
    again = _post(client, poll_id, "no")
    assert again.status_code == 302 and "abgestimmt" not in again.headers["Location"]
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "bereits abgestimmt" in page
    assert [v for _p, v in _ballots(app, poll_id)] == ["yes"]


# --- the service ------------------------------------------------------------------


@pytest.fixture
def member_login(app_ctx, demo):  # type: ignore[no-untyped-def]
    member = user("member")
    token = start_session(member)
    return token, member.id, member.person_id


def test_session_ballot_and_its_audit_link(app_ctx, member_login):
    token, user_id, person_id = member_login
    poll_id = start_poll(body("VK").id).id
    db.session.commit()
    with count_ballot_statements(app_ctx) as counter:
        seat = services.cast_session_ballot(poll_id, token, user_id, "abstain")
    assert seat is not None
    # ballot (login and every rule checked in its select) + audit link: one
    # statement on PostgreSQL, two on SQLite
    assert counter.count == (2 if db.engine.dialect.name == "sqlite" else 1), counter.statements
    ballot = db.session.execute(select(Ballot).where(Ballot.poll_id == poll_id)).scalar_one()
    assert (ballot.cast_by_person_id, ballot.value, ballot.voter_membership_id) == (
        person_id,
        "abstain",
        seat,
    )
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "poll.ballot_cast")
        .order_by(AuditEvent.id.desc())
    )
    assert event.actor_id == user_id and event.object_id == poll_id
    assert verify_chain() is None


def test_session_ballot_in_a_secret_poll_is_sealed_with_its_audit_link(app_ctx, member_login):
    token, user_id, person_id = member_login
    poll_id = start_poll(body("VK").id, kind=PollKind.SECRET.value).id
    db.session.commit()
    with count_ballot_statements(app_ctx) as counter:
        seat = services.cast_session_ballot(poll_id, token, user_id, "no")
    assert seat is not None
    # the named try, then participation + sealed ballot + audit link: two
    # statements on PostgreSQL, four on SQLite
    assert counter.count == (4 if db.engine.dialect.name == "sqlite" else 2), counter.statements
    assert db.session.execute(
        select(PollParticipation.voter_membership_id, PollParticipation.cast_by_person_id).where(
            PollParticipation.poll_id == poll_id
        )
    ).all() == [(seat, person_id)]
    assert db.session.scalar(select(Ballot.id).where(Ballot.poll_id == poll_id)) is None
    sealed = db.session.scalars(select(SealedBallot).where(SealedBallot.poll_id == poll_id)).all()
    assert len(sealed) == 1 and b"no" not in bytes(sealed[0].sealed)
    event = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "poll.ballot_cast")
        .order_by(AuditEvent.id.desc())
    )
    assert event.actor_id == user_id and "no" not in event.data
    assert verify_chain() is None
    with pytest.raises(services.AlreadyVoted):
        services.cast_session_ballot(poll_id, token, user_id, "yes", secret_hint=True)
    assert len(db.session.scalars(select(SealedBallot.id)).all()) == 1
    closed = services.close_poll(poll_id, by_scheduler=True)
    assert (closed.yes_count, closed.no_count, closed.abstain_count) == (0, 1, 0)

    # The vote form of a secret poll says so: the secret statement comes first.
    other = start_poll(body("VK").id, kind=PollKind.SECRET.value).id
    db.session.commit()
    with count_ballot_statements(app_ctx) as counter:
        assert services.cast_session_ballot(other, token, user_id, "yes", secret_hint=True)
    assert counter.count == (3 if db.engine.dialect.name == "sqlite" else 1), counter.statements


@pytest.mark.parametrize(
    "case",
    [
        "unknown value",
        "abstain in a yes/no poll",
        "abstain in a secret yes/no poll",
        "closed poll",
        "closed secret poll",
        "past deadline",
        "no such poll",
        "not a member",
        "wrong user id",
        "unknown token",
    ],
)
def test_session_ballot_casts_nothing_where_the_ordinary_way_must_answer(
    app_ctx, member_login, case
):
    token, user_id, _person = member_login
    kwargs = {}
    if "yes/no" in case:
        kwargs["options"] = PollOptions.YES_NO.value
    if "secret" in case:
        kwargs["kind"] = PollKind.SECRET.value
    body_id = body("VK").id
    if case == "not a member":
        body_id = db.session.scalar(
            select(Body.id)
            .where(~Body.memberships.any(Membership.person_id == _person))
            .order_by(Body.id)
        )
    poll_id = start_poll(body_id, **kwargs).id
    if case.startswith("closed"):
        services.close_poll(poll_id, now=utcnow() + timedelta(hours=49), by_scheduler=True)
    db.session.commit()
    value = "maybe" if case == "unknown value" else "abstain" if "yes/no" in case else "yes"
    now = utcnow() + timedelta(hours=49) if case == "past deadline" else None
    seat = services.cast_session_ballot(
        999_999 if case == "no such poll" else poll_id,
        "not-a-token" if case == "unknown token" else token,
        user_id + 1 if case == "wrong user id" else user_id,
        value,
        now=now,
    )
    assert seat is None
    assert db.session.scalar(select(Ballot.id).where(Ballot.poll_id == poll_id)) is None
    assert (
        db.session.scalar(select(PollParticipation.id).where(PollParticipation.poll_id == poll_id))
        is None
    )
    assert db.session.scalar(select(SealedBallot.id)) is None
    assert (
        db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "poll.ballot_cast"))
        is None
    )


def test_session_ballot_with_two_seats_needs_the_choice(app_ctx, member_login):
    """A deputy holding a second seat must say for whom; with the seat named
    the ballot goes to that seat."""
    token, user_id, person_id = member_login
    vk = body("VK")
    poll_id = start_poll(vk.id).id
    other_seat = db.session.scalar(
        select(Membership.id).where(
            Membership.body_id == vk.id,
            Membership.person_id != person_id,
            Membership.voting_right,
        )
    )
    with write_transaction():
        db.session.execute(
            update(PollEligibility)
            .where(PollEligibility.poll_id == poll_id, PollEligibility.membership_id == other_seat)
            .values(person_id=person_id)
        )
    assert services.cast_session_ballot(poll_id, token, user_id, "yes") is None
    assert (
        services.cast_session_ballot(poll_id, token, user_id, "no", seat_membership_id=other_seat)
        == other_seat
    )
    assert db.session.execute(
        select(Ballot.voter_membership_id, Ballot.cast_by_person_id, Ballot.value).where(
            Ballot.poll_id == poll_id
        )
    ).all() == [(other_seat, person_id, "no")]
    with pytest.raises(services.AlreadyVoted):
        services.cast_session_ballot(poll_id, token, user_id, "yes", seat_membership_id=other_seat)


@pytest.mark.parametrize("kind", ["open", "secret"])
def test_sixty_logged_in_members_voting_at_once(app, app_ctx, kind):
    """The ballots that check the login themselves, all at once: every one
    stored once, each with its audit link, the chain unbroken (PostgreSQL:
    ballot and link are one statement that waits for the chain's head row;
    SQLite: the write lock); a secret poll counts them exactly at its close."""
    from netzwerk.auth.services import hash_password

    b = make_body("SB" + kind[0].upper(), 60)
    poll_id = start_poll(b.id, kind=kind).id
    people = seat_persons(b.id)
    password = hash_password("bench-password-2026")
    with write_transaction():
        users = [
            User(person_id=p, email=f"sb{kind}{i}@example.invalid", password_hash=password)
            for i, p in enumerate(people)
        ]
        db.session.add_all(users)
    logins = [(start_session(u), u.id) for u in users]
    db.session.remove()
    values = ["yes"] * 31 + ["no"] * 29

    def vote(i: int) -> int | None:
        token, user_id = logins[i]
        return services.cast_session_ballot(poll_id, token, user_id, values[i])

    results, errors = run_threads(app, 60, vote)
    assert errors == []
    assert None not in results and len(set(results)) == 60
    cast = select(func.count()).select_from(AuditEvent)
    assert db.session.scalar(cast.where(AuditEvent.action == "poll.ballot_cast")) == 60
    assert verify_chain() is None
    closed = services.get_poll(poll_id)
    if closed.is_open:  # a complete circular resolution may close by itself
        closed = services.close_poll(poll_id)
    assert (closed.yes_count, closed.no_count, closed.participants) == (31, 29, 60)
    closed = services.get_poll(poll_id)
    if closed.is_open:  # a complete circular resolution may close by itself
        closed = services.close_poll(poll_id)
    assert (closed.yes_count, closed.no_count, closed.participants) == (31, 29, 60)


@pytest.mark.parametrize(
    "broken_chain",
    [
        # No head: the link cannot be written.
        "DELETE FROM audit_chain_head",
        # Head set back: the link's id is taken – a unique violation that is
        # not the seat's, so not "already voted" either.
        "UPDATE audit_chain_head SET event_id = 0",
    ],
)
def test_no_ballot_without_its_audit_link(app_ctx, member_login, broken_chain):
    """When the audit link cannot be written the ballot is not stored either
    (one statement on PostgreSQL, one transaction on SQLite), and the error
    is not taken for a refusal of the ballot."""
    token, user_id, _person_id = member_login
    poll_id = start_poll(body("VK").id).id
    db.session.execute(text(broken_chain))
    db.session.commit()
    with pytest.raises(Exception) as raised:  # noqa: PT011 - any error but a refusal
        services.cast_session_ballot(poll_id, token, user_id, "yes")
    assert not isinstance(raised.value, services.VotingError)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Ballot.id)).where(Ballot.poll_id == poll_id)) == 0
