"""Every kind of page passes axe-core's WCAG 2.1 A/AA checks, for every role.

The journeys check the pages a person passes on their way; this test checks
the rest.  The pages come from a walk of the application with the test
client (tests/site_walk.py) as each demo role and as an anonymous visitor;
one page of each kind (its path with the numbers taken out, e.g.
``/sitzungen/N``) is opened in Chromium logged in as that role, and axe-core
runs on it.  A kind of page seen by an earlier role is not opened again.
The walks of all roles together reach every GET route but those
tests/walk_coverage.py lists with a reason, as the bad-input walk's do
(tests/test_bad_input_everywhere.py): so every kind of HTML page the
application has, in the demo, is checked.

Accessibility does not depend on the database, so the run on PostgreSQL
leaves this test to the one on SQLite.
"""

from __future__ import annotations

from site_walk import kind_of_page, walk_site
from walk_coverage import coverage_failures, endpoints_reached

from .conftest import axe_violations, format_violations

ROLES = ("office", "admin", "member", "lead", "chair", "anonymous")


def test_every_kind_of_page_has_no_wcag_violations(
    app, live_server, full_demo, page, login_browser, client_as
):
    checked: set[str] = set()
    reached: set[str] = set()
    found: list[str] = []
    for role in ROLES:
        client = app.test_client() if role == "anonymous" else client_as(role)
        site = walk_site(client)
        reached |= endpoints_reached(app, site.answered)
        kinds: dict[str, str] = {}
        for url in site.pages:
            kinds.setdefault(kind_of_page(url), url)
        page.context.clear_cookies()
        if role != "anonymous":
            login_browser(page, live_server, role)
        for kind, url in sorted(kinds.items()):
            if kind in checked:
                continue
            checked.add(kind)
            page.goto(live_server + url)
            violations = axe_violations(page)
            if violations:
                found.append(f"{role} {url}:\n{format_violations(violations)}")
    failures = found + coverage_failures(app, reached)
    assert failures == [], "\n".join(failures)
