"""Domain rules of polls: create, open, vote, close; reminders.

Every write is one ``write_transaction()`` (a member's ballot from the vote
form: one transaction on the driver's connection on SQLite, one autocommit
statement on PostgreSQL, see :func:`cast_session_ballot`).  The
database refuses a second ballot for the same seat (unique constraints), a
ballot in a poll that is not open and any change to a closed poll
(triggers); the services turn those refusals into :class:`VotingError`
messages for the forms.

On PostgreSQL a ballot takes ``FOR SHARE`` on the poll row and closing takes
``FOR UPDATE``: a ballot either commits before the count or sees the poll
closed.  On SQLite ``BEGIN IMMEDIATE`` serialises both anyway.

A secret poll stores who took part (``poll_participation``) and, while it
is open, each value only sealed (``sealed_ballot``); its close publishes the
values in a random order (:func:`_publish_secret_ballots`) and counts them.
Why, and against whom: :mod:`netzwerk.voting.sealing`.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    LargeBinary,
    String,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import aliased, joinedload

from ..audit.services import chained_link, chained_link_params, record, record_on_driver
from ..auth.models import User
from ..auth.services import live_session_params, live_session_user
from ..database import (
    DriverStatement,
    UTCDateTime,
    autocommit_connection,
    driver_write_transaction,
    utcnow,
    write_transaction,
)
from ..extensions import db
from ..governance.models import Body, MajorityRule, Membership
from ..notifications.services import notify
from ..rules import RuleError
from ..signals import poll_closed
from ..timeutil import format_local, local_today, to_local
from ..workflow.services import WorkflowError
from .models import (
    Ballot,
    BallotValue,
    Poll,
    PollEligibility,
    PollKind,
    PollMethod,
    PollMode,
    PollOptions,
    PollParticipation,
    PollState,
    SealedBallot,
    SecretBallot,
)
from .providers import Seat, eligibility_provider, resolve_subject
from .rules import PollResult, Tally, evaluate, is_quorate, quorum_required
from .sealing import SealError, seal, secure_delete, unseal

log = logging.getLogger(__name__)

REMINDER_BEFORE = timedelta(hours=24)
MIN_DEADLINE = timedelta(hours=1)
MAX_DEADLINE = timedelta(days=92)


class VotingError(RuleError):
    """A voting rule was broken."""


class AlreadyVoted(VotingError):
    pass


class NotEligible(VotingError):
    pass


class PollNotOpen(VotingError):
    pass


class BallotsUnreadable(VotingError, WorkflowError):
    """The sealed ballots of a secret poll open under none of the secret keys
    (see :mod:`.sealing`): the poll stays open, and the workflow's timer
    (which skips a refused step, a :class:`WorkflowError`) tries again."""


# --- reading ------------------------------------------------------------------


def get_poll(poll_id: int) -> Poll | None:
    return db.session.scalar(select(Poll).options(joinedload(Poll.body)).where(Poll.id == poll_id))


def may_view(user: Any, poll: Poll) -> bool:
    """Staff, and anyone with a current seat (any role) in the poll's body."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff:
        return True
    return has_current_seat(user.person_id, poll.body_id)


def _seat_now(body_id: Any, person_id: Any = None) -> Any:
    """EXISTS: a current membership of the person (default ``:person_id``) in
    the (active) body, on :today."""
    return exists().where(
        Membership.person_id == (bindparam("person_id") if person_id is None else person_id),
        Membership.body_id == body_id,
        Membership.start_date <= bindparam("today"),
        or_(Membership.end_date.is_(None), Membership.end_date >= bindparam("today")),
        Body.id == Membership.body_id,
        Body.active,
    )


# Built once: a statement object reused keeps SQLAlchemy's cache key memoised.
_HAS_SEAT = select(_seat_now(bindparam("body_id")))
_POLL_FOR_BALLOT = select(Poll, _seat_now(Poll.body_id)).where(Poll.id == bindparam("poll_id"))


def has_current_seat(person_id: int, body_id: int) -> bool:
    """The person currently holds a membership (any role) in the active body."""
    params = {"person_id": person_id, "body_id": body_id, "today": local_today()}
    return bool(db.session.scalar(_HAS_SEAT, params))


def poll_for_ballot(poll_id: int, user: Any) -> tuple[Poll | None, bool]:
    """The poll a ballot is cast in (its body not loaded) and whether the user
    may view it (as :func:`may_view`), in one query."""
    if not getattr(user, "is_authenticated", False):
        return None, False
    row = db.session.execute(
        _POLL_FOR_BALLOT,
        {"poll_id": poll_id, "person_id": user.person_id, "today": local_today()},
    ).first()
    if row is None:
        return None, False
    poll, seat = row
    return poll, bool(user.is_staff or seat)


def seats_of(poll_id: int, person_id: int) -> list[PollEligibility]:
    """The seats this person may cast a ballot for in the poll."""
    return list(
        db.session.scalars(
            select(PollEligibility)
            .options(joinedload(PollEligibility.membership))
            .where(PollEligibility.poll_id == poll_id, PollEligibility.person_id == person_id)
            .order_by(PollEligibility.membership_id)
        )
    )


def voted_seat_ids(poll: Poll, membership_ids: Sequence[int]) -> set[int]:
    if not membership_ids:
        return set()
    table: Any = PollParticipation if poll.is_secret else Ballot
    return set(
        db.session.scalars(
            select(table.voter_membership_id).where(
                table.poll_id == poll.id, table.voter_membership_id.in_(list(membership_ids))
            )
        )
    )


def vote_count(poll: Poll) -> int:
    """How many seats have voted so far (not how)."""
    table: Any = PollParticipation if poll.is_secret else Ballot
    return int(
        db.session.scalar(select(func.count()).select_from(table).where(table.poll_id == poll.id))
        or 0
    )


@dataclass(frozen=True)
class Progress:
    voted: int
    eligible: int

    @property
    def complete(self) -> bool:
        return self.eligible > 0 and self.voted >= self.eligible


def progress(poll: Poll) -> Progress:
    return Progress(vote_count(poll), poll.eligible_count or 0)


@dataclass(frozen=True)
class OpenPollEntry:
    poll: Poll
    seats: list[PollEligibility]
    voted: set[int]
    progress: Progress

    @property
    def pending_seats(self) -> list[PollEligibility]:
        return [s for s in self.seats if s.membership_id not in self.voted]


# Built once: a reused statement keeps SQLAlchemy's cache key memoised.
_OPEN_POLLS_FOR = (
    select(Poll, PollEligibility)
    .join(PollEligibility, PollEligibility.poll_id == Poll.id)
    .options(joinedload(Poll.body), joinedload(PollEligibility.membership))
    .where(PollEligibility.person_id == bindparam("person_id"), Poll.state == PollState.OPEN.value)
    .order_by(Poll.closes_at.is_(None), Poll.closes_at, Poll.id, PollEligibility.membership_id)
)


def open_polls_for(person_id: int) -> list[OpenPollEntry]:
    """The open polls the person may vote in, soonest deadline first."""
    rows = db.session.execute(_OPEN_POLLS_FOR, {"person_id": person_id}).all()
    grouped: dict[int, tuple[Poll, list[PollEligibility]]] = {}
    for poll, seat in rows:
        grouped.setdefault(poll.id, (poll, []))[1].append(seat)
    entries = []
    for poll, seats in grouped.values():
        voted = voted_seat_ids(poll, [s.membership_id for s in seats])
        entries.append(OpenPollEntry(poll, seats, voted, progress(poll)))
    return entries


def list_polls(state: str | None = None, body_id: int | None = None) -> Sequence[Poll]:
    stmt = select(Poll).options(joinedload(Poll.body)).order_by(Poll.id.desc())
    if state:
        stmt = stmt.where(Poll.state == state)
    if body_id:
        stmt = stmt.where(Poll.body_id == body_id)
    return db.session.scalars(stmt.limit(500)).all()


def named_ballots(poll: Poll) -> list[Ballot]:
    """The named ballots of a closed open poll (who voted how)."""
    if poll.is_secret or not poll.is_closed:
        return []
    return list(
        db.session.scalars(
            select(Ballot)
            .options(joinedload(Ballot.voter_membership).joinedload(Membership.person))
            .where(Ballot.poll_id == poll.id)
            .order_by(Ballot.id)
        )
    )


# --- creating and opening -------------------------------------------------------


def _check_deadline(closes_at: datetime | None, now: datetime) -> None:
    if closes_at is None:
        raise VotingError(_("Please give a deadline."), "closes_at")
    if closes_at < now + MIN_DEADLINE:
        raise VotingError(_("The deadline must be at least one hour from now."), "closes_at")
    if closes_at > now + MAX_DEADLINE:
        raise VotingError(_("The deadline must be within three months."), "closes_at")


def _new_poll(
    *,
    body_id: int,
    subject_type: str,
    subject_id: int | None,
    title: str,
    question: str | None,
    kind: str,
    options: str,
    majority_rule: str | None,
    mode: str,
    closes_at: datetime | None,
    actor: User | None,
    method: str = PollMethod.ELECTRONIC.value,
) -> Poll:
    body = db.session.get(Body, body_id)
    if body is None or not body.active:
        raise VotingError(_("Please choose an active body."), "body_id")
    title = (title or "").strip()
    if not title:
        raise VotingError(_("Please give a title."), "title")
    PollKind(kind)
    PollOptions(options)
    PollMode(mode)
    if method not in {m.value for m in PollMethod}:
        raise VotingError(_("Please choose how the votes are taken."), "method")
    if method != PollMethod.ELECTRONIC.value:
        if mode != PollMode.MEETING.value:
            raise VotingError(_("A show of hands is possible only in a meeting."), "method")
        if kind == PollKind.SECRET.value:
            raise VotingError(
                _("A show of hands cannot be secret: choose an electronic secret vote."), "kind"
            )
    if majority_rule:
        MajorityRule(majority_rule)
    if subject_id is not None and resolve_subject(subject_type, subject_id) is None:
        raise VotingError(_("The item to vote on does not exist."), "subject_id")
    running = db.session.scalar(
        select(Poll.id).where(
            Poll.body_id == body_id,
            Poll.subject_type == subject_type,
            Poll.subject_id == subject_id,
            Poll.state != PollState.CLOSED.value,
        )
    )
    if subject_id is not None and running is not None:
        raise VotingError(_("A vote of this body on this item is already running."), "subject_id")
    poll = Poll(
        body_id=body_id,
        subject_type=subject_type,
        subject_id=subject_id,
        title=title[:300],
        question=(question or "").strip() or None,
        kind=kind,
        options=options,
        mode=mode,
        method=method,
        majority_rule=majority_rule or body.majority_rule,
        majority_overridden=bool(majority_rule) and majority_rule != body.majority_rule,
        quorum_rule=body.quorum_rule,
        state=PollState.DRAFT.value,
        closes_at=closes_at,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(poll)
    db.session.flush()
    record(
        "poll.created",
        "poll",
        poll.id,
        actor_id=actor.id if actor else None,
        to_state=PollState.DRAFT.value,
        data={
            "subject_type": subject_type,
            "subject_id": subject_id,
            "mode": mode,
            "method": method,
        },
    )
    return poll


def _open(poll: Poll, actor: User | None, now: datetime) -> None:
    if poll.state != PollState.DRAFT.value:
        raise PollNotOpen(_("Only a draft poll can be opened."))
    if poll.closes_at is not None and poll.closes_at < now + MIN_DEADLINE:
        raise VotingError(_("The deadline must be at least one hour from now."), "closes_at")
    provider = eligibility_provider(poll.mode)
    seats: list[Seat] = provider.eligible_seats(poll)
    members = provider.voting_members(poll)
    if not seats or members <= 0:
        raise VotingError(_("Nobody in this body has a voting right."), "body_id")
    seen: set[int] = set()
    for seat in seats:
        if seat.membership_id in seen:
            continue
        seen.add(seat.membership_id)
        if not poll.electronic:
            continue  # a show of hands: nobody casts a ballot electronically
        db.session.add(
            PollEligibility(
                poll_id=poll.id, membership_id=seat.membership_id, person_id=seat.person_id
            )
        )
    poll.voting_members = members
    poll.eligible_count = len(seen)
    poll.quorum_required = quorum_required(poll.quorum_rule, members)
    poll.present_at_opening = provider.present(poll, 0)
    # The quorum, recomputed at the opening of each vote and kept with it
    # (a written procedure counts who took part, so only at its close).
    poll.quorate_at_opening = (
        is_quorate(poll.quorum_rule, members, poll.present_at_opening)
        if poll.mode == PollMode.MEETING.value
        else None
    )
    poll.opened_at = now
    poll.state = PollState.OPEN.value
    db.session.flush()
    record(
        "poll.opened",
        "poll",
        poll.id,
        actor_id=actor.id if actor else None,
        from_state=PollState.DRAFT.value,
        to_state=PollState.OPEN.value,
        data={
            "eligible": poll.eligible_count,
            "voting_members": members,
            "quorum_required": poll.quorum_required,
            "present": poll.present_at_opening,
            "quorate": poll.quorate_at_opening,
            "method": poll.method,
            "majority_rule": poll.majority_rule,
            "closes_at": poll.closes_at.isoformat() if poll.closes_at else None,
        },
    )


def create_poll(
    *,
    body_id: int,
    subject_type: str,
    subject_id: int | None,
    title: str,
    question: str | None = None,
    kind: str = PollKind.OPEN.value,
    options: str = PollOptions.YES_NO_ABSTAIN.value,
    majority_rule: str | None = None,
    mode: str = PollMode.MEETING.value,
    closes_at: datetime | None = None,
    actor: User | None = None,
) -> Poll:
    """A draft poll (for a meeting, opened later with :func:`open_poll`)."""
    from . import engine  # the lifecycle runs through the workflow engine, above this module

    with write_transaction():
        poll = _new_poll(
            body_id=body_id,
            subject_type=subject_type,
            subject_id=subject_id,
            title=title,
            question=question,
            kind=kind,
            options=options,
            majority_rule=majority_rule,
            mode=mode,
            closes_at=closes_at,
            actor=actor,
        )
        engine.new_process(poll, actor)
    return poll


def open_poll(poll_id: int, actor: User | None = None, now: datetime | None = None) -> Poll:
    """Open a draft poll through its workflow (as ``actor``; without one, as the system)."""
    from . import engine  # the lifecycle runs through the workflow engine, above this module

    now = now or utcnow()
    with write_transaction():
        poll = db.session.get(Poll, poll_id, with_for_update=True)
        if poll is None:
            raise PollNotOpen(_("This poll does not exist."))
        engine.open_process(engine.process_of(poll), actor, now)
    return poll


def start_circular_resolution(
    *,
    body_id: int,
    subject_type: str,
    subject_id: int | None,
    title: str,
    question: str | None,
    closes_at: datetime | None,
    kind: str = PollKind.OPEN.value,
    options: str = PollOptions.YES_NO_ABSTAIN.value,
    majority_rule: str | None = None,
    actor: User | None = None,
    now: datetime | None = None,
) -> Poll:
    """Start a written vote (Umlaufverfahren): created and opened at once.

    The poll's process starts in the body's circular-resolution workflow and
    its opening transition fires as ``actor`` (who must hold a role the
    definition names); without an actor (demo data, tests) as the system.
    """
    from . import engine  # the lifecycle runs through the workflow engine, above this module

    now = now or utcnow()
    _check_deadline(closes_at, now)
    with write_transaction():
        poll = _new_poll(
            body_id=body_id,
            subject_type=subject_type,
            subject_id=subject_id,
            title=title,
            question=question,
            kind=kind,
            options=options,
            majority_rule=majority_rule,
            mode=PollMode.CIRCULAR.value,
            closes_at=closes_at,
            actor=actor,
        )
        engine.open_process(engine.new_process(poll, actor), actor, now)
    return poll


# --- voting -------------------------------------------------------------------


def _ballot_seats(*, one_seat: bool) -> Any:
    seat_join = (PollEligibility.poll_id == Poll.id) & (
        PollEligibility.person_id == bindparam("person_id")
    )
    if one_seat:
        seat_join &= PollEligibility.membership_id == bindparam("seat")
    return (
        select(
            Poll.state,
            Poll.kind,
            Poll.options,
            Poll.closes_at,
            PollEligibility.membership_id,
            # Seats are fixed when the poll opens; casting one also needs a
            # membership in the body today (as viewing the poll does).
            _seat_now(Poll.body_id).label("member_now"),
        )
        .outerjoin(PollEligibility, seat_join)
        .where(Poll.id == bindparam("poll_id"))
        .order_by(PollEligibility.membership_id)
        .with_for_update(read=True, of=Poll)
    )


# SQL: the poll's options offer the ballot's :value.
_OFFERED = or_(
    *(
        (bindparam("value", type_=String) == value.value)
        & or_(*(Poll.options == o.value for o in PollOptions if value in o.values))
        for value in BallotValue
    )
)


def _session_ballot_insert(*, one_seat: bool, secret: bool = False) -> Any:
    """INSERT ... SELECT of the ballot of a logged-in member in an open poll:
    the select checks the login (``live_session_user``) and everything
    :func:`cast_ballot` checks, so that a valid ballot is one statement.

    Named poll: the ballot itself.  Secret poll: the participation (it
    returns seat and poll; the sealed value follows in the same transaction,
    see :func:`_with_sealed_ballot`)."""
    user = live_session_user()
    other = aliased(PollEligibility)
    seat_rule = (
        PollEligibility.membership_id == bindparam("seat")
        if one_seat
        else ~exists().where(  # several seats: the voter must say which
            other.poll_id == Poll.id,
            other.person_id == user.c.person_id,
            other.membership_id != PollEligibility.membership_id,
        )
    )
    columns: list[Any] = [
        Poll.id,
        PollEligibility.membership_id,
        user.c.person_id,
        bindparam("cast_at", type_=UTCDateTime),
    ]
    names = ["poll_id", "voter_membership_id", "cast_by_person_id", "cast_at"]
    if not secret:
        columns.append(bindparam("value", type_=String))
        names.append("value")
    source = (
        select(*columns)
        .where(
            Poll.id == bindparam("poll_id"),
            Poll.state == PollState.OPEN.value,
            Poll.kind == (PollKind.SECRET if secret else PollKind.OPEN).value,
            or_(Poll.closes_at.is_(None), Poll.closes_at > bindparam("now")),
            _OFFERED,
            PollEligibility.poll_id == Poll.id,
            PollEligibility.person_id == user.c.person_id,
            seat_rule,
            _seat_now(Poll.body_id, user.c.person_id),
        )
        .with_for_update(read=True, of=Poll)
    )
    if secret:
        return (
            insert(PollParticipation)
            .from_select(names, source)
            .returning(PollParticipation.voter_membership_id, PollParticipation.poll_id)
        )
    return insert(Ballot).from_select(names, source).returning(Ballot.voter_membership_id)


def _with_audit_link(ballot_insert: Any) -> Any:
    """PostgreSQL: the ballot's insert and its audit link as one statement
    (see :func:`cast_session_ballot`); it returns the seat."""
    ballot = ballot_insert.cte("cast_ballot")
    link = chained_link(ballot, ballot.c.voter_membership_id)
    return select(ballot.c.voter_membership_id).add_cte(link)


def _with_sealed_ballot(participation_insert: Any) -> Any:
    """PostgreSQL: a secret poll's participation, its sealed ballot (only if
    the participation was inserted) and the audit link as one statement; it
    returns the seat."""
    cast_participation = participation_insert.cte("cast_participation")
    sealed = (
        insert(SealedBallot)
        .from_select(
            ["id", "poll_id", "sealed"],
            select(
                bindparam("ballot_id", type_=String),
                cast_participation.c.poll_id,
                bindparam("sealed", type_=LargeBinary),
            ),
        )
        .cte("sealed_ballot_insert")
    )
    link = chained_link(cast_participation, cast_participation.c.voter_membership_id)
    return select(cast_participation.c.voter_membership_id).add_cte(sealed).add_cte(link)


# The ballot's statements, built once (see cast_ballot, cast_session_ballot).
_BALLOT_SEATS = _ballot_seats(one_seat=False)
_BALLOT_SEAT = _ballot_seats(one_seat=True)
_SESSION_BALLOT = _session_ballot_insert(one_seat=False)
_SESSION_BALLOT_SEAT = _session_ballot_insert(one_seat=True)
_SESSION_BALLOT_LINKED = _with_audit_link(_SESSION_BALLOT)
_SESSION_BALLOT_SEAT_LINKED = _with_audit_link(_SESSION_BALLOT_SEAT)
_SESSION_SECRET = _session_ballot_insert(one_seat=False, secret=True)
_SESSION_SECRET_SEAT = _session_ballot_insert(one_seat=True, secret=True)
_SESSION_SECRET_SEALED = _with_sealed_ballot(_SESSION_SECRET)
_SESSION_SECRET_SEAT_SEALED = _with_sealed_ballot(_SESSION_SECRET_SEAT)
# SQLite: the session ballot's statements run on the driver (see cast_session_ballot).
_DRIVER_BALLOT = DriverStatement(_SESSION_BALLOT)
_DRIVER_BALLOT_SEAT = DriverStatement(_SESSION_BALLOT_SEAT)
_DRIVER_SECRET = DriverStatement(_SESSION_SECRET)
_DRIVER_SECRET_SEAT = DriverStatement(_SESSION_SECRET_SEAT)
_DRIVER_SEALED_BALLOT = DriverStatement(
    insert(SealedBallot).values(
        poll_id=bindparam("ballot_poll"),
        id=bindparam("ballot_id", type_=String),
        sealed=bindparam("sealed_value", type_=LargeBinary),
    )
)
_INSERT_BALLOT = insert(Ballot)
_INSERT_PARTICIPATION = insert(PollParticipation)
_INSERT_SEALED_BALLOT = insert(SealedBallot)
_INSERT_SECRET_BALLOT = insert(SecretBallot)


def cast_ballot(
    poll_id: int,
    person_id: int,
    value: str,
    *,
    seat_membership_id: int | None = None,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Cast one ballot for a seat the person holds; returns the seat's membership id.

    Raises :class:`AlreadyVoted`, :class:`NotEligible` or :class:`PollNotOpen`.
    """
    now = now or utcnow()
    try:
        value = BallotValue(value).value
    except ValueError:
        raise VotingError(_("Please choose one of the options."), "value") from None
    try:
        with write_transaction():
            # One statement reads the poll (FOR SHARE on PostgreSQL) and the
            # person's seats in it; plain Core inserts skip the unit of work.
            params: dict[str, Any] = {
                "poll_id": poll_id,
                "person_id": person_id,
                "today": to_local(now).date(),
            }
            if seat_membership_id is not None:
                params["seat"] = seat_membership_id
            conn = db.session.connection()  # Core: no ORM work for columns and rows
            rows = conn.execute(
                _BALLOT_SEATS if seat_membership_id is None else _BALLOT_SEAT, params
            ).all()
            row = rows[0] if rows else None
            if row is None or row.state != PollState.OPEN.value:
                raise PollNotOpen(_("This vote is not open."))
            if row.closes_at is not None and now >= row.closes_at:
                raise PollNotOpen(_("The deadline of this vote has passed."))
            if BallotValue(value) not in PollOptions(row.options).values:
                raise VotingError(_("Please choose one of the options."), "value")
            seats = [r.membership_id for r in rows if r.membership_id is not None]
            if not seats or not row.member_now:
                raise NotEligible(_("You have no vote in this poll."))
            if len(seats) > 1:
                raise VotingError(_("Please choose for whom you vote."), "seat")
            seat = seats[0]
            cast = {
                "poll_id": poll_id,
                "voter_membership_id": seat,
                "cast_by_person_id": person_id,
                "cast_at": now,
            }
            if row.kind == PollKind.SECRET.value:
                # Who voted, and the value sealed (see sealing): the shared
                # transaction id links the two, but only to ciphertext.
                conn.execute(_INSERT_PARTICIPATION, cast)
                conn.execute(
                    _INSERT_SEALED_BALLOT, {"poll_id": poll_id, "sealed": seal(poll_id, value)}
                )
                data: dict[str, Any] = {"membership_id": seat, "secret": True}
            else:
                conn.execute(_INSERT_BALLOT, {**cast, "value": value})
                data = {"membership_id": seat, "value": value}
            record("poll.ballot_cast", "poll", poll_id, actor_id=actor_id, data=data)
    except (IntegrityError, DBAPIError) as exc:
        raise _refusal(exc) from None
    return seat


def cast_session_ballot(
    poll_id: int,
    session_token: str,
    user_id: int,
    value: str,
    *,
    seat_membership_id: int | None = None,
    secret_hint: bool = False,
    now: datetime | None = None,
) -> int | None:
    """The ballot of a logged-in member straight from the request, without
    loading the user first; returns the seat's membership id.

    One statement checks the login (as ``load_session_user`` does: session
    live, account active) and everything :func:`cast_ballot` checks, and
    inserts the ballot of an open named poll; its audit link follows in the
    same transaction.  On PostgreSQL ballot and link are one statement that
    commits by itself (autocommit): one round trip, and the audit chain's
    head is held only inside the server.  When that statement inserts
    nothing, a second one tries the poll as a secret poll: participation,
    sealed ballot (see :mod:`.sealing`) and audit link, as one statement on
    PostgreSQL, in one transaction on SQLite; with ``secret_hint`` (the vote
    form says the poll is secret) in the other order.  Each statement checks
    the poll's kind itself: a wrong hint costs a statement, nothing else.
    None when nothing was cast –
    login not live, poll not open or past its deadline, an option the poll
    lacks, no seat or a seat to choose: the caller then checks the login the
    ordinary way and calls :func:`cast_ballot`, which answers each case.
    Raises :class:`AlreadyVoted` for a second ballot.
    """
    now = now or utcnow()
    try:
        ballot_value = BallotValue(value)
    except ValueError:
        return None
    params: dict[str, Any] = {
        **live_session_params(session_token, user_id, now),
        "poll_id": poll_id,
        "today": to_local(now).date(),
        "cast_at": now,
        "value": ballot_value.value,
    }
    one_seat = seat_membership_id is not None
    if one_seat:
        params["seat"] = seat_membership_id
    named_data = {"membership_id": None, "value": ballot_value.value}
    secret_data = {"membership_id": None, "secret": True}
    kinds = (True, False) if secret_hint else (False, True)
    try:
        if db.engine.dialect.name == "postgresql":
            with autocommit_connection() as conn:
                for secret in kinds:
                    if secret:
                        statement = (
                            _SESSION_SECRET_SEAT_SEALED if one_seat else _SESSION_SECRET_SEALED
                        )
                        secret_params = {
                            **params,
                            **_link_params(poll_id, user_id, secret_data),
                            "ballot_id": str(uuid.uuid4()),
                            "sealed": seal(poll_id, ballot_value.value),
                        }
                        seat = conn.execute(statement, secret_params).scalar()
                    else:
                        statement = (
                            _SESSION_BALLOT_SEAT_LINKED if one_seat else _SESSION_BALLOT_LINKED
                        )
                        named_params = {**params, **_link_params(poll_id, user_id, named_data)}
                        seat = conn.execute(statement, named_params).scalar()
                    if seat is not None:
                        return seat  # type: ignore[no-any-return]
            return None
        # SQLite: the same statements straight on the driver (see
        # database.DriverStatement), in one BEGIN IMMEDIATE transaction.
        with driver_write_transaction() as (driver, dialect):
            for secret in kinds:
                if secret:
                    statement = _DRIVER_SECRET_SEAT if one_seat else _DRIVER_SECRET
                    seat = statement.scalar(driver, dialect, params)
                    if seat is not None:
                        _DRIVER_SEALED_BALLOT.execute(
                            driver,
                            dialect,
                            {
                                "ballot_poll": poll_id,
                                "ballot_id": str(uuid.uuid4()),
                                "sealed_value": seal(poll_id, ballot_value.value),
                            },
                        )
                    data = {**secret_data, "membership_id": seat}
                else:
                    statement = _DRIVER_BALLOT_SEAT if one_seat else _DRIVER_BALLOT
                    seat = statement.scalar(driver, dialect, params)
                    data = {**named_data, "membership_id": seat}
                if seat is not None:
                    record_on_driver(
                        driver,
                        dialect,
                        "poll.ballot_cast",
                        "poll",
                        poll_id,
                        actor_id=user_id,
                        data=data,
                    )
                    break
    except (IntegrityError, DBAPIError) as exc:
        raise _refusal(exc) from None
    return seat


def _link_params(poll_id: int, user_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """The audit link's parameters of a session ballot (the seat left open)."""
    return chained_link_params(
        "poll.ballot_cast", "poll", poll_id, actor_id=user_id, data=data, slot_key="membership_id"
    )


def _refusal(exc: IntegrityError | DBAPIError) -> Exception:
    """What the database's refusal of a ballot means (see the module doc)."""
    message = str(exc.orig)
    if "poll is not open" in message:
        return PollNotOpen(_("This vote is not open."))
    if isinstance(exc, IntegrityError) and _is_second_ballot(message):
        return AlreadyVoted(_("You have already voted in this poll."))
    return exc


def _is_second_ballot(message: str) -> bool:
    """The refusal names a unique constraint over the seat (ballot's or
    poll_participation's, on both databases); any other integrity error –
    the audit chain's, say – is not a second ballot."""
    return "unique" in message.lower() and "voter_membership_id" in message


# --- closing ------------------------------------------------------------------


def may_open(user: Any, body_id: int, mode: str) -> bool:
    """Whether the workflow the body uses for polls of this mode lets the user
    open one: a role its opening transition names in ``by:`` (for a vote in a
    meeting, ``workflows/abstimmung.yaml``: the body's chair and office,
    staff; for a circular resolution ``workflows/umlaufverfahren.yaml``)."""
    from . import engine  # the lifecycle runs through the workflow engine, above this module

    return engine.may_open(user, body_id, mode)


def may_close(user: Any, poll: Poll) -> bool:
    """Whether the user holds a role that may fire a closing transition of
    the poll's process now (the timing is :func:`can_close`'s)."""
    from . import engine  # the lifecycle runs through the workflow engine, above this module

    return engine.may_close(user, engine.process_of(poll))


def can_close(poll: Poll, now: datetime | None = None) -> bool:
    """The rule for closing by hand (guard ``poll_closable``).

    A meeting poll is closed by the chair or the office when the vote is over.
    A circular resolution closes itself at its deadline; it may be closed
    early only when every eligible seat has voted (or the deadline has passed
    and the timer has not run yet).
    """
    now = now or utcnow()
    if not poll.is_open:
        return False
    if poll.mode == PollMode.MEETING.value:
        return True
    if poll.closes_at is not None and now >= poll.closes_at:
        return True
    return progress(poll).complete


def _publish_secret_ballots(poll: Poll) -> None:
    """At the close of a secret poll, in the closing transaction and while
    the poll is still open: open the sealed ballots, write their values as
    :class:`SecretBallot` rows in a random order with fresh random ids, and
    delete the sealed rows (see :mod:`.sealing` for why).

    Plaintext ballots written beside their participations before ballots
    were sealed (a poll open across the upgrade) are rewritten with them.
    Raises :class:`BallotsUnreadable` when a ballot cannot be opened: the
    poll then stays open (nothing is counted without every ballot).
    """
    conn = db.session.connection()
    # Fetched completely first: a refusal below must leave no open cursor
    # (on SQLite an unfinished statement would hold its read snapshot).
    sealed = (
        conn.execute(select(SealedBallot.sealed).where(SealedBallot.poll_id == poll.id))
        .scalars()
        .all()
    )
    try:
        values = [unseal(poll.id, s) for s in sealed]
    except SealError as exc:
        log.error("poll %s cannot be closed: %s", poll.id, exc)
        raise BallotsUnreadable(
            _(
                "The secret ballots of this vote cannot be opened: the server's secret key "
                "has changed since the vote was opened. Please tell the administrator."
            )
        ) from exc
    values += (
        conn.execute(select(SecretBallot.value).where(SecretBallot.poll_id == poll.id))
        .scalars()
        .all()
    )
    for value in values:
        BallotValue(value)  # a value the count knows, or a loud failure
    secrets.SystemRandom().shuffle(values)
    with secure_delete(conn):
        conn.execute(delete(SecretBallot).where(SecretBallot.poll_id == poll.id))
        if values:
            conn.execute(
                _INSERT_SECRET_BALLOT,
                [{"id": str(uuid.uuid4()), "poll_id": poll.id, "value": v} for v in values],
            )
        conn.execute(delete(SealedBallot).where(SealedBallot.poll_id == poll.id))


def _tally(poll: Poll) -> tuple[Tally, int]:
    if poll.is_secret:
        counts: dict[str, int] = dict(
            db.session.execute(  # type: ignore[arg-type]
                select(SecretBallot.value, func.count())
                .where(SecretBallot.poll_id == poll.id)
                .group_by(SecretBallot.value)
            ).all()
        )
        participants = int(
            db.session.scalar(
                select(func.count())
                .select_from(PollParticipation)
                .where(PollParticipation.poll_id == poll.id)
            )
            or 0
        )
    else:
        counts = dict(
            db.session.execute(  # type: ignore[arg-type]
                select(Ballot.value, func.count())
                .where(Ballot.poll_id == poll.id)
                .group_by(Ballot.value)
            ).all()
        )
        participants = sum(counts.values())
    tally = Tally(
        int(counts.get("yes", 0)), int(counts.get("no", 0)), int(counts.get("abstain", 0))
    )
    if tally.participants != participants:  # pragma: no cover - would be a storage bug
        raise RuntimeError(f"poll {poll.id}: {tally.participants} ballots, {participants} voters")
    if poll.by_hand:
        from . import hands  # show of hands and mixed: the room's counts

        tally = hands.tally_for_close(poll, tally)
        participants = tally.participants
    return tally, participants


def close_poll(
    poll_id: int,
    actor: User | None = None,
    now: datetime | None = None,
    *,
    by_scheduler: bool = False,
) -> Poll:
    """Close the poll through its workflow: fire a transition of its process
    into a state flagged ``closed``; that transition's effect ``close_poll``
    counts (:func:`_close`) and gives the subject its next step.

    With an actor, only a transition the actor's roles allow (and whose
    guard holds).  Without one, as the system.  ``by_scheduler`` closes as
    the timer does at the deadline: the guards are asked at the poll's
    deadline (or now, if that is later).
    """
    from . import engine  # the lifecycle runs through the workflow engine, above this module

    now = now or utcnow()
    with write_transaction():
        # No lock here: the transition locks the process row (its version
        # check), then its effect the poll row, in the same order as a timer.
        poll = db.session.get(Poll, poll_id, populate_existing=True)
        if poll is None:
            raise PollNotOpen(_("This poll does not exist."))
        if poll.is_closed:
            raise PollNotOpen(_("This poll is closed; its result cannot change."))
        if not poll.is_open:
            raise PollNotOpen(_("This vote is not open."))
        if by_scheduler and poll.closes_at is not None and poll.closes_at > now:
            now = poll.closes_at
        process = engine.process_of(poll)
        engine.close_process(process, actor, now, by_scheduler=by_scheduler)
    return poll


def _close(poll: Poll, actor: User | None, now: datetime, *, by_scheduler: bool) -> None:
    """Count once, store the result and send :data:`poll_closed` (the
    decision is written in this transaction).  Only the effect ``close_poll``
    calls this.

    The result is computed here and nowhere else; afterwards the row is
    immutable (service check and database trigger).
    """
    actor_id = actor.id if actor is not None else None
    with db.session.no_autoflush:
        if not poll.is_open:
            raise PollNotOpen(_("This vote is not open."))
        if poll.is_secret:
            _publish_secret_ballots(poll)
        tally, participants = _tally(poll)
        provider = eligibility_provider(poll.mode)
        present = provider.present(poll, participants)
        members = poll.voting_members or 0
        result = evaluate(poll.majority_rule, poll.quorum_rule, tally, members, present)
        poll.yes_count = tally.yes
        poll.no_count = tally.no
        poll.abstain_count = tally.abstain
        poll.participants = participants
        poll.present_at_closing = present
        poll.quorate = result is not PollResult.NOT_QUORATE
        poll.result = result.value
        poll.closed_at = now
        poll.closed_by_id = actor_id
        poll.state = PollState.CLOSED.value
    db.session.flush()
    record(
        "poll.closed",
        "poll",
        poll.id,
        actor_id=actor_id,
        from_state=PollState.OPEN.value,
        to_state=PollState.CLOSED.value,
        data={
            "result": result.value,
            "yes": tally.yes,
            "no": tally.no,
            "abstain": tally.abstain,
            "participants": participants,
            "present": present,
            "voting_members": members,
            "quorate": poll.quorate,
            "majority_rule": poll.majority_rule,
            "by_scheduler": by_scheduler,
        },
    )
    poll_closed.send(poll, now=now)


# --- the subject's workflow -------------------------------------------------------

POLL_GUARDS = ("poll_passed", "poll_failed")


def latest_result(subject_type: str, subject_id: int) -> PollResult | None:
    """The result of the subject's latest closed poll with a valid result."""
    value = db.session.scalar(
        select(Poll.result)
        .where(
            Poll.subject_type == subject_type,
            Poll.subject_id == subject_id,
            Poll.state == PollState.CLOSED.value,
            Poll.result != PollResult.NOT_QUORATE.value,
        )
        .order_by(Poll.closed_at.desc(), Poll.id.desc())
        .limit(1)
    )
    return PollResult(value) if value else None


def poll_result_provider(object_type: str, obj: Any) -> bool | None:
    """For the workflow guards poll_passed / poll_failed (None: no valid result)."""
    result = latest_result(object_type, obj.id)
    if result is None:
        return None
    return result is PollResult.PASSED


def advance_subject(poll: Poll) -> str | None:
    """Fire the subject's transition guarded by the poll result, as the system.

    Returns the transition fired, or None.  Runs inside the closing
    transaction, the transition in a savepoint: a failure never undoes the
    closed poll; it is logged (the office can still move the item by hand).
    """
    if poll.subject_id is None or not poll.result or poll.result == PollResult.NOT_QUORATE.value:
        return None
    try:
        from ..workflow import registry as wf_registry
        from ..workflow import services as wf_services
    except ImportError:  # pragma: no cover - the engine is part of the app
        return None
    subject = wf_registry.SUBJECTS.get(poll.subject_type)
    if subject is None:
        return None
    obj = db.session.get(subject.model, poll.subject_id)
    if obj is None or not getattr(obj, "workflow_name", None):
        return None
    try:
        definition = wf_services.definition_of(obj)
        for transition in definition.transitions_from(obj.state):
            if transition.when not in POLL_GUARDS:
                continue
            wanted = "poll_passed" if poll.result == PollResult.PASSED.value else "poll_failed"
            if transition.when != wanted:
                continue
            with write_transaction():  # a savepoint: a refusal leaves the poll closed
                wf_services.fire(None, obj, transition.name, by_timer=True)
            return transition.name
    except wf_services.WorkflowError:
        log.exception("poll %s: moving %s %s on failed", poll.id, poll.subject_type, obj.id)
    return None


# --- reminders and the deadline -----------------------------------------------------


def remind(poll: Poll, now: datetime) -> int:
    """Remind the seats that have not voted (effect ``remind_voters``).

    Idempotent: one notification per poll and seat (unique dedupe key).
    """
    if not poll.is_open:
        return 0
    sent = 0
    table: Any = PollParticipation if poll.is_secret else Ballot
    voted = select(table.voter_membership_id).where(table.poll_id == poll.id)
    pending = db.session.execute(
        select(PollEligibility.membership_id, PollEligibility.person_id).where(
            PollEligibility.poll_id == poll.id,
            PollEligibility.membership_id.not_in(voted),
        )
    ).all()
    for membership_id, person_id in pending:
        sent += len(
            notify(
                [person_id],
                kind="poll_reminder",
                object_type="poll",
                object_id=poll.id,
                message=_(
                    "Reminder: you have not voted yet in “%(title)s”. The vote closes on %(when)s.",
                    title=poll.title,
                    when=format_local(poll.closes_at) if poll.closes_at else "",
                ),
                url=f"/abstimmungen/{poll.id}",
                dedup_key=f"poll-reminder:{poll.id}:{membership_id}",
                now=now,
            )
        )
    if poll.reminder_sent_at is None:
        poll.reminder_sent_at = now
        db.session.flush()
    return sent


def close_due_polls(now: datetime | None = None) -> list[int]:
    """Run the workflow timers now; return the polls they closed.

    The timers (and their guards, which read each poll's own deadline)
    decide; this is what the scheduler's ``workflow.timers`` job does, for
    callers that want to know which polls closed.
    """
    from ..workflow.jobs import run_timers

    now = now or utcnow()
    before = set(db.session.scalars(select(Poll.id).where(Poll.state == PollState.OPEN.value)))
    run_timers(now)
    if not before:
        return []
    return sorted(
        db.session.scalars(
            select(Poll.id).where(Poll.id.in_(before), Poll.state == PollState.CLOSED.value)
        )
    )


def register_workflow_providers() -> None:
    from ..workflow import registry as wf_registry

    if poll_result_provider not in wf_registry.poll_result_providers:
        wf_registry.poll_result_providers.append(poll_result_provider)
