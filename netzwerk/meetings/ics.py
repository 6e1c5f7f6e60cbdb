"""The iCalendar invitation of a meeting and its cancellation, as iTIP (RFC 5546).

An invitation mail carries a REQUEST, a cancellation a CANCEL, each with
what RFC 5546 requires of them: METHOD, PRODID and VERSION on the calendar;
UID, SEQUENCE, DTSTAMP and ORGANIZER on the event, with DTSTART and SUMMARY
for a REQUEST; and an ATTENDEE, the addressee of the mail (each invitee gets
a calendar of their own).  The text is UTF-8 (the mail part says so).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from icalendar import Calendar, Event, vCalAddress, vText

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


# The content type of an invitation's calendar part (with its method).
def content_type(method: str) -> str:
    return f"text/calendar; charset=UTF-8; method={method}"


def calendar_address(email: str, name: str | None = None, **params: str) -> vCalAddress:
    """``mailto:`` address with its common name (umlauts kept, quoted as needed)."""
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    for key, value in params.items():
        address.params[key.replace("_", "-").upper()] = vText(value)
    return address


def meeting_ics(
    meeting: Meeting,
    lines: list[AgendaLine],
    *,
    sequence: int = 0,
    now: datetime,
    method: str = "REQUEST",
    organizer: tuple[str, str | None] | None = None,
    attendee: tuple[str, str | None] | None = None,
) -> bytes:
    """The invitation (REQUEST) or, for a cancelled meeting, the
    cancellation (CANCEL) that removes the entry from the invitees' calendars.

    ``organizer`` and ``attendee`` are (address, name): the office that
    sends the mail and the person it goes to."""
    calendar = Calendar()
    calendar.add("prodid", "-//Netzwerk//Sitzungen//DE")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = meeting_event(meeting, lines, sequence=sequence, now=now)
    if organizer is not None:
        event.add("organizer", calendar_address(organizer[0], organizer[1]))
    if attendee is not None:
        event.add(
            "attendee",
            calendar_address(
                attendee[0],
                attendee[1],
                role="REQ-PARTICIPANT",
                partstat="NEEDS-ACTION",
                cutype="INDIVIDUAL",
            ),
        )
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def office_organizer() -> tuple[str, str | None]:
    """The ORGANIZER of the network's calendar entries: the sender of its mails."""
    from flask import current_app

    name = str(current_app.config.get("NETZWERK_NETWORK_NAME") or "") or None
    return str(current_app.config["MAIL_SENDER"]), name


def published_ics(
    meeting: Meeting, lines: list[AgendaLine], *, sequence: int, now: datetime
) -> bytes:
    """The meeting as a file to download (METHOD:PUBLISH with its ORGANIZER):
    no invitation to anyone, so no ATTENDEE."""
    return meeting_ics(
        meeting, lines, sequence=sequence, now=now, method="PUBLISH", organizer=office_organizer()
    )
