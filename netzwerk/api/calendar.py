"""iCalendar feeds: per public body, per public meeting, and a private feed per user.

Public feeds hold the public meetings of public bodies (once invited, never
planned ones) with their public agenda.  The private feed holds every meeting
of the bodies the user currently sits in (public or not) with the full
agenda; it is read with a secret token in the URL because calendar programs
cannot log in.  Only the token's SHA-256 is stored; a new token replaces the
old one and revoking deletes it, so an old URL answers 404 at once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from icalendar import Calendar
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.models import Body, Membership
from ..governance.services import current_filter
from ..meetings import meeting_services as ms
from ..meetings.ics import meeting_event
from ..meetings.models import Meeting
from .models import CalendarFeedToken

FEED_LIMIT = 500
TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


# --- tokens ------------------------------------------------------------------------


def feed_token_info(user: User) -> CalendarFeedToken | None:
    return db.session.scalar(select(CalendarFeedToken).where(CalendarFeedToken.user_id == user.id))


def issue_feed_token(user: User) -> str:
    """A new secret token for the user's feed; the previous one stops working."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    user_id = user.id
    with write_transaction():
        db.session.execute(delete(CalendarFeedToken).where(CalendarFeedToken.user_id == user_id))
        db.session.add(CalendarFeedToken(user_id=user_id, token_hash=hash_token(token)))
        db.session.flush()
        record("calendar.feed_token_issued", "user_account", user_id, actor_id=user_id)
    return token


def revoke_feed_token(user: User) -> bool:
    user_id = user.id
    with write_transaction():
        result: Any = db.session.execute(
            delete(CalendarFeedToken).where(CalendarFeedToken.user_id == user_id)
        )
        removed = bool(result.rowcount)
        if removed:
            record("calendar.feed_token_revoked", "user_account", user_id, actor_id=user_id)
    return removed


def user_for_token(token: str) -> User | None:
    """The active user whose feed token this is (constant work for any input)."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(
        select(CalendarFeedToken).where(CalendarFeedToken.token_hash == hash_token(token))
    )
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return user


# --- building calendars ------------------------------------------------------------------


def _calendar(name: str, meetings: Sequence[Meeting], public_only: bool, now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Netzwerk//Sitzungen//DE")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    lines = ms.agenda_lines_for([m.id for m in meetings])
    for meeting in meetings:
        meeting_lines = lines.get(meeting.id, [])
        if public_only:
            meeting_lines = [line for line in meeting_lines if line.item.public]
            for line in meeting_lines:
                line.children = [c for c in line.children if c.item.public]
        calendar.add_component(
            meeting_event(
                meeting,
                meeting_lines,
                sequence=max((meeting.invitation_rounds or 0) - 1, 0),
                now=now,
            )
        )
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _public_meetings_query() -> Any:
    return (
        select(Meeting)
        .join(Body, Meeting.body_id == Body.id)
        .options(joinedload(Meeting.body), joinedload(Meeting.location))
        .where(Body.public, Meeting.public, ms.not_planned_condition())
    )


def public_body(body_id: int) -> Body | None:
    body = db.session.get(Body, body_id)
    return body if body is not None and body.public else None


def public_feed_bodies() -> Sequence[Body]:
    return db.session.scalars(
        select(Body).where(Body.public, Body.active).order_by(Body.name)
    ).all()


def body_feed(body: Body, now: datetime | None = None) -> bytes:
    meetings = list(
        db.session.scalars(
            _public_meetings_query()
            .where(Meeting.body_id == body.id)
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
            .limit(FEED_LIMIT)
        ).unique()
    )
    return _calendar(body.name, meetings, True, now or utcnow())


def public_meeting_feed(meeting_id: int, now: datetime | None = None) -> bytes | None:
    meeting = db.session.scalars(_public_meetings_query().where(Meeting.id == meeting_id)).first()
    if meeting is None:
        return None
    return _calendar(meeting.display_title, [meeting], True, now or utcnow())


def user_feed(user: User, name: str, now: datetime | None = None) -> bytes:
    """The meetings of the bodies the user sits in now, public or not (not while planned)."""
    body_ids = select(Membership.body_id).where(
        Membership.person_id == user.person_id, current_filter()
    )
    meetings = list(
        db.session.scalars(
            select(Meeting)
            .options(joinedload(Meeting.body), joinedload(Meeting.location))
            .where(Meeting.body_id.in_(body_ids), ms.not_planned_condition())
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
            .limit(FEED_LIMIT)
        ).unique()
    )
    return _calendar(name, meetings, False, now or utcnow())
