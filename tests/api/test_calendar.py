"""Calendar feeds: public per body and meeting, private per user with a revocable token."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from netzwerk.api.models import CalendarFeedToken
from netzwerk.database import utcnow
from netzwerk.extensions import db
from netzwerk.governance.models import Body
from netzwerk.timeutil import LOCAL_TZ, local_today

from .helpers import SECRET, Scenario

URL_RE = re.compile(r'value="(http://localhost/kalender/privat/[^"]+\.ics)"')


def _events(data: bytes) -> list[object]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def _body_id(app, short_name: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return int(db.session.scalar(select(Body.id).where(Body.short_name == short_name)))


def test_public_body_feed_holds_only_public_meetings(client, app, scenario: Scenario) -> None:
    response = client.get(f"/kalender/gremium/{_body_id(app, 'BK')}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    text = response.data.decode()
    assert SECRET not in text
    uids = {str(e.get("uid")) for e in _events(response.data)}  # type: ignore[attr-defined]
    assert uids == {
        f"meeting-{scenario.public_meeting}@netzwerk",
        f"meeting-{scenario.cancelled_meeting}@netzwerk",
    }
    assert "STATUS:CANCELLED" in text
    assert "Begrüßung" in text
    # The non-public body has no public calendar.
    assert client.get(f"/kalender/gremium/{_body_id(app, 'VK')}.ics").status_code == 404
    assert client.get("/kalender/gremium/999999.ics").status_code == 404


def test_public_meeting_feed(client, scenario: Scenario) -> None:
    response = client.get(f"/kalender/sitzung/{scenario.public_meeting}.ics")
    assert response.status_code == 200
    assert len(_events(response.data)) == 1
    assert SECRET not in response.data.decode()


def _issue(client) -> str:  # type: ignore[no-untyped-def]
    page = client.post("/kalender/abo", data={"action": "issue"})
    assert page.status_code == 200
    found = URL_RE.search(page.data.decode())
    assert found is not None
    return found.group(1)


def test_private_feed_token_can_be_renewed_and_revoked(app, client_as, scenario: Scenario) -> None:
    member = client_as("member")
    assert member.get("/kalender/abo").status_code == 200
    first = _issue(member)
    anonymous = app.test_client()
    feed = anonymous.get(first)
    assert feed.status_code == 200
    text = feed.data.decode()
    # The member sits in the non-public VK: its meeting and non-public items are in the feed.
    assert f"meeting-{scenario.vk_meeting}@netzwerk" in text
    assert f"meeting-{scenario.hidden_meeting}@netzwerk" in text
    assert f"meeting-{scenario.planned_meeting}@netzwerk" not in text
    assert feed.headers["Cache-Control"] == "private, no-store"
    # Only the hash of the token is stored.
    token = first.rsplit("/", 1)[1].removesuffix(".ics")
    with app.app_context():
        stored = db.session.scalars(select(CalendarFeedToken.token_hash)).all()
    assert stored and token not in stored
    # A new address replaces the old one.
    second = _issue(member)
    assert second != first
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200
    # The page does not show the address again.
    assert second not in member.get("/kalender/abo").data.decode()
    # Revoking stops the feed.
    assert member.post("/kalender/abo", data={"action": "revoke"}).status_code == 200
    assert anonymous.get(second).status_code == 404
    assert anonymous.get("/kalender/privat/unsinn.ics").status_code == 404


def test_calendar_page_needs_login_and_csrf(app, client_as, demo) -> None:
    anonymous = app.test_client()
    response = anonymous.get("/kalender/abo")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    member = client_as("member")
    assert member.post("/kalender/abo", data={"action": "issue"}, csrf=False).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(CalendarFeedToken.id)) is None


# --- times across daylight saving time ------------------------------------------------


def _observances(calendar: Calendar) -> list[tuple[datetime, timedelta]]:
    """The onsets (in UTC) and UTC offsets of the feed's own Europe/Berlin
    VTIMEZONE: what a calendar program without a time zone database uses."""
    [zone] = [z for z in calendar.walk("VTIMEZONE") if str(z["TZID"]) == "Europe/Berlin"]
    onsets = []
    for part in zone.subcomponents:
        offset_from = part["TZOFFSETFROM"].td
        offset_to = part["TZOFFSETTO"].td
        assert "RRULE" not in part, "this reader knows DTSTART and RDATE only"
        rdates = part.get("RDATE", [])
        starts = [part["DTSTART"].dt]
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            starts.extend(p.dt for p in rdate.dts)
        for local in starts:
            onsets.append((local.replace(tzinfo=UTC) - offset_from, offset_to))
    return sorted(onsets)


def _read_as_a_client(wall: datetime, onsets: list[tuple[datetime, timedelta]]) -> datetime:
    """The UTC moment a calendar program reads from a local time with
    TZID=Europe/Berlin (RFC 5545 3.3.5: a repeated local time is its first
    occurrence; the VTIMEZONE gives the offsets)."""

    def offset_at(moment: datetime) -> timedelta:
        return [offset for onset, offset in onsets if onset <= moment][-1]

    readings = [
        wall.replace(tzinfo=UTC) - offset
        for offset in {offset for _onset, offset in onsets}
        if offset_at(wall.replace(tzinfo=UTC) - offset) == offset
    ]
    assert readings, f"{wall} does not exist in Berlin"
    return min(readings)


def _meeting_feed(client, app, starts: list[datetime]) -> tuple[dict[int, datetime], Calendar]:  # type: ignore[no-untyped-def]
    from netzwerk.meetings import planning

    from .helpers import body, invite, location_id, user

    with app.app_context():
        stored = {}
        for start in starts:
            meeting = planning.create_meeting(
                user("office"),
                body_id=body("BK").id,
                starts_at=start,
                location_id=location_id(),
                public=True,
            )
            meeting = invite(meeting)
            stored[meeting.id] = meeting.starts_at
        bk = body("BK").id
        db.session.remove()
    response = client.get(f"/kalender/gremium/{bk}.ics")
    assert response.status_code == 200
    return stored, Calendar.from_ical(response.data)


def _check_times(stored: dict[int, datetime], calendar: Calendar) -> None:
    onsets = _observances(calendar)
    events = {int(str(e["UID"]).split("-")[1].split("@")[0]): e for e in calendar.walk("VEVENT")}
    assert set(events) == set(stored)
    for meeting_id, starts_at in stored.items():
        start = events[meeting_id]["DTSTART"]
        written = start.to_ical().decode()
        if written.endswith("Z"):  # in UTC: unambiguous
            assert datetime.strptime(written, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) == starts_at
            continue
        assert start.params["TZID"] == "Europe/Berlin"
        wall = datetime.strptime(written, "%Y%m%dT%H%M%S")
        assert wall == starts_at.astimezone(LOCAL_TZ).replace(tzinfo=None), meeting_id
        assert _read_as_a_client(wall, onsets) == starts_at.astimezone(UTC), meeting_id


@pytest.mark.calendar
def test_feed_times_hold_across_daylight_saving_time(client, app, demo) -> None:
    """Meetings at 18:00 in Osnabrück today (on the nights the clocks
    change, that day), tomorrow, the day after and on both sides of the next
    change of daylight saving time: the feed writes 18:00 Berlin time, and
    its own time zone definition turns that into the stored moment; the
    stamp is the app's clock."""
    today = local_today()
    starts = [
        datetime.combine(today + timedelta(days=days), time(18), LOCAL_TZ)
        for days in (0, 1, 2, 100, 250)
    ]
    starts = [start for start in starts if start > utcnow()]  # today's may be over
    stored, calendar = _meeting_feed(client, app, starts)
    _check_times(stored, calendar)
    assert {t.astimezone(LOCAL_TZ).utcoffset() for t in stored.values()} == {
        timedelta(hours=1),
        timedelta(hours=2),
    }
    for event in calendar.walk("VEVENT"):
        assert abs(event["DTSTAMP"].dt - utcnow()) < timedelta(minutes=1)


def test_feed_time_in_the_repeated_hour_of_autumn(client, app, demo) -> None:
    """A meeting at 02:30 CET on 25 October 2026, the second 02:30 of that
    night: written as a Berlin local time, a calendar program would read the
    first 02:30 (CEST), an hour early; so it is written in UTC
    (DTSTART:...Z)."""
    repeated = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET, fold 1
    assert repeated.astimezone(LOCAL_TZ).fold == 1
    stored, calendar = _meeting_feed(client, app, [repeated])
    _check_times(stored, calendar)
