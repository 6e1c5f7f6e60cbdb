"""Browser journey: the chair runs the meeting.

The demo mayor chairs the Vorstandskonferenz. ``sitzung.yaml`` and
``abstimmung.yaml`` let the chair open and close the meeting and open and
close a vote, so the pages offer him exactly those buttons, and the steps
succeed (before, opening a vote answered 403 to anyone but staff).
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from netzwerk.auth.models import User
from netzwerk.extensions import db
from netzwerk.governance.models import Body
from netzwerk.meetings import access, agenda, attendance, invitations, places, planning
from netzwerk.timeutil import utcnow
from netzwerk.voting.models import MeetingPoll, Poll
from netzwerk.workflow import services as workflow

from ._journey_helpers import paper_before_the_vk


def _press(page, label: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=label, exact=True).click()


def _meeting_flags(app, meeting_id: int) -> set[str]:
    with app.app_context():
        flags = set(access.meeting_flags(access.get_meeting(meeting_id)))
        db.session.remove()
    return flags


def test_the_chair_opens_the_meeting_runs_a_vote_and_closes_it(
    page, live_server, login_browser, assert_no_axe_violations, app
):
    base = live_server
    with app.app_context():
        office = db.session.scalar(select(User).where(User.email == "buero@osnabrueck.example"))
        vk = db.session.scalar(select(Body).where(Body.short_name == "VK"))
        paper_id = paper_before_the_vk("Sprachförderung in Kitas")
        place = places.create_location(
            office, name="Rathaus", address="Markt 1", room="Friedenssaal"
        )
        meeting = planning.create_meeting(
            office, body_id=vk.id, starts_at=utcnow() + timedelta(days=21), location_id=place.id
        )
        agenda.add_paper_item(office, meeting, paper_id)
        invitations.fire_to_flag(office, access.get_meeting(meeting.id), "invited")
        meeting_id = meeting.id
        db.session.remove()
    url = f"{base}/sitzungen/{meeting_id}"

    # The chair sees the step the definition gives him, and takes it.
    login_browser(page, base, "chair")
    page.goto(url)
    opening = page.locator(".workflow-steps button")
    labels = {opening.nth(i).inner_text().strip() for i in range(opening.count())}
    assert labels == {"Sitzung eröffnen"}, labels  # no cancel: that is the office's
    assert_no_axe_violations(page)
    _press(page, "Sitzung eröffnen")
    assert "in_session" in _meeting_flags(app, meeting_id)

    # Attendance while in session: the chair marks every voting member present.
    with app.app_context():
        chair = db.session.scalar(select(User).where(User.email == "ob@osnabrueck.example"))
        current = access.get_meeting(meeting_id)
        seats = [
            line.membership.id
            for line in attendance.roster(current)
            if line.membership.voting_right
        ]
        attendance.set_attendance(chair, current, dict.fromkeys(seats, "present"))
        db.session.remove()

    # He opens a vote on the agenda item from the meeting page.
    page.goto(url)
    page.get_by_role("link", name=re.compile("Abstimmung eröffnen")).first.click()
    page.wait_for_url(re.compile(r"/abstimmung"))
    assert_no_axe_violations(page)
    with page.expect_navigation():
        page.click("main form [type=submit]")
    match = re.search(r"/abstimmungen/(\d+)", page.url)
    assert match, page.url
    poll_id = int(match.group(1))
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        assert poll.is_open
        assert (
            db.session.scalar(select(MeetingPoll.meeting_id).where(MeetingPoll.poll_id == poll_id))
            == meeting_id
        )
        db.session.remove()

    # ... and closes it from the poll page with the step the definition offers.
    closing = page.locator("form[action*='/schritt/'] button")
    assert closing.count() >= 1
    with page.expect_navigation():
        closing.first.click()
    with app.app_context():
        assert db.session.get(Poll, poll_id).is_closed
        db.session.remove()

    # Finally he closes the meeting.
    page.goto(url)
    _press(page, "Sitzung schließen")
    assert "closed" in _meeting_flags(app, meeting_id)
    with app.app_context():
        assert workflow.is_final(access.get_meeting(meeting_id))
        db.session.remove()
