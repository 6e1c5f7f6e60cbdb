"""Browser journey of issue #22: the office searches from the header box,
narrows the results by body and year, and opens the decision."""

from __future__ import annotations

from sqlalchemy import select

from netzwerk.decisions.models import Decision
from netzwerk.extensions import db
from netzwerk.governance.models import Body
from netzwerk.voting import services as voting


def _decide(body_short: str, title: str) -> tuple[int, int, str]:
    """A circular resolution of the body, adopted: (decision id, year, body name)."""
    from voting.helpers import seat_persons, start_poll

    body = db.session.scalar(select(Body).where(Body.short_name == body_short))
    poll = start_poll(body.id, title=title, question=f"{title} beschließen?")
    for person in seat_persons(body.id):
        voting.cast_ballot(poll.id, person, "yes")
    voting.close_poll(poll.id)
    decision = db.session.scalar(select(Decision).where(Decision.poll_id == poll.id))
    assert decision is not None
    return decision.id, decision.year, body.name


def test_the_office_finds_a_decision_from_the_header(
    page, live_server, login_browser, assert_no_axe_violations, app
):
    base = live_server
    with app.app_context():
        wanted, year, body_name = _decide("VK", "Sprachförderung in Kitas ausbauen")
        _decide("BK", "Sprachförderung an Grundschulen empfehlen")
        db.session.remove()

    login_browser(page, base, "office")
    box = page.get_by_role("search", name="Website durchsuchen").get_by_role("searchbox")
    box.fill("sprachfoerderung")
    with page.expect_navigation():
        box.press("Enter")
    assert "2 Treffer" in page.inner_text("#search-results")
    assert page.locator("#search-results mark").count() >= 2
    assert_no_axe_violations(page)

    page.select_option("#facet-gremium", label=f"{body_name} (1)")
    page.select_option("#facet-jahr", value=str(year))
    with page.expect_navigation():
        page.get_by_role("button", name="Filtern").click()
    assert "1 Treffer" in page.inner_text("#search-results")

    with page.expect_navigation():
        page.locator("#search-results").get_by_role(
            "link", name="Sprachförderung in Kitas ausbauen"
        ).click()
    assert page.url.endswith(f"/beschluesse/{wanted}")
    assert "Sprachförderung in Kitas ausbauen" in page.inner_text("h1")
