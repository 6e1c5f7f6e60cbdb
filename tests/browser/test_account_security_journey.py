"""Browser journey of issue #18: a member turns on two-factor login, logs in
with a recovery code, forgets the password and sets a new one through the
mailed link; every page passes axe."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.mail.models import OutboxMail

MEMBER = "mitglied@osnabrueck.example"
NEW_PASSWORD = "Kanufahrt über den Dümmer bei Nebel"


def _mailed_link(app) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        bodies = db.session.scalars(
            select(OutboxMail.body).where(OutboxMail.recipient == MEMBER).order_by(OutboxMail.id)
        ).all()
        db.session.remove()
    found = re.search(r"(/passwort-zuruecksetzen/[A-Za-z0-9_\-]+)", bodies[-1])
    assert found, bodies
    return found.group(1)


def _log_out(page) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.click("form[action='/logout'] [type=submit]")


def _password_step(page, base: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/login")
    page.fill("input[name=email]", MEMBER)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form:has(input[name=password]) [type=submit]")


def test_two_factor_and_forgotten_password_journey(
    app, page, live_server, login_browser, assert_no_axe_violations
):
    from netzwerk.demo import DEMO_PASSWORD

    login_browser(page, live_server, "member")
    page.goto(live_server + "/konto/passwort")
    with page.expect_navigation():
        page.get_by_role("link", name="Zwei-Faktor-Anmeldung").click()
    assert page.locator("figure.qr svg").count() == 1
    assert_no_axe_violations(page)
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.click("form:has(input[name=code]) [type=submit]")
    codes = page.locator("ul.recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert_no_axe_violations(page)
    _log_out(page)

    # The password alone does not log in; a recovery code completes it.
    _password_step(page, live_server, DEMO_PASSWORD)
    assert page.url.endswith("/login/code")
    assert_no_axe_violations(page)
    page.fill("input[name=code]", codes[0])
    with page.expect_navigation():
        page.click("form:has(input[name=code]) [type=submit]")
    assert page.url.rstrip("/") == live_server.rstrip("/")
    _log_out(page)

    # Forgotten password: the link on the login page, the mail, a new password.
    page.goto(live_server + "/login")
    with page.expect_navigation():
        page.get_by_role("link", name="Passwort vergessen?").click()
    assert_no_axe_violations(page)
    page.fill("input[name=email]", MEMBER)
    with page.expect_navigation():
        page.click("form:has(input[name=email]) [type=submit]")
    assert "Wenn ein Konto diese Adresse hat" in page.locator(".flashes").inner_text()
    page.goto(live_server + _mailed_link(app))
    page.fill("input[name=password]", "passwort1234")
    page.fill("input[name=confirm]", "passwort1234")
    with page.expect_navigation():
        page.click("form:has(input[name=password]) [type=submit]")
    assert "häufigsten" in page.locator("#password-error").inner_text()
    assert_no_axe_violations(page)
    page.fill("input[name=password]", NEW_PASSWORD)
    page.fill("input[name=confirm]", NEW_PASSWORD)
    with page.expect_navigation():
        page.click("form:has(input[name=password]) [type=submit]")
    assert page.url.endswith("/login")
    _password_step(page, live_server, NEW_PASSWORD)
    page.fill("input[name=code]", codes[1])
    with page.expect_navigation():
        page.click("form:has(input[name=code]) [type=submit]")
    assert page.url.rstrip("/") == live_server.rstrip("/")
