"""Elections of persons (Wahlen) in a meeting.

* An election on an agenda item has candidates (members of the network or
  free names), a number of seats and an election rule
  (``ElectionRule``; the rules are :func:`.rules.election_round`).
* It is voted in rounds, each a secret ballot built as the secret polls are
  (:mod:`.sealing`): ``election_participation`` says who voted (one per seat:
  the database refuses a second), the choices exist only sealed while the
  round is open (every ballot writes exactly ``seats_open`` sealed choices,
  a candidate or "-" for an unused vote, so all ballots look alike), and the
  close publishes them shuffled with fresh random ids
  (``election_ballot``).  The sealing key of a round is derived like a
  poll's, under the id ``-round_id`` (negative: never a poll's id).
* Closing a round counts it, elects, and, when seats remain under
  ``absolute_runoff``, opens the run-off between the leading candidates.
  A tie is decided by the lot (``secrets.SystemRandom``), recorded in the
  audit trail (``election.lot``).  The last round closes the election and
  writes its decision into the register (``decision.election_id``).
* Who may vote: the seats represented in the meeting at the round's
  opening (as a vote in a meeting); the quorum is recomputed and stored at
  each round's opening.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from .. import signals
from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.models import Person
from ..meetings import attendance
from ..meetings.hooks import ItemPoll
from ..meetings.models import AgendaItem, Meeting
from ..rules import checked_text
from ..workflow import services as wf
from .models import (
    ELECTION_STATE_LABELS,
    Election,
    ElectionBallot,
    ElectionCandidate,
    ElectionParticipation,
    ElectionRound,
    ElectionRule,
    ElectionSealedBallot,
    ElectionSeat,
    ElectionState,
    PollMode,
)
from .rules import election_round, is_quorate, quorum_required
from .sealing import SealError, seal, secure_delete, unseal
from .services import AlreadyVoted, NotEligible, PollNotOpen, VotingError, may_open

BLANK = "-"


def _key(round_id: int) -> int:
    return -round_id


def get_election(election_id: int) -> Election | None:
    return db.session.get(Election, election_id)


def elections_of(item_ids: list[int]) -> dict[int, list[Election]]:
    result: dict[int, list[Election]] = {}
    if not item_ids:
        return result
    for election in db.session.scalars(
        select(Election).where(Election.agenda_item_id.in_(item_ids)).order_by(Election.id)
    ):
        result.setdefault(election.agenda_item_id, []).append(election)
    return result


def current_round(election: Election) -> ElectionRound | None:
    return next((r for r in election.rounds if r.is_open), None)


def item_elections(item_ids: list[int]) -> dict[int, list[ItemPoll]]:
    """The elections on agenda items as the meeting pages, the cockpit and
    the projector list votes: while a round is open, how many of its seats
    have voted (never how); once closed, who was elected."""
    from flask import url_for

    result: dict[int, list[ItemPoll]] = {}
    for item_id, found in elections_of(item_ids).items():
        for election in found:
            rnd = current_round(election)
            last = rnd or (election.rounds[-1] if election.rounds else None)
            if rnd is not None:
                state_label = _("Round %(number)d open", number=rnd.number)
                result_label = ""
            else:
                state_label = ELECTION_STATE_LABELS[ElectionState(election.state)]
                names = ", ".join(c.name for c in election.elected)
                result_label = (
                    _("Elected: %(names)s", names=names) if names else _("Nobody was elected")
                )
            result.setdefault(item_id, []).append(
                ItemPoll(
                    poll_id=election.id,
                    title=election.title,
                    state=election.state,
                    state_label=str(state_label),
                    result_label=result_label,
                    yes=None,
                    no=None,
                    abstain=None,
                    quorate=last.quorate_at_opening if last is not None else None,
                    present=last.present_at_opening if last is not None else None,
                    url=url_for("voting_meeting.election", election_id=election.id),
                    voted=votes_cast(rnd) if rnd is not None else None,
                    eligible=last.eligible_count if last is not None else None,
                    is_open=rnd is not None,
                    kind="election",
                    close_url=None
                    if rnd is None
                    else url_for("voting_meeting.election_close_round", election_id=election.id),
                )
            )
    return result


def may_run(user: Any, meeting: Meeting) -> bool:
    """Who opens and closes elections: who may open votes in the meeting."""
    return may_open(user, meeting.body_id, PollMode.MEETING.value) and wf.has_flag(
        meeting, "in_session"
    )


def _open_round(
    election: Election, meeting: Meeting, candidates: list[int], seats_open: int, now: datetime
) -> ElectionRound:
    seats = attendance.seats(meeting)
    present = [s for s in seats if s.voter_person_id is not None]
    members = len(seats)
    required = quorum_required(meeting.body.quorum_rule, members)
    number = len(election.rounds) + 1
    rnd = ElectionRound(
        election_id=election.id,
        number=number,
        runoff=number > 1,
        candidate_ids=",".join(str(c) for c in candidates),
        seats_open=seats_open,
        opened_at=now,
        voting_members=members,
        eligible_count=len(present),
        quorum_required=required,
        present_at_opening=len(present),
        quorate_at_opening=is_quorate(meeting.body.quorum_rule, members, len(present)),
    )
    db.session.add(rnd)
    db.session.flush()
    db.session.add_all(
        ElectionSeat(round_id=rnd.id, membership_id=s.membership_id, person_id=s.voter_person_id)
        for s in present
    )
    db.session.flush()
    db.session.refresh(election)
    record(
        "election.round_opened",
        "election",
        election.id,
        data={
            "round": number,
            "candidates": candidates,
            "seats_open": seats_open,
            "eligible": len(present),
            "quorum_required": required,
            "quorate": rnd.quorate_at_opening,
        },
    )
    return rnd


def create_election(
    actor: User,
    meeting: Meeting,
    item_id: int,
    *,
    title: str,
    seats: int = 1,
    rule: str = ElectionRule.ABSOLUTE_RUNOFF.value,
    member_person_ids: list[int] | None = None,
    names: list[str] | None = None,
    now: datetime | None = None,
) -> Election:
    """Create the election and open its first round."""
    now = now or utcnow()
    if not may_run(actor, meeting):
        raise VotingError(_("Elections can be held only while the meeting is open."))
    title = checked_text(title, "title", 300, error=VotingError, required=True)
    if rule not in {r.value for r in ElectionRule}:
        raise VotingError(_("Please choose an election rule."), "rule")
    if not isinstance(seats, int) or seats < 1 or seats > 50:
        raise VotingError(_("Between 1 and 50 seats, please."), "seats")
    people = list(db.session.scalars(select(Person).where(Person.id.in_(member_person_ids or []))))
    free = [checked_text(n, "names", 200, error=VotingError) for n in names or []]
    free = [n for n in free if n]
    if len(people) + len(free) < 1:
        raise VotingError(_("Please name at least one candidate."), "names")
    if len({p.full_name for p in people} | set(free)) < len(people) + len(free):
        raise VotingError(_("A candidate is named twice."), "names")
    with write_transaction():
        current = db.session.get(Meeting, meeting.id, with_for_update=True, populate_existing=True)
        assert current is not None
        item = db.session.get(AgendaItem, item_id)
        if item is None or item.meeting_id != current.id or item.withdrawn:
            raise VotingError(_("This agenda item does not exist."))
        election = Election(
            body_id=current.body_id,
            meeting_id=current.id,
            agenda_item_id=item.id,
            title=title,
            seats=seats,
            rule=rule,
            state=ElectionState.OPEN.value,
            created_at=now,
            created_by_id=actor.id,
        )
        db.session.add(election)
        db.session.flush()
        candidates = [
            ElectionCandidate(election_id=election.id, person_id=p.id, name=p.full_name)
            for p in people
        ] + [ElectionCandidate(election_id=election.id, name=n) for n in free]
        db.session.add_all(candidates)
        db.session.flush()
        record(
            "election.created",
            "election",
            election.id,
            actor_id=actor.id,
            data={
                "title": title,
                "seats": seats,
                "rule": rule,
                "candidates": [c.name for c in candidates],
            },
        )
        _open_round(election, current, [c.id for c in candidates], seats, now)
    return election


def seat_of(rnd: ElectionRound, person_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(ElectionSeat.membership_id).where(
                ElectionSeat.round_id == rnd.id, ElectionSeat.person_id == person_id
            )
        )
    )


def has_voted(rnd: ElectionRound, membership_ids: list[int]) -> bool:
    if not membership_ids:
        return False
    return (
        db.session.scalar(
            select(func.count())
            .select_from(ElectionParticipation)
            .where(
                ElectionParticipation.round_id == rnd.id,
                ElectionParticipation.voter_membership_id.in_(membership_ids),
            )
        )
        or 0
    ) >= len(membership_ids)


def votes_cast(rnd: ElectionRound) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(ElectionParticipation)
            .where(ElectionParticipation.round_id == rnd.id)
        )
        or 0
    )


def cast_election_ballot(
    election_id: int,
    person_id: int,
    choices: list[int],
    *,
    actor_id: int | None = None,
    seat_membership_id: int | None = None,
) -> int:
    """Cast the secret ballot of a seat the person holds in the open round:
    up to ``seats_open`` distinct candidates of the round (none: a blank
    ballot).  Returns the seat."""
    with write_transaction():
        election = db.session.get(Election, election_id, with_for_update=True)
        if election is None or not election.is_open:
            raise PollNotOpen(_("This election is not open."))
        rnd = current_round(election)
        if rnd is None:
            raise PollNotOpen(_("This election is not open."))
        chosen = list(dict.fromkeys(choices))
        if any(c not in rnd.standing for c in chosen):
            raise VotingError(_("Please choose among the candidates of this round."), "choice")
        if len(chosen) > rnd.seats_open:
            raise VotingError(
                _("At most %(n)d votes, please.", n=rnd.seats_open),
                "choice",
            )
        seats = seat_of(rnd, person_id)
        if seat_membership_id is not None:
            seats = [s for s in seats if s == seat_membership_id]
        if not seats:
            raise NotEligible(_("You have no vote in this election."))
        seat = seats[0]
        try:
            with write_transaction():
                db.session.add(
                    ElectionParticipation(
                        round_id=rnd.id, voter_membership_id=seat, cast_by_person_id=person_id
                    )
                )
                db.session.flush()
        except IntegrityError:
            raise AlreadyVoted(_("You have already voted in this round.")) from None
        values = [str(c) for c in chosen] + [BLANK] * (rnd.seats_open - len(chosen))
        conn = db.session.connection()
        conn.execute(
            insert(ElectionSealedBallot),
            [
                {"round_id": rnd.id, "id": str(uuid.uuid4()), "sealed": seal(_key(rnd.id), v)}
                for v in values
            ],
        )
        record(
            "election.ballot_cast",
            "election",
            election.id,
            actor_id=actor_id,
            data={"round": rnd.number, "membership_id": seat, "secret": True},
        )
    return seat


def _draw(tied: list[int], k: int) -> list[int]:
    return secrets.SystemRandom().sample(sorted(tied), k)


def close_round(actor: User | None, election_id: int, now: datetime | None = None) -> Election:
    """Count the open round; elect; open a run-off or close the election."""
    now = now or utcnow()
    with write_transaction():
        election = db.session.get(
            Election, election_id, with_for_update=True, populate_existing=True
        )
        if election is None or not election.is_open:
            raise PollNotOpen(_("This election is not open."))
        meeting = db.session.get(Meeting, election.meeting_id)
        assert meeting is not None
        if actor is not None and not may_run(actor, meeting):
            raise VotingError(_("You cannot close this election."))
        rnd = current_round(election)
        assert rnd is not None
        conn = db.session.connection()
        sealed = (
            conn.execute(
                select(ElectionSealedBallot.sealed).where(ElectionSealedBallot.round_id == rnd.id)
            )
            .scalars()
            .all()
        )
        try:
            values = [unseal(_key(rnd.id), s) for s in sealed]
        except SealError:
            raise VotingError(
                _(
                    "The secret ballots of this election cannot be opened: the server's secret "
                    "key has changed. Please tell the administrator."
                )
            ) from None
        secrets.SystemRandom().shuffle(values)
        with secure_delete(conn):
            if values:
                conn.execute(
                    insert(ElectionBallot),
                    [
                        {
                            "id": str(uuid.uuid4()),
                            "round_id": rnd.id,
                            "candidate_id": None if v == BLANK else int(v),
                        }
                        for v in values
                    ],
                )
            conn.execute(
                delete(ElectionSealedBallot).where(ElectionSealedBallot.round_id == rnd.id)
            )
        participants = votes_cast(rnd)
        counts = dict.fromkeys(rnd.standing, 0)
        for v in values:
            if v != BLANK:
                counts[int(v)] += 1
        outcome = election_round(
            election.rule,
            counts,
            participants,
            rnd.seats_open,
            runoff=rnd.runoff,
            draw=_draw,
        )
        rnd.participants = participants
        rnd.counts = json.dumps({str(k): v for k, v in counts.items()})
        rnd.lots = json.dumps([[t, d] for t, d in outcome.lots]) if outcome.lots else None
        rnd.closed_at = now
        lot_winners = {c for _t, drawn in outcome.lots for c in drawn}
        by_id = {c.id: c for c in election.candidates}
        for cid in outcome.elected:
            by_id[cid].elected_in_round = rnd.number
            by_id[cid].by_lot = cid in lot_winners
        db.session.flush()
        for tied, drawn in outcome.lots:
            record(
                "election.lot",
                "election",
                election.id,
                actor_id=actor.id if actor else None,
                data={"round": rnd.number, "tied": tied, "drawn": drawn},
            )
        record(
            "election.round_closed",
            "election",
            election.id,
            actor_id=actor.id if actor else None,
            data={
                "round": rnd.number,
                "counts": {str(k): v for k, v in counts.items()},
                "participants": participants,
                "elected": outcome.elected,
                "runoff": outcome.runoff,
            },
        )
        remaining = rnd.seats_open - len(outcome.elected)
        if remaining > 0 and outcome.runoff and participants > 0:
            _open_round(election, meeting, outcome.runoff, remaining, now)
        else:
            election.state = ElectionState.CLOSED.value
            election.closed_at = now
            db.session.flush()
            record(
                "election.closed",
                "election",
                election.id,
                actor_id=actor.id if actor else None,
                from_state=ElectionState.OPEN.value,
                to_state=ElectionState.CLOSED.value,
                data={"elected": [c.name for c in election.elected]},
            )
            signals.election_closed.send(election, now=now)
    return election


def round_rows(rnd: ElectionRound, election: Election) -> list[tuple[str, int]]:
    """(candidate name, votes) of a closed round, most votes first."""
    if not rnd.counts:
        return []
    names = {c.id: c.name for c in election.candidates}
    counts = json.loads(rnd.counts)
    return sorted(
        ((names.get(int(k), "?"), int(v)) for k, v in counts.items()), key=lambda r: (-r[1], r[0])
    )


def lot_texts(rnd: ElectionRound, election: Election) -> list[str]:
    if not rnd.lots:
        return []
    names = {c.id: c.name for c in election.candidates}
    return [
        _(
            "Lot between %(tied)s: %(drawn)s",
            tied=", ".join(names.get(c, "?") for c in tied),
            drawn=", ".join(names.get(c, "?") for c in drawn),
        )
        for tied, drawn in json.loads(rnd.lots)
    ]


def present_members(meeting: Meeting) -> list[tuple[int, str]]:
    """(person id, name) of the body's members on the meeting day, for candidates."""
    rows = [
        (line.membership.person_id, line.membership.person.full_name)
        for line in attendance.roster(meeting)
    ]
    return sorted(set(rows), key=lambda r: r[1])
