"""Setup shared by the meeting and voting browser journeys."""

from __future__ import annotations

from sqlalchemy import select

from netzwerk.auth.models import User
from netzwerk.auth.services import hash_password
from netzwerk.database import write_transaction
from netzwerk.demo import DEMO_PASSWORD
from netzwerk.extensions import db
from netzwerk.governance.models import Person

EXTRA_VOTER = "jugend@osnabrueck.example"


def add_login(last_name: str, email: str) -> None:
    """A login for a demo person without one (a third voting member)."""
    with write_transaction():
        person = db.session.scalar(select(Person).where(Person.last_name == last_name))
        assert person is not None
        db.session.add(
            User(person_id=person.id, email=email, password_hash=hash_password(DEMO_PASSWORD))
        )


def vote_yes(browser, base_url: str, login_browser, email: str, poll_id: int) -> None:
    """One member votes "yes" from a browser context of their own."""
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    context.set_default_timeout(15_000)
    try:
        member_page = context.new_page()
        login_browser(member_page, base_url, email)
        member_page.goto(base_url + "/abstimmungen/offen")
        form = member_page.locator(f"form[action='/abstimmungen/{poll_id}/abstimmen']")
        form.locator("input[type=radio][value=yes]").check()
        with member_page.expect_navigation():
            form.locator("[type=submit]").click()
        assert "abgestimmt=1" in member_page.url or "/abstimmungen/" in member_page.url
        assert member_page.locator(".badge-ok").count() >= 1
    finally:
        context.close()


def paper_before_the_vk(title: str) -> int:
    """A resolution paper of the VK submitted, checked and put before the VK."""
    from netzwerk.governance.models import Body
    from netzwerk.papers import services as papers
    from netzwerk.workflow import services as workflow

    member = db.session.scalar(select(User).where(User.email == "mitglied@osnabrueck.example"))
    office = db.session.scalar(select(User).where(User.email == "buero@osnabrueck.example"))
    vk = db.session.scalar(select(Body).where(Body.short_name == "VK"))
    assert member is not None and office is not None and vk is not None
    paper = papers.create_paper(member, body_id=vk.id, kind="resolution", title=title, text="Text.")
    workflow.fire_to_flag([member, office], paper, "open_for_voting", comment="geprüft")
    return paper.id


def decide_in_a_vk_meeting(page, base_url: str, app, paper_id: int) -> int:
    """The Bildungsbüro (logged in on ``page``) puts the paper on the agenda
    of a new Vorstandskonferenz meeting, invites, records five members
    present, opens the vote; the present members vote yes; the office closes
    the vote.  Returns the poll id."""
    import re
    from datetime import timedelta

    from netzwerk.meetings import access, attendance, places
    from netzwerk.timeutil import local_today
    from netzwerk.voting import services as voting

    with app.app_context():
        office = db.session.scalar(select(User).where(User.email == "buero@osnabrueck.example"))
        places.create_location(office, name="Rathaus", address="Markt 1", room="Friedenssaal")
        db.session.remove()
    page.goto(base_url + "/sitzungen/neu")
    page.select_option("#body_id", label="Vorstandskonferenz")
    page.fill("#date", (local_today() + timedelta(days=21)).isoformat())
    page.fill("#start_time", "16:00")
    page.select_option("#location_id", label="Rathaus, Friedenssaal, Markt 1")
    with page.expect_navigation():
        page.click("main form [type=submit]")
    meeting_id = int(re.search(r"/sitzungen/(\d+)$", page.url).group(1))
    page.select_option("#paper-paper_id", value=str(paper_id))
    with page.expect_navigation():
        page.click("form[action$='/tagesordnung/vorlage'] [type=submit]")
    page.goto(base_url + f"/sitzungen/{meeting_id}/einladung")
    with page.expect_navigation():
        page.click("main form [type=submit]")
    page.goto(base_url + f"/sitzungen/{meeting_id}")
    with page.expect_navigation():
        page.click("form[action$='/status/eroeffnen'] [type=submit]")
    page.goto(base_url + f"/sitzungen/{meeting_id}/anwesenheit")
    with app.app_context():
        roster = attendance.roster(access.get_meeting(meeting_id))
        present = [line.membership for line in roster if line.membership.voting_right][:5]
        present_ids = [m.id for m in present]
        present_persons = [m.person_id for m in present]
        db.session.remove()
    for membership_id in present_ids:
        page.check(f"input[name=status-{membership_id}][value=present]")
    with page.expect_navigation():
        page.click("form[action$='/anwesenheit'] button[name=save]")
    page.goto(base_url + f"/sitzungen/{meeting_id}")
    with page.expect_navigation():
        page.locator("main a[href$='/abstimmung']").first.click()
    with page.expect_navigation():
        page.click("main form [type=submit]")
    poll_id = int(re.search(r"/abstimmungen/(\d+)", page.url).group(1))
    with app.app_context():
        for person_id in present_persons:
            voting.cast_ballot(poll_id, person_id, "yes")
        db.session.remove()
    page.goto(base_url + f"/abstimmungen/{poll_id}")
    with page.expect_navigation():
        page.click("form[action$='/schliessen'] [type=submit]")
    return poll_id
