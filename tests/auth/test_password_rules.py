"""Issue #18: passwords not easy to guess, with the reason next to the field."""

from __future__ import annotations

import pytest
from conftest import ROLE_EMAILS

from netzwerk.auth import services
from netzwerk.demo import DEMO_PASSWORD

from .conftest import PERSONS, STRONG

MEMBER = ROLE_EMAILS["member"]  # Dr. Claudia Ahlers, mitglied@osnabrueck.example

WEAK = [
    ("x" * 12, "hintereinander"),
    ("Gaaaaaarten am Fluss 2026", "hintereinander"),
    ("Claudia mag lange Sätze", "Namen"),
    ("ahlers-im-netzwerk-2026", "Namen"),
    ("mitglied seit zwanzig Jahren", "E-Mail-Adresse"),
    ("Passwort1234", "häufigsten"),
    ("sommersommer", "zu leicht zu erraten"),
    ("abcdefghijkl", "zu leicht zu erraten"),
]


@pytest.mark.parametrize("password,reason", WEAK)
def test_weak_passwords_are_refused_with_the_reason(app, client_as, password, reason):
    client = client_as("member")
    response = client.post(
        "/konto/passwort",
        data={"current_password": DEMO_PASSWORD, "new_password": password, "confirm": password},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    error = html.split('id="new_password-error"', 1)[1].split("</p>", 1)[0]
    assert reason in error
    assert password not in html  # a password is never shown again
    with app.app_context():
        assert services.authenticate(MEMBER, DEMO_PASSWORD) is not None


def test_a_strong_password_is_accepted(app, client_as):
    client = client_as("member")
    response = client.post(
        "/konto/passwort",
        data={"current_password": DEMO_PASSWORD, "new_password": STRONG, "confirm": STRONG},
    )
    assert response.status_code == 302
    with app.app_context():
        assert services.authenticate(MEMBER, STRONG) is not None


def test_rules_know_names_and_address(app_ctx):
    with pytest.raises(services.AccountError, match="Namen"):
        services.check_new_password("Wessels Garten am Hang", names=("Jana", "Wessels"))
    with pytest.raises(services.AccountError, match="E-Mail"):
        services.check_new_password("jwessels im Garten", email="jwessels@example.org")
    services.check_new_password(STRONG, names=("Jana", "Wessels"), email="jw@example.org")


def test_reset_link_refuses_a_weak_password_and_stays_usable(app, client_as, accounts):
    client_as("admin").post(f"{PERSONS}{accounts.person_id(MEMBER)}/zugang/passwort", data={})
    link = accounts.link_to(MEMBER)
    browser = app.test_client()
    response = browser.post(link, data={"password": "Passwort1234", "confirm": "Passwort1234"})
    assert response.status_code == 200
    assert "häufigsten" in response.get_data(as_text=True)
    assert browser.post(link, data={"password": STRONG, "confirm": STRONG}).status_code == 302


def test_new_login_refuses_a_weak_first_password_and_keeps_the_address(client_as, accounts):
    from sqlalchemy import select

    from netzwerk.extensions import db
    from netzwerk.governance.models import Person

    with accounts.app.app_context():
        person_id = db.session.scalar(select(Person.id).where(Person.last_name == "Wessels"))
    response = client_as("admin").post(
        f"{PERSONS}{person_id}/zugang/neu",
        data={"email": "jana.wessels@example.org", "password": "Jana Wessels 2026!"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Namen" in html
    assert 'value="jana.wessels@example.org"' in html


@pytest.mark.parametrize("length", [73, 200, 5000])
def test_a_long_password_is_rated_not_refused_with_an_error(app_ctx, length):
    """zxcvbn raises on more than 72 characters (the fuzz test found the 500)."""
    from netzwerk.auth.passwords import strength_problem

    password = ("Kastanienallee-Bildungsbüro-" * 200)[:length]
    assert strength_problem(password, names=["Ahlers"], email="mitglied@osnabrueck.example") is None
