"""Login through the city's identity provider (OpenID Connect, authlib).

Settings, read from the environment by :func:`init_app` (a config mapping
given to ``create_app`` wins, as in the tests):

``NETZWERK_OIDC_ISSUER``, ``NETZWERK_OIDC_CLIENT_ID``, ``NETZWERK_OIDC_CLIENT_SECRET``
    All three, or none: the login page shows the provider's button only when
    they are set.  The issuer must be an ``https`` URL (plain ``http`` only
    on the loopback interface, for tests).
``NETZWERK_OIDC_LABEL``
    The button's text (default "Mit dem Stadt-Login anmelden").
``NETZWERK_OIDC_MFA_ACR``
    ``acr`` values (comma-separated) with which the provider states that it
    asked for a second factor (besides the ``amr`` values of :data:`MFA_AMR`).
``NETZWERK_LOCAL_LOGIN_STAFF``
    ``0``: administrators, the Bildungsbüro and counselling staff log in only
    through the provider; the password form refuses them.  Needs a provider.

The flow is the authorization code flow with PKCE (S256).  State, nonce and
code verifier wait in the signed session cookie for ten minutes and are used
once.  The provider's endpoints come from its discovery document, whose
``issuer`` must be the configured one; the code is exchanged with the client
secret; the ID token's signature is checked against the provider's JWKS
(asymmetric algorithms only) and its claims (``iss``, ``aud``, ``azp``,
``exp``, ``iat``, ``nonce``, ``at_hash``) by authlib's ``CodeIDToken``.

An account is matched by the provider's *verified* e-mail address
(``email_verified`` true), case-insensitively, to an existing active account.
No account is ever created here.

A second factor: when the ID token says the provider used one (``amr``
contains one of :data:`MFA_AMR`, or ``acr`` is one of ``NETZWERK_OIDC_MFA_ACR``)
the login is complete.  Otherwise the account's own rules apply exactly as
after a password: an enrolled authenticator app is asked for, and an account
that must use a second factor and has none is sent to enrolment.  A login
through the provider never has fewer factors than one with a password.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import json
import logging
import os
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from flask import Flask, current_app, session
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from sqlalchemy import func, select

from ..database import utcnow
from ..extensions import db
from .models import User

log = logging.getLogger(__name__)

SESSION_KEY = "oidc_pending"
PENDING_SECONDS = 600
HTTP_TIMEOUT = 10
MAX_RESPONSE_BYTES = 1 << 20
CACHE_SECONDS = 3600
# A key the cached JWKS lacks is looked up again, at most this often.
REFETCH_SECONDS = 30
LEEWAY_SECONDS = 60
SCOPE = "openid email profile"
# Signatures with the provider's public keys only (never "none", never a
# shared secret).
SIGNING_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
# RFC 8176 methods that mean a second factor (or a stronger single one):
# "multiple factors", a one-time code, a hardware key, a smart card.
MFA_AMR = frozenset({"mfa", "otp", "hwk", "sc"})

_CONFIG_KEYS = (
    "NETZWERK_OIDC_ISSUER",
    "NETZWERK_OIDC_CLIENT_ID",
    "NETZWERK_OIDC_CLIENT_SECRET",
    "NETZWERK_OIDC_LABEL",
    "NETZWERK_OIDC_MFA_ACR",
)
_CACHE_KEY = "netzwerk.oidc"


class OidcError(Exception):
    """The login through the provider did not succeed.  ``reason`` names
    why (for the log and the audit trail; the view picks the message);
    ``user`` is the account concerned, when one was found."""

    def __init__(self, reason: str, detail: str = "", user: User | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.user = user
        self.email: str | None = None


@dataclass(frozen=True)
class Settings:
    issuer: str
    client_id: str
    client_secret: str
    label: str | None
    mfa_acr: frozenset[str]


# --- configuration ----------------------------------------------------------


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return bool(host) and ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _acceptable_url(url: object) -> bool:
    """https, or http on the loopback interface (the tests' provider)."""
    if not isinstance(url, str) or not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and _loopback(parts.hostname)


def _env_off(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "off"}


def init_app(app: Flask) -> None:
    """Read the settings from the environment (the app's config wins) and
    check them: all three of issuer, client id and secret or none, an https
    issuer, and a provider when staff may not use passwords."""
    for key in _CONFIG_KEYS:
        if app.config.get(key) is None:
            value = os.environ.get(key, "").strip()
            app.config[key] = value or None
    if app.config.get("NETZWERK_LOCAL_LOGIN_STAFF") is None:
        app.config["NETZWERK_LOCAL_LOGIN_STAFF"] = not _env_off(
            os.environ.get("NETZWERK_LOCAL_LOGIN_STAFF")
        )
    required = _CONFIG_KEYS[:3]
    given = [key for key in required if app.config.get(key)]
    if given and len(given) != len(required):
        missing = ", ".join(key for key in required if key not in given)
        raise RuntimeError(f"OpenID Connect login is half configured: {missing} missing")
    if given and not _acceptable_url(app.config["NETZWERK_OIDC_ISSUER"]):
        raise RuntimeError("NETZWERK_OIDC_ISSUER must be an https URL")
    if not app.config["NETZWERK_LOCAL_LOGIN_STAFF"] and not given:
        raise RuntimeError(
            "NETZWERK_LOCAL_LOGIN_STAFF=0 needs the identity provider "
            "(NETZWERK_OIDC_ISSUER, NETZWERK_OIDC_CLIENT_ID, NETZWERK_OIDC_CLIENT_SECRET): "
            "otherwise no administrator could log in"
        )


def settings(app: Flask | None = None) -> Settings | None:
    """The provider's settings, or None when no provider is configured."""
    config = (app or current_app).config
    issuer = config.get("NETZWERK_OIDC_ISSUER")
    client_id = config.get("NETZWERK_OIDC_CLIENT_ID")
    secret = config.get("NETZWERK_OIDC_CLIENT_SECRET")
    if not (issuer and client_id and secret):
        return None
    acr = str(config.get("NETZWERK_OIDC_MFA_ACR") or "")
    return Settings(
        issuer=str(issuer).rstrip("/"),
        client_id=str(client_id),
        client_secret=str(secret),
        label=config.get("NETZWERK_OIDC_LABEL") or None,
        mfa_acr=frozenset(v.strip() for v in acr.replace(" ", ",").split(",") if v.strip()),
    )


def configured(app: Flask | None = None) -> bool:
    return settings(app) is not None


def button_label() -> str:
    from flask_babel import gettext as _

    found = settings()
    return (found.label if found and found.label else None) or _("Log in with the city login")


def is_privileged(user: User) -> bool:
    """Administrators, the Bildungsbüro and counselling staff."""
    if user.is_admin or user.is_office:
        return True
    from .recovery import is_counselling_staff

    return is_counselling_staff(user)


def local_password_allowed(user: User) -> bool:
    """Whether the account may log in with its password here:
    ``NETZWERK_LOCAL_LOGIN_STAFF=0`` keeps staff to the provider."""
    if current_app.config.get("NETZWERK_LOCAL_LOGIN_STAFF", True):
        return True
    return not is_privileged(user)


# --- talking to the provider -------------------------------------------------


def _request_json(
    url: str, *, form: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """GET (or, with ``form``, POST) a JSON object from the provider."""
    if not _acceptable_url(url):
        raise OidcError("provider", f"refusing the URL {url!r}")
    data = urlencode(form).encode() if form is not None else None
    # Only https (or http on loopback) gets here: no file: or other schemes.
    request = urllib.request.Request(  # noqa: S310
        url, data=data, headers={"Accept": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        try:
            detail = exc.read(2000).decode("utf-8", "replace")
        except OSError:
            detail = ""
        raise OidcError("provider", f"{url} answered {exc.code} {detail}") from None
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections
        raise OidcError("unreachable", f"{url}: {exc}") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise OidcError("provider", f"{url} answered too much")
    try:
        found = json.loads(body)
    except ValueError:
        raise OidcError("provider", f"{url} answered no JSON") from None
    if not isinstance(found, dict):
        raise OidcError("provider", f"{url} answered no JSON object")
    return found


def _cache() -> dict[str, Any]:
    return current_app.extensions.setdefault(_CACHE_KEY, {})  # type: ignore[no-any-return]


def _now() -> float:
    return utcnow().timestamp()


def metadata(config: Settings) -> dict[str, Any]:
    """The provider's discovery document (cached for an hour)."""
    cache = _cache()
    cached = cache.get("metadata")
    if cached and cached[2] == config.issuer and _now() - cached[0] < CACHE_SECONDS:
        return cached[1]  # type: ignore[no-any-return]
    document = _request_json(config.issuer + "/.well-known/openid-configuration")
    # OpenID Connect Discovery 1.0, 4.3: the issuer must be the one asked.
    if str(document.get("issuer", "")).rstrip("/") != config.issuer:
        raise OidcError("provider", f"discovery names issuer {document.get('issuer')!r}")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not _acceptable_url(document.get(key)):
            raise OidcError("provider", f"discovery has no usable {key}")
    cache["metadata"] = (_now(), document, config.issuer)
    return document


def _key_set(document: dict[str, Any], *, refresh: bool = False) -> KeySet:
    cache = _cache()
    cached = cache.get("jwks")
    age = _now() - cached[0] if cached else None
    fresh_enough = age is not None and age < (REFETCH_SECONDS if refresh else CACHE_SECONDS)
    if cached and cached[2] == document["jwks_uri"] and fresh_enough:
        return cached[1]  # type: ignore[no-any-return]
    raw = _request_json(document["jwks_uri"])
    try:
        keys = KeySet.import_key_set(raw)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise OidcError("provider", f"the JWKS is not usable: {exc}") from None
    cache["jwks"] = (_now(), keys, document["jwks_uri"])
    return keys


def begin(redirect_uri: str, next_url: str) -> str:
    """Start a login: remember state, nonce and PKCE verifier in the session,
    return the provider's authorization URL to send the browser to."""
    config = settings()
    if config is None:
        raise OidcError("not_configured")
    document = metadata(config)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters (RFC 7636: 43 to 128)
    session[SESSION_KEY] = {
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "next": next_url,
        "at": _now(),
    }
    query = urlencode(
        {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPE,
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        },
        quote_via=quote,
    )
    endpoint = str(document["authorization_endpoint"])
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


@dataclass(frozen=True)
class Login:
    """What a finished login through the provider tells."""

    claims: dict[str, Any]
    next_url: str

    @property
    def email(self) -> str | None:
        value = self.claims.get("email")
        return value.strip() if isinstance(value, str) and value.strip() else None

    @property
    def email_verified(self) -> bool:
        # A boolean by the standard; some providers send the string.
        return self.claims.get("email_verified") in (True, "true")

    def second_factor_asserted(self, config: Settings) -> bool:
        amr = self.claims.get("amr")
        methods = {m for m in amr if isinstance(m, str)} if isinstance(amr, list) else set()
        acr = self.claims.get("acr")
        return bool(methods & MFA_AMR) or (isinstance(acr, str) and acr in config.mfa_acr)


def _take_pending(state: object) -> dict[str, Any]:
    """The login this browser started, used up; refuses a foreign state."""
    pending = session.pop(SESSION_KEY, None)
    if not isinstance(pending, dict) or not isinstance(state, str) or not state:
        raise OidcError("state", "no login was started in this browser")
    expected = pending.get("state")
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), state.encode()):
        raise OidcError("state", "the state does not match")
    try:
        started = float(pending["at"])
    except (KeyError, TypeError, ValueError):
        raise OidcError("state", "the started login is unreadable") from None
    if not 0 <= _now() - started <= PENDING_SECONDS:
        raise OidcError("state", "the started login expired")
    return pending


def _client_auth(
    config: Settings, document: dict[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """client_secret_basic unless the provider offers only client_secret_post."""
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" not in methods and "client_secret_post" in methods:
        return {"client_id": config.client_id, "client_secret": config.client_secret}, {}
    # RFC 6749, 2.3.1: both form-encoded before joining.
    pair = f"{quote(config.client_id, safe='')}:{quote(config.client_secret, safe='')}"
    token = base64.b64encode(pair.encode()).decode()
    return {"client_id": config.client_id}, {"Authorization": f"Basic {token}"}


def _verified_claims(
    config: Settings, document: dict[str, Any], id_token: str, nonce: str, access_token: str | None
) -> dict[str, Any]:
    offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [alg for alg in offered if alg in SIGNING_ALGORITHMS]
    if not algorithms:
        raise OidcError("id_token", f"no acceptable signing algorithm in {offered!r}")
    registry = JWSRegistry(algorithms=algorithms, strict_check_header=False)
    try:
        try:
            token = jwt.decode(id_token, _key_set(document), registry=registry)
        except InvalidKeyIdError:  # the provider may have rolled its keys
            token = jwt.decode(id_token, _key_set(document, refresh=True), registry=registry)
        params: dict[str, Any] = {"nonce": nonce, "client_id": config.client_id}
        if access_token:
            params["access_token"] = access_token
        claims = CodeIDToken(
            token.claims,
            token.header,
            {
                "iss": {"essential": True, "value": document["issuer"]},
                "aud": {"essential": True, "value": config.client_id},
                "sub": {"essential": True},
                "nonce": {"essential": True},
            },
            params,
        )
        claims.validate(now=int(_now()), leeway=LEEWAY_SECONDS)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise OidcError("id_token", f"{type(exc).__name__}: {exc}") from None
    return dict(claims)


def _userinfo(document: dict[str, Any], access_token: str, subject: str) -> dict[str, Any]:
    """The e-mail claims from the UserInfo endpoint, when the ID token has none."""
    endpoint = document.get("userinfo_endpoint")
    if not endpoint:
        return {}
    info = _request_json(str(endpoint), headers={"Authorization": f"Bearer {access_token}"})
    # OpenID Connect Core 5.3.2: the answer must be about the same person.
    if info.get("sub") != subject:
        raise OidcError("id_token", "UserInfo is about another subject")
    return {k: info[k] for k in ("email", "email_verified") if k in info}


def finish(args: Mapping[str, str], redirect_uri: str) -> Login:
    """Complete a login from the provider's answer (the callback's query):
    check the state, exchange the code, check the ID token."""
    config = settings()
    if config is None:
        raise OidcError("not_configured")
    pending = _take_pending(args.get("state"))
    if args.get("error"):
        raise OidcError("denied", str(args.get("error"))[:100])
    code = args.get("code")
    if not code or len(code) > 2000:
        raise OidcError("provider", "no authorization code")
    document = metadata(config)
    form, headers = _client_auth(config, document)
    tokens = _request_json(
        str(document["token_endpoint"]),
        form={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": str(pending.get("verifier", "")),
            **form,
        },
        headers=headers,
    )
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise OidcError("id_token", "the token answer has no ID token")
    access_token = tokens.get("access_token")
    access_token = access_token if isinstance(access_token, str) else None
    claims = _verified_claims(
        config, document, id_token, str(pending.get("nonce", "")), access_token
    )
    if "email" not in claims and access_token:
        claims.update(_userinfo(document, access_token, str(claims["sub"])))
    return Login(claims=claims, next_url=str(pending.get("next") or ""))


def match_account(login: Login) -> User:
    """The existing active account with the provider's verified address."""
    email = login.email
    if email is None:
        raise OidcError("no_email")
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if not login.email_verified:
        error = OidcError("email_unverified", user=user)
    elif user is None:
        error = OidcError("unknown_email")
    elif not user.active:
        error = OidcError("inactive", user=user)
    else:
        return user
    error.email = email
    raise error
