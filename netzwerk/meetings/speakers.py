"""The speakers list (Redeliste) of an agenda item.

Members ask to speak from their own device (and withdraw); the chair or
the office adds speakers, orders them, gives the floor, marks a speech as
done, closes and reopens the list, and may set a speaking time per item.
Points of order (Geschäftsordnungsanträge) go to the top of the list.

A person waits at most once per item and kind: the unique constraint on
``meeting_speaker`` refuses a second pending request (a double click, two
devices), and :func:`ask_to_speak` answers it with a message.  Every change
is an audit event of the meeting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.memberships import body_roles_of, current_members
from ..timeutil import to_local
from .access import MeetingError, has_flag, lock_meeting, may_manage
from .models import AgendaItem, Meeting, Speaker, SpeakerStatus

WAITING = SpeakerStatus.WAITING.value
SPEAKING = SpeakerStatus.SPEAKING.value
DONE = SpeakerStatus.DONE.value
WITHDRAWN = SpeakerStatus.WITHDRAWN.value
MAX_SPEAKING_MINUTES = 60


def may_chair(user: object, meeting: Meeting) -> bool:
    """Who runs the meeting: its managers (office, staff) and the body's
    chair and vice chair."""
    if may_manage(user, meeting.body_id):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return False
    return bool({"chair", "vice_chair"} & body_roles_of(person_id, meeting.body_id))


def member_ids(meeting: Meeting) -> set[int]:
    """The persons who are members of the body on the meeting day."""
    return {
        m.person_id for m in current_members(meeting.body_id, to_local(meeting.starts_at).date())
    }


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id or item.withdrawn:
        raise MeetingError(_("This agenda item does not exist."))
    return item


def _check_in_session(meeting: Meeting) -> None:
    if not has_flag(meeting, "in_session"):
        raise MeetingError(_("The speakers list is kept while the meeting is open."))


def _check_chair(user: User, meeting: Meeting) -> None:
    if not may_chair(user, meeting):
        raise MeetingError(_("Only the chair and the office manage the speakers list."))


# --- reading ------------------------------------------------------------------------------


def queue(item_id: int) -> list[Speaker]:
    """Who speaks now, then the points of order, then the list in its order."""
    return list(
        db.session.scalars(
            select(Speaker)
            .options(joinedload(Speaker.person))
            .where(Speaker.agenda_item_id == item_id, Speaker.pending.is_(True))
            .order_by(
                (Speaker.status != SPEAKING),
                Speaker.point_of_order.desc(),
                Speaker.position,
                Speaker.id,
            )
        )
    )


def spoken(item_ids: Sequence[int]) -> dict[int, list[Speaker]]:
    """Who has spoken on each item, in order (for the minutes)."""
    result: dict[int, list[Speaker]] = {}
    if not item_ids:
        return result
    for speaker in db.session.scalars(
        select(Speaker)
        .options(joinedload(Speaker.person))
        .where(Speaker.agenda_item_id.in_(list(item_ids)), Speaker.status.in_([SPEAKING, DONE]))
        .order_by(Speaker.started_at, Speaker.id)
    ):
        result.setdefault(speaker.agenda_item_id, []).append(speaker)
    return result


def my_requests(item_id: int, person_id: int) -> list[Speaker]:
    return [s for s in queue(item_id) if s.person_id == person_id]


def speaking_ends_at(item: AgendaItem, speakers: list[Speaker]) -> datetime | None:
    """When the current speaker's time runs out (None: no limit or nobody)."""
    from datetime import timedelta

    current = next((s for s in speakers if s.status == SPEAKING), None)
    if current is None or current.started_at is None or not item.speaking_seconds:
        return None
    return current.started_at + timedelta(seconds=item.speaking_seconds)


# --- members ---------------------------------------------------------------------------------


def _next_position(item_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.coalesce(func.max(Speaker.position), -1) + 1).where(
                Speaker.agenda_item_id == item_id
            )
        )
        or 0
    )


def _insert(
    meeting: Meeting,
    item_id: int,
    person_id: int,
    point_of_order: bool,
    actor: User,
    now: datetime,
    action: str,
) -> Speaker:
    """Put a person on the list (one savepoint; the constraint refuses a double)."""
    meeting_id = meeting.id
    try:
        with write_transaction():
            lock_meeting(meeting_id)
            item = _item(meeting, item_id)
            if item.speakers_closed and not point_of_order and action == "meeting.speaker_asked":
                raise MeetingError(_("The speakers list of this item is closed."))
            speaker = Speaker(
                agenda_item_id=item.id,
                person_id=person_id,
                point_of_order=point_of_order,
                status=WAITING,
                pending=True,
                position=_next_position(item.id),
                requested_at=now,
                added_by_id=actor.id,
            )
            db.session.add(speaker)
            db.session.flush()
            record(
                action,
                "meeting",
                meeting_id,
                actor_id=actor.id,
                data={
                    "item_id": item.id,
                    "person_id": person_id,
                    "point_of_order": point_of_order,
                },
            )
    except IntegrityError:
        raise MeetingError(
            _("This request to speak is on the list already.")
            if not point_of_order
            else _("This point of order is on the list already.")
        ) from None
    return speaker


def ask_to_speak(
    user: User,
    meeting: Meeting,
    item_id: int,
    *,
    point_of_order: bool = False,
    now: datetime | None = None,
) -> Speaker:
    """A member asks to speak (or raises a point of order) on an item."""
    now = now or utcnow()
    _check_in_session(meeting)
    if user.person_id is None or user.person_id not in member_ids(meeting):
        raise MeetingError(_("Only members of the body can ask to speak."))
    return _insert(
        meeting, item_id, user.person_id, point_of_order, user, now, "meeting.speaker_asked"
    )


def withdraw(user: User, meeting: Meeting, speaker_id: int) -> None:
    """A member withdraws their own waiting request."""
    speaker = _speaker(meeting, speaker_id)
    if speaker.person_id != user.person_id:
        raise MeetingError(_("You can withdraw only your own request."))
    _set_status(user, meeting, speaker, WITHDRAWN, "meeting.speaker_withdrawn")


# --- the chair -----------------------------------------------------------------------------


def add_speaker(
    user: User,
    meeting: Meeting,
    item_id: int,
    person_id: int,
    *,
    point_of_order: bool = False,
    now: datetime | None = None,
) -> Speaker:
    """The chair puts a member on the list (also when it is closed)."""
    now = now or utcnow()
    _check_chair(user, meeting)
    _check_in_session(meeting)
    if person_id not in member_ids(meeting):
        raise MeetingError(_("Please choose a member of the body."), "person_id")
    return _insert(meeting, item_id, person_id, point_of_order, user, now, "meeting.speaker_added")


def _speaker(meeting: Meeting, speaker_id: int) -> Speaker:
    speaker = db.session.get(Speaker, speaker_id)
    if speaker is None:
        raise MeetingError(_("This request to speak does not exist."))
    item = db.session.get(AgendaItem, speaker.agenda_item_id)
    if item is None or item.meeting_id != meeting.id:
        raise MeetingError(_("This request to speak does not exist."))
    if not speaker.pending:
        raise MeetingError(_("This request to speak is no longer on the list."))
    return speaker


def _set_status(
    user: User,
    meeting: Meeting,
    speaker: Speaker,
    status: str,
    action: str,
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    _check_in_session(meeting)
    speaker_id = speaker.id
    with write_transaction():
        lock_meeting(meeting.id)
        current = db.session.get(Speaker, speaker_id, populate_existing=True)
        if current is None or not current.pending:
            raise MeetingError(_("This request to speak is no longer on the list."))
        if status == SPEAKING:
            for other in queue(current.agenda_item_id):
                if other.status == SPEAKING and other.id != current.id:
                    other.status, other.pending, other.ended_at = DONE, None, now
            current.started_at = now
        elif status in (DONE, WITHDRAWN):
            current.pending = None
            if current.status == SPEAKING:
                current.ended_at = now
        current.status = status
        db.session.flush()
        record(
            action,
            "meeting",
            meeting.id,
            actor_id=user.id,
            data={"item_id": current.agenda_item_id, "speaker_id": current.id},
        )


def give_floor(user: User, meeting: Meeting, speaker_id: int, now: datetime | None = None) -> None:
    """The chair gives the floor: this speaker speaks now, the one before is done."""
    _check_chair(user, meeting)
    speaker = _speaker(meeting, speaker_id)
    _set_status(user, meeting, speaker, SPEAKING, "meeting.speaker_speaking", now)


def finish(user: User, meeting: Meeting, speaker_id: int, now: datetime | None = None) -> None:
    """The speech is over (or the chair strikes a waiting request)."""
    _check_chair(user, meeting)
    speaker = _speaker(meeting, speaker_id)
    if speaker.status == SPEAKING:
        _set_status(user, meeting, speaker, DONE, "meeting.speaker_done", now)
    else:
        _set_status(user, meeting, speaker, WITHDRAWN, "meeting.speaker_struck", now)


def move(user: User, meeting: Meeting, speaker_id: int, direction: int) -> None:
    """Move a waiting speaker one place up (-1) or down (+1) among the same kind."""
    _check_chair(user, meeting)
    _check_in_session(meeting)
    speaker = _speaker(meeting, speaker_id)
    with write_transaction():
        lock_meeting(meeting.id)
        line = [
            s
            for s in queue(speaker.agenda_item_id)
            if s.status == WAITING and s.point_of_order == speaker.point_of_order
        ]
        index = next((i for i, s in enumerate(line) if s.id == speaker.id), None)
        if index is None:
            raise MeetingError(_("Only waiting speakers can be moved."))
        other_index = index + (1 if direction > 0 else -1)
        if not 0 <= other_index < len(line):
            return
        # Renumber the line in its order, then swap the two places.
        positions = [s.position for s in line]
        if len(set(positions)) != len(positions):
            positions = list(range(min(positions), min(positions) + len(line)))
        for s, position in zip(line, positions, strict=True):
            s.position = position
        line[index].position, line[other_index].position = (
            line[other_index].position,
            line[index].position,
        )
        db.session.flush()
        record(
            "meeting.speaker_moved",
            "meeting",
            meeting.id,
            actor_id=user.id,
            data={"item_id": speaker.agenda_item_id, "speaker_id": speaker.id, "by": direction},
        )


def set_closed(user: User, meeting: Meeting, item_id: int, closed: bool) -> None:
    """Close the list (only the chair adds then; points of order stay
    possible) or reopen it."""
    _check_chair(user, meeting)
    _check_in_session(meeting)
    with write_transaction():
        lock_meeting(meeting.id)
        item = _item(meeting, item_id)
        if item.speakers_closed == closed:
            return
        item.speakers_closed = closed
        db.session.flush()
        record(
            "meeting.speakers_closed" if closed else "meeting.speakers_reopened",
            "meeting",
            meeting.id,
            actor_id=user.id,
            data={"item_id": item.id},
        )


def set_speaking_time(user: User, meeting: Meeting, item_id: int, minutes: int | None) -> None:
    """The speaking time per speech on this item (None: no limit)."""
    _check_chair(user, meeting)
    if minutes is not None and not 1 <= minutes <= MAX_SPEAKING_MINUTES:
        raise MeetingError(
            _("Please give between 1 and %(max)d minutes.", max=MAX_SPEAKING_MINUTES), "minutes"
        )
    with write_transaction():
        lock_meeting(meeting.id)
        item = _item(meeting, item_id)
        item.speaking_seconds = minutes * 60 if minutes else None
        db.session.flush()
        record(
            "meeting.speaking_time",
            "meeting",
            meeting.id,
            actor_id=user.id,
            data={"item_id": item.id, "minutes": minutes},
        )
