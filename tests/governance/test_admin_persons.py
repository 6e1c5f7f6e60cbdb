"""Persons and their logins: create, edit, deactivate, roles, passwords."""

from __future__ import annotations

import pytest

from netzwerk.auth.logins import create_login, set_login_roles
from netzwerk.auth.models import User
from netzwerk.demo import DEMO_PASSWORD
from netzwerk.extensions import db
from netzwerk.governance.common import GovernanceError
from netzwerk.governance.models import Person

from .conftest import field_error

URL = "/verwaltung/personen/"
NEW_PASSWORD = "ein langes neues Passwort"


def person_data(**overrides: str) -> dict[str, str]:
    data = {
        "title": "",
        "first_name": "Gül",
        "last_name": "Öztürk",
        "email": "gast@example.org",
        "phone": "",
        "function": "Elternvertreterin",
        "organisation_id": "",
    }
    data.update(overrides)
    return data


def test_list_search_and_login_column(client_as):
    client = client_as("office")
    html = client.get(URL, query_string={"q": "Feldkamp"}).get_data(as_text=True)
    assert "Feldkamp, Markus" in html
    assert "ob@osnabrueck.example" in html
    assert "Kortmann, Sabine" not in html
    html = client.get(URL, query_string={"q": "Theater Osnabrück"}).get_data(as_text=True)
    assert "Krone, Sebastian" in html  # found by the organisation's name
    html = client.get(URL, query_string={"q": "Markus Feldkamp"}).get_data(as_text=True)
    assert "Feldkamp, Markus" in html


def test_create_guest_without_login_edit_and_deactivate(client_as, lookup):
    client = client_as("office")
    response = client.post(URL + "neu", data=person_data())
    assert response.status_code == 302
    person_id = lookup.person("Öztürk")
    assert lookup.get(Person, person_id)["function"] == "Elternvertreterin"
    assert lookup.count(User, User.person_id == person_id) == 0
    html = client.get(f"{URL}{person_id}").get_data(as_text=True)
    assert "keinen Zugang" in html

    before = lookup.get(Person, person_id)
    url = f"{URL}{person_id}/bearbeiten"
    bad = person_data(first_name=" ", email="keine-adresse", organisation_id="999999")
    bad["function"] = "Neue Funktion getippt"
    response = client.post(url, data=bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "first_name")
    assert field_error(html, "email")
    assert field_error(html, "organisation_id")
    assert 'value="Neue Funktion getippt"' in html
    assert lookup.get(Person, person_id) == before

    organisation_id = lookup.organisation("Theater Osnabrück")
    response = client.post(url, data=person_data(organisation_id=str(organisation_id)))
    assert response.status_code == 302
    assert lookup.get(Person, person_id)["organisation_id"] == organisation_id

    response = client.post(f"{URL}{person_id}/deaktivieren")
    assert response.status_code == 302
    assert lookup.get(Person, person_id)["active"] is False
    assert lookup.count(Person, Person.id == person_id) == 1  # never deleted


def test_office_creates_a_login_that_works(client_as, lookup, app):
    client = client_as("office")
    person_id = lookup.person("Krone")
    response = client.post(
        f"{URL}{person_id}/zugang/neu",
        data={"email": "Krone@Theater.example", "password": NEW_PASSWORD, "is_office": "y"},
    )
    assert response.status_code == 302
    user_id = lookup.user("krone@theater.example")
    row = lookup.get(User, user_id)
    assert row["is_office"] is True and row["is_admin"] is False
    fresh = app.test_client()
    assert (
        fresh.post(
            "/login", data={"email": "krone@theater.example", "password": NEW_PASSWORD}
        ).status_code
        == 302
    )


def test_create_login_errors_next_to_fields(client_as, lookup):
    client = client_as("office")
    person_id = lookup.person("Krone")
    before = lookup.count(User)
    response = client.post(
        f"{URL}{person_id}/zugang/neu",
        data={"email": "ob@osnabrueck.example", "password": NEW_PASSWORD},
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "email")
    response = client.post(
        f"{URL}{person_id}/zugang/neu", data={"email": "neu@example.org", "password": "kurz"}
    )
    html = response.get_data(as_text=True)
    assert field_error(html, "password")
    assert 'value="neu@example.org"' in html
    assert lookup.count(User) == before


def test_office_cannot_grant_administrator(client_as, lookup, app):
    client = client_as("office")
    person_id = lookup.person("Krone")
    # The field is not offered to the Bildungsbüro, and a forged value is ignored.
    page = client.get(f"{URL}{person_id}/zugang/neu").get_data(as_text=True)
    assert 'name="is_admin"' not in page
    client.post(
        f"{URL}{person_id}/zugang/neu",
        data={"email": "krone@example.org", "password": NEW_PASSWORD, "is_admin": "y"},
    )
    assert lookup.get(User, lookup.user("krone@example.org"))["is_admin"] is False

    member_id = lookup.person("Ahlers")
    client.post(f"{URL}{member_id}/zugang/rollen", data={"is_admin": "y", "is_office": "y"})
    row = lookup.get(User, lookup.user("mitglied@osnabrueck.example"))
    assert row["is_admin"] is False
    assert row["is_office"] is True  # the Bildungsbüro may grant its own role

    with app.test_request_context():
        office = db.session.get(User, lookup.user("buero@osnabrueck.example"))
        target = lookup.user("mitglied@osnabrueck.example")
        with pytest.raises(GovernanceError) as err:
            set_login_roles(target, is_admin=True, is_office=True, actor=office)
        assert err.value.field == "is_admin"
        with pytest.raises(GovernanceError):
            create_login(
                lookup.person("Bäumer"),
                email="b@example.org",
                password=NEW_PASSWORD,
                is_admin=True,
                actor=office,
            )
        db.session.remove()
    assert lookup.count(User, User.email == "b@example.org") == 0


def test_admin_grants_and_revokes_administrator(client_as, lookup):
    client = client_as("admin")
    member_id = lookup.person("Ahlers")
    user_id = lookup.user("mitglied@osnabrueck.example")
    client.post(f"{URL}{member_id}/zugang/rollen", data={"is_admin": "y"})
    assert lookup.get(User, user_id)["is_admin"] is True
    client.post(f"{URL}{member_id}/zugang/rollen", data={})
    assert lookup.get(User, user_id)["is_admin"] is False


def test_nobody_changes_their_own_roles(client_as, lookup):
    client = client_as("admin")
    admin_person = lookup.person("Brenner")
    response = client.post(f"{URL}{admin_person}/zugang/rollen", data={"is_office": "y"})
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "is_admin")
    assert lookup.get(User, lookup.user("admin@osnabrueck.example"))["is_office"] is False


def test_office_cannot_touch_an_administrators_login(client_as, lookup):
    client = client_as("office")
    admin_person = lookup.person("Brenner")
    admin_user = lookup.user("admin@osnabrueck.example")
    before = lookup.get(User, admin_user)
    response = client.post(
        f"{URL}{admin_person}/zugang/passwort",
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302  # sent back to the person, nothing changed
    client.post(f"{URL}{admin_person}/zugang/deaktivieren")
    client.post(f"{URL}{admin_person}/deaktivieren")
    response = client.post(f"{URL}{admin_person}/zugang/rollen", data={"is_office": "y"})
    assert field_error(response.get_data(as_text=True), "is_office") is None
    assert "Nur Administratoren" in response.get_data(as_text=True)
    assert lookup.get(User, admin_user) == before
    assert lookup.get(Person, admin_person)["active"] is True


def test_password_reset_by_admin_sends_a_link_that_ends_sessions(client_as, lookup, app):
    """Staff never set a password: a link goes to the login's own address;
    using it ends every session (details: tests/auth/test_staff_reset.py)."""
    import re

    from sqlalchemy import select

    from netzwerk.mail.models import OutboxMail

    email = "mitglied@osnabrueck.example"
    member = client_as("member")
    admin = client_as("admin")
    url = f"{URL}{lookup.person('Ahlers')}/zugang/passwort"
    response = admin.post(url, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert member.get("/").status_code == 200  # nothing changes until the link is used
    with app.app_context():
        body = db.session.scalar(select(OutboxMail.body).where(OutboxMail.recipient == email))
        db.session.remove()
    link = re.search(r"/passwort-zuruecksetzen/[\w-]+", body).group(0)
    fresh = app.test_client()
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert fresh.post(link, data=data).status_code == 302
    # The member's old session is gone; the new password works, the old not.
    assert member.get("/").status_code == 302
    assert fresh.post("/login", data={"email": email, "password": DEMO_PASSWORD}).status_code == 200
    assert fresh.post("/login", data={"email": email, "password": NEW_PASSWORD}).status_code == 302


def test_deactivating_a_login_ends_its_sessions(client_as, lookup):
    member = client_as("member")
    office = client_as("office")
    person_id = lookup.person("Ahlers")
    assert office.post(f"{URL}{person_id}/zugang/deaktivieren").status_code == 302
    assert lookup.get(User, lookup.user("mitglied@osnabrueck.example"))["active"] is False
    assert member.get("/").status_code == 302
    assert office.post(f"{URL}{person_id}/zugang/aktivieren").status_code == 302
    assert lookup.get(User, lookup.user("mitglied@osnabrueck.example"))["active"] is True


def test_deactivating_a_person_blocks_the_login(client_as, lookup):
    member = client_as("member")
    office = client_as("office")
    person_id = lookup.person("Ahlers")
    office.post(f"{URL}{person_id}/deaktivieren")
    assert lookup.get(User, lookup.user("mitglied@osnabrueck.example"))["active"] is False
    assert member.get("/").status_code == 302
    # The login cannot come back before the person does.
    office.post(f"{URL}{person_id}/zugang/aktivieren")
    assert lookup.get(User, lookup.user("mitglied@osnabrueck.example"))["active"] is False


def test_nobody_deactivates_themselves(client_as, lookup):
    client = client_as("office")
    person_id = lookup.person("Kortmann")
    client.post(f"{URL}{person_id}/zugang/deaktivieren")
    client.post(f"{URL}{person_id}/deaktivieren")
    assert lookup.get(User, lookup.user("buero@osnabrueck.example"))["active"] is True
    assert lookup.get(Person, person_id)["active"] is True
    assert client.get("/verwaltung/").status_code == 200
