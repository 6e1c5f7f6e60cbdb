"""Issue #18, item 7: login through the city's identity provider (OpenID
Connect), tested against a provider started here (oidc_provider.py), over
real HTTP: authorization code with PKCE, state and nonce, the ID token's
signature against the provider's JWKS; accounts matched by verified e-mail,
never created; staff kept off the password form when configured."""

from __future__ import annotations

import http.client
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from conftest import ROLE_EMAILS
from sqlalchemy import func, select

from netzwerk.auth.models import User
from netzwerk.demo import DEMO_PASSWORD
from netzwerk.extensions import db

MEMBER = ROLE_EMAILS["member"]
OFFICE = ROLE_EMAILS["office"]
ADMIN = ROLE_EMAILS["admin"]
START = "/login/oidc"
ENROL = "/konto/zwei-faktor"


def _path(response) -> str:  # type: ignore[no-untyped-def]
    return urlsplit(response.headers["Location"]).path


def _logged_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/meine-gremien").status_code == 200


def _at_provider(url: str) -> str:
    """GET the provider's authorization URL like a browser (no redirect
    followed); returns where it sends the browser back to."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}")
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 302, answer.status
        return str(answer.getheader("Location"))
    finally:
        conn.close()


def _through_provider(client, start: str = START):  # type: ignore[no-untyped-def]
    """Start the login, pass the provider, come back: the callback's answer."""
    started = client.get(start)
    assert started.status_code == 302
    back = urlsplit(_at_provider(started.headers["Location"]))
    assert back.path == "/login/oidc/callback"
    return client.get(f"{back.path}?{back.query}")


def _page_after(client, response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_button_shows_only_when_a_provider_is_configured(app, oidc_app, oidc_provider):
    assert "Stadt-Login" not in app.test_client().get("/login").get_data(as_text=True)
    assert app.test_client().get(START).status_code == 404  # no route without a provider
    page = oidc_app().test_client().get("/login?next=/meine-gremien").get_data(as_text=True)
    assert "Mit dem Stadt-Login anmelden" in page
    assert 'href="/login/oidc?next=/meine-gremien"' in page
    labelled = oidc_app(NETZWERK_OIDC_LABEL="Mit dem Osnabrück-Konto anmelden")
    assert "Mit dem Osnabrück-Konto anmelden" in labelled.test_client().get("/login").get_data(
        as_text=True
    )


def test_a_verified_address_logs_into_the_existing_account(oidc_app, oidc_provider, accounts):
    oidc_provider.log_in_as("Mitglied@Osnabrueck.EXAMPLE")  # case does not matter
    client = oidc_app().test_client()
    started = client.get(START + "?next=/meine-gremien")
    query = parse_qs(urlsplit(started.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["state"] and query["nonce"] and query["scope"] == ["openid email profile"]
    back = urlsplit(_at_provider(started.headers["Location"]))
    callback = f"{back.path}?{back.query}"
    response = client.get(callback)
    assert _path(response) == "/meine-gremien"
    assert _logged_in(client)
    # PKCE: the verifier went with the code, the secret in the Basic header.
    (sent,) = oidc_provider.token_requests
    assert len(sent["code_verifier"]) >= 43 and "client_secret" not in sent
    logins = accounts.audit("user.login")
    assert [(e["object_id"], e["data"]) for e in logins] == [
        (accounts.user_id(MEMBER), '{"method":"oidc","second_factor":null}')
    ]
    # The answer works once, in the browser that started the login.
    again = oidc_app().test_client()
    assert _path(again.get(callback)) == "/login"
    assert not _logged_in(again)
    assert len(oidc_provider.token_requests) == 1


def test_the_address_may_come_from_userinfo(oidc_app, oidc_provider):
    oidc_provider.log_in_as(MEMBER)
    oidc_provider.email_in_id_token = False
    client = oidc_app().test_client()
    assert _path(_through_provider(client)) == "/"
    assert _logged_in(client)


def _deactivate(email: str):  # type: ignore[no-untyped-def]
    def run(app, accounts):  # type: ignore[no-untyped-def]
        from netzwerk.auth.services import set_active

        with app.app_context():
            set_active(db.session.get(User, accounts.user_id(email)), False)
            db.session.remove()

    return run


REFUSALS = {
    # name: (e-mail at the provider, verified, tamper, words of the message, audited reason)
    "unverified": (MEMBER, False, None, "nicht bestätigt", "email_unverified"),
    "unknown": ("neu@osnabrueck.example", True, None, "kein Netzwerk-Konto", "unknown_email"),
    "inactive": (MEMBER, True, None, "deaktiviert", "inactive"),
    "wrong-nonce": (MEMBER, True, "nonce", "nicht abgeschlossen", "id_token"),
    "bad-signature": (MEMBER, True, "signature", "nicht abgeschlossen", "id_token"),
    "changed-payload": (MEMBER, True, "payload", "nicht abgeschlossen", "id_token"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_logins_leave_nobody_logged_in(case, app, oidc_app, oidc_provider, accounts):
    email, verified, tamper, words, reason = REFUSALS[case]
    oidc_provider.log_in_as(email, verified=verified)
    oidc_provider.tamper = tamper
    if case == "inactive":
        _deactivate(MEMBER)(app, accounts)
    with app.app_context():
        users_before = db.session.scalar(select(func.count(User.id)))
        db.session.remove()
    client = oidc_app().test_client()
    response = _through_provider(client)
    assert _path(response) == "/login"
    assert words in _page_after(client, response)
    assert not _logged_in(client)
    refused = accounts.audit("user.login_refused")
    assert [e["data"] for e in refused] == [f'{{"method":"oidc","reason":"{reason}"}}']
    expected_id = None if reason in ("unknown_email", "id_token") else accounts.user_id(MEMBER)
    assert refused[0]["object_id"] == expected_id
    assert accounts.audit("user.login") == []
    with app.app_context():  # never an account made on the way
        assert db.session.scalar(select(func.count(User.id))) == users_before
        db.session.remove()


def test_a_foreign_or_missing_state_is_refused(oidc_app, oidc_provider, accounts):
    oidc_provider.log_in_as(MEMBER)
    oidc_app_ = oidc_app()
    victim, attacker = oidc_app_.test_client(), oidc_app_.test_client()
    # The attacker's own code and state, planted in the victim's browser
    # (login CSRF): the victim started no login, or another one.
    back = urlsplit(_at_provider(attacker.get(START).headers["Location"]))
    for started_one in (False, True):
        if started_one:
            victim.get(START)
        response = victim.get(f"{back.path}?{back.query}")
        assert _path(response) == "/login"
        assert "abgelaufen" in _page_after(victim, response)
        assert not _logged_in(victim)
    # Bad input: no 500.
    for query in ("", "?state=%C2%B2&code=", "?code=x", "?error=access_denied&state=x", "?state="):
        assert victim.get("/login/oidc/callback" + query).status_code == 302
    assert oidc_provider.token_requests == []  # no code was ever exchanged
    assert accounts.audit("user.login") == []


def test_a_cancelled_login_says_so(oidc_app, oidc_provider):
    client = oidc_app().test_client()  # nobody logs in at the provider
    response = _through_provider(client)
    assert "abgebrochen" in _page_after(client, response)
    assert not _logged_in(client)


def test_an_unreachable_provider_is_said_plainly(oidc_app, oidc_provider):
    from conftest import free_port

    client = oidc_app(NETZWERK_OIDC_ISSUER=f"http://127.0.0.1:{free_port()}").test_client()
    response = client.get(START)
    assert _path(response) == "/login"
    assert "nicht abgeschlossen" in _page_after(client, response)


def test_staff_without_local_login_use_only_the_provider(oidc_app, oidc_provider, accounts):
    strict = oidc_app(NETZWERK_LOCAL_LOGIN_STAFF=False)
    for email in (OFFICE, ADMIN):
        client = strict.test_client()
        response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 200
        assert "nur über den Stadt-Login" in response.get_data(as_text=True)
        assert not _logged_in(client)
    refused = accounts.audit("user.login_refused")
    assert [e["object_id"] for e in refused] == [accounts.user_id(OFFICE), accounts.user_id(ADMIN)]
    # A wrong password gets the usual answer: the form tells nothing more.
    wrong = strict.test_client().post("/login", data={"email": OFFICE, "password": "falsch"})
    assert "nur über" not in wrong.get_data(as_text=True)
    # Members keep their password; staff come in through the provider.
    member = strict.test_client()
    assert _path(member.post("/login", data={"email": MEMBER, "password": DEMO_PASSWORD})) == "/"
    oidc_provider.log_in_as(OFFICE)
    office = strict.test_client()
    assert _path(_through_provider(office)) == "/"
    assert office.get("/verwaltung/").status_code == 200


def test_the_second_factor_after_the_provider(oidc_app, oidc_provider, clock, accounts):
    strict = oidc_app(NETZWERK_REQUIRE_2FA=True)
    # Staff whose provider does not state a second factor enrol one here.
    oidc_provider.log_in_as(OFFICE)
    office = strict.test_client()
    assert _path(_through_provider(office)) == ENROL
    assert _path(office.get("/verwaltung/")) == ENROL
    # A provider that states one ("amr": mfa) is the second factor.
    oidc_provider.amr = ["pwd", "mfa"]
    office = strict.test_client()
    assert _path(_through_provider(office)) == "/"
    assert office.get("/verwaltung/").status_code == 200
    assert accounts.audit("user.login")[-1]["data"] == '{"method":"oidc","second_factor":"idp"}'
    # A member's own authenticator app is asked for after a plain provider login.
    oidc_provider.amr = None
    member = strict.test_client()
    member.post("/login", data={"email": MEMBER, "password": DEMO_PASSWORD})
    member.get(ENROL)
    with strict.app_context():
        from netzwerk.auth.twofactor import secret_of

        secret = secret_of(db.session.scalar(select(User).where(User.email == MEMBER)))
        db.session.remove()
    member.post(ENROL, data={"code": pyotp.TOTP(secret).now()})
    clock.shift(30)
    oidc_provider.log_in_as(MEMBER)
    browser = strict.test_client()
    assert _path(_through_provider(browser)) == "/login/code"
    assert not _logged_in(browser)
    response = browser.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert _path(response) == "/"
    assert _logged_in(browser)
    assert accounts.audit("user.login")[-1]["data"] == '{"method":"oidc","second_factor":"local"}'


@pytest.mark.parametrize(
    "config, words",
    [
        ({"NETZWERK_OIDC_CLIENT_SECRET": None}, "NETZWERK_OIDC_CLIENT_SECRET missing"),
        ({"NETZWERK_OIDC_ISSUER": "http://idp.example.org"}, "https"),
        (
            {
                "NETZWERK_OIDC_ISSUER": None,
                "NETZWERK_OIDC_CLIENT_ID": None,
                "NETZWERK_OIDC_CLIENT_SECRET": None,
                "NETZWERK_LOCAL_LOGIN_STAFF": False,
            },
            "needs the identity",
        ),
    ],
)
def test_a_half_or_unsafe_configuration_stops_the_start(oidc_provider, config, words):
    from flask import Flask

    from netzwerk.auth import oidc

    bare = Flask(__name__)
    bare.config.update({**oidc_provider.app_config(), **config})
    with pytest.raises(RuntimeError, match=words):
        oidc.init_app(bare)


def test_the_settings_come_from_the_environment(monkeypatch):
    from flask import Flask

    from netzwerk.auth import oidc

    monkeypatch.setenv("NETZWERK_OIDC_ISSUER", "https://login.osnabrueck.example/realms/stadt/")
    monkeypatch.setenv("NETZWERK_OIDC_CLIENT_ID", "netzwerk")
    monkeypatch.setenv("NETZWERK_OIDC_CLIENT_SECRET", "geheim")
    monkeypatch.setenv("NETZWERK_OIDC_MFA_ACR", "gold, silver")
    monkeypatch.setenv("NETZWERK_LOCAL_LOGIN_STAFF", "0")
    bare = Flask(__name__)
    oidc.init_app(bare)
    found = oidc.settings(bare)
    assert found is not None
    assert found.issuer == "https://login.osnabrueck.example/realms/stadt"
    assert found.mfa_acr == {"gold", "silver"} and found.label is None
    assert bare.config["NETZWERK_LOCAL_LOGIN_STAFF"] is False
