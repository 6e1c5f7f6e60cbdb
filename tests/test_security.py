"""Cross-cutting security tests over every URL rule of the application.

The rules are enumerated from ``app.url_map``, so pages added later are
covered without touching this file:

- every rule that accepts POST (PUT, PATCH, DELETE) refuses a request
  without a valid CSRF token with 400;
- every page not marked ``@public`` sends an anonymous visitor to the login;
- a plain member gets 403 on every administration page (rules under
  /verwaltung and every view wrapped by staff_required/admin_required);
- security headers on every response, hardened session cookie, and error
  pages in the layout without internals.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from conftest import ROLE_EMAILS, csrf_token_for
from flask import Flask, abort
from werkzeug.routing import Rule
from werkzeug.routing.converters import (
    AnyConverter,
    FloatConverter,
    IntegerConverter,
    PathConverter,
    UUIDConverter,
)

from netzwerk.demo import DEMO_PASSWORD

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ADMIN_PREFIX = "/verwaltung"
# Endpoints that may legitimately skip CSRF (none so far). Add with a reason.
CSRF_EXEMPT_ENDPOINTS: set[str] = set()


# --- enumerating the URL map ---------------------------------------------


def _dummy_value(converter: object) -> object:
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, FloatConverter):
        return 1.0
    if isinstance(converter, UUIDConverter):
        return uuid.UUID("00000000-0000-4000-8000-000000000001")
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]  # type: ignore[attr-defined]
    if isinstance(converter, PathConverter):
        return "x"
    return "x"


# Further values tried for plain string converters, for blueprints that check
# the value before the view runs (e.g. the feedback language code).
STRING_CANDIDATES = ("x", "de")


def build_url(rule: Rule) -> str:
    """The rule's URL with a dummy value for every converter."""
    return candidate_urls(rule)[0]


def candidate_urls(rule: Rule) -> list[str]:
    """URLs of the rule: first with the dummy values, then with each string
    converter set to the other candidates."""
    values = {name: _dummy_value(conv) for name, conv in rule._converters.items()}
    urls = [rule.build(values, append_unknown=False)[1]]  # type: ignore[index]
    strings = [
        name for name, conv in rule._converters.items() if type(conv).__name__ == "UnicodeConverter"
    ]
    for candidate in STRING_CANDIDATES[1:]:
        if strings:
            alt = {**values, **dict.fromkeys(strings, candidate)}
            urls.append(rule.build(alt, append_unknown=False)[1])  # type: ignore[index]
    return urls


def _is_static(rule: Rule) -> bool:
    return rule.endpoint == "static" or rule.endpoint.endswith(".static")


def _view(app: Flask, rule: Rule):  # type: ignore[no-untyped-def]
    return app.view_functions[rule.endpoint]


def is_public(app: Flask, rule: Rule) -> bool:
    return bool(getattr(_view(app, rule), "netzwerk_public", False))


def is_admin_page(app: Flask, rule: Rule) -> bool:
    return rule.rule.startswith(ADMIN_PREFIX) or bool(
        getattr(_view(app, rule), "netzwerk_staff_only", False)
    )


def app_rules(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if not _is_static(r)]


def _request(client, rule: Rule, **kwargs):  # type: ignore[no-untyped-def]
    """GET the rule when it allows GET, otherwise use its first unsafe method."""
    url = build_url(rule)
    methods = rule.methods or set()
    if "GET" in methods:
        return client.get(url, **kwargs)
    method = sorted(methods & UNSAFE_METHODS)[0]
    return client.open(url, method=method, **kwargs)


def _is_login_redirect(response) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code != 302:
        return False
    return urlsplit(response.headers["Location"]).path == "/login"


# --- sanity of the enumeration itself ------------------------------------


def test_enumeration_sees_the_known_rules(app):
    endpoints = {r.endpoint for r in app_rules(app)}
    assert {"auth.login", "auth.logout", "main.index", "governance.admin_index"} <= endpoints
    by_endpoint = {r.endpoint: r for r in app_rules(app)}
    assert is_public(app, by_endpoint["auth.login"])
    assert is_public(app, by_endpoint["main.health"])
    assert not is_public(app, by_endpoint["main.index"])
    assert is_admin_page(app, by_endpoint["governance.admin_index"])
    assert not is_admin_page(app, by_endpoint["governance.my_bodies"])


def test_staff_and_admin_wrappers_are_marked():
    from netzwerk.auth.access import admin_required, staff_required

    def view() -> str:
        return "x"

    assert staff_required(view).netzwerk_staff_only is True
    wrapped = admin_required(view)
    assert wrapped.netzwerk_staff_only is True
    assert wrapped.netzwerk_admin_only is True
    assert not hasattr(view, "netzwerk_staff_only")


def test_dummy_urls_match_their_rules(app):
    adapter = app.url_map.bind("localhost")
    for rule in app_rules(app):
        url = build_url(rule)
        method = "GET" if "GET" in (rule.methods or set()) else sorted(rule.methods or {"GET"})[0]
        endpoint, _args = adapter.match(url, method=method)
        assert endpoint == rule.endpoint, (rule.rule, url, endpoint)


# --- CSRF -----------------------------------------------------------------


def _unsafe_rules(app: Flask) -> Iterator[tuple[Rule, str]]:
    for rule in app_rules(app):
        if rule.endpoint in CSRF_EXEMPT_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) & UNSAFE_METHODS):
            yield rule, method


def test_there_are_post_rules_to_check(app):
    assert any(m == "POST" for _r, m in _unsafe_rules(app))


def _refused_for_some_url(client, rule: Rule, method: str, data: dict) -> tuple[bool, list]:  # type: ignore[no-untyped-def,type-arg]
    """400 for one of the rule's candidate URLs? (A 404 means the dummy value
    did not reach the view, so the next candidate is tried.)"""
    seen = []
    for url in candidate_urls(rule):
        response = client.open(url, method=method, data=dict(data), csrf=False)
        seen.append((url, response.status_code))
        if response.status_code == 400:
            return True, seen
        if response.status_code != 404:
            break
    return False, seen


def test_every_unsafe_rule_refuses_requests_without_csrf_token(app, client_as):
    # A logged-in administrator: the strongest victim of a forged request.
    client = client_as("admin")
    failures = []
    for rule, method in _unsafe_rules(app):
        refused, seen = _refused_for_some_url(client, rule, method, {"x": "1"})
        if not refused:
            failures.append(f"{method} {rule.rule} ({rule.endpoint}) -> {seen}")
    assert not failures, "not refused without CSRF token:\n" + "\n".join(failures)


def test_every_unsafe_rule_refuses_a_forged_csrf_token(app, client_as):
    client = client_as("admin")
    # A token signed for another session does not count either.
    other = client_as("member")
    foreign_token = csrf_token_for(other)
    failures = []
    for rule, method in _unsafe_rules(app):
        for token in ("forged", foreign_token):
            refused, seen = _refused_for_some_url(client, rule, method, {"csrf_token": token})
            if not refused:
                failures.append(f"{method} {rule.rule} token={token[:8]} -> {seen}")
    assert not failures, "not refused with an invalid CSRF token:\n" + "\n".join(failures)


def test_anonymous_post_without_csrf_token_is_refused(app, demo, client):
    failures = []
    for rule, method in _unsafe_rules(app):
        refused, seen = _refused_for_some_url(client, rule, method, {})
        if not refused:
            failures.append(f"{method} {rule.rule} -> {seen}")
    assert not failures, "\n".join(failures)


def test_login_does_not_work_without_csrf_token(demo, client):
    response = client.post(
        "/login",
        data={"email": ROLE_EMAILS["member"], "password": DEMO_PASSWORD},
        csrf=False,
    )
    assert response.status_code == 400
    assert client.get("/").status_code == 302


# --- anonymous visitors ---------------------------------------------------


def test_every_non_public_page_sends_anonymous_visitors_to_login(app, demo, client):
    failures = []
    checked = 0
    for rule in app_rules(app):
        if is_public(app, rule):
            continue
        response = _request(client, rule)
        checked += 1
        if not _is_login_redirect(response):
            failures.append(
                f"{rule.rule} ({rule.endpoint}) -> {response.status_code} "
                f"{response.headers.get('Location', '')}"
            )
    assert checked > 0
    assert not failures, "reachable without login:\n" + "\n".join(failures)


def test_login_redirect_remembers_the_page(demo, client):
    response = client.get("/meine-gremien")
    assert _is_login_redirect(response)
    assert "next=%2Fmeine-gremien" in response.headers["Location"]


def test_public_pages_do_not_require_login(app, demo, client):
    for rule in app_rules(app):
        if is_public(app, rule) and "GET" in (rule.methods or set()):
            response = _request(client, rule)
            assert not _is_login_redirect(response), rule.rule
            assert response.status_code < 500, rule.rule


# --- administration -------------------------------------------------------


def _admin_rules(app: Flask) -> list[Rule]:
    return [r for r in app_rules(app) if is_admin_page(app, r)]


def test_member_gets_403_on_every_administration_page(app, client_as):
    rules = _admin_rules(app)
    assert rules, "no administration pages found"
    client = client_as("member")
    failures = []
    for rule in rules:
        methods = rule.methods or set()
        for method in sorted(methods & ({"GET"} | UNSAFE_METHODS)):
            url = build_url(rule)
            response = client.open(url, method=method, data={} if method != "GET" else None)
            if response.status_code != 403:
                failures.append(f"{method} {url} ({rule.endpoint}) -> {response.status_code}")
    assert not failures, "administration reachable by a member:\n" + "\n".join(failures)


@pytest.mark.parametrize("role", ["chair", "lead"])
def test_other_non_staff_roles_get_403_on_administration(app, client_as, role):
    client = client_as(role)
    for rule in _admin_rules(app):
        if "GET" in (rule.methods or set()):
            assert client.get(build_url(rule)).status_code == 403, (role, rule.rule)


def test_office_gets_403_on_admin_only_pages(app, client_as):
    client = client_as("office")
    for rule in app_rules(app):
        if getattr(_view(app, rule), "netzwerk_admin_only", False):
            response = _request(client, rule)
            assert response.status_code == 403, rule.rule


def test_staff_reach_the_administration(client_as):
    for role in ("admin", "office"):
        assert client_as(role).get("/verwaltung/").status_code == 200, role


# --- headers and cookies --------------------------------------------------


def _assert_security_headers(response, https: bool = False) -> None:  # type: ignore[no-untyped-def]
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp, "no CSP"
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "script-src" in directives or "default-src" in directives
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy")
    hsts = response.headers.get("Strict-Transport-Security")
    if https:
        assert hsts and re.search(r"max-age=\d{7,}", hsts), hsts
    else:
        assert hsts is None


def test_security_headers_on_every_page(app, demo, client, client_as):
    member = client_as("member")
    responses = []
    for rule in app_rules(app):
        responses.append(_request(client, rule))
        if "GET" in (rule.methods or set()):
            responses.append(member.get(build_url(rule)))
    responses.append(client.get("/static/css/app.css"))
    responses.append(client.get("/does-not-exist"))
    responses.append(client.post("/login", data={}, csrf=False))
    for response in responses:
        _assert_security_headers(response)


def test_hsts_and_headers_over_https(app, demo):
    client = app.test_client()
    for url in ("/login", "/", "/static/css/app.css", "/does-not-exist"):
        response = client.get(url, base_url="https://localhost")
        _assert_security_headers(response, https=True)


def _session_cookie_header(response, name: str) -> str:  # type: ignore[no-untyped-def]
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return header
    raise AssertionError(f"no {name} cookie set: {response.headers.getlist('Set-Cookie')}")


def _login(client, base_url: str = "http://localhost"):  # type: ignore[no-untyped-def]
    """Log in like a browser: read the form's CSRF token, post with a Referer."""
    page = client.get("/login", base_url=base_url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, "no CSRF token in the login form"
    return client.post(
        "/login",
        base_url=base_url,
        headers={"Referer": base_url + "/login"},
        data={
            "email": ROLE_EMAILS["member"],
            "password": DEMO_PASSWORD,
            "csrf_token": match.group(1),
        },
        csrf=False,
    )


def test_session_cookie_flags_over_http(app, demo):
    client = app.test_client()
    response = _login(client)
    assert response.status_code == 302
    cookie = _session_cookie_header(response, app.config["SESSION_COOKIE_NAME"]).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie.replace("httponly", "")


def test_session_cookie_flags_over_https(app, demo):
    client = app.test_client()
    response = _login(client, base_url="https://localhost")
    assert response.status_code == 302
    cookie = _session_cookie_header(response, app.config["SESSION_COOKIE_NAME"]).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "; secure" in cookie


def test_no_remember_me_cookie_is_issued(app, demo):
    client = app.test_client()
    response = _login(client)
    names = [h.split("=", 1)[0] for h in response.headers.getlist("Set-Cookie")]
    assert "remember_token" not in names


# --- error pages ----------------------------------------------------------

INTERNALS = re.compile(
    r"Traceback|File \"|werkzeug|sqlalchemy|jinja2|secret-boom|Debugger|\.py\b", re.IGNORECASE
)


def _assert_error_page(response, code: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == code
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="de"' in html
    assert 'class="skip-link"' in html and 'id="main"' in html, "not in the layout"
    assert str(code) in html
    assert not INTERNALS.search(html), INTERNALS.search(html)
    _assert_security_headers(response)


def test_error_page_400(demo, client):
    _assert_error_page(client.post("/login", data={}, csrf=False), 400)


def test_error_page_403(client_as):
    _assert_error_page(client_as("member").get("/verwaltung/"), 403)


def test_error_page_404(demo, client):
    _assert_error_page(client.get("/gibt-es-nicht"), 404)


def test_error_page_404_for_logged_in_user(client_as):
    _assert_error_page(client_as("member").get("/gremien/999999"), 404)


def test_error_page_405(demo, client):
    _assert_error_page(client.get("/logout"), 405)


def test_error_page_413(extra_app, demo):
    small = extra_app(MAX_CONTENT_LENGTH=1024)
    client = small.test_client()
    response = client.post("/login", data={"email": "a@b.example", "password": "x" * 5000})
    _assert_error_page(response, 413)


def test_error_page_429(extra_app, demo):
    throttled = extra_app(RATELIMIT_ENABLED=True, NETZWERK_LOGIN_RATE_LIMIT="2 per minute")
    client = throttled.test_client()
    for _ in range(2):
        response = client.post("/login", data={"email": "x@y.example", "password": "wrong"})
        assert response.status_code == 200
    _assert_error_page(client.post("/login", data={"email": "x@y.example", "password": "w"}), 429)


def test_error_page_500_without_internals(app, extra_app, demo):
    broken = extra_app(
        TESTING=False, PROPAGATE_EXCEPTIONS=False, NETZWERK_BASE_URL="http://localhost"
    )

    @broken.route("/__boom")
    def boom() -> str:
        raise RuntimeError("secret-boom in /srv/netzwerk/app.py line 42")

    @broken.route("/__abort500")
    def abort500() -> str:
        abort(500)

    client = broken.test_client()
    _assert_error_page(client.get("/__boom"), 500)
    _assert_error_page(client.get("/__abort500"), 500)
    # The test routes exist only on the extra instance.
    assert "/__boom" not in {r.rule for r in app_rules(app)}


def test_session_keys_can_be_rotated(app, demo):
    """The session's signing serializer is built once per set of keys: a
    new secret key with the old one as fallback keeps logins, dropping the
    fallback ends them."""
    client = app.test_client()
    assert _login(client).status_code == 302
    assert client.get("/meine-gremien").status_code == 200
    old_key, old_fallbacks = app.secret_key, app.config["SECRET_KEY_FALLBACKS"]
    try:
        app.secret_key = "rotated-" + uuid.uuid4().hex
        app.config["SECRET_KEY_FALLBACKS"] = [old_key]
        assert client.get("/meine-gremien").status_code == 200
        app.config["SECRET_KEY_FALLBACKS"] = []
        assert _is_login_redirect(client.get("/meine-gremien"))
    finally:
        app.secret_key = old_key
        app.config["SECRET_KEY_FALLBACKS"] = old_fallbacks


def test_a_views_own_security_headers_are_kept(app):
    """A view that sets its own policy (an attachment's sandbox, a feed's
    caching) keeps it, in any spelling; the others are added once."""
    from flask import Response

    from netzwerk.auth.security import set_security_headers

    with app.test_request_context("/", base_url="https://localhost"):
        response = Response(
            "x",
            mimetype="text/html",
            headers={
                "content-security-policy": "default-src 'none'; sandbox",
                "Cache-Control": "private",
            },
        )
        set_security_headers(response)
        assert response.headers.getlist("Content-Security-Policy") == [
            "default-src 'none'; sandbox"
        ]
        assert response.headers.getlist("Cache-Control") == ["private"]
        assert response.headers.getlist("X-Frame-Options") == ["DENY"]
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
