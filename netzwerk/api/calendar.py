"""iCalendar feeds: per public body, per public meeting, and a private feed per user.

Who sees what is :mod:`netzwerk.visibility`'s: public feeds hold what anybody
may see (public meetings of public bodies once out of the planning, with the
public part of their agenda).  The private feed holds every meeting of the
bodies the user currently sits in (public or not, not while planned) with
what the user may see of the agenda (all of it); it is read with a secret
token in the URL because calendar programs cannot log in.  Only the token's
SHA-256 is stored; a new token replaces the old one and revoking deletes it,
so an old URL answers 404 at once.
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

from .. import visibility
from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.models import Body
from ..meetings import agenda
from ..meetings.ics import meeting_event
from ..meetings.models import Meeting
from ..visibility import ANONYMOUS, Viewer
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


def _calendar(name: str, meetings: Sequence[Meeting], viewer: Viewer, now: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Netzwerk//Sitzungen//DE")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    lines = agenda.agenda_lines_for([m.id for m in meetings])
    for meeting in meetings:
        meeting_lines = [
            line
            for line in lines.get(meeting.id, [])
            if visibility.may_see_agenda_item(viewer, line.item)
        ]
        for line in meeting_lines:
            line.children = [
                c for c in line.children if visibility.may_see_agenda_item(viewer, c.item)
            ]
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
        .options(joinedload(Meeting.body), joinedload(Meeting.location))
        .where(visibility.meeting_filter(ANONYMOUS))
    )


def public_body(body_id: int) -> Body | None:
    body = db.session.get(Body, body_id)
    return body if body is not None and visibility.may_see_body(ANONYMOUS, body) else None


def public_feed_bodies() -> Sequence[Body]:
    return db.session.scalars(
        select(Body).where(visibility.body_filter(ANONYMOUS), Body.active).order_by(Body.name)
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
    return _calendar(body.name, meetings, ANONYMOUS, now or utcnow())


def public_meeting_feed(meeting_id: int, now: datetime | None = None) -> bytes | None:
    meeting = db.session.scalars(_public_meetings_query().where(Meeting.id == meeting_id)).first()
    if meeting is None:
        return None
    return _calendar(meeting.display_title, [meeting], ANONYMOUS, now or utcnow())


def user_feed(user: User, name: str, now: datetime | None = None) -> bytes:
    """The meetings of the bodies the user sits in now, public or not (not while planned)."""
    viewer = visibility.viewer(user)
    meetings = list(
        db.session.scalars(
            select(Meeting)
            .options(joinedload(Meeting.body), joinedload(Meeting.location))
            .where(
                Meeting.body_id.in_(sorted(viewer.body_ids)),
                visibility.meeting_filter(viewer),
                visibility.meeting_not_planned(),
            )
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
            .limit(FEED_LIMIT)
        ).unique()
    )
    return _calendar(name, meetings, viewer, now or utcnow())
