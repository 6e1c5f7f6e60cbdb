"""The cockpit, speakers, check-in and projector pages: access, links, ETag."""

from __future__ import annotations

import re

import pytest

from netzwerk.meetings import attendance, invitations, planning
from netzwerk.timeutil import local_today

from .helpers import OFFICE, berlin, fresh, meeting, user

LEAD = "projekt@osnabrueck.example"  # a BK member who is not its chair


@pytest.fixture
def held(app, demo):  # type: ignore[no-untyped-def]
    """A BK meeting of today, open, with two items, the first one called."""
    from netzwerk.meetings import agenda, cockpit

    old = app.config["NETZWERK_MEETING_OPEN_EARLY"]
    app.config["NETZWERK_MEETING_OPEN_EARLY"] = 60
    app.config["NETZWERK_PROJECTOR_CACHE_SECONDS"] = 0  # every change at once
    with app.app_context():
        m = meeting("BK", starts_at=berlin(local_today(), 10, 30), public=True)
        agenda.add_free_item(
            user(OFFICE),
            fresh(m.id),
            title="Begrüßung",
            text="Die Konferenz begrüßt die neuen Mitglieder.",
            public=True,
        )
        agenda.add_free_item(user(OFFICE), fresh(m.id), title="Haushalt", public=False)
        invitations.send_invitations(user(OFFICE), fresh(m.id), reason="kurzfristig")
        planning.open_meeting(user(OFFICE), fresh(m.id))
        cockpit.call_item(user(OFFICE), fresh(m.id))
        meeting_id = m.id
    yield meeting_id
    app.config["NETZWERK_MEETING_OPEN_EARLY"] = old
    app.config.pop("NETZWERK_PROJECTOR_CACHE_SECONDS", None)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def test_only_the_chair_and_the_office_see_the_cockpit(client_as, held):
    assert client_as(LEAD).get(f"/sitzungen/{held}/cockpit").status_code == 403
    page = client_as("chair").get(f"/sitzungen/{held}/cockpit")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Begrüßung" in text and 'id="quorum-status"' in text
    assert client_as("office").get(f"/sitzungen/{held}/cockpit").status_code == 200
    # The member's own pages.
    member = client_as(LEAD)
    assert member.get(f"/sitzungen/{held}/redeliste").status_code == 200
    assert member.get(f"/sitzungen/{held}/anmelden").status_code == 200
    # A member cannot act for the chair.
    token = _csrf(member.get(f"/sitzungen/{held}/redeliste").get_data(as_text=True))
    assert (
        member.post(f"/sitzungen/{held}/cockpit/aufrufen", data={"csrf_token": token}).status_code
        == 403
    )


def test_a_member_asks_to_speak_once(client_as, held, app):
    member = client_as(LEAD)
    page = member.get(f"/sitzungen/{held}/redeliste").get_data(as_text=True)
    action = re.search(r'action="([^"]+/redeliste/melden)"', page)
    assert action
    for _ in range(2):
        member.post(action.group(1), data={"csrf_token": _csrf(page)})
    with app.app_context():
        from netzwerk.meetings import cockpit, speakers

        item = cockpit.current_item(fresh(held))
        assert item is not None
        assert len(speakers.queue(item.id)) == 1


def test_a_bad_time_gets_a_message_not_a_500(client_as, held, app):
    chair = client_as("office")
    page = chair.get(f"/sitzungen/{held}/cockpit").get_data(as_text=True)
    with app.app_context():
        seat = next(
            line.membership
            for line in attendance.roster(fresh(held))
            if line.membership.person_id == user(LEAD).person_id
        )
    url = f"/sitzungen/{held}/cockpit/anwesenheit/{seat.id}/kommt"
    for bad in ("25:99", "gestern", "\x00", "23:59"):
        answer = chair.post(url, data={"csrf_token": _csrf(page), "at": bad})
        assert answer.status_code == 422, bad
        assert 'class="error"' in answer.get_data(as_text=True)
    assert chair.post(url, data={"csrf_token": _csrf(page), "at": ""}).status_code == 302


def test_the_projector_link_is_valid_revocable_and_answers_304(
    app, client_as, held, client, monkeypatch
):
    monkeypatch.setitem(app.config, "NETZWERK_BASE_URL", "https://netzwerk.osnabrueck.example")
    chair = client_as("chair")
    page = chair.get(f"/sitzungen/{held}/cockpit").get_data(as_text=True)
    # The link handed to the projector and the check-in address its QR code
    # shows to the members' phones start with the configured address, not
    # with the host this request named (an internal one behind the proxy).
    made = chair.post(f"/sitzungen/{held}/cockpit/beamer", data={"csrf_token": _csrf(page)})
    assert made.status_code == 200
    link = re.search(
        r'id="new-projector-link" href="https://netzwerk\.osnabrueck\.example(/beamer/[^"]+)"',
        made.get_data(as_text=True),
    )
    assert link, "the new link is shown once, from the configured address"
    url = link.group(1)
    wall = client.get(url)  # no login
    assert wall.status_code == 200
    body = wall.get_data(as_text=True)
    assert "Begrüßung" in body and "qr-code" in body
    assert f"https://netzwerk.osnabrueck.example/sitzungen/{held}/anmelden" in body
    assert "http://localhost" not in body
    first = client.get(url + "/stand")
    assert first.status_code == 200 and first.headers.get("ETag")
    again = client.get(url + "/stand", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert client.get("/beamer/falsch").status_code == 404
    assert client.get("/beamer/falsch/stand").status_code == 404
    # Something changes: the ETag too.
    member = client_as(LEAD)
    mp = member.get(f"/sitzungen/{held}/redeliste").get_data(as_text=True)
    action = re.search(r'action="([^"]+/redeliste/melden)"', mp)
    assert action
    member.post(action.group(1), data={"csrf_token": _csrf(mp)})
    changed = client.get(url + "/stand", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "Haddad" not in changed.get_data(as_text=True)
    # Revoked: a clear page, not the meeting.
    page = chair.get(f"/sitzungen/{held}/cockpit").get_data(as_text=True)
    revoke = re.search(r'action="([^"]+/widerrufen)"', page)
    assert revoke
    chair.post(revoke.group(1), data={"csrf_token": _csrf(page)})
    gone = client.get(url)
    assert gone.status_code == 410 and "widerrufen" in gone.get_data(as_text=True)
    assert client.get(url + "/stand").status_code == 410


def test_the_public_projector_shows_the_public_part_only(client, held, client_as, app):
    assert client.get(f"/sitzungen/oeffentlich/{held}/beamer").status_code == 200
    chair = client_as("chair")
    page = chair.get(f"/sitzungen/{held}/cockpit").get_data(as_text=True)
    second = re.findall(r'action="([^"]+/cockpit/top/\d+/aufrufen)"', page)[1]
    chair.post(second, data={"csrf_token": _csrf(page)})
    fragment = client.get(f"/sitzungen/oeffentlich/{held}/beamer/stand").get_data(as_text=True)
    assert "Haushalt" not in fragment and "Nichtöffentlicher Teil" in fragment


def test_a_vote_starts_with_the_proposed_resolution(client_as, held, app):
    with app.app_context():
        from netzwerk.meetings import cockpit

        item = cockpit.current_item(fresh(held))
        assert item is not None
        item_id = item.id
    page = client_as("office").get(f"/sitzungen/{held}/top/{item_id}/abstimmung")
    assert page.status_code == 200
    assert "Die Konferenz begrüßt die neuen Mitglieder." in page.get_data(as_text=True)


def test_the_projector_shows_the_vote_progress_and_the_result(client_as, held, app, client):
    from netzwerk.meetings import cockpit
    from netzwerk.voting import services as voting
    from netzwerk.voting.meeting import open_meeting_poll

    with app.app_context():
        present = [
            line.membership
            for line in attendance.roster(fresh(held))
            if line.membership.voting_right and line.membership.deputy_of_id is None
        ][:3]
        attendance.set_attendance(user(OFFICE), fresh(held), {m.id: "present" for m in present})
        item = cockpit.current_item(fresh(held))
        assert item is not None
        poll = open_meeting_poll(user(OFFICE), fresh(held), item.id, title="Begrüßung")
        voting.cast_ballot(poll.id, present[0].person_id, "yes")
        poll_id = poll.id
    fragment = client.get(f"/sitzungen/oeffentlich/{held}/beamer/stand").get_data(as_text=True)
    assert "1 von 3 haben abgestimmt" in fragment
    with app.app_context():
        voting.close_poll(poll_id, user(OFFICE))
    fragment = client.get(f"/sitzungen/oeffentlich/{held}/beamer/stand").get_data(as_text=True)
    assert 'id="projector-result"' in fragment and "1 Ja" in fragment


def _region(fragment: str, name: str) -> tuple[str, str]:
    """The digest and the content of a live region of the cockpit's fragment."""
    found = re.search(
        rf'data-live-region="{name}" data-live-digest="([0-9a-f]+)"[^>]*>(.*?)</div>\n(?:<div|</div)',
        fragment,
        re.S,
    )
    assert found, f"no region {name}"
    return found.group(1), found.group(2)


def test_the_cockpit_follows_the_room_through_its_fragment(client_as, held, app):
    url = f"/sitzungen/{held}/cockpit/stand"
    member = client_as(LEAD)
    assert member.get(url).status_code == 403  # the same access as the cockpit
    chair = client_as("chair")
    page = chair.get(f"/sitzungen/{held}/cockpit").get_data(as_text=True)
    assert f'data-fragment-url="{url}"' in page  # the page polls it (without JS: "Refresh")
    assert page.count('aria-live="polite"') >= 5
    etag = re.search(r'data-live-cockpit[^>]*data-etag="([0-9a-f]+)"', page)
    assert etag, "the page carries the ETag of its live regions"
    first = chair.get(url)
    assert first.status_code == 200 and first.headers["ETag"] == f'"{etag.group(1)}"'
    assert first.headers["Cache-Control"] == "private, no-cache"
    before = first.get_data(as_text=True)
    with app.app_context():
        name = user(LEAD).person.full_name
    assert name not in _region(before, "speakers")[1]
    again = chair.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    # A member asks to speak from her own device: the fragment changes.
    mp = member.get(f"/sitzungen/{held}/redeliste").get_data(as_text=True)
    action = re.search(r'action="([^"]+/redeliste/melden)"', mp)
    assert action
    member.post(action.group(1), data={"csrf_token": _csrf(mp)})
    changed = chair.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    after = changed.get_data(as_text=True)
    assert name in _region(after, "speakers")[1]
    # Only the speakers region has a new digest: the script replaces only it.
    assert _region(after, "speakers")[0] != _region(before, "speakers")[0]
    for other in ("item", "quorum", "vote", "checkins", "presence"):
        assert _region(after, other)[0] == _region(before, other)[0], other
