"""Security headers and the hardened session cookie."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class HardenedSessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over HTTPS.

    The signing serializer is built once per set of keys (Flask builds it
    for every request, twice when the session is saved)."""

    # SHA-1 as Flask's own (a lazy wrapper there, for FIPS builds that lack
    # it until used): the same HMAC, but computed by OpenSSL in one call
    # instead of Python's HMAC fallback, which a wrapper function forces.
    digest_method = staticmethod(hashlib.sha1)

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is None:
                return None
            self._serializers = {keys: serializer}  # one app, one current set of keys
        return serializer

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = app.config.get("SESSION_COOKIE_SECURE")
        if configured:
            return True
        return bool(request) and request.is_secure


# Sent with every answer unless a view set its own.
_SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
_HSTS = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}  # one pass, not one each
    missing = [h for h in _SECURITY_HEADERS if h[0].lower() not in present]
    if request.is_secure and "strict-transport-security" not in present:
        missing.append(_HSTS)
    headers.extend(missing)
    if "cache-control" not in present and response.mimetype == "text/html":
        headers["Cache-Control"] = "no-store"
    return response
