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
from ..governance.memberships import ROLE_ORDER, current_filter, current_members
from ..governance.models import Membership, Person
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


def actual_start(meeting: Meeting) -> datetime | None:
    """When the meeting was really opened (None while it has not been)."""
    return meeting.opened_at


def check_moment(meeting: Meeting, at: datetime, now: datetime | None = None) -> datetime:
    """An arrival or departure time entered by the minute-taker: within the
    meeting's real start and end (or now, while it runs), never in the future."""
    now = now or utcnow()
    if at.tzinfo is None:
        raise MeetingError(_("Please give a valid time."), "at")
    start = meeting.opened_at
    if start is None:
        raise MeetingError(_("The meeting has not been opened yet."), "at")
    if meeting.closed_at is not None and at > meeting.closed_at:
        raise MeetingError(
            _(
                "The meeting was closed at %(time)s; please give an earlier time.",
                time=_hm(meeting.closed_at),
            ),
            "at",
        )
    if at > now:
        raise MeetingError(_("The time lies in the future."), "at")
    if at < start:
        raise MeetingError(
            _("The meeting was opened at %(time)s; please give a later time.", time=_hm(start)),
            "at",
        )
    return at


def _hm(value: datetime) -> str:
    return to_local(value).strftime("%H:%M")


def set_attendance(
    user: User, meeting: Meeting, statuses: dict[int, str], now: datetime | None = None
) -> int:
    """Store present / excused / absent per seat.

    Present means present from the meeting's real start: the arrival is the
    time the meeting was opened, never the time of the entry.  Before the
    meeting is opened the arrival stays empty (the opening fills it in);
    late arrivals and early departures have their own times
    (:func:`arrive_or_leave`)."""
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
        current = lock_meeting(meeting_id)
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
                row.arrived_at = row.arrived_at or current.opened_at
                row.left_at = None
            else:
                row.arrived_at = None
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
    user: User,
    meeting: Meeting,
    membership_id: int,
    arrive: bool,
    now: datetime | None = None,
    *,
    at: datetime | None = None,
) -> Attendance:
    """A late arrival or an early departure during the meeting, at its real
    time ``at`` (entered by the minute-taker; default: now), which must lie
    within the meeting's real start and end and not in the future."""
    now = now or utcnow()
    if not may_record_attendance(user, meeting):
        raise MeetingError(_("You cannot record the attendance of this meeting."))
    if not has_flag(meeting, "in_session") and not (has_flag(meeting, "closed") and at is not None):
        raise MeetingError(_("Arrivals and departures are recorded while the meeting is open."))
    if membership_id not in {m.membership.id for m in roster(meeting)}:
        raise MeetingError(_("This person is not a member of the body."))
    meeting_id = meeting.id
    with write_transaction():
        current = lock_meeting(meeting_id)
        when = check_moment(current, at or now, now)
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
            if row.present_now:
                raise MeetingError(_("This person is present already."))
            if row.left_at is not None and when < row.left_at:
                raise MeetingError(
                    _(
                        "This person left at %(time)s; please give a later time.",
                        time=_hm(row.left_at),
                    ),
                    "at",
                )
            row.status = AttendanceStatus.PRESENT.value
            row.arrived_at = when
            row.left_at = None
        else:
            if not row.present_now:
                raise MeetingError(_("This person is not present."))
            if row.arrived_at is not None and when < row.arrived_at:
                raise MeetingError(
                    _(
                        "This person arrived at %(time)s; please give a later time.",
                        time=_hm(row.arrived_at),
                    ),
                    "at",
                )
            row.left_at = when
        db.session.flush()
        record(
            "meeting.arrival" if arrive else "meeting.departure",
            "meeting",
            meeting_id,
            actor_id=user.id,
            data={"membership_id": membership_id, "at": when.isoformat()},
        )
    return row


def deputies_of(meeting: Meeting, membership_id: int) -> list[Membership]:
    """The current deputies of a seat (governance: ``Membership.deputy_of_id``)."""
    return [
        m
        for m in current_members(meeting.body_id, to_local(meeting.starts_at).date())
        if m.deputy_of_id == membership_id
    ]


def deputy_arrives(
    user: User,
    meeting: Meeting,
    member_id: int,
    deputy_id: int,
    now: datetime | None = None,
    *,
    at: datetime | None = None,
) -> Attendance:
    """Record that a deputy is present for a member (from ``at``): the
    deputy's own seat is marked present, and :func:`seats` lets the deputy
    represent the member's seat while the member is absent -- the seat counts
    once, whoever of them is there."""
    member = next((m.membership for m in roster(meeting) if m.membership.id == member_id), None)
    if member is None or member.deputy_of_id is not None:
        raise MeetingError(_("Please choose a member."), "member_id")
    if deputy_id not in {d.id for d in deputies_of(meeting, member_id)}:
        raise MeetingError(
            _("%(name)s has no such deputy in this body.", name=member.person.full_name),
            "deputy_id",
        )
    present = {
        a.membership_id
        for a in db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
        if a.present_now
    }
    if member_id in present:
        raise MeetingError(
            _(
                "%(name)s is present; a deputy stands in only while the member is away. "
                "Record the member's departure first.",
                name=member.person.full_name,
            ),
            "deputy_id",
        )
    others = [d for d in deputies_of(meeting, member_id) if d.id in present and d.id != deputy_id]
    if others:
        raise MeetingError(
            _(
                "%(name)s is already represented by a deputy.",
                name=member.person.full_name,
            ),
            "deputy_id",
        )
    row = arrive_or_leave(user, meeting, deputy_id, True, now, at=at)
    record(
        "meeting.deputy_present",
        "meeting",
        meeting.id,
        actor_id=user.id,
        data={"membership_id": member_id, "deputy_membership_id": deputy_id},
    )
    return row


def record_opening(ctx: Any) -> None:
    """Effect: the meeting's real start is the step's time; members marked
    present before the opening are present from then on."""
    meeting = ctx.obj
    meeting.opened_at = ctx.now
    for row in db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)):
        if row.status == AttendanceStatus.PRESENT.value and row.arrived_at is None:
            row.arrived_at = ctx.now
    db.session.flush()


def record_closing(ctx: Any) -> None:
    """Effect: the meeting's real end is the step's time."""
    ctx.obj.closed_at = ctx.now
    db.session.flush()


def meeting_moment(meeting_id: int, at: datetime) -> datetime:
    """``at`` within the meeting's real times: a result entered after the
    meeting closed is dated at its end, one entered before it opened at its
    start (a decision carries the meeting's time, not the day of entry)."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        return at
    if meeting.closed_at is not None and at > meeting.closed_at:
        return meeting.closed_at
    start = meeting.opened_at or meeting.starts_at
    if at < start:
        return start
    return at


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


def _present_ids(meeting_id: int) -> set[int]:
    """The seats (membership ids) present now."""
    return set(
        db.session.scalars(
            select(Attendance.membership_id).where(
                Attendance.meeting_id == meeting_id,
                Attendance.status == AttendanceStatus.PRESENT.value,
                Attendance.left_at.is_(None),
            )
        )
    )


def seats(meeting: Meeting) -> list[Seat]:
    """Every seat with a voting right and who represents it now.

    The member votes when present now; otherwise a deputy of the seat who is
    present now (Membership.deputy_of_id) takes the vote.  A seat counts
    once, whoever of them is there.  Plain columns, no ORM objects: the
    quorum is asked on every projector refresh and every vote's opening.
    """
    day = to_local(meeting.starts_at).date()
    members = db.session.execute(
        select(
            Membership.id,
            Membership.person_id,
            Membership.voting_right,
            Membership.deputy_of_id,
            Membership.role,
        )
        .join(Person, Membership.person_id == Person.id)
        .where(Membership.body_id == meeting.body_id, current_filter(day))
        .order_by(Person.last_name, Person.first_name, Membership.id)
    ).all()
    members = sorted(members, key=lambda m: ROLE_ORDER.index(m.role))
    present = _present_ids(meeting.id)
    deputies: dict[int, list[Any]] = {}
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
    day = to_local(meeting.starts_at).date()
    rows = db.session.execute(
        select(Membership.id, Membership.voting_right, Membership.deputy_of_id).where(
            Membership.body_id == meeting.body_id, current_filter(day)
        )
    ).all()
    present_ids = _present_ids(meeting.id)
    # A seat is represented by its member or by any present deputy: once.
    represented = {m.id for m in rows if m.deputy_of_id is None and m.id in present_ids}
    represented |= {m.deputy_of_id for m in rows if m.deputy_of_id and m.id in present_ids}
    voting = [m.id for m in rows if m.voting_right and m.deputy_of_id is None]
    present = sum(1 for seat in voting if seat in represented)
    rule = meeting.body.quorum_rule
    return QuorumStatus(rule, len(voting), present, quorum_required(rule, len(voting)))


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
