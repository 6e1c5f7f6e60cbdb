"""Browser journey: the chair runs a meeting from the cockpit.

The mayor chairs the Bildungskonferenz in session.  In the cockpit he makes
a projector link, marks a late arrival at its real time and records that
the deputy of the migrant organisation stands in; a member asks to speak
from her own browser; the chair calls the next item.  A third browser shows
the projector view (opened with the secret link, no login), which follows
the current item and the speakers list without reloading.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from netzwerk.auth.models import User
from netzwerk.extensions import db
from netzwerk.governance.models import Body
from netzwerk.meetings import access, agenda, attendance, cockpit, invitations, places, planning
from netzwerk.timeutil import to_local, utcnow

MEMBER = "projekt@osnabrueck.example"  # a member of the BK, not its chair


def _setup(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        office = db.session.scalar(select(User).where(User.email == "buero@osnabrueck.example"))
        member = db.session.scalar(select(User).where(User.email == MEMBER))
        bk = db.session.scalar(select(Body).where(Body.short_name == "BK"))
        place = places.create_location(
            office, name="Stadthaus", address="Natruper-Tor-Wall 2", room="Saal"
        )
        meeting = planning.create_meeting(
            office,
            body_id=bk.id,
            starts_at=utcnow() - timedelta(minutes=15),
            location_id=place.id,
            public=True,
        )
        for title in ("Begrüßung", "Übergänge Kita–Grundschule", "Verschiedenes"):
            agenda.add_free_item(office, access.get_meeting(meeting.id), title=title)
        invitations.send_invitations(office, access.get_meeting(meeting.id), reason="kurzfristig")
        planning.open_meeting(office, access.get_meeting(meeting.id))
        current = access.get_meeting(meeting.id)
        roster = attendance.roster(current)
        deputy = next(line.membership for line in roster if line.membership.deputy_of_id)
        away = {deputy.id, deputy.deputy_of_id}
        statuses = {
            line.membership.id: "present"
            for line in roster
            if line.membership.id not in away and line.membership.person_id != member.person_id
        }
        attendance.set_attendance(office, current, statuses)
        cockpit.call_item(office, access.get_meeting(meeting.id))
        late = next(
            line.membership for line in roster if line.membership.person_id == member.person_id
        )
        result = {
            "meeting_id": meeting.id,
            "late_id": late.id,
            "member_seat": deputy.deputy_of_id,
            "deputy_seat": deputy.id,
            "member_name": member.person.full_name,
            "opened": to_local(current.opened_at),
        }
        db.session.remove()
    return result


def test_the_chair_runs_the_meeting_and_the_projector_follows(
    browser, page, live_server, login_browser, assert_no_axe_violations, app
):
    base = live_server
    data = _setup(app)
    meeting_id = data["meeting_id"]

    # The chair's cockpit: a projector link, shown once.
    login_browser(page, base, "chair")
    page.goto(f"{base}/sitzungen/{meeting_id}/cockpit")
    assert "Begrüßung" in page.locator("#current-item").inner_text()
    with page.expect_navigation():
        page.click("#make-projector-link")
    link = page.locator("#new-projector-link").get_attribute("href")
    assert link and "/beamer/" in link
    assert_no_axe_violations(page)

    # The projector: a third browser, no login.
    wall_context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    wall_context.set_default_timeout(15_000)
    wall = wall_context.new_page()
    wall.goto(link)
    assert "Begrüßung" in wall.locator("#projector-item").inner_text()
    wall.evaluate("window.__notReloaded = true")

    # A late arrival at its real time (typed; here the minute of the opening).
    page.goto(f"{base}/sitzungen/{meeting_id}/cockpit")
    arrived = data["opened"].strftime("%H:%M")
    page.fill(f"#at-{data['late_id']}", arrived)
    row = page.locator(f"tr[data-membership='{data['late_id']}']")
    with page.expect_navigation():
        row.get_by_role("button").click()
    row = page.locator(f"tr[data-membership='{data['late_id']}']")
    assert arrived in row.inner_text()

    # The deputy stands in for the absent member.
    page.select_option("#deputy-member_id", value=str(data["member_seat"]))
    page.select_option("#deputy-deputy_id", value=str(data["deputy_seat"]))
    with page.expect_navigation():
        page.click("form[action$='/cockpit/vertretung'] [type=submit]")
    member_row = page.locator(f"tr[data-membership='{data['member_seat']}']")
    assert "vertreten durch" in member_row.inner_text()

    # A member asks to speak from her own browser.
    member_context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    member_context.set_default_timeout(15_000)
    try:
        member_page = member_context.new_page()
        login_browser(member_page, base, MEMBER)
        member_page.goto(f"{base}/sitzungen/{meeting_id}/redeliste")
        with member_page.expect_navigation():
            member_page.click("#ask-to-speak")
        assert data["member_name"] in member_page.locator("#speaker-queue").inner_text()
        # Twice is once.
        assert member_page.locator("#ask-to-speak").count() == 0
    finally:
        member_context.close()

    # The projector shows the speaker without reloading.
    wall.locator("#projector-speakers", has_text=data["member_name"]).wait_for()

    # The chair calls the next item; the projector follows.
    page.goto(f"{base}/sitzungen/{meeting_id}/cockpit")
    assert data["member_name"] in page.locator("#speaker-queue").inner_text()
    with page.expect_navigation():
        page.click("#call-next")
    assert "Übergänge" in page.locator("#current-item").inner_text()
    wall.locator("#projector-item", has_text="Übergänge").wait_for()
    assert wall.evaluate("window.__notReloaded === true")
    assert_no_axe_violations(wall)
    wall_context.close()
