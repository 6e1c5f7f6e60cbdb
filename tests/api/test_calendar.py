"""Calendar feeds: public per body and meeting, private per user with a revocable token."""

from __future__ import annotations

import re

from icalendar import Calendar
from sqlalchemy import select

from netzwerk.api.models import CalendarFeedToken
from netzwerk.extensions import db
from netzwerk.governance.models import Body

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
