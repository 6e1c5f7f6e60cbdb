"""The chair's cockpit: the meeting as it is held.

What the chair and the minute-taker see on one page (the current agenda
item, the live quorum, who is present, the speakers, the vote in progress,
pending self check-ins) and the steps only the cockpit takes: calling an
item (the current item is the one called last, ``AgendaItem.called_at``),
and reading the real time a minute-taker typed for an arrival or departure.
The other steps are the services of ``attendance``, ``speakers``,
``checkin``, ``projector`` and the meeting workflow.

The page follows the room without reloading as the projector does: its
script polls a fragment of the live regions (:data:`LIVE_REGIONS`) with
``If-None-Match``.  :func:`live_digests` hashes what each region shows, so
an unchanged cockpit answers 304 without rendering, and the script replaces
only the regions whose digest changed (never one the chair is typing in).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..timeutil import LOCAL_TZ, to_local
from . import agenda, attendance, hooks, speakers
from .access import MeetingError, has_flag, lock_meeting
from .models import AgendaItem, Meeting, Speaker

# --- the current item ------------------------------------------------------------------------


def current_item(meeting: Meeting) -> AgendaItem | None:
    """The item the chair called last (None before the first call)."""
    return db.session.scalar(
        select(AgendaItem)
        .where(
            AgendaItem.meeting_id == meeting.id,
            AgendaItem.called_at.is_not(None),
            AgendaItem.withdrawn.is_(False),
        )
        .order_by(AgendaItem.called_at.desc(), AgendaItem.id.desc())
        .limit(1)
    )


def current_line(meeting: Meeting, public_only: bool = False) -> agenda.AgendaLine | None:
    """The current item with its number in the agenda."""
    item = current_item(meeting)
    if item is None:
        return None
    # The items without their papers: only the numbering is needed here.
    items = list(db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)))
    for line in agenda.flatten(agenda._ordered(items)):
        if line.item.id == item.id:
            return None if public_only and not line.item.public else line
    return None


def next_item(meeting: Meeting) -> AgendaItem | None:
    """The item after the current one in the agenda's order (the first one
    before any was called); None at the end."""
    lines = [line for line in agenda.flatten(agenda.agenda(meeting)) if not line.item.withdrawn]
    current = current_item(meeting)
    if current is None:
        return lines[0].item if lines else None
    ids = [line.item.id for line in lines]
    if current.id not in ids:
        return None
    index = ids.index(current.id)
    return lines[index + 1].item if index + 1 < len(lines) else None


def call_item(
    user: User, meeting: Meeting, item_id: int | None = None, now: datetime | None = None
) -> AgendaItem:
    """Call an item (by default the next one): it becomes the current item.
    An audited event of the meeting."""
    now = now or utcnow()
    if not speakers.may_chair(user, meeting):
        raise MeetingError(_("Only the chair and the office call the agenda items."))
    if not has_flag(meeting, "in_session"):
        raise MeetingError(_("Agenda items are called while the meeting is open."))
    if item_id is None:
        found = next_item(meeting)
        if found is None:
            raise MeetingError(_("There is no further item on the agenda."))
        item_id = found.id
    meeting_id = meeting.id
    with write_transaction():
        lock_meeting(meeting_id)
        item = db.session.get(AgendaItem, item_id)
        if item is None or item.meeting_id != meeting_id or item.withdrawn:
            raise MeetingError(_("This agenda item does not exist."))
        # Strictly later than any earlier call, so "the last called" is clear
        # even for two calls in the same instant.
        latest = db.session.scalar(
            select(AgendaItem.called_at)
            .where(AgendaItem.meeting_id == meeting_id, AgendaItem.called_at.is_not(None))
            .order_by(AgendaItem.called_at.desc())
            .limit(1)
        )
        item.called_at = max(now, latest + timedelta(microseconds=1)) if latest else now
        db.session.flush()
        record(
            "meeting.item_called",
            "meeting",
            meeting_id,
            actor_id=user.id,
            data={"item_id": item.id, "title": item.title, "at": now.isoformat()},
        )
    return item


# --- the time a minute-taker types ----------------------------------------------------------

_CLOCK = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


def moment_from_form(meeting: Meeting, value: str | None, now: datetime | None = None) -> datetime:
    """The instant of a wall-clock time ("17:05", Berlin) typed for an
    arrival or departure: on the day the meeting was opened (or the next
    day, for a meeting that runs past midnight); empty means now.  Refused
    (MeetingError on the field ``at``) unless it lies within the meeting's
    real start and end and not in the future."""
    now = now or utcnow()
    text = (value or "").strip()
    if not text:
        return attendance.check_moment(meeting, now, now)
    match = _CLOCK.match(text) if len(text) <= 8 else None
    if match is None:
        raise MeetingError(_("Please give the time as HH:MM."), "at")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise MeetingError(_("Please give the time as HH:MM."), "at")
    start = meeting.opened_at
    if start is None:
        raise MeetingError(_("The meeting has not been opened yet."), "at")
    day = to_local(start).date()
    at = datetime.combine(day, time(hour, minute), LOCAL_TZ).astimezone(start.tzinfo)
    if at < start.replace(second=0, microsecond=0):
        later = at + timedelta(days=1)
        if later <= now:  # a meeting past midnight
            at = later
    if at < start <= at + timedelta(minutes=1):
        at = start  # the minute the meeting was opened
    return attendance.check_moment(meeting, at, now)


# --- what the cockpit shows -----------------------------------------------------------------


@dataclass
class PresenceLine:
    line: attendance.RosterLine
    deputies: list[Any]
    represented_by: Any | None  # a deputy's membership standing in for this seat now

    @property
    def present_now(self) -> bool:
        return bool(self.line.attendance and self.line.attendance.present_now)


@dataclass
class Cockpit:
    meeting: Meeting
    lines: list[agenda.AgendaLine]
    current: agenda.AgendaLine | None
    next_item: AgendaItem | None
    quorum: attendance.QuorumStatus
    presence: list[PresenceLine]
    queue: list[Speaker]
    spoken: list[Speaker]
    polls: list[hooks.ItemPoll]
    speaking_ends_at: datetime | None
    checkins: list[Any]
    projector_links: list[Any]


def presence(meeting: Meeting) -> list[PresenceLine]:
    """The roster (members, not their deputies) with each seat's deputies
    and the deputy who stands in now."""
    roster = attendance.roster(meeting)
    present = {
        line.membership.id
        for line in roster
        if line.attendance is not None and line.attendance.present_now
    }
    deputies: dict[int, list[Any]] = {}
    for line in roster:
        if line.membership.deputy_of_id is not None:
            deputies.setdefault(line.membership.deputy_of_id, []).append(line.membership)
    result = []
    for line in roster:
        if line.membership.deputy_of_id is not None:
            continue
        mine = deputies.get(line.membership.id, [])
        standing_in = (
            next((d for d in mine if d.id in present), None)
            if line.membership.id not in present
            else None
        )
        result.append(PresenceLine(line, mine, standing_in))
    return result


def cockpit(meeting: Meeting) -> Cockpit:
    from . import checkin, projector

    lines = agenda.agenda(meeting)
    current = current_line(meeting)
    queue = speakers.queue(current.item.id) if current else []
    spoken = speakers.spoken([current.item.id]).get(current.item.id, []) if current else []
    polls = hooks.polls_for_items([current.item.id]).get(current.item.id, []) if current else []
    return Cockpit(
        meeting=meeting,
        lines=lines,
        current=current,
        next_item=next_item(meeting) if has_flag(meeting, "in_session") else None,
        quorum=attendance.quorum(meeting),
        presence=presence(meeting),
        queue=queue,
        spoken=spoken,
        polls=polls,
        speaking_ends_at=speakers.speaking_ends_at(current.item, queue) if current else None,
        checkins=checkin.pending(meeting),
        projector_links=projector.active_links(meeting),
    )


# --- what the live regions show --------------------------------------------------------------

# The regions of the cockpit its script refreshes; ``page`` is the rest
# (the meeting's flags): when it changes, the script loads the page again.
LIVE_REGIONS = ("item", "quorum", "vote", "speakers", "checkins", "presence")


def _digest(value: Any) -> str:
    payload = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def live_digests(state: Cockpit, flags: Iterable[str], may_open_poll: bool) -> dict[str, str]:
    """A digest per live region of what it shows, and ``page`` for the
    meeting's flags (the parts of the page that are not live)."""
    current = state.current
    facts: dict[str, Any] = {
        # The forms outside the regions act on the current item.
        "page": [sorted(flags), current.item.id if current else None],
        "item": [
            [current.item.id, current.number, current.item.title] if current else None,
            [state.next_item.id, state.next_item.title] if state.next_item else None,
            [
                [line.item.id, line.number, line.item.title, line.item.withdrawn]
                for line in agenda.flatten(state.lines)
            ],
        ],
        "quorum": asdict(state.quorum),
        "vote": [
            [asdict(p) for p in state.polls],
            may_open_poll,
            current.item.id if current else None,
        ],
        "speakers": [
            [current.item.id, current.item.speakers_closed] if current else None,
            [[s.id, s.status, s.position, s.point_of_order, s.person_id] for s in state.queue],
            [[s.id, s.status] for s in state.spoken],
            state.speaking_ends_at,
        ],
        "checkins": [[c.id, c.membership_id, c.checked_in_at] for c in state.checkins],
        "presence": [
            [
                p.line.membership.id,
                p.line.attendance.status if p.line.attendance else None,
                p.line.attendance.arrived_at if p.line.attendance else None,
                p.line.attendance.left_at if p.line.attendance else None,
                p.represented_by.id if p.represented_by else None,
                [d.id for d in p.deputies],
            ]
            for p in state.presence
        ],
    }
    return {name: _digest(value) for name, value in facts.items()}


def live_etag(digests: dict[str, str]) -> str:
    """The ETag of the cockpit's live fragment."""
    return _digest(digests)
