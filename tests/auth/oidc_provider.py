"""An OpenID Connect provider for the tests, built with authlib's own server
(``AuthorizationServer`` with the authorization code grant, authlib.oidc.core's
``OpenIDCode`` and PKCE), an RSA key made here, served by werkzeug in a
thread on a free port.  The application talks to it over real HTTP, as to
the city's provider.

The "login" at the provider is whoever the test put in ``provider.person``
(claims: sub, email, email_verified); ``provider.amr`` is sent as the ID
token's ``amr``.  ``provider.tamper`` makes it misbehave:

``"nonce"``      the ID token carries another nonce than the one asked for;
``"signature"``  the ID token is signed with another key under the same kid;
``"payload"``    the ID token's e-mail is changed after signing.

``provider.email_in_id_token = False`` leaves the e-mail out of the ID token
(the UserInfo endpoint has it).
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, request
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

CLIENT_ID = "netzwerk"
CLIENT_SECRET = "client-secret-of-the-test"
KID = "test-key-1"
CALLBACK_PATH = "/login/oidc/callback"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    person: dict[str, Any]
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    amr: list[str] | None = None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int | None:
        return None

    def get_acr(self) -> str | None:
        return None

    def get_amr(self) -> list[str] | None:
        return self.amr


class Client(ClientMixin):
    client_id = CLIENT_ID
    client_secret = CLIENT_SECRET

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        allowed = {"openid", "email", "profile"}
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        parts = urlsplit(redirect_uri)
        return parts.hostname in ("localhost", "127.0.0.1") and parts.path == CALLBACK_PATH

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret.encode(), self.client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint == "token":
            return method in ("client_secret_basic", "client_secret_post")
        return True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class TestProvider:
    """The provider's state; a test sets ``person``, ``amr``, ``tamper``."""

    __test__ = False  # not a test class

    issuer: str = ""
    person: dict[str, Any] = field(default_factory=dict)
    amr: list[str] | None = None
    tamper: str | None = None
    email_in_id_token: bool = True
    codes: dict[str, Code] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def reset(self) -> None:
        self.person, self.amr, self.tamper, self.email_in_id_token = {}, None, None, True
        self.codes.clear()
        self.tokens.clear()
        self.token_requests.clear()

    def log_in_as(self, email: str, *, verified: bool = True, sub: str = "city-1") -> None:
        self.person = {"sub": sub, "email": email, "email_verified": verified}

    def app_config(self) -> dict[str, str]:
        """Config of a Netzwerk app that uses this provider."""
        return {
            "NETZWERK_OIDC_ISSUER": self.issuer,
            "NETZWERK_OIDC_CLIENT_ID": CLIENT_ID,
            "NETZWERK_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        }


def _flip_email(id_token: str) -> str:
    """Change the e-mail in the signed payload, keep the signature."""
    header, payload, signature = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["email"] = "admin@osnabrueck.example"
    changed = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{changed}.{signature}"


def _build_app(provider: TestProvider, key: RSAKey, rogue: RSAKey) -> Flask:
    app = Flask("test_oidc_provider")
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 300}

    def query_client(client_id: str) -> Client | None:
        return Client() if client_id == CLIENT_ID else None

    def save_token(token: dict[str, Any], req: Any) -> None:
        provider.tokens[token["access_token"]] = dict(req.user)

    class Grant(AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def save_authorization_code(self, code: str, req: Any) -> None:
            data = req.payload.data
            provider.codes[code] = Code(
                code=code,
                client_id=req.client.get_client_id(),
                redirect_uri=req.payload.redirect_uri,
                scope=req.scope,
                person=dict(req.user),
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                amr=provider.amr,
            )

        def query_authorization_code(self, code: str, client: Client) -> Code | None:
            found = provider.codes.get(code)
            return found if found and found.client_id == client.get_client_id() else None

        def delete_authorization_code(self, authorization_code: Code) -> None:
            provider.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: Code) -> dict[str, Any]:
            return authorization_code.person

    class IdToken(OpenIDCode):
        def exists_nonce(self, nonce: str, req: Any) -> bool:
            return any(c.nonce == nonce for c in provider.codes.values())

        def resolve_client_private_key(self, client: Client) -> RSAKey:
            return rogue if provider.tamper == "signature" else key

        def get_client_claims(self, client: Client) -> dict[str, Any]:
            return {"iss": provider.issuer, "aud": [client.get_client_id()]}

        def get_encode_header(self, client: Client) -> dict[str, str]:
            return {"alg": "RS256", "kid": KID}

        def get_authorization_code_claims(self, authorization_code: Code) -> dict[str, Any]:
            claims = super().get_authorization_code_claims(authorization_code)
            if provider.tamper == "nonce":
                claims["nonce"] = "a-nonce-of-another-login"
            return claims

        def generate_user_info(self, user: dict[str, Any], scope: str) -> UserInfo:
            if not provider.email_in_id_token:
                return UserInfo(sub=user["sub"])
            return UserInfo(**user)

    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_grant(Grant, [IdToken(require_nonce=True), CodeChallenge(required=True)])

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Any:
        base = provider.issuer
        return jsonify(
            issuer=base,
            authorization_endpoint=base + "/authorize",
            token_endpoint=base + "/token",
            jwks_uri=base + "/jwks",
            userinfo_endpoint=base + "/userinfo",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
            code_challenge_methods_supported=["S256"],
        )

    @app.get("/jwks")
    def jwks() -> Any:
        return jsonify(keys=[key.as_dict(private=False)])

    @app.get("/authorize")
    def authorize() -> Any:
        # The person "logs in" at once: whoever the test chose (nobody: cancelled).
        person = dict(provider.person) or None
        grant = server.get_consent_grant(end_user=person)
        return server.create_authorization_response(grant=grant, grant_user=person)

    @app.post("/token")
    def token() -> Any:
        provider.token_requests.append(dict(request.form))
        response = server.create_token_response()
        if provider.tamper == "payload" and response.status_code == 200:
            body = json.loads(response.get_data())
            body["id_token"] = _flip_email(body["id_token"])
            response.set_data(json.dumps(body))
        return response

    @app.get("/userinfo")
    def userinfo() -> Any:
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        person = provider.tokens.get(bearer)
        if person is None:
            return jsonify(error="invalid_token"), 401
        return jsonify(person)

    return app


def serve_provider() -> Iterator[TestProvider]:
    """Start the provider on a free loopback port; yields it, stops it after."""
    key = RSAKey.generate_key(2048, parameters={"kid": KID, "use": "sig", "alg": "RS256"})
    rogue = RSAKey.generate_key(2048, parameters={"kid": KID, "use": "sig", "alg": "RS256"})
    provider = TestProvider()
    server = make_server("127.0.0.1", 0, _build_app(provider, key, rogue), threaded=True)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="oidc-provider", daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(timeout=5)
