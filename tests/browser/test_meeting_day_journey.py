"""Browser acceptance journey of issue #19: a meeting day run from the cockpit.

The mayor chairs a Vorstandskonferenz in session from his cockpit: a vote
by show of hands, an electronic secret vote for which three members vote
from their own browsers (the cockpit counts them without reloading), an
amendment adopted by show of hands before its main motion, which is voted
mixed (one member online, the room by hand), and an election of two
persons with a run-off.  A fourth browser shows the projector view opened
with its secret link, and follows without reloading.  The minutes PDF
shows all of it.

What the journey does not prove is set up through the services: the
meeting in session with its agenda, and the election's secret ballots.
"""

from __future__ import annotations

import re

from minutes.helpers import pdf_text
from playwright.sync_api import expect
from voting.helpers import meeting_in_session, user

from netzwerk.extensions import db
from netzwerk.meetings import access, agenda
from netzwerk.minutes.render import compose_minutes, minutes_pdf
from netzwerk.voting.models import Election

from ._journey_helpers import EXTRA_VOTER, add_login, vote_yes
from .test_vote_kinds_journey import _ballots, _go, _show_of_hands

LIVE = 8_000  # ms: two polls of the projector or the cockpit, with room to spare
ITEMS = ("Bildungsmonitoring 2026", "Haushalt der Bildungsregion", "Lernorte", "Sprecherwahl")


def _setup(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        add_login("Meyerhoff", EXTRA_VOTER)
        meeting = meeting_in_session("VK")
        for title in ITEMS:
            agenda.add_free_item(user("office"), access.get_meeting(meeting.id), title=title)
        meeting_id = meeting.id
        db.session.remove()
    return meeting_id


def _call_next(page, base: str, meeting_id: int, title: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/sitzungen/{meeting_id}/cockpit")
    _go(page, lambda: page.click("#call-next"))
    expect(page.locator("#current-item")).to_contain_text(title)


def _open_vote(page, method: str, kind: str = "open") -> int:  # type: ignore[no-untyped-def]
    """From the cockpit: open a vote on the current item; returns its id."""
    _go(page, lambda: page.click("#open-vote"))
    page.select_option("#method", method)
    page.select_option("#kind", kind)
    _go(page, lambda: page.click("main form [type=submit]"))
    found = re.search(r"/abstimmungen/(\d+)", page.url)
    assert found, page.url
    return int(found.group(1))


def test_the_chair_runs_a_meeting_day_from_the_cockpit(
    browser, page, live_server, login_browser, assert_no_axe_violations, app
):
    base = live_server
    meeting_id = _setup(app)
    login_browser(page, base, "chair")

    # The cockpit makes a projector link; a fourth browser shows it (no login).
    page.goto(f"{base}/sitzungen/{meeting_id}/cockpit")
    _go(page, lambda: page.click("#make-projector-link"))
    link = page.locator("#new-projector-link").get_attribute("href")
    assert link and "/beamer/" in link
    wall_context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    wall_context.set_default_timeout(15_000)
    wall = wall_context.new_page()
    wall.goto(link)
    expect(wall.locator("#projector-item")).to_contain_text("eröffnet")
    wall.evaluate("window.__notReloaded = true")

    # 1. A vote by show of hands; the projector follows the item and the result.
    _call_next(page, base, meeting_id, ITEMS[0])
    expect(wall.locator("#projector-item")).to_contain_text(ITEMS[0], timeout=LIVE)
    _open_vote(page, "hands")
    _show_of_hands(page, "6", "2")
    assert_no_axe_violations(page)  # the closed vote, counted by hand
    expect(wall.locator("#projector-result")).to_contain_text("6 Ja, 2 Nein", timeout=LIVE)

    # 2. An electronic secret vote: three members vote in their own browsers;
    #    the cockpit and the projector count them without reloading.
    _call_next(page, base, meeting_id, ITEMS[1])
    secret_id = _open_vote(page, "electronic", "secret")
    page.goto(f"{base}/sitzungen/{meeting_id}/cockpit")
    page.evaluate("window.__notReloaded = true")
    progress = page.locator(f"[data-poll='{secret_id}']")
    expect(progress).to_contain_text("0 von")
    assert_no_axe_violations(page)
    for email in ("ob@osnabrueck.example", "mitglied@osnabrueck.example", EXTRA_VOTER):
        vote_yes(browser, base, login_browser, email, secret_id)
    expect(progress).to_contain_text("3 von", timeout=LIVE)
    expect(wall.locator("#projector-progress")).to_contain_text("3 von", timeout=LIVE)
    assert page.evaluate("window.__notReloaded === true")
    _go(page, lambda: page.get_by_role("button", name="Abstimmung schließen").click())
    expect(wall.locator("#projector-result")).to_contain_text("3 Ja", timeout=LIVE)

    # 3. An amendment, adopted by show of hands before its main motion ...
    _call_next(page, base, meeting_id, ITEMS[2])
    _go(page, lambda: page.click("#open-vote"))
    _go(page, lambda: page.get_by_role("link", name="Änderungsanträge").click())
    page.fill("#text", "Fünf Lernorte statt drei.")
    _go(page, lambda: page.click("main form [type=submit]"))
    _go(
        page,
        lambda: page.get_by_role("link", name=re.compile("Änderungsantrag 1 eröffnen")).click(),
    )
    page.select_option("#method", "hands")
    _go(page, lambda: page.click("main form [type=submit]"))
    _show_of_hands(page, "6", "2")
    # ... then the main motion with the amended text, voted mixed: one member
    # online, the room by hand; each counted once.
    page.goto(f"{base}/sitzungen/{meeting_id}/cockpit")
    _go(page, lambda: page.click("#open-vote"))
    assert page.input_value("#question") == "Fünf Lernorte statt drei."
    page.select_option("#method", "mixed")
    _go(page, lambda: page.click("main form [type=submit]"))
    mixed_id = int(re.search(r"/abstimmungen/(\d+)", page.url).group(1))
    vote_yes(browser, base, login_browser, "mitglied@osnabrueck.example", mixed_id)
    expect(wall.locator("#projector-progress")).to_contain_text("1 von", timeout=LIVE)
    page.reload()
    _show_of_hands(page, "5", "1")
    expect(wall.locator("#projector-result")).to_contain_text("6 Ja, 1 Nein", timeout=LIVE)

    # 4. An election of two persons: one elected at once, the second in a run-off.
    _call_next(page, base, meeting_id, ITEMS[3])
    _go(page, lambda: page.click("#open-vote"))
    _go(page, lambda: page.get_by_role("link", name="Wahl durchführen").click())
    page.fill("#title", "Sprecher der AG")
    page.fill("#seats", "2")
    page.fill("#names", "Anna Alt\nBernd Berg\nCarla Cramer")
    _go(page, lambda: page.click("main form [type=submit]"))
    election_id = int(re.search(r"/wahlen/(\d+)", page.url).group(1))
    with app.app_context():
        a, b, c = (x.id for x in db.session.get(Election, election_id).candidates)
        db.session.remove()
    _ballots(app, election_id, [[a, b], [a, c], [a, b], [a, c], [a]])
    page.reload()
    _go(page, lambda: page.get_by_role("button", name="Wahlgang schließen und auszählen").click())
    assert "Stichwahl (2. Wahlgang)" in page.inner_text("main")
    _ballots(app, election_id, [[c], [c], [b]])
    page.reload()
    _go(page, lambda: page.get_by_role("button", name="Wahlgang schließen und auszählen").click())
    assert "Anna Alt, Carla Cramer" in page.inner_text(".elected")

    # The projector followed the whole day without reloading.
    assert wall.evaluate("window.__notReloaded === true")
    wall_context.close()

    # The minutes PDF shows all of it.
    with app.app_context():
        snapshot = compose_minutes(
            access.get_meeting(meeting_id),
            summaries={},
            minute_taker="Protokoll",
            version_no=1,
            state_title=None,
            approved_at=None,
            corrects=None,
            public_only=False,
        )
        text = pdf_text(minutes_pdf(snapshot, archival=False))
        db.session.remove()
    assert "(durch Handzeichen)" in text
    assert "Ja: 6 · Nein: 2" in text
    assert "elektronisch, geheim" in text and "Ja: 3" in text
    assert "Änderungsantrag 1: Fünf Lernorte statt drei. – Angenommen" in text
    assert "gemischt" in text and "Ja: 6 · Nein: 1" in text
    assert "Wahl: Sprecher der AG" in text and "Stichwahl (2. Wahlgang)" in text
    assert "Gewählt: Anna Alt, Carla Cramer" in text
