"""Issue #18: "Passwort vergessen?" for everyone, one answer for every address."""

from __future__ import annotations

import re

from conftest import ROLE_EMAILS, login

from netzwerk.demo import DEMO_PASSWORD

from .conftest import STRONG

MEMBER = ROLE_EMAILS["member"]
UNKNOWN = "niemand@osnabrueck.example"


def _answer(client, email: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    response = client.post("/passwort-vergessen", data={"email": email})
    page = client.get(response.headers.get("Location", "/login")).get_data(as_text=True)
    flashed = re.findall(r'<p class="flash[^"]*">(.*?)</p>', page, re.S)
    return response.status_code, response.headers.get("Location", ""), " ".join(flashed)


def test_login_page_offers_forgotten_password(demo, client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/passwort-vergessen"' in html
    assert "Passwort vergessen?" in html
    assert client.get("/passwort-vergessen").status_code == 200


def test_known_and_unknown_address_get_the_same_answer(app, demo, accounts):
    known = _answer(app.test_client(), MEMBER)
    unknown = _answer(app.test_client(), UNKNOWN)
    assert known == unknown
    assert known[0] == 302 and "Link" in known[2]
    # Only the known address got a mail.
    assert len(accounts.mails_to(MEMBER)) == 1
    assert accounts.mails_to(UNKNOWN) == []
    assert accounts.all_mails() == 1


def test_deactivated_account_gets_no_link_and_the_same_answer(app, demo, accounts):
    from sqlalchemy import select

    from netzwerk.auth import services
    from netzwerk.auth.models import User
    from netzwerk.extensions import db

    with app.app_context():
        services.set_active(db.session.scalar(select(User).where(User.email == MEMBER)), False)
    assert _answer(app.test_client(), MEMBER) == _answer(app.test_client(), UNKNOWN)
    assert accounts.mails_to(MEMBER) == []


def test_the_link_sets_a_new_password_and_ends_every_session(app, client_as, accounts):
    device = client_as("member")
    app.test_client().post("/passwort-vergessen", data={"email": "  Mitglied@Osnabrueck.Example"})
    _subject, body = accounts.mails_to(MEMBER)[-1]
    assert "einmal" in body  # valid once, until a time an hour from now
    link = accounts.link_to(MEMBER)
    sent = accounts.audit("user.password_reset_sent")
    assert [(e["actor_id"], e["object_id"]) for e in sent] == [(None, accounts.user_id(MEMBER))]
    browser = app.test_client()
    # Opening the link (a mail scanner does) does not use it up.
    assert browser.get(link).status_code == 200
    assert browser.get(link).status_code == 200
    response = browser.post(link, data={"password": STRONG, "confirm": STRONG})
    assert response.status_code == 302
    assert device.get("/meine-gremien").status_code == 302
    login(app.test_client(), MEMBER, STRONG)
    refused = app.test_client().post("/login", data={"email": MEMBER, "password": DEMO_PASSWORD})
    assert refused.status_code == 200


def test_the_form_shows_the_typed_address_again_on_error(demo, client):
    response = client.post("/passwort-vergessen", data={"email": "x" * 300})
    assert response.status_code == 200
    assert "x" * 300 in response.get_data(as_text=True)


def test_reset_mails_per_address_are_limited(extra_app, demo, accounts):
    limited = extra_app(RATELIMIT_ENABLED=True, NETZWERK_LOGIN_RATE_LIMIT="1000 per minute")
    answers = {_answer(limited.test_client(), MEMBER) for _ in range(5)}
    assert len(answers) == 1  # the same answer every time
    assert len(accounts.mails_to(MEMBER)) == 3  # NETZWERK_RESET_MAIL_LIMIT: 3 per hour
