"""Meeting places: the list, adding and editing (with the updated
invitation for the invited meetings at a changed place)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, value_taken, write_transaction
from ..extensions import db
from ..rules import checked_text
from .access import MeetingError, awaiting_condition, lock_meeting, not_over_condition
from .invitations import new_invitation_round
from .models import Location, Meeting

# --- locations ----------------------------------------------------------------


def locations(include_inactive: bool = False) -> Sequence[Location]:
    stmt = select(Location).order_by(Location.name)
    if not include_inactive:
        stmt = stmt.where(Location.active)
    return db.session.scalars(stmt).all()


def get_location(location_id: int) -> Location | None:
    return db.session.get(Location, location_id)


def _location_values(
    name: str | None, address: str | None, room: str | None, *, exclude_id: int | None = None
) -> dict[str, str | None]:
    """The rules for a place, the same for adding and editing: a name not yet
    taken by another place (ignoring case), room and address optional, each
    within its column and without NUL bytes.  Run inside the write
    transaction; the unique constraint on the name is the last word."""
    values: dict[str, str | None] = {}
    for field_name, value, max_length in (
        ("name", name, 200),
        ("room", room, 100),
        ("address", address, 300),
    ):
        text = checked_text(value, field_name, max_length, error=MeetingError)
        values[field_name] = text or None
    if values["name"] is None:
        raise MeetingError(_("Please enter a name."), "name")
    if value_taken(Location.name, values["name"], exclude_id):
        raise MeetingError(_("A place with this name exists already."), "name")
    return values


def create_location(user: User, *, name: str, address: str, room: str) -> Location:
    try:
        with write_transaction():
            location = Location(**_location_values(name, address, room))
            db.session.add(location)
            db.session.flush()
            record("meeting.location_created", "meeting_location", location.id, actor_id=user.id)
    except IntegrityError:
        raise MeetingError(_("A place with this name exists already."), "name") from None
    return location


def update_location(
    user: User,
    location_id: int,
    *,
    name: str,
    address: str,
    room: str,
    send_updates: bool = False,
    now: datetime | None = None,
) -> LocationUpdate:
    """Change a place's name, room and address (staff).  Meetings reference
    the place, so every meeting that uses it shows the new data at once.

    ``send_updates`` sends, in the same transaction, the changed invitation
    for every upcoming meeting at the place whose invitations went out and
    that has not opened yet – only when something changed."""
    now = now or utcnow()
    if not getattr(user, "is_staff", False):
        raise MeetingError(_("You cannot change meeting places."))
    try:
        with write_transaction():
            location = db.session.get(
                Location, location_id, with_for_update=True, populate_existing=True
            )
            if location is None:
                raise MeetingError(_("This place does not exist."))
            values = _location_values(name, address, room, exclude_id=location.id)
            changes = {}
            for key, value in values.items():
                if getattr(location, key) != value:
                    changes[key] = {"from": getattr(location, key), "to": value}
                    setattr(location, key, value)
            meetings = mails = 0
            if changes:
                db.session.flush()
                record(
                    "meeting.location_updated",
                    "meeting_location",
                    location.id,
                    actor_id=user.id,
                    data={"changes": changes},
                )
                if send_updates:
                    for meeting in invited_meetings_at(location.id, now):
                        current = lock_meeting(meeting.id)
                        mails += new_invitation_round(
                            current, user.id, now, changed=["location_id"]
                        )
                        meetings += 1
    except IntegrityError:
        raise MeetingError(_("A place with this name exists already."), "name") from None
    return LocationUpdate(location, bool(changes), meetings, mails)


@dataclass(frozen=True)
class LocationUpdate:
    location: Location
    changed: bool
    meetings: int  # meetings whose updated invitation was sent
    invitations: int  # mails queued for them


def invited_meetings_at(location_id: int, now: datetime | None = None) -> Sequence[Meeting]:
    """Upcoming meetings at the place whose invitations went out and that
    have not opened: those an updated invitation can go to."""
    return db.session.scalars(
        select(Meeting)
        .where(
            Meeting.location_id == location_id,
            Meeting.starts_at >= (now or utcnow()),
            awaiting_condition(),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()


def upcoming_meetings_at(location_id: int, limit: int = 50) -> Sequence[Meeting]:
    """The meetings still to come (not cancelled) that use the place, soonest first."""
    return (
        db.session.scalars(
            select(Meeting)
            .options(joinedload(Meeting.body))
            .where(
                Meeting.location_id == location_id,
                Meeting.starts_at >= utcnow(),
                not_over_condition(),
            )
            .order_by(Meeting.starts_at)
            .limit(limit)
        )
        .unique()
        .all()
    )
