"""Votes by show of hands, and the room's part of a mixed vote.

* **Show of hands** (``PollMethod.HANDS``): nobody votes electronically (the
  poll opens without eligible seats for ballots); the minute-taker enters
  the yes/no/abstain counts, and for a named vote the names per answer,
  chosen from the seats represented now.  The counts may not exceed the
  number of members present and entitled to vote now.
* **Mixed** (``PollMethod.MIXED``): members online cast ballots
  electronically, the room votes by hand.  Every seat counts once: the hand
  counts plus the electronic ballots never exceed the seats entitled at the
  opening, and a named hand vote cannot name a seat that voted
  electronically.  Checked when the counts are entered and again when the
  vote closes (a ballot may arrive in between).

Counts may be entered again while the poll is open (each entry replaces the
last and is audited); entering takes the poll's row ``FOR UPDATE`` (the
close does too, and ballots ``FOR SHARE``), so an entry and the close never
interleave: the close counts one entry once, or the entry is refused as the
vote is closed.  The database refuses any write to the counts of a poll
that is not open (triggers, see ``models.POLL_DDL``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.models import Person
from ..meetings import attendance
from ..meetings.models import Meeting
from .models import (
    Ballot,
    BallotValue,
    HandCount,
    HandVote,
    MeetingPoll,
    Poll,
    PollMethod,
    PollParticipation,
)
from .rules import Tally
from .services import PollNotOpen, VotingError, vote_count, voted_seat_ids


@dataclass(frozen=True)
class HandSeat:
    """A seat represented now, for the names of a named show of hands."""

    membership_id: int
    person_id: int
    name: str
    voted_electronically: bool


def _meeting(poll: Poll) -> Meeting:
    meeting_id = db.session.scalar(
        select(MeetingPoll.meeting_id).where(MeetingPoll.poll_id == poll.id)
    )
    meeting = db.session.get(Meeting, meeting_id) if meeting_id else None
    if meeting is None:
        raise VotingError(_("A show of hands is possible only in a meeting."))
    return meeting


def hand_count(poll_id: int) -> HandCount | None:
    return db.session.get(HandCount, poll_id)


def present_seats(poll: Poll) -> list[HandSeat]:
    """The seats represented now (member or deputy present), by name."""
    seats = [s for s in attendance.seats(_meeting(poll)) if s.voter_person_id is not None]
    people = {
        p.id: p
        for p in db.session.scalars(
            select(Person).where(Person.id.in_([s.voter_person_id for s in seats]))
        )
    }
    electronic = (
        voted_seat_ids(poll, [s.membership_id for s in seats]) if poll.electronic else set()
    )
    found = [
        HandSeat(
            s.membership_id,
            int(s.voter_person_id or 0),
            people[s.voter_person_id].full_name if s.voter_person_id in people else "?",
            s.membership_id in electronic,
        )
        for s in seats
    ]
    return sorted(found, key=lambda s: s.name)


def entitled(poll: Poll) -> int:
    """The most hands the room can show.

    Show of hands: the members present and entitled to vote now.  Mixed:
    the seats entitled at the opening less the electronic ballots cast.
    """
    if poll.method == PollMethod.MIXED.value:
        return max(0, (poll.eligible_count or 0) - vote_count(poll))
    return attendance.quorum(_meeting(poll)).present


def _check(poll: Poll, tally: Tally, names: dict[str, list[int]] | None) -> int:
    """Raise a :class:`VotingError` naming the field when the counts cannot
    be true; return the limit they were checked against."""
    electronic = vote_count(poll) if poll.method == PollMethod.MIXED.value else 0
    if poll.method == PollMethod.MIXED.value:
        seats = poll.eligible_count or 0
        if tally.participants + electronic > seats:
            raise VotingError(
                _(
                    "%(hands)d votes by hand plus %(electronic)d electronic ballots are more "
                    "than the %(seats)d members entitled to vote. A member who voted "
                    "electronically cannot also be counted by hand.",
                    hands=tally.participants,
                    electronic=electronic,
                    seats=seats,
                ),
                "yes",
            )
        limit = seats - electronic
    else:
        limit = entitled(poll)
        if tally.participants > limit:
            raise VotingError(
                _(
                    "%(n)d votes, but only %(m)d members present are entitled to vote.",
                    n=tally.participants,
                    m=limit,
                ),
                "yes",
            )
    if names:
        if poll.is_secret:
            raise VotingError(_("A secret vote has no names."), "names")
        represented = {s.membership_id: s for s in present_seats(poll)}
        seen: set[int] = set()
        for value, ids in names.items():
            BallotValue(value)
            for membership_id in ids:
                seat = represented.get(membership_id)
                if seat is None:
                    raise VotingError(
                        _("Only members present and entitled to vote can be named."),
                        f"names_{value}",
                    )
                if membership_id in seen:
                    raise VotingError(
                        _("%(name)s is named for more than one answer.", name=seat.name),
                        f"names_{value}",
                    )
                if seat.voted_electronically:
                    raise VotingError(
                        _(
                            "%(name)s has voted electronically and cannot also be counted by hand.",
                            name=seat.name,
                        ),
                        f"names_{value}",
                    )
                seen.add(membership_id)
        for value, count in (("yes", tally.yes), ("no", tally.no), ("abstain", tally.abstain)):
            if len(names.get(value, [])) != count:
                raise VotingError(
                    _(
                        "%(count)d counted, but %(names)d named: in a named vote every "
                        "hand is named.",
                        count=count,
                        names=len(names.get(value, [])),
                    ),
                    f"names_{value}",
                )
    return limit


def enter_counts(
    actor: User | None,
    poll_id: int,
    *,
    yes: int,
    no: int,
    abstain: int = 0,
    names: dict[str, list[int]] | None = None,
    now: datetime | None = None,
) -> HandCount:
    """Store the counts of the show of hands (replacing an earlier entry)."""
    now = now or utcnow()
    for field, value in (("yes", yes), ("no", no), ("abstain", abstain)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise VotingError(_("Please enter a whole number, 0 or more."), field)
        if value > 100_000:
            raise VotingError(_("This number is too large."), field)
    names = {k: list(v) for k, v in (names or {}).items() if v}
    try:
        with write_transaction():
            poll = db.session.get(Poll, poll_id, with_for_update=True, populate_existing=True)
            if poll is None:
                raise PollNotOpen(_("This poll does not exist."))
            if not poll.by_hand:
                raise VotingError(_("This vote is taken electronically only."))
            if poll.is_closed:
                raise PollNotOpen(_("This poll is closed; its result cannot change."))
            if not poll.is_open:
                raise PollNotOpen(_("This vote is not open."))
            tally = Tally(yes, no, abstain)
            if abstain and BallotValue.ABSTAIN not in poll.values:
                raise VotingError(_("This vote has no abstentions."), "abstain")
            limit = _check(poll, tally, names)
            row = db.session.get(HandCount, poll_id)
            if row is None:
                row = HandCount(poll_id=poll_id)
                db.session.add(row)
            row.yes_count, row.no_count, row.abstain_count = yes, no, abstain
            row.entitled = limit
            row.entered_at = now
            row.entered_by_id = actor.id if actor else None
            db.session.execute(delete(HandVote).where(HandVote.poll_id == poll_id))
            if names:
                voters = {s.membership_id: s.person_id for s in present_seats(poll)}
                db.session.add_all(
                    HandVote(poll_id=poll_id, membership_id=m, person_id=voters[m], value=value)
                    for value, ids in names.items()
                    for m in ids
                )
            db.session.flush()
            record(
                "poll.hand_count",
                "poll",
                poll_id,
                actor_id=actor.id if actor else None,
                data={
                    "yes": yes,
                    "no": no,
                    "abstain": abstain,
                    "entitled": limit,
                    "method": poll.method,
                    "named": {k: sorted(v) for k, v in names.items()} if names else None,
                },
            )
    except (IntegrityError, DBAPIError) as exc:
        if "poll is not open" in str(exc.orig):
            raise PollNotOpen(_("This vote is not open.")) from None
        raise
    return row


def tally_for_close(poll: Poll, electronic: Tally) -> Tally:
    """The tally of a show of hands or a mixed vote, at its close (the poll
    row locked): the room's counts plus the electronic ballots, each seat
    once; raises :class:`VotingError` when that cannot be true."""
    row = db.session.get(HandCount, poll.id, populate_existing=True)
    if row is None:
        raise VotingError(_("Please enter the counts of the show of hands before closing."))
    hands = Tally(row.yes_count, row.no_count, row.abstain_count)
    if poll.method == PollMethod.MIXED.value:
        seats = poll.eligible_count or 0
        if hands.participants + electronic.participants > seats:
            raise VotingError(
                _(
                    "%(hands)d votes by hand plus %(electronic)d electronic ballots are more "
                    "than the %(seats)d members entitled to vote. Please correct the counts.",
                    hands=hands.participants,
                    electronic=electronic.participants,
                    seats=seats,
                )
            )
        table: Any = PollParticipation if poll.is_secret else Ballot
        both = db.session.scalar(
            select(HandVote.membership_id)
            .join(
                table,
                (table.poll_id == HandVote.poll_id)
                & (table.voter_membership_id == HandVote.membership_id),
            )
            .where(HandVote.poll_id == poll.id)
            .limit(1)
        )
        if both is not None:
            raise VotingError(
                _(
                    "A member named in the show of hands has also voted electronically. "
                    "Please correct the counts."
                )
            )
    return Tally(
        hands.yes + electronic.yes,
        hands.no + electronic.no,
        hands.abstain + electronic.abstain,
    )


def hand_names(poll_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """Who raised a hand for what in named shows of hands: {poll: {value: [names]}}."""
    if not poll_ids:
        return {}
    result: dict[int, dict[str, list[str]]] = {}
    for poll_id, value, person in db.session.execute(
        select(HandVote.poll_id, HandVote.value, Person)
        .join(Person, Person.id == HandVote.person_id)
        .where(HandVote.poll_id.in_(poll_ids))
        .order_by(Person.last_name, Person.first_name)
    ).all():
        result.setdefault(poll_id, {}).setdefault(value, []).append(person.full_name)
    return result
