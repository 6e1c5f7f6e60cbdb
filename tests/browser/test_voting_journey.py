"""Browser acceptance test: a circular resolution closes itself at its deadline."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from netzwerk.database import write_transaction
from netzwerk.decisions.models import Decision
from netzwerk.extensions import db
from netzwerk.governance.models import Body
from netzwerk.papers.models import Paper
from netzwerk.timeutil import LOCAL_TZ, local_today, utcnow
from netzwerk.voting.models import Poll
from netzwerk.voting.services import close_due_polls

from ._journey_helpers import EXTRA_VOTER, add_login, paper_before_the_vk, vote_yes


def test_circular_resolution_closed_by_the_job(
    page, browser, live_server, login_browser, assert_no_axe_violations, app
):
    base = live_server
    with app.app_context():
        paper_id = paper_before_the_vk("Haushalt der Bildungsregion 2027")
        add_login("Meyerhoff", EXTRA_VOTER)
        with write_transaction():
            # The VK decides in writing with a third of its members taking part.
            vk = db.session.scalar(select(Body).where(Body.short_name == "VK"))
            vk.quorum_rule = "one_third"
        db.session.remove()

    # The Bildungsbüro starts the circular resolution on the paper.
    login_browser(page, base, "office")
    page.goto(base + f"/verwaltung/abstimmungen/umlauf/neu?paper={paper_id}")
    assert_no_axe_violations(page)
    # Three days on, at the wall-clock time of Osnabrück (the app's clock).
    deadline = datetime.combine(local_today() + timedelta(days=3), time(18, 0), LOCAL_TZ)
    page.fill("#closes_at", deadline.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#question", "Der Haushalt 2027 wird beschlossen.")
    with page.expect_navigation():
        page.click("main form [type=submit]")
    match = re.search(r"/abstimmungen/(\d+)", page.url)
    assert match, page.url
    poll_id = int(match.group(1))
    assert_no_axe_violations(page)

    # Three members vote from their own browser sessions.
    for email in ("ob@osnabrueck.example", "mitglied@osnabrueck.example", EXTRA_VOTER):
        vote_yes(browser, base, login_browser, email, poll_id)

    # Before the deadline the job leaves it open; after it, the job closes it.
    with app.app_context():
        assert db.session.get(Poll, poll_id).closes_at == deadline
        assert close_due_polls(now=utcnow() + timedelta(days=1)) == []
        after_deadline = deadline.astimezone(UTC) + timedelta(minutes=1)
        assert close_due_polls(now=after_deadline) == [poll_id]
        poll = db.session.get(Poll, poll_id)
        assert poll.state == "closed" and poll.result == "passed" and poll.yes_count == 3
        assert db.session.get(Paper, paper_id).state == "beschlossen"
        number = db.session.scalar(select(Decision.number).where(Decision.poll_id == poll_id))
        db.session.remove()
    assert number and number.startswith("VK/")

    # The decision appears in the register with its number.
    page.goto(base + "/beschluesse/")
    assert number in page.content()
    assert_no_axe_violations(page)
    page.goto(base + f"/vorlagen/{paper_id}")
    assert page.locator("[data-state=beschlossen]").count() == 1
