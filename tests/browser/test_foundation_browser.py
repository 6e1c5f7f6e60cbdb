"""Browser acceptance tests of the foundation (issue 2)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.governance.models import Body


def _body_id(app, name: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        body_id = db.session.scalar(select(Body.id).where(Body.name == name))
        db.session.remove()
    assert body_id is not None, name
    return int(body_id)


def test_member_sees_vorstandskonferenz_members_in_my_bodies(page, live_server, login_browser):
    login_browser(page, live_server, "member")
    page.get_by_role("navigation", name=re.compile("Hauptnavigation|Main navigation")).get_by_role(
        "link", name=re.compile("Meine Gremien|My bodies")
    ).click()
    page.wait_for_url(re.compile(r"/meine-gremien$"))
    section = page.locator("main")
    assert "Vorstandskonferenz" in section.inner_text()
    # The chair (the Oberbürgermeister) and the member herself are listed.
    text = section.inner_text()
    assert "Feldkamp" in text
    assert "Ahlers" in text


def test_login_page_has_no_wcag_violations(page, live_server, assert_no_axe_violations):
    page.goto(live_server + "/login")
    assert page.locator("html").get_attribute("lang") == "de"
    assert_no_axe_violations(page)


def test_login_page_with_errors_has_no_wcag_violations(page, live_server, assert_no_axe_violations):
    page.goto(live_server + "/login")
    page.fill("input[name=email]", "mitglied@osnabrueck.example")
    page.fill("input[name=password]", "definitely wrong")
    with page.expect_navigation():
        page.click("main form [type=submit]")
    assert page.locator(".error").count() >= 1
    assert_no_axe_violations(page)


def test_start_page_has_no_wcag_violations(
    page, live_server, login_browser, assert_no_axe_violations
):
    login_browser(page, live_server, "member")
    page.goto(live_server + "/")
    assert_no_axe_violations(page)


def test_body_page_has_no_wcag_violations(
    app, page, live_server, login_browser, assert_no_axe_violations
):
    body_id = _body_id(app, "Bildungskonferenz")
    login_browser(page, live_server, "member")
    response = page.goto(f"{live_server}/gremien/{body_id}")
    assert response is not None and response.status == 200
    assert "Bildungskonferenz" in page.locator("h1").inner_text()
    assert_no_axe_violations(page)


@pytest.mark.parametrize("role", ["admin", "office", "chair", "member", "lead"])
def test_each_demo_role_can_log_in(page, live_server, login_browser, role):
    login_browser(page, live_server, role)
    assert page.url.rstrip("/") == live_server
    # Logged in: the user menu offers logging out.
    assert page.locator("form[action$='/logout'] button").count() == 1
    if role in ("admin", "office"):
        assert page.locator("a[href$='/verwaltung/']").count() >= 1
    else:
        assert page.locator("a[href$='/verwaltung/']").count() == 0


def test_logout_in_browser_ends_the_session(page, live_server, login_browser):
    login_browser(page, live_server, "member")
    with page.expect_navigation():
        page.click("form[action$='/logout'] button")
    assert "/login" in page.url
    page.goto(live_server + "/meine-gremien")
    assert "/login" in page.url


def test_axe_helper_reports_violations(page, assert_no_axe_violations):
    """The helper itself fails, naming each rule, on a page with known violations."""
    page.set_content("<html><body><img src='data:,'><input type='text'></body></html>")
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_no_axe_violations(page)
    message = str(failure.value)
    for rule in ("html-has-lang", "image-alt", "label"):
        assert rule in message
