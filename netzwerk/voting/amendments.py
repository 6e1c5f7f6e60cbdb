"""Amendments (Änderungsanträge) to the proposed resolution of an agenda item.

* An amendment is created on an agenda item with its text: the wording that
  replaces the proposed resolution when the amendment is adopted.
* It is voted before the main motion: the main vote of the item cannot be
  opened while an amendment on it is undecided (``open_meeting_poll`` asks
  :func:`pending_on`).  Its vote is an ordinary poll in the meeting (any
  method: electronic, show of hands, mixed) whose subject is the amendment
  (``subject_type = "amendment"``); its close decides the amendment
  (:func:`_on_poll_closed`, in the closing transaction, audited as
  ``amendment.decided``); a vote without quorum leaves it undecided.
* The main vote's text is the text of the last adopted amendment
  (:func:`carried_text`), which the decision register takes as the
  decision's text.
* An amendment vote is no entry of its own in the decision register; the
  decision of the main motion and the minutes list the amendments with
  their outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import signals
from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..meetings import access
from ..meetings.models import AgendaItem, Meeting
from ..rules import checked_text
from .models import Amendment, AmendmentState, MeetingPoll, Poll, PollMode, PollState
from .providers import SubjectInfo, register_subject_resolver
from .rules import PollResult
from .services import VotingError, may_open

SUBJECT_TYPE = "amendment"


def get_amendment(amendment_id: int) -> Amendment | None:
    return db.session.get(Amendment, amendment_id)


def amendments_of(item_ids: Sequence[int]) -> dict[int, list[Amendment]]:
    """The amendments of the agenda items, in their order."""
    result: dict[int, list[Amendment]] = {}
    if not item_ids:
        return result
    for amendment in db.session.scalars(
        select(Amendment)
        .where(Amendment.agenda_item_id.in_(list(item_ids)))
        .order_by(Amendment.agenda_item_id, Amendment.seq)
    ):
        result.setdefault(amendment.agenda_item_id, []).append(amendment)
    return result


def pending_on(item_id: int) -> list[Amendment]:
    """The undecided amendments of an agenda item."""
    return list(
        db.session.scalars(
            select(Amendment)
            .where(
                Amendment.agenda_item_id == item_id,
                Amendment.state == AmendmentState.PENDING.value,
            )
            .order_by(Amendment.seq)
        )
    )


def carried_text(item_id: int) -> str | None:
    """The proposed resolution as amended: the text of the last adopted
    amendment of the item (None: no amendment adopted)."""
    return db.session.scalar(
        select(Amendment.text)
        .where(
            Amendment.agenda_item_id == item_id,
            Amendment.state == AmendmentState.ADOPTED.value,
        )
        .order_by(Amendment.decided_at.desc(), Amendment.seq.desc())
        .limit(1)
    )


def main_motion_decided(item_id: int) -> bool:
    """A vote on the item's main motion has closed with a valid result."""
    return (
        db.session.scalar(
            select(Poll.id)
            .join(MeetingPoll, MeetingPoll.poll_id == Poll.id)
            .where(
                MeetingPoll.agenda_item_id == item_id,
                Poll.subject_type != SUBJECT_TYPE,
                Poll.state == PollState.CLOSED.value,
                Poll.result != PollResult.NOT_QUORATE.value,
            )
            .limit(1)
        )
        is not None
    )


def may_propose(user: Any, meeting: Meeting) -> bool:
    """Who records amendments: who may open votes in the meeting (the chair,
    the office), while the meeting is not over."""
    return may_open(user, meeting.body_id, PollMode.MEETING.value) and not access.is_over(meeting)


def create_amendment(
    actor: User,
    meeting: Meeting,
    item_id: int,
    *,
    text: str,
    proposer: str | None = None,
    now: datetime | None = None,
) -> Amendment:
    now = now or utcnow()
    if not may_propose(actor, meeting):
        raise VotingError(_("You cannot record amendments in this meeting."))
    text = checked_text(text, "text", 20000, error=VotingError, required=True)
    proposer = checked_text(proposer, "proposer", 200, error=VotingError) or None
    with write_transaction():
        access.lock_meeting(meeting.id)
        item = db.session.get(AgendaItem, item_id)
        if item is None or item.meeting_id != meeting.id or item.withdrawn:
            raise VotingError(_("This agenda item does not exist."))
        if main_motion_decided(item.id):
            raise VotingError(
                _("The main motion of this item has been voted on: no more amendments."), "text"
            )
        seq = (
            db.session.scalar(
                select(func.max(Amendment.seq)).where(Amendment.agenda_item_id == item.id)
            )
            or 0
        ) + 1
        amendment = Amendment(
            meeting_id=meeting.id,
            agenda_item_id=item.id,
            seq=seq,
            proposer=proposer,
            text=text,
            state=AmendmentState.PENDING.value,
            created_at=now,
            created_by_id=actor.id,
        )
        db.session.add(amendment)
        db.session.flush()
        record(
            "amendment.created",
            "amendment",
            amendment.id,
            actor_id=actor.id,
            data={"agenda_item_id": item.id, "seq": seq, "proposer": proposer},
        )
    return amendment


def withdraw_amendment(actor: User, amendment_id: int, now: datetime | None = None) -> Amendment:
    now = now or utcnow()
    with write_transaction():
        amendment = db.session.get(Amendment, amendment_id, with_for_update=True)
        if amendment is None:
            raise VotingError(_("This amendment does not exist."))
        meeting = access.get_meeting(amendment.meeting_id)
        if meeting is None or not may_propose(actor, meeting):
            raise VotingError(_("You cannot record amendments in this meeting."))
        if not amendment.is_pending:
            raise VotingError(_("This amendment has been decided."))
        if amendment.poll is not None and amendment.poll.is_open:
            raise VotingError(_("The vote on this amendment is running."))
        amendment.state = AmendmentState.WITHDRAWN.value
        amendment.decided_at = now
        db.session.flush()
        record(
            "amendment.withdrawn",
            "amendment",
            amendment.id,
            actor_id=actor.id,
            from_state=AmendmentState.PENDING.value,
            to_state=AmendmentState.WITHDRAWN.value,
        )
    return amendment


def open_amendment_vote(
    actor: User,
    meeting: Meeting,
    amendment_id: int,
    **options: Any,
) -> Poll:
    """Open the vote on an amendment (as :func:`.meeting.open_meeting_poll`)."""
    from .meeting import open_meeting_poll

    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None or amendment.meeting_id != meeting.id:
        raise VotingError(_("This amendment does not exist."))
    if not amendment.is_pending:
        raise VotingError(_("This amendment has been decided."))
    options.setdefault("title", _("Amendment %(seq)d", seq=amendment.seq))
    options["question"] = amendment.text
    return open_meeting_poll(
        actor,
        meeting,
        amendment.agenda_item_id,
        subject=(SUBJECT_TYPE, amendment.id),
        **options,
    )


def _on_poll_closed(poll: Poll, **extra: Any) -> None:
    """An amendment's vote closed: adopted, rejected, or (no quorum) still undecided."""
    if poll.subject_type != SUBJECT_TYPE or poll.subject_id is None:
        return
    amendment = db.session.get(Amendment, poll.subject_id)
    if amendment is None or not amendment.is_pending:
        return
    if poll.result == PollResult.NOT_QUORATE.value:
        return
    adopted = poll.result == PollResult.PASSED.value
    amendment.state = (AmendmentState.ADOPTED if adopted else AmendmentState.REJECTED).value
    amendment.decided_at = extra.get("now") or poll.closed_at or utcnow()
    db.session.flush()
    record(
        "amendment.decided",
        "amendment",
        amendment.id,
        from_state=AmendmentState.PENDING.value,
        to_state=amendment.state,
        data={"poll_id": poll.id, "result": poll.result},
    )


def _resolve(amendment_id: int) -> SubjectInfo | None:
    amendment = db.session.get(Amendment, amendment_id)
    if amendment is None:
        return None
    item = db.session.get(AgendaItem, amendment.agenda_item_id)
    meeting = db.session.get(Meeting, amendment.meeting_id)
    if item is None or meeting is None:
        return None
    return SubjectInfo(
        title=_("Amendment %(seq)d to “%(title)s”", seq=amendment.seq, title=item.title),
        public=bool(item.public and meeting.public),
        url=None,
        body_id=meeting.body_id,
    )


def register_amendments() -> None:
    """From ``voting.init_app``."""
    register_subject_resolver(SUBJECT_TYPE, _resolve)
    signals.poll_closed.connect(_on_poll_closed)
