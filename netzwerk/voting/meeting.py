"""Votes in a meeting: polls on agenda items.

* ``meeting_poll`` links a poll to its meeting and agenda item (one link per
  poll, database constraint);
* the eligibility provider for ``PollMode.MEETING``: members with a voting
  right who are present now, or a present deputy of an absent member; the
  quorum counts the seats represented at opening and at closing (live);
* when a meeting poll closes, the paper's consultation in the body gets its
  result (inside the closing transaction); the decision register reads the
  link for the decision's meeting and agenda item.

The meetings package cannot import voting; this module fills its hooks.
Its model (:class:`~.models.MeetingPoll`) is in ``models``, the form in
``forms``, the page that opens a vote in ``meeting_views``.

The service API for the chair's cockpit (issue #19)
----------------------------------------------------

Every call is one unit of work of its own (``write_transaction``), audited,
and raises :class:`~.services.VotingError` (``str(exc)`` is the German
message, ``exc.field`` the form field) when a rule refuses:

* :func:`open_meeting_poll` ``(actor, meeting, item_id, *, title, question=None,
  kind="open"|"secret", options="yes_no_abstain"|"yes_no", majority_rule=None,
  method="electronic"|"hands"|"mixed")`` -> ``Poll``: creates and opens a
  vote on an agenda item (the quorum is recomputed and stored with it:
  ``poll.present_at_opening``, ``quorum_required``, ``quorate_at_opening``).
  Refused while an amendment of the item is undecided; the main motion's
  text becomes the last adopted amendment's.
* :func:`.services.close_poll` ``(poll_id, actor)`` -> ``Poll``: closes and
  counts (a show of hands needs its counts first; a mixed vote whose hands
  plus ballots exceed the seats is refused).
* :func:`vote_progress` ``(poll)`` -> :class:`VoteProgress` (``voted``,
  ``eligible``, ``counted_by_hand``, ``how``, ``is_open``): "17 von 23 haben
  abgestimmt" for the cockpit and the projector.
* :func:`open_meeting_polls` ``(meeting_id)``: the meeting's open votes.
* :func:`.hands.enter_counts` ``(actor, poll_id, *, yes, no, abstain=0,
  names=None)``; :func:`.hands.entitled` ``(poll)``: the most hands possible.
* :mod:`.amendments`: ``create_amendment``, ``open_amendment_vote``,
  ``pending_on(item_id)``, ``carried_text(item_id)``, ``amendments_of``.
* :mod:`.elections`: ``create_election``, ``cast_election_ballot``,
  ``close_round`` (counts, elects, opens the run-off), ``current_round``,
  ``votes_cast(round)``, ``elections_of(item_ids)``.

Pages to link (endpoints): ``voting_meeting.open_poll`` (meeting_id,
item_id: open a vote, with links to amendments and elections),
``voting.poll`` (poll_id: the vote, its closing step and, for a show of
hands, the count form), ``voting_meeting.hand_count`` (poll_id),
``voting_meeting.item_amendments`` (meeting_id, item_id),
``voting_meeting.new_election`` (meeting_id, item_id),
``voting_meeting.election`` (election_id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from .. import signals
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.models import MajorityRule
from ..meetings import access, attendance, hooks
from ..meetings.models import AgendaItem, Meeting
from ..papers.models import ConsultationResult
from ..papers.services import consultation_for, store_consultation_result
from ..workflow import registry as wf_registry
from ..workflow import services as wf
from ..workflow.registry import TransitionContext
from . import amendments, elections, engine, services
from .models import (
    Amendment,
    MeetingPoll,
    MeetingVote,
    Poll,
    PollKind,
    PollMethod,
    PollMode,
    PollOptions,
    PollProcess,
)
from .providers import Seat, SubjectInfo, register_eligibility_provider, register_subject_resolver
from .rules import PollResult


def meeting_link(poll_id: int) -> tuple[int, int] | None:
    """(meeting id, agenda item id) of a meeting poll, else None."""
    row = db.session.execute(
        select(MeetingPoll.meeting_id, MeetingPoll.agenda_item_id).where(
            MeetingPoll.poll_id == poll_id
        )
    ).first()
    return (int(row[0]), int(row[1])) if row else None


def _meeting_of(poll: Poll) -> Meeting:
    link = meeting_link(poll.id)
    meeting = access.get_meeting(link[0]) if link else None
    if meeting is None:
        raise LookupError(f"poll {poll.id} belongs to no meeting")
    return meeting


class MeetingEligibility:
    """In a meeting: present members with a voting right, or their present deputies."""

    def voting_members(self, poll: Poll) -> int:
        return len(attendance.seats(_meeting_of(poll)))

    def eligible_seats(self, poll: Poll) -> list[Seat]:
        return [
            Seat(s.membership_id, s.voter_person_id)
            for s in attendance.seats(_meeting_of(poll))
            if s.voter_person_id is not None
        ]

    def present(self, poll: Poll, participants: int) -> int:
        """Seats represented now (the live quorum at opening and at closing)."""
        return attendance.quorum(_meeting_of(poll)).present


# --- opening a poll on an agenda item ------------------------------------------------


def _subject_of(item: AgendaItem) -> tuple[str, int]:
    if item.paper_id is not None:
        return "paper", item.paper_id
    return "agenda_item", item.id


def open_meeting_poll(
    actor: User,
    meeting: Meeting,
    item_id: int,
    *,
    title: str,
    question: str | None = None,
    kind: str = PollKind.OPEN.value,
    options: str = PollOptions.YES_NO_ABSTAIN.value,
    majority_rule: str | None = None,
    method: str = PollMethod.ELECTRONIC.value,
    subject: tuple[str, int] | None = None,
    now: datetime | None = None,
) -> Poll:
    """Create and open a poll on an agenda item of a meeting in session (one transaction).

    The poll's process starts in the body's meeting-vote workflow and its
    opening transition fires as ``actor``: the definition's ``by:`` says who
    may (the chair of the body, its office, ...), its guard
    ``in_meeting_session`` that the meeting is being held.

    ``method``: electronic, show of hands or mixed (:mod:`.hands`).
    ``subject``: what is voted on, by default the item's paper (or the item);
    ``("amendment", id)`` for an amendment (use
    :func:`.amendments.open_amendment_vote`).  The main motion cannot be
    opened while an amendment of the item is undecided, and its text is the
    last adopted amendment's (:mod:`.amendments`).
    """
    now = now or utcnow()
    if not services.may_open(actor, meeting.body_id, PollMode.MEETING.value):
        raise services.VotingError(_("You cannot open votes in this meeting."))
    if kind not in {k.value for k in PollKind}:
        raise services.VotingError(_("Please choose the kind of vote."), "kind")
    if options not in {o.value for o in PollOptions}:
        raise services.VotingError(_("Please choose the options."), "options")
    if majority_rule and majority_rule not in {r.value for r in MajorityRule}:
        raise services.VotingError(_("Please choose a majority rule."), "majority_rule")
    meeting_id = meeting.id
    with write_transaction():
        current = db.session.get(Meeting, meeting_id, with_for_update=True, populate_existing=True)
        if current is None or not wf.has_flag(current, "in_session"):
            raise services.VotingError(_("Votes can be opened only while the meeting is open."))
        item = db.session.get(AgendaItem, item_id)
        if item is None or item.meeting_id != meeting_id or item.withdrawn:
            raise services.VotingError(_("This agenda item does not exist."))
        subject_type, subject_id = subject or _subject_of(item)
        if subject_type != amendments.SUBJECT_TYPE:
            pending = amendments.pending_on(item.id)
            if pending:
                raise services.VotingError(
                    _(
                        "First vote on the amendments to this item (%(numbers)s): the main "
                        "motion is voted after them.",
                        numbers=", ".join(str(a.seq) for a in pending),
                    )
                )
            carried = amendments.carried_text(item.id)
            if carried is not None:
                question = carried  # the adopted amendment's text is voted on
        poll = services._new_poll(
            body_id=current.body_id,
            subject_type=subject_type,
            subject_id=subject_id,
            title=title,
            question=question,
            kind=kind,
            options=options,
            majority_rule=majority_rule or None,
            mode=PollMode.MEETING.value,
            closes_at=None,
            actor=actor,
            method=method,
        )
        link = MeetingPoll(poll_id=poll.id, meeting_id=meeting_id, agenda_item_id=item.id)
        db.session.add(link)
        if subject_type == amendments.SUBJECT_TYPE:
            amendment = db.session.get(Amendment, subject_id)
            if amendment is None or not amendment.is_pending:
                raise services.VotingError(_("This amendment has been decided."))
            amendment.poll_id = poll.id
        db.session.flush()
        engine.open_process(engine.new_process(poll, actor), actor, now)
        link.seats_at_opening = poll.eligible_count
    return poll


# --- hooks for the meeting page and the closing ----------------------------------------------


def item_polls(item_ids: list[int]) -> dict[int, list[hooks.ItemPoll]]:
    rows = db.session.execute(
        select(MeetingPoll.agenda_item_id, Poll)
        .join(Poll, Poll.id == MeetingPoll.poll_id)
        .where(MeetingPoll.agenda_item_id.in_(item_ids))
        .order_by(Poll.id)
    ).all()
    result: dict[int, list[hooks.ItemPoll]] = {}
    for item_id, poll in rows:
        result.setdefault(item_id, []).append(
            hooks.ItemPoll(
                poll_id=poll.id,
                title=poll.title,
                state=poll.state,
                state_label=poll.state_label,
                result_label=poll.result_label,
                yes=poll.yes_count,
                no=poll.no_count,
                abstain=poll.abstain_count,
                quorate=poll.quorate,
                present=poll.present_at_closing,
                url=url_for("voting.poll", poll_id=poll.id),
                # The cockpit and projector (meetings): the progress, never how.
                voted=vote_progress(poll).voted if poll.is_open else None,  # hands too
                eligible=poll.eligible_count,
                is_open=poll.is_open,
                close_url=url_for("voting.close", poll_id=poll.id) if poll.is_open else None,
            )
        )
    return result


def _on_poll_closed(poll: Poll, **extra: Any) -> None:
    """Give the paper's consultation in this body its result (closing transaction)."""
    if poll.mode != PollMode.MEETING.value or poll.subject_type != "paper" or not poll.subject_id:
        return
    if poll.result not in (PollResult.PASSED.value, PollResult.FAILED.value):
        return
    consultation = consultation_for(poll.subject_id, poll.body_id)
    if consultation is None or consultation.result is not None:
        return
    result = (
        ConsultationResult.ADOPTED.value
        if poll.result == PollResult.PASSED.value
        else ConsultationResult.REJECTED.value
    )
    store_consultation_result(consultation, result, extra.get("now") or utcnow())


def _resolve_agenda_item(item_id: int) -> SubjectInfo | None:
    item = db.session.get(AgendaItem, item_id)
    if item is None:
        return None
    meeting = db.session.get(Meeting, item.meeting_id)
    return SubjectInfo(
        title=item.title,
        public=bool(item.public and meeting is not None and meeting.public),
        url=None,
        body_id=meeting.body_id if meeting else None,
    )


def meeting_of_vote(process: PollProcess) -> Meeting | None:
    link = meeting_link(process.poll_id)
    return db.session.get(Meeting, link[0]) if link else None


def in_meeting_session(ctx: TransitionContext) -> bool:
    """Guard: the meeting the vote belongs to is being held (flag ``in_session``)."""
    meeting = meeting_of_vote(ctx.obj)
    return meeting is not None and wf.has_flag(meeting, "in_session")


def may_open_vote(user: Any, meeting: Meeting) -> bool:
    """Whether the user may open a vote in this meeting now: a role the
    body's meeting-vote workflow lets open one, while the meeting is in session."""
    return services.may_open(user, meeting.body_id, PollMode.MEETING.value) and wf.has_flag(
        meeting, "in_session"
    )


def register_meeting_polls() -> None:
    """Votes in a meeting: who may vote, what an agenda item is, and what a
    closed vote means for its paper (from ``voting.init_app``)."""
    wf_registry.register_guards({"in_meeting_session": in_meeting_session})
    register_eligibility_provider(PollMode.MEETING, MeetingEligibility())
    register_subject_resolver("agenda_item", _resolve_agenda_item)
    signals.poll_closed.connect(_on_poll_closed)
    hooks.register_item_poll_lookup(item_polls, "voting_meeting.open_poll", may_open_vote)
    hooks.register_item_poll_lookup(elections.item_elections)


@dataclass(frozen=True)
class VoteProgress:
    """How far a vote in a meeting has come (for the cockpit and the projector)."""

    poll_id: int
    voted: int  # electronic ballots plus the hands counted so far
    eligible: int  # seats entitled at the opening
    counted_by_hand: int | None  # None: no hand count (yet, or electronic)
    how: str
    is_open: bool


def vote_progress(poll: Poll) -> VoteProgress:
    """Ballots cast and hands counted so far, of the seats entitled at the opening."""
    from .hands import hand_count

    electronic = services.vote_count(poll) if poll.electronic else 0
    hands = hand_count(poll.id) if poll.by_hand else None
    counted = hands.total if hands is not None else None
    return VoteProgress(
        poll_id=poll.id,
        voted=electronic + (counted or 0),
        eligible=poll.eligible_count or 0,
        counted_by_hand=counted,
        how=poll.how_label,
        is_open=poll.is_open,
    )


def open_meeting_polls(meeting_id: int) -> list[Poll]:
    """The meeting's votes whose process is in a state flagged ``open``."""
    return list(
        db.session.scalars(
            select(Poll)
            .join(MeetingPoll, MeetingPoll.poll_id == Poll.id)
            .join(MeetingVote, MeetingVote.poll_id == Poll.id)
            .where(
                MeetingPoll.meeting_id == meeting_id,
                MeetingVote.state.in_(wf.states_with_flag(engine.MEETING_TYPE, engine.OPEN)),
            )
        )
    )
