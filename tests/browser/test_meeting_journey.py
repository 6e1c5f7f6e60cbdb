"""Browser acceptance test of issue 4: from the invitation to the decision."""

from __future__ import annotations

import re
from datetime import timedelta

import icalendar
from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.mail.services import send_pending
from netzwerk.meetings import access, attendance, places
from netzwerk.meetings.models import Meeting
from netzwerk.papers.models import Paper
from netzwerk.timeutil import local_today, to_local
from netzwerk.voting.models import Poll
from netzwerk.workflow import services as workflow

from ._journey_helpers import (
    EXTRA_VOTER,
    add_login,
    paper_before_the_vk,
    vote_yes,
)


def _prepare(app) -> int:
    """A submitted paper of the VK, checked and put before the VK; a place; a third login."""
    from netzwerk.auth.models import User

    with app.app_context():
        paper_id = paper_before_the_vk("Sprachförderung in Kitas ausbauen")
        office = db.session.scalar(select(User).where(User.email == "buero@osnabrueck.example"))
        places.create_location(office, name="Rathaus", address="Markt 1", room="Friedenssaal")
        add_login("Meyerhoff", EXTRA_VOTER)
        db.session.remove()
    return paper_id


def test_meeting_from_invitation_to_decision(
    page, browser, live_server, login_browser, assert_no_axe_violations, app, smtp_server
):
    paper_id = _prepare(app)
    _journey(
        page,
        browser,
        live_server,
        login_browser,
        assert_no_axe_violations,
        app,
        smtp_server,
        paper_id,
    )


def _journey(page, browser, base, login_browser, axe, app, handler, paper_id):
    # 1. The Bildungsbüro plans a meeting of the Vorstandskonferenz.
    login_browser(page, base, "office")
    page.goto(base + "/sitzungen/neu")
    axe(page)
    page.select_option("#body_id", label="Vorstandskonferenz")
    day = local_today() + timedelta(days=21)
    page.fill("#date", day.isoformat())
    page.fill("#start_time", "16:00")
    page.fill("#end_time", "18:00")
    page.select_option("#location_id", label="Rathaus, Friedenssaal, Markt 1")
    with page.expect_navigation():
        page.click("main form [type=submit]")
    match = re.search(r"/sitzungen/(\d+)$", page.url)
    assert match, page.url
    meeting_id = int(match.group(1))
    assert re.search(r"VK 1/\d{4}", page.content())

    # 2. It builds the agenda from the submitted paper plus a free item.
    page.select_option("#paper-paper_id", value=str(paper_id))
    page.check("#paper-public")
    with page.expect_navigation():
        page.click("form[action$='/tagesordnung/vorlage'] [type=submit]")
    page.fill("#free-title", "Verschiedenes")
    with page.expect_navigation():
        page.click("form[action$='/tagesordnung/frei'] [type=submit]")
    rows = page.locator("table.agenda tbody tr")
    assert rows.count() == 2
    assert "Sprachförderung in Kitas ausbauen" in rows.nth(0).inner_text()
    axe(page)

    # 3. It sends the invitations; the SMTP server receives them with an .ics.
    page.goto(base + f"/sitzungen/{meeting_id}/einladung")
    axe(page)
    with page.expect_navigation():
        page.click("main form [type=submit]")
    with app.app_context():
        sent = send_pending()
        meeting = db.session.get(Meeting, meeting_id)
        assert workflow.has_flag(meeting, "invited") and meeting.agenda_frozen_at is not None
    assert sent == len(handler.messages) > 5
    recipients = {m["To"] for m in handler.messages}
    assert "mitglied@osnabrueck.example" in recipients
    # The invitations carry the .ics (notification mails of the workflow do not).
    ics = next(p for m in handler.messages for p in m.walk() if p.get_filename() == "sitzung.ics")
    calendar = icalendar.Calendar.from_ical(ics.get_payload(decode=True))
    event = next(iter(calendar.walk("VEVENT")))
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == f"meeting-{meeting_id}@netzwerk"
    assert event.decoded("DTSTART").hour == 16

    # 3b. The meeting starts an hour later: the invitees get the update.
    page.goto(base + f"/sitzungen/{meeting_id}/bearbeiten")
    axe(page)
    assert page.is_checked("#send_update")
    page.fill("#start_time", "17:00")
    with page.expect_navigation():
        page.click("main form [type=submit]")
    assert "geänderte Einladungen liegen im Postausgang" in page.content()
    invited = {m["To"] for m in handler.messages if any(p.get_filename() for p in m.walk())}
    before = len(handler.messages)
    with app.app_context():
        assert send_pending() == len(invited)
    updates = handler.messages[before:]
    assert {m["To"] for m in updates} == invited
    ics = next(p for p in updates[0].walk() if p.get_filename() == "sitzung.ics")
    event = next(iter(icalendar.Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")))
    assert int(event["SEQUENCE"]) == 1 and event.decoded("DTSTART").hour == 17

    # 4. The meeting opens; attendance: five of eight voting members present.
    page.goto(base + f"/sitzungen/{meeting_id}")
    with page.expect_navigation():
        page.click("form[action$='/status/eroeffnen'] [type=submit]")
    page.goto(base + f"/sitzungen/{meeting_id}/anwesenheit")
    axe(page)
    with app.app_context():
        roster = attendance.roster(access.get_meeting(meeting_id))
        voters = [line.membership for line in roster if line.membership.voting_right]
        voters_first = sorted(
            voters, key=lambda m: m.person.last_name not in {"Feldkamp", "Ahlers", "Meyerhoff"}
        )
        present_ids = [m.id for m in voters_first[:5]]
        db.session.remove()
    assert len(voters) == 8
    for membership_id in present_ids:
        page.check(f"input[name=status-{membership_id}][value=present]")
    with page.expect_navigation():
        page.click("form[action$='/anwesenheit'] button[name=save]")
    assert page.locator("#quorum-status").get_attribute("data-quorate") == "yes"

    # 5. The office opens a vote on the paper's agenda item.
    page.goto(base + f"/sitzungen/{meeting_id}")
    with page.expect_navigation():
        page.locator("main a[href$='/abstimmung']").first.click()
    axe(page)
    with page.expect_navigation():
        page.click("main form [type=submit]")
    match = re.search(r"/abstimmungen/(\d+)", page.url)
    assert match, page.url
    poll_id = int(match.group(1))

    # 6. Three members vote from their own browser sessions.
    for email in ("ob@osnabrueck.example", "mitglied@osnabrueck.example", EXTRA_VOTER):
        vote_yes(browser, base, login_browser, email, poll_id)

    # 7. The office closes the vote.
    page.goto(base + f"/abstimmungen/{poll_id}")
    with page.expect_navigation():
        page.click("form[action$='/schliessen'] [type=submit]")
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        assert poll.state == "closed" and poll.result == "passed"
        assert (poll.yes_count, poll.present_at_closing) == (3, 5)
        paper = db.session.get(Paper, paper_id)
        assert paper.state == "beschlossen"
        year = to_local(poll.closed_at).year  # the year of the decision in Berlin
        db.session.remove()

    # 8. The decision is in the register with its number; the paper moved on.
    page.goto(base + "/beschluesse/")
    assert f"VK/{year}/B001" in page.content()
    page.goto(base + f"/vorlagen/{paper_id}")
    assert page.locator("[data-state=beschlossen]").count() == 1
    page.goto(base + f"/sitzungen/{meeting_id}")
    assert "Angenommen" in page.content()
    axe(page)
    page.goto(base + "/sitzungen/meine")
    axe(page)
    with app.app_context():
        assert db.session.scalar(select(Poll.id).where(Poll.state == "open")) is None
