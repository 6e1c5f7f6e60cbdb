"""Self check-in: a member confirms "I am here" from their phone (the QR
code on the projector leads to the page); the minute-taker sees the
pending check-ins in the cockpit and confirms them.  A confirmed check-in
is an arrival at the time of the check-in, so it counts towards the quorum
like any other presence (a deputy's check-in represents the member's seat
while the member is absent: :func:`attendance.seats`)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.models import Membership
from . import attendance
from .access import MeetingError, has_flag, lock_meeting, may_record_attendance
from .models import Attendance, CheckIn, Meeting


def my_membership(user: User, meeting: Meeting) -> Membership | None:
    """The user's seat in the body on the meeting day (any role)."""
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return None
    return next(
        (
            line.membership
            for line in attendance.roster(meeting)
            if line.membership.person_id == person_id
        ),
        None,
    )


def my_check_in(user: User, meeting: Meeting) -> CheckIn | None:
    membership = my_membership(user, meeting)
    if membership is None:
        return None
    return db.session.scalar(
        select(CheckIn).where(
            CheckIn.meeting_id == meeting.id, CheckIn.membership_id == membership.id
        )
    )


def is_present(meeting: Meeting, membership_id: int) -> bool:
    row = db.session.scalar(
        select(Attendance).where(
            Attendance.meeting_id == meeting.id, Attendance.membership_id == membership_id
        )
    )
    return bool(row and row.present_now)


def check_in(user: User, meeting: Meeting, now: datetime | None = None) -> CheckIn:
    """The member says they are here (once; a second tap changes nothing)."""
    now = now or utcnow()
    if not has_flag(meeting, "in_session"):
        raise MeetingError(_("You can check in while the meeting is open."))
    membership = my_membership(user, meeting)
    if membership is None:
        raise MeetingError(_("Only members of the body can check in."))
    if is_present(meeting, membership.id):
        raise MeetingError(_("You are recorded as present already."))
    existing = my_check_in(user, meeting)
    if existing is not None:
        return existing
    meeting_id = meeting.id
    try:
        with write_transaction():
            row = CheckIn(meeting_id=meeting_id, membership_id=membership.id, checked_in_at=now)
            db.session.add(row)
            db.session.flush()
            record(
                "meeting.checked_in",
                "meeting",
                meeting_id,
                actor_id=user.id,
                data={"membership_id": membership.id, "at": now.isoformat()},
            )
    except IntegrityError:
        found = my_check_in(user, meeting)
        if found is None:
            raise
        return found
    return row


def pending(meeting: Meeting) -> list[CheckIn]:
    """Check-ins the minute-taker has not confirmed yet."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .options(joinedload(CheckIn.membership).joinedload(Membership.person))
            .where(CheckIn.meeting_id == meeting.id, CheckIn.confirmed_at.is_(None))
            .order_by(CheckIn.checked_in_at, CheckIn.id)
        )
    )


def confirm(user: User, meeting: Meeting, checkin_id: int, now: datetime | None = None) -> CheckIn:
    """The minute-taker confirms: the member is present from the check-in's time."""
    now = now or utcnow()
    if not may_record_attendance(user, meeting):
        raise MeetingError(_("You cannot record the attendance of this meeting."))
    row = db.session.get(CheckIn, checkin_id)
    if row is None or row.meeting_id != meeting.id:
        raise MeetingError(_("This check-in does not exist."))
    if row.confirmed_at is not None:
        raise MeetingError(_("This check-in is confirmed already."))
    membership_id, at = row.membership_id, row.checked_in_at
    with write_transaction():
        current = lock_meeting(meeting.id)
        if current.opened_at is not None and at < current.opened_at:
            at = current.opened_at
        if not is_present(current, membership_id):
            attendance.arrive_or_leave(user, current, membership_id, True, now, at=at)
        row = db.session.get(CheckIn, checkin_id, populate_existing=True)  # type: ignore[assignment]
        assert row is not None
        row.confirmed_at = now
        row.confirmed_by_id = user.id
        db.session.flush()
        record(
            "meeting.check_in_confirmed",
            "meeting",
            meeting.id,
            actor_id=user.id,
            data={"membership_id": membership_id, "at": at.isoformat()},
        )
    return row
