"""Browser journey (issue #19, part B): the chair runs a show-of-hands vote,
an amendment adopted before its main motion and an election of two persons
with a run-off; the minutes PDF shows all of it."""

from __future__ import annotations

import re

from minutes.helpers import pdf_text
from sqlalchemy import select
from voting.helpers import meeting_in_session, user

from netzwerk.extensions import db
from netzwerk.meetings import access, agenda
from netzwerk.minutes.render import compose_minutes, minutes_pdf
from netzwerk.voting import elections
from netzwerk.voting.models import Election


def _go(page, action) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        action()


def _show_of_hands(page, yes: str, no: str) -> None:  # type: ignore[no-untyped-def]
    """On an open show-of-hands vote's page: enter the counts and close."""
    _go(page, lambda: page.get_by_role("link", name="Zahlen erfassen").click())
    page.fill("#yes", yes)
    page.fill("#no", no)
    page.fill("#abstain", "0")
    _go(page, lambda: page.click("main form [type=submit]"))
    assert "Per Handzeichen gezählt" in page.inner_text("main")
    _go(page, lambda: page.locator("form[action*='/schritt/'] button").first.click())
    assert "Ergebnis" in page.inner_text("main")


def _ballots(app, election_id: int, choices: list[list[int]]) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        election = db.session.get(Election, election_id)
        rnd = elections.current_round(election)
        voters = db.session.scalars(
            select(elections.ElectionSeat.person_id).where(
                elections.ElectionSeat.round_id == rnd.id
            )
        )
        for person, choice in zip(voters, choices, strict=False):
            elections.cast_election_ballot(election_id, person, choice)
        db.session.remove()


def test_the_chair_runs_hands_amendment_and_election(
    page, live_server, login_browser, assert_no_axe_violations, app
):
    base = live_server
    with app.app_context():
        meeting = meeting_in_session("VK")
        motion = agenda.add_free_item(user("office"), meeting, title="Lernorte")
        vote = agenda.add_free_item(user("office"), access.get_meeting(meeting.id), title="Wahl")
        meeting_id, motion_id, vote_id = meeting.id, motion.id, vote.id
        db.session.remove()
    login_browser(page, base, "chair")

    # An amendment, adopted by show of hands before its main motion.
    page.goto(f"{base}/sitzungen/{meeting_id}/top/{motion_id}/abstimmung")
    _go(page, lambda: page.get_by_role("link", name="Änderungsanträge").click())
    page.fill("#text", "Fünf Lernorte statt drei.")
    _go(page, lambda: page.click("main form [type=submit]"))
    assert_no_axe_violations(page)
    _go(
        page,
        lambda: page.get_by_role("link", name=re.compile("Änderungsantrag 1 eröffnen")).click(),
    )
    page.select_option("#method", "hands")
    _go(page, lambda: page.click("main form [type=submit]"))
    _show_of_hands(page, "6", "2")

    # The main motion, by show of hands: its text is the adopted amendment's.
    page.goto(f"{base}/sitzungen/{meeting_id}/top/{motion_id}/abstimmung")
    assert page.input_value("#question") == "Fünf Lernorte statt drei."
    page.select_option("#method", "hands")
    _go(page, lambda: page.click("main form [type=submit]"))
    assert "durch Handzeichen" in page.inner_text("main")
    _go(page, lambda: page.get_by_role("link", name="Zahlen erfassen").click())
    assert_no_axe_violations(page)
    page.fill("#yes", "40")
    _go(page, lambda: page.click("main form [type=submit]"))
    assert "anwesende Mitglieder sind stimmberechtigt" in page.inner_text("#yes-error")
    page.goto(page.url.replace("/handzeichen", ""))
    _show_of_hands(page, "7", "1")

    # An election of two persons: one elected at once, the second in a run-off.
    page.goto(f"{base}/sitzungen/{meeting_id}/top/{vote_id}/abstimmung")
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
    assert_no_axe_violations(page)
    _go(page, lambda: page.get_by_role("button", name="Wahlgang schließen und auszählen").click())
    assert "Stichwahl (2. Wahlgang)" in page.inner_text("main")
    _ballots(app, election_id, [[c], [c], [b]])
    page.reload()
    _go(page, lambda: page.get_by_role("button", name="Wahlgang schließen und auszählen").click())
    assert "Anna Alt, Carla Cramer" in page.inner_text(".elected")

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
    assert "Änderungsantrag 1: Fünf Lernorte statt drei. – Angenommen" in text
    assert "(durch Handzeichen)" in text
    assert "Ja: 7 · Nein: 1" in text
    assert "Wahl: Sprecher der AG" in text
    assert "Stichwahl (2. Wahlgang)" in text
    assert "Gewählt: Anna Alt, Carla Cramer" in text
