"""Browser journeys of issue #18, every page checked with axe:

* a member turns on two-factor login, logs in with a recovery code, forgets
  the password and sets a new one through the mailed link;
* an administrator turns on two-factor login and logs in with the app's
  code; the Bildungsbüro sends a member a reset link, the mail goes out
  through a real SMTP server, the member sets a new password with it; the
  member logs in through the city's identity provider (an OpenID Connect
  provider started here) and reaches the start page.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

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


# --- administrator, Bildungsbüro, identity provider ---------------------------

ADMIN = "admin@osnabrueck.example"
OFFICE = "buero@osnabrueck.example"
RESET_PASSWORD = "Segelboot auf dem Alfsee im Herbst"


@contextmanager
def _served(flask_app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="oidc-live", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    flask_app.config["NETZWERK_BASE_URL"] = url  # the links in its mails
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextmanager
def _smtp() -> Iterator[tuple[object, int]]:
    from aiosmtpd.controller import Controller
    from conftest import SMTPCollector, free_port

    handler, port = SMTPCollector(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _submit(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.click(selector)


def test_admin_code_office_reset_link_and_city_login_journey(
    page, demo, extra_app, monkeypatch, login_browser, assert_no_axe_violations
):
    from auth.oidc_provider import serve_provider

    from netzwerk.auth.models import User
    from netzwerk.demo import DEMO_PASSWORD
    from netzwerk.mail.jobs import send_outbox
    from netzwerk.timeutil import utcnow

    with contextmanager(serve_provider)() as provider, _smtp() as (smtp, smtp_port):
        # Configured as in production: through the environment.
        for key, value in provider.app_config().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("NETZWERK_MAIL_SERVER", "127.0.0.1")
        monkeypatch.setenv("NETZWERK_MAIL_PORT", str(smtp_port))
        city = extra_app()
        with city.app_context():
            member_person = db.session.scalar(select(User.person_id).where(User.email == MEMBER))
            db.session.remove()
        with _served(city) as base:
            # 1. An administrator turns on two-factor login ...
            login_browser(page, base, ADMIN)
            page.goto(base + "/konto/zwei-faktor")
            secret = page.locator("code.secret").inner_text().replace(" ", "")
            page.fill("input[name=code]", pyotp.TOTP(secret).now())
            _submit(page, "form:has(input[name=code]) [type=submit]")
            assert page.locator("ul.recovery-codes code").count() == 10
            _log_out(page)
            # ... and logs in with the app's next code.
            page.goto(base + "/login")
            assert page.locator("#idp-login").inner_text() == "Mit dem Stadt-Login anmelden"
            assert_no_axe_violations(page)
            page.fill("input[name=email]", ADMIN)
            page.fill("input[name=password]", DEMO_PASSWORD)
            _submit(page, "form:has(input[name=password]) [type=submit]")
            assert page.url.endswith("/login/code")
            next_code = pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))
            page.fill("input[name=code]", next_code)
            _submit(page, "form:has(input[name=code]) [type=submit]")
            assert page.url.rstrip("/") == base
            _log_out(page)

            # 2. The Bildungsbüro sends the member a reset link.
            login_browser(page, base, OFFICE)
            page.goto(f"{base}/verwaltung/personen/{member_person}")
            _submit(page, "a[href$='/zugang/passwort']")
            assert_no_axe_violations(page)
            _submit(page, "main form [type=submit]")
            assert "Link" in page.locator(".flashes").inner_text()
            _log_out(page)
            # The mail job sends the outbox through the SMTP server.
            with city.app_context():
                assert send_outbox() >= 1
                db.session.remove()
            (mail,) = [m for m in smtp.messages if m["To"] == MEMBER]  # type: ignore[attr-defined]
            body = mail.get_payload(decode=True).decode(mail.get_content_charset() or "utf-8")
            link = re.search(r"https?://\S+/passwort-zuruecksetzen/[A-Za-z0-9_\-]+", body)
            assert link and link.group(0).startswith(base), body
            # 3. The member sets a new password with it.
            page.goto(link.group(0))  # the page the first journey checks with axe
            page.fill("input[name=password]", RESET_PASSWORD)
            page.fill("input[name=confirm]", RESET_PASSWORD)
            _submit(page, "form:has(input[name=password]) [type=submit]")
            assert page.url.endswith("/login")
            login_browser(page, base, MEMBER, RESET_PASSWORD)
            _log_out(page)

            # 4. The member logs in through the city's identity provider.
            provider.log_in_as(MEMBER)
            page.goto(base + "/login")
            _submit(page, "#idp-login")
            assert page.url.rstrip("/") == base
            assert "Willkommen" in page.locator(".flashes").inner_text()
            assert page.locator("form[action='/logout']").count() == 1
            assert_no_axe_violations(page)
