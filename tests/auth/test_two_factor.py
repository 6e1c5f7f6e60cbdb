"""Issue #18: two-factor login with TOTP and one-time recovery codes;
required for administrators, the Bildungsbüro and counselling staff."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
from conftest import ROLE_EMAILS, login
from sqlalchemy import select

from netzwerk.auth.models import RecoveryCode, User
from netzwerk.demo import DEMO_PASSWORD
from netzwerk.extensions import db

from .conftest import PERSONS, STRONG

MEMBER = ROLE_EMAILS["member"]
ENROL = "/konto/zwei-faktor"
CODE_STEP = timedelta(seconds=30)


def _secret(app, email: str) -> str:  # type: ignore[no-untyped-def]
    """The account's TOTP secret (stored encrypted: tests/auth/test_totp_at_rest.py)."""
    from netzwerk.auth.twofactor import secret_of

    with app.app_context():
        secret = secret_of(db.session.scalar(select(User).where(User.email == email)))
        db.session.remove()
    assert secret
    return str(secret)


def _enrol(app, client, email: str) -> list[str]:  # type: ignore[no-untyped-def]
    page = client.get(ENROL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = _secret(app, email)
    assert "<svg" in html  # the QR code, drawn here
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in html
    response = client.post(ENROL, data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", response.get_data(as_text=True))
    assert len(codes) == 10
    return codes


def _path(response) -> str:  # type: ignore[no-untyped-def]
    return urlsplit(response.headers["Location"]).path


def _logged_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/meine-gremien").status_code == 200


def test_enrolment_shows_a_local_qr_code_and_stores_hashed_recovery_codes(app, client_as, accounts):
    client = client_as("member")
    html = client.get(ENROL).get_data(as_text=True)
    assert "<svg" in html and "http" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    wrong = client.post(ENROL, data={"code": "000000"})
    assert "nicht richtig" in wrong.get_data(as_text=True)
    codes = _enrol(app, client, MEMBER)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == MEMBER))
        assert user.totp_enabled_at is not None
        stored = db.session.scalars(
            select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
        ).all()
    assert len(stored) == 10
    assert not any(code in h or code.replace("-", "") in h for code in codes for h in stored)
    assert [e["object_id"] for e in accounts.audit("user.second_factor_enrolled")] == [
        accounts.user_id(MEMBER)
    ]


def test_login_asks_for_the_code_after_the_password(app, client_as, clock):
    _enrol(app, client_as("member"), MEMBER)
    secret = _secret(app, MEMBER)
    clock.shift(CODE_STEP)  # the enrolment used this step's code
    client = app.test_client()
    response = client.post("/login", data={"email": MEMBER, "password": DEMO_PASSWORD})
    assert _path(response) == "/login/code"
    assert not _logged_in(client)  # the password alone does not log in
    wrong = client.post("/login/code", data={"code": "123456"})
    assert wrong.status_code == 200 and not _logged_in(client)
    code = pyotp.TOTP(secret).now()
    response = client.post("/login/code", data={"code": code})
    assert _path(response) == "/"
    assert _logged_in(client)
    # The same code does not work a second time.
    other = app.test_client()
    other.post("/login", data={"email": MEMBER, "password": DEMO_PASSWORD})
    assert other.post("/login/code", data={"code": code}).status_code == 200
    assert not _logged_in(other)


def test_the_code_step_expires(app, client_as, clock):
    _enrol(app, client_as("member"), MEMBER)
    clock.shift(CODE_STEP)
    client = app.test_client()
    client.post("/login", data={"email": MEMBER, "password": DEMO_PASSWORD})
    clock.shift(timedelta(minutes=6))
    response = client.post("/login/code", data={"code": pyotp.TOTP(_secret(app, MEMBER)).now()})
    assert response.status_code == 200
    assert "erneut an" in response.get_data(as_text=True)
    assert not _logged_in(client)


def test_a_recovery_code_works_once(app, client_as, accounts):
    codes = _enrol(app, client_as("member"), MEMBER)
    first = app.test_client()
    first.post("/login", data={"email": MEMBER, "password": DEMO_PASSWORD})
    response = first.post("/login/code", data={"code": codes[0].upper()})
    assert _path(response) == "/"
    second = app.test_client()
    second.post("/login", data={"email": MEMBER, "password": DEMO_PASSWORD})
    assert second.post("/login/code", data={"code": codes[0]}).status_code == 200
    assert not _logged_in(second)
    assert _path(second.post("/login/code", data={"code": codes[1]})) == "/"
    assert len(accounts.audit("user.recovery_code_used")) == 2


def test_an_optional_second_factor_can_be_turned_off(app, client_as, clock):
    client = client_as("member")
    _enrol(app, client, MEMBER)
    clock.shift(CODE_STEP)
    response = client.post(
        ENROL,
        data={
            "off-password": DEMO_PASSWORD,
            "off-code": pyotp.TOTP(_secret(app, MEMBER)).now(),
            "off-submit": "y",
        },
    )
    assert _path(response) == ENROL
    login(app.test_client(), MEMBER)  # the password alone again


@pytest.fixture
def strict(extra_app, demo):  # type: ignore[no-untyped-def]
    return extra_app(NETZWERK_REQUIRE_2FA=True)


def test_required_second_factor_sends_staff_to_enrolment_first(strict, accounts, clock):
    office = strict.test_client()
    response = office.post(
        "/login", data={"email": ROLE_EMAILS["office"], "password": DEMO_PASSWORD}
    )
    assert _path(response) == ENROL
    # Nothing else is reachable until enrolled: pages, forms.
    for url in ("/", "/verwaltung/", "/meine-gremien"):
        assert _path(office.get(url)) == ENROL
    post = office.post(f"{PERSONS}{accounts.person_id(MEMBER)}/zugang/passwort", data={})
    assert _path(post) == ENROL
    assert accounts.mails_to(MEMBER) == []
    _enrol(strict, office, ROLE_EMAILS["office"])
    assert office.get("/verwaltung/").status_code == 200
    # Required: it cannot be turned off.
    clock.shift(CODE_STEP)
    html = office.get(ENROL).get_data(as_text=True)
    assert "off-password" not in html
    response = office.post(
        ENROL,
        data={
            "off-password": DEMO_PASSWORD,
            "off-code": pyotp.TOTP(_secret(strict, ROLE_EMAILS["office"])).now(),
            "off-submit": "y",
        },
    )
    assert response.status_code == 403


def test_required_for_admins_and_counselling_staff_not_for_members(strict, accounts):
    from netzwerk.counselling.services import add_counselling_staff

    with strict.app_context():
        add_counselling_staff(ROLE_EMAILS["chair"], accounts.user_id(ROLE_EMAILS["admin"]))
    for role in ("admin", "chair"):
        client = strict.test_client()
        response = client.post(
            "/login", data={"email": ROLE_EMAILS[role], "password": DEMO_PASSWORD}
        )
        assert _path(response) == ENROL, role
    member = strict.test_client()
    assert _path(login(member, MEMBER)) == "/"
    assert member.get("/meine-gremien").status_code == 200


def test_only_an_administrators_reset_link_removes_a_second_factor(app, client_as, accounts):
    _enrol(app, client_as("member"), MEMBER)
    url = f"{PERSONS}{accounts.person_id(MEMBER)}/zugang/passwort"
    # The Bildungsbüro has no such option; its link leaves the factor in place.
    office = client_as("office")
    assert "second_factor" not in office.get(url).get_data(as_text=True)
    office.post(url, data={"second_factor": "y"})
    browser = app.test_client()
    browser.post(accounts.link_to(MEMBER), data={"password": STRONG, "confirm": STRONG})
    response = app.test_client().post("/login", data={"email": MEMBER, "password": STRONG})
    assert _path(response) == "/login/code"
    # An administrator's link with the option removes it when used.
    client_as("admin").post(url, data={"second_factor": "y"})
    assert accounts.audit("user.password_reset_sent")[-1]["data"] == (
        '{"by_staff":true,"second_factor":true}'
    )
    new = STRONG + " und Wind"
    app.test_client().post(accounts.link_to(MEMBER), data={"password": new, "confirm": new})
    assert _path(login(app.test_client(), MEMBER, new)) == "/"
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == MEMBER))
        assert user.totp_secret_sealed is None and user.totp_enabled_at is None
        assert db.session.scalars(select(RecoveryCode)).all() == []


def test_the_requirement_is_on_by_default_except_in_demo_mode(extra_app):
    from netzwerk.auth import twofactor

    production = extra_app(NETZWERK_REQUIRE_2FA=None)  # as build_config leaves it
    with production.app_context():
        assert twofactor.requirement_on()
    demo_mode = extra_app(NETZWERK_REQUIRE_2FA=None, NETZWERK_DEMO=True)
    with demo_mode.app_context():
        assert not twofactor.requirement_on()


def test_a_new_password_voids_a_half_done_login(app, client_as, accounts, clock):
    _enrol(app, client_as("member"), MEMBER)
    clock.shift(CODE_STEP)
    attacker = app.test_client()
    attacker.post("/login", data={"email": MEMBER, "password": DEMO_PASSWORD})
    # Meanwhile the owner sets a new password through a reset link.
    app.test_client().post("/passwort-vergessen", data={"email": MEMBER})
    app.test_client().post(accounts.link_to(MEMBER), data={"password": STRONG, "confirm": STRONG})
    response = attacker.post("/login/code", data={"code": pyotp.TOTP(_secret(app, MEMBER)).now()})
    assert response.status_code == 200
    assert not _logged_in(attacker)
