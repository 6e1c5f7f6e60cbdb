"""Attendance: the roster, present / excused / absent, arrivals and
departures, guests, the voting seats and the live quorum (and the provider
``quorum_present`` for the workflow engine)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.memberships import current_members
from ..governance.models import Membership
from ..timeutil import to_local
from .access import (
    MeetingError,
    get_meeting,
    has_flag,
    in_session_condition,
    lock_meeting,
    may_record_attendance,
)
from .models import AgendaItem, Attendance, AttendanceStatus, Meeting, MeetingGuest

# --- attendance and quorum ----------------------------------------------------------


@dataclass
class RosterLine:
    membership: Membership
    attendance: Attendance | None

    @property
    def status(self) -> str | None:
        return self.attendance.status if self.attendance else None


def roster(meeting: Meeting) -> list[RosterLine]:
    """The body's members on the meeting day with their attendance."""
    members = current_members(meeting.body_id, to_local(meeting.starts_at).date())
    rows = {
        a.membership_id: a
        for a in db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    return [RosterLine(m, rows.get(m.id)) for m in members]


def set_attendance(
    user: User, meeting: Meeting, statuses: dict[int, str], now: datetime | None = None
) -> int:
    """Store present / excused / absent per seat; present sets the arrival time."""
    now = now or utcnow()
    if not may_record_attendance(user, meeting):
        raise MeetingError(_("You cannot record the attendance of this meeting."))
    if not has_flag(meeting, "invited") or has_flag(meeting, "cancelled"):
        raise MeetingError(_("Attendance can be recorded once the invitations are out."))
    allowed = {m.membership.id for m in roster(meeting)}
    for membership_id, status in statuses.items():
        if membership_id not in allowed:
            raise MeetingError(_("This person is not a member of the body."))
        if status not in {s.value for s in AttendanceStatus}:
            raise MeetingError(_("Please choose present, excused or absent."))
    meeting_id = meeting.id
    changed = 0
    with write_transaction():
        lock_meeting(meeting_id)
        rows = {
            a.membership_id: a
            for a in db.session.scalars(
                select(Attendance).where(Attendance.meeting_id == meeting_id)
            )
        }
        for membership_id, status in sorted(statuses.items()):
            row = rows.get(membership_id)
            if row is None:
                row = Attendance(meeting_id=meeting_id, membership_id=membership_id, status=status)
                db.session.add(row)
            elif row.status == status:
                continue
            row.status = status
            if status == AttendanceStatus.PRESENT.value:
                row.arrived_at = row.arrived_at or now
                row.left_at = None
            changed += 1
        db.session.flush()
        if changed:
            record(
                "meeting.attendance",
                "meeting",
                meeting_id,
                actor_id=user.id,
                data={str(k): v for k, v in sorted(statuses.items())},
            )
    return changed


def arrive_or_leave(
    user: User, meeting: Meeting, membership_id: int, arrive: bool, now: datetime | None = None
) -> Attendance:
    """An arrival or a departure during the meeting (with its time)."""
    now = now or utcnow()
    if not may_record_attendance(user, meeting):
        raise MeetingError(_("You cannot record the attendance of this meeting."))
    if not has_flag(meeting, "in_session"):
        raise MeetingError(_("Arrivals and departures are recorded while the meeting is open."))
    if membership_id not in {m.membership.id for m in roster(meeting)}:
        raise MeetingError(_("This person is not a member of the body."))
    meeting_id = meeting.id
    with write_transaction():
        lock_meeting(meeting_id)
        row = db.session.scalar(
            select(Attendance).where(
                Attendance.meeting_id == meeting_id, Attendance.membership_id == membership_id
            )
        )
        if row is None:
            row = Attendance(
                meeting_id=meeting_id,
                membership_id=membership_id,
                status=AttendanceStatus.ABSENT.value,
            )
            db.session.add(row)
        if arrive:
            row.status = AttendanceStatus.PRESENT.value
            row.arrived_at = now
            row.left_at = None
        else:
            if not row.present_now:
                raise MeetingError(_("This person is not present."))
            row.left_at = now
        db.session.flush()
        record(
            "meeting.arrival" if arrive else "meeting.departure",
            "meeting",
            meeting_id,
            actor_id=user.id,
            data={"membership_id": membership_id, "at": now.isoformat()},
        )
    return row


def add_guest(user: User, meeting: Meeting, name: str, organisation: str | None) -> MeetingGuest:
    if not may_record_attendance(user, meeting):
        raise MeetingError(_("You cannot record the attendance of this meeting."))
    name = (name or "").strip()
    if not name:
        raise MeetingError(_("Please enter a name."), "name")
    meeting_id = meeting.id
    with write_transaction():
        guest = MeetingGuest(
            meeting_id=meeting_id,
            name=name[:200],
            organisation=(organisation or "").strip()[:200] or None,
        )
        db.session.add(guest)
        db.session.flush()
        record(
            "meeting.guest_added",
            "meeting",
            meeting_id,
            actor_id=user.id,
            data={"name": guest.name},
        )
    return guest


def guests(meeting: Meeting) -> Sequence[MeetingGuest]:
    return db.session.scalars(
        select(MeetingGuest).where(MeetingGuest.meeting_id == meeting.id).order_by(MeetingGuest.id)
    ).all()


@dataclass(frozen=True)
class Seat:
    """A voting seat and who votes for it now (the member or a deputy), if anyone."""

    membership_id: int
    holder_person_id: int
    voter_person_id: int | None
    by_deputy: bool


def seats(meeting: Meeting) -> list[Seat]:
    """Every seat with a voting right and who represents it now.

    The member votes when present now; otherwise a deputy of the seat who is
    present now (Membership.deputy_of_id) takes the vote.
    """
    members = current_members(meeting.body_id, to_local(meeting.starts_at).date())
    present = {
        a.membership_id
        for a in db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
        if a.present_now
    }
    deputies: dict[int, list[Membership]] = {}
    for m in members:
        if m.deputy_of_id is not None:
            deputies.setdefault(m.deputy_of_id, []).append(m)
    result = []
    for m in members:
        if not m.voting_right or m.deputy_of_id is not None:
            continue
        if m.id in present:
            result.append(Seat(m.id, m.person_id, m.person_id, False))
            continue
        deputy = next((d for d in deputies.get(m.id, []) if d.id in present), None)
        result.append(
            Seat(m.id, m.person_id, deputy.person_id if deputy else None, deputy is not None)
        )
    return result


@dataclass(frozen=True)
class QuorumStatus:
    rule: str
    voting_members: int
    present: int
    required: int

    @property
    def quorate(self) -> bool:
        return self.voting_members > 0 and self.present >= self.required


def quorum_required(rule: str, voting_members: int) -> int:
    """Members with a voting right that must be present (same rule as voting.rules)."""
    if rule == "more_than_half":
        return voting_members // 2 + 1
    if rule == "at_least_half":
        return (voting_members + 1) // 2
    if rule == "one_third":
        return (voting_members + 2) // 3
    return 0


def quorum(meeting: Meeting) -> QuorumStatus:
    """The live quorum: seats represented now (member or deputy present)."""
    all_seats = seats(meeting)
    rule = meeting.body.quorum_rule
    present = sum(1 for s in all_seats if s.voter_person_id is not None)
    return QuorumStatus(rule, len(all_seats), present, quorum_required(rule, len(all_seats)))


# --- providers for the workflow engine --------------------------------------------------


def _open_meeting_with_paper(paper_id: int) -> Meeting | None:
    return db.session.scalar(
        select(Meeting)
        .join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
        .options(joinedload(Meeting.body))
        .where(
            AgendaItem.paper_id == paper_id,
            AgendaItem.withdrawn.is_(False),
            in_session_condition(),
        )
        .order_by(Meeting.starts_at.desc())
        .limit(1)
    )


def quorum_provider(object_type: str, obj: Any) -> bool | None:
    """quorum_present for papers and agenda items: the open meeting dealing with it."""
    meeting: Meeting | None = None
    if object_type == "paper":
        meeting = _open_meeting_with_paper(obj.id)
    elif object_type == "agenda_item":
        meeting = get_meeting(obj.meeting_id)
        if meeting is not None and not has_flag(meeting, "in_session"):
            meeting = None
    elif object_type == "meeting":
        meeting = obj if has_flag(obj, "in_session") else None
    if meeting is None:
        return None
    return quorum(meeting).quorate
