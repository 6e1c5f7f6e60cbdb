"""Browser fixtures: a live server in a thread and Playwright on the system Chromium.

Fixtures (use them from any test under tests/browser/):

``live_server`` -> str
    Base URL (``http://127.0.0.1:<port>``) of the shared test ``app`` served
    by werkzeug in a background thread.  The server itself lives for the
    whole session; this fixture loads the demo network for every test (the
    tables are emptied after each test by tests/conftest.py).
``live_server_empty`` -> str
    The same server without loading the demo network.
``browser`` -> playwright Browser
    The system Chromium (never a downloaded one).  Missing Chromium skips
    the browser tests locally and fails them when ``CI=true``.
``page`` -> playwright Page
    A fresh browser context and page per test (German locale).
``login_browser`` -> ``login_browser(page, base_url, role_or_email, password=None)``
    Logs the page in through the login form as a demo role (admin, office,
    chair, member, lead) or any e-mail address; returns the page.
``assert_no_axe_violations`` -> ``assert_no_axe_violations(page, tags=WCAG_TAGS)``
    Runs axe-core (bundled by axe-playwright-python) on the page and fails
    listing each WCAG 2.1 A/AA violation's id, help and targets.

The two helpers are plain functions of this module as well; the fixtures
hand them out so that tests need not import conftest.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

IN_CI = os.environ.get("CI", "").lower() == "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

ROLE_EMAILS = {
    "admin": "admin@osnabrueck.example",
    "office": "buero@osnabrueck.example",
    "chair": "ob@osnabrueck.example",
    "member": "mitglied@osnabrueck.example",
    "lead": "projekt@osnabrueck.example",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(reason + " (CI=true: browser tests must run)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    found = shutil.which("chromium") or "/usr/bin/chromium"
    return found if os.path.exists(found) else None


# --- live server ---------------------------------------------------------


@pytest.fixture(scope="session")
def _live_server_url(app: Flask) -> Iterator[str]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def live_server_empty(app: Flask, _live_server_url: str) -> Iterator[str]:
    """Base URL of the live server, with empty tables."""
    with _mails_link_to(app, _live_server_url):
        yield _live_server_url


@pytest.fixture
def live_server(app: Flask, demo: None, _live_server_url: str) -> Iterator[str]:
    """Base URL of the live server with the demo network loaded for this test."""
    with _mails_link_to(app, _live_server_url):
        yield _live_server_url


@contextmanager
def _mails_link_to(app: Flask, url: str) -> Iterator[None]:
    """Links in mails start with the configured address: the live server's
    while a browser test runs."""
    before = app.config.get("NETZWERK_BASE_URL")
    app.config["NETZWERK_BASE_URL"] = url
    try:
        yield
    finally:
        app.config["NETZWERK_BASE_URL"] = before


# --- Playwright ----------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - depends on the environment
        _skip_or_fail("playwright is not installed")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(_playwright: Any) -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        _skip_or_fail("no system Chromium found (install the Debian package 'chromium')")
    try:
        instance = _playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
    except Exception as exc:  # pragma: no cover - depends on the environment
        _skip_or_fail(f"Chromium at {path} does not start: {exc}")
    yield instance
    instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


# --- helpers -------------------------------------------------------------


def login_browser(page: Any, base_url: str, role_or_email: str, password: str | None = None) -> Any:
    """Log in through the login form; fails when the login did not succeed."""
    from netzwerk.demo import DEMO_PASSWORD

    email = ROLE_EMAILS.get(role_or_email, role_or_email)
    page.goto(base_url.rstrip("/") + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password or DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("form:has(input[name=password]) [type=submit]")
    if "/login" in page.url:
        errors = page.locator(".error").all_inner_texts()
        pytest.fail(f"login as {email} failed: {errors}")
    return page


_AXE_SOURCE: str | None = None


def axe_source() -> str:
    global _AXE_SOURCE
    if _AXE_SOURCE is None:
        import axe_playwright_python

        path = Path(axe_playwright_python.__file__).parent / "axe.min.js"
        _AXE_SOURCE = path.read_text(encoding="utf-8")
    return _AXE_SOURCE


def axe_violations(page: Any, tags: tuple[str, ...] = WCAG_TAGS) -> list[dict[str, Any]]:
    # The CSP forbids inline <script>; evaluating through DevTools is allowed.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        "async (tags) => await axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        list(tags),
    )
    return list(result["violations"])


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [", ".join(map(str, node.get("target", []))) for node in v.get("nodes", [])]
        lines.append(f"- {v['id']} ({v.get('impact')}): {v.get('help')} -> {targets}")
    return "\n".join(lines)


def assert_no_axe_violations(page: Any, tags: tuple[str, ...] = WCAG_TAGS) -> None:
    """Fail listing every axe-core violation of the given WCAG tags on the page."""
    violations = axe_violations(page, tags)
    if violations:
        pytest.fail(
            f"axe-core found {len(violations)} WCAG violation(s) on {page.url}:\n"
            + format_violations(violations),
            pytrace=False,
        )


@pytest.fixture(name="login_browser")
def _login_browser_fixture() -> Callable[..., Any]:
    return login_browser


@pytest.fixture(name="assert_no_axe_violations")
def _assert_no_axe_fixture() -> Callable[..., None]:
    return assert_no_axe_violations
