"""The iCalendar invitation of a meeting (METHOD:REQUEST, stable UID) and its cancellation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from icalendar import Calendar, Event

from ..timeutil import LOCAL_TZ
from ..workflow import services as workflow

if TYPE_CHECKING:
    from .agenda import AgendaLine
    from .models import Meeting

DEFAULT_DURATION = timedelta(hours=2)


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.id}@netzwerk"


def calendar_time(value: datetime) -> datetime:
    """A time as Berlin wall-clock time (with its TZID), or in UTC where the
    wall-clock time is ambiguous: RFC 5545 reads a TZID time in the hour
    repeated in autumn as its first occurrence."""
    local = value.astimezone(LOCAL_TZ)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return value.astimezone(UTC)
    return local


def meeting_event(
    meeting: Meeting, lines: list[AgendaLine], *, sequence: int = 0, now: datetime
) -> Event:
    """The VEVENT of a meeting (also used by the calendar feeds of the api package)."""
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", sequence)
    event.add("dtstamp", now)
    event.add("summary", f"{meeting.number}: {meeting.display_title}")
    event.add("dtstart", calendar_time(meeting.starts_at))
    event.add("dtend", calendar_time(meeting.ends_at or meeting.starts_at + DEFAULT_DURATION))
    location = meeting.location.label if meeting.location else (meeting.online_link or "")
    if location:
        event.add("location", location)
    if meeting.online_link:
        event.add("url", meeting.online_link)
    description = [f"{line.number}. {line.item.title}" for line in lines if not line.item.withdrawn]
    if description:
        event.add("description", "\n".join(description))
    cancelled = workflow.has_flag(meeting, "cancelled")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def meeting_ics(
    meeting: Meeting,
    lines: list[AgendaLine],
    *,
    sequence: int = 0,
    now: datetime,
    method: str = "REQUEST",
) -> bytes:
    """The invitation (REQUEST) or, for a cancelled meeting, the
    cancellation (CANCEL) that removes the entry from the invitees' calendars."""
    calendar = Calendar()
    calendar.add("prodid", "-//Netzwerk//Sitzungen//DE")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    calendar.add_component(meeting_event(meeting, lines, sequence=sequence, now=now))
    calendar.add_missing_timezones()
    return calendar.to_ical()
