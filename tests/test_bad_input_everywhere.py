"""No request a page leads to answers 500, however its input is bent.

The test walks the application as each demo role does – every page linked
from the start page – and then sends what those pages lead to once more
with bad input:

* every form that has a text field, with "a\\x00b" in each text field (a
  NUL byte cannot be typed, but a crafted request can carry one; PostgreSQL
  refuses it in text columns, SQLite stores it silently) – afterwards no
  text column anywhere holds a NUL byte;
* every form, with each id, number, date and hidden field set to a number
  no integer column can hold, and once more to Unicode digits (the text
  fields as the page filled them);
* every link, with the first id of its path and every query value replaced
  by such a number and by other junk (Unicode digits such as "²" among it),
  and with a ``?page=`` of such junk.

No answer may be a server error.  Each role is walked once per run, by its
one test, which makes all three checks on a fresh demo; the last test
checks that the walks of all roles together reach every GET route of the
application but those tests/walk_coverage.py lists with a reason.
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from typing import Any

import german_check
import pytest
from site_walk import TEXT_KINDS, Site, kind_of_page, walk_site
from sqlalchemy import String, Text, func, select
from walk_coverage import coverage_failures, endpoints_reached

from netzwerk.extensions import db

NUL_TEXT = "a\x00b"
BIG = "99999999999999999999"  # more than any integer column holds
UNICODE_DIGITS = "²"  # str.isdigit() says yes, int() refuses it
JUNK = (BIG, "-1", "0", "abc", "2026-13-45", "%00", UNICODE_DIGITS)


def _send_all(client: Any, site: Site, text: str | None, other: str | None) -> list[str]:
    """Send every form (POST, or GET such as search filters) with bent fields."""
    failures = []
    for form in site.forms.values():
        if not form.has(TEXT_KINDS if text is not None else None):
            continue
        data = form.data(text, other)
        if form.method == "post":
            answer = client.post(form.action, data=data)
        else:
            # A browser replaces the action's query with the form's fields.
            answer = client.get(form.action.partition("?")[0], query_string=data)
        if answer.status_code >= 500:
            failures.append(f"{form.method.upper()} {form.action} {sorted(form.fields)}")
    return failures


def _bent_links(pages: list[str]) -> set[str]:
    """The links bent: the first id of each path, and the query of one page
    of each kind (its values replaced by junk, or a junk ``?page=``): the
    pages of one kind read their query alike."""
    bent = set()
    queried = set()  # (kind of page, names in its query)
    for url in pages:
        path, _sep, query = url.partition("?")
        if re.search(r"/\d+(?=/|$)", path):
            bent.add(re.sub(r"/\d+(?=/|$)", "/" + BIG, path, count=1))
        shape = (kind_of_page(path), re.sub(r"=[^&]*", "=", query))
        if shape in queried:
            continue
        queried.add(shape)
        for junk in JUNK if query else ():
            bent.add(path + "?" + re.sub(r"=[^&]*", "=" + junk, query))
        if "page=" not in query:  # list pages read ?page= though the demo links none
            bent.update(f"{path}?page={junk}" for junk in (BIG, UNICODE_DIGITS))
    return bent


def _columns_with_nul() -> list[str]:
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text):
                count = db.session.scalar(
                    select(func.count()).select_from(table).where(func.instr(column, "\x00") > 0)
                )
                if count:
                    found.append(f"{table.name}.{column.name}")
    return found


ROLES = ["office", "chair", "member", "lead", "admin", "anonymous"]
REACHED: dict[str, set[str]] = {}  # role: the endpoints its walk reached in this run


@pytest.fixture
def errors_answer_500(app):  # type: ignore[no-untyped-def]
    """An unhandled exception answers 500, as in production, instead of
    reaching the test (TESTING propagates it): the test lists every such
    request, and the log shows each traceback."""
    saved = app.config["PROPAGATE_EXCEPTIONS"]
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_EXCEPTIONS"] = saved


def _walk(app: Any, client_as: Any, role: str, session: pytest.Session) -> tuple[Any, Site]:
    """Walk as the role; when the German test is in this run, its checks
    record on this walk too (tests/german_check.py), so no role is walked
    twice."""
    client = app.test_client() if role == "anonymous" else client_as(role)
    german = german_check.wanted(session) and role not in german_check.FOUND
    with german_check.recording(app, role) if german else nullcontext():
        site = walk_site(client)
    REACHED[role] = endpoints_reached(app, site.answered)
    return client, site


# The walks run on PostgreSQL too (CI runs them there only, .ci/run): a
# number out of a column's range or a NUL byte in text fails there where
# SQLite stores it (page tests run on SQLite only, tests/conftest.py).
@pytest.mark.postgres
@pytest.mark.parametrize("role", ROLES)
def test_no_request_fails_on_bad_input_and_none_stores_a_nul(
    app, client_as, full_demo, errors_answer_500, role, request
):
    client, site = _walk(app, client_as, role, request.session)
    failures = [f"500 on the walk: {failure}" for failure in site.failures]
    for failure in _send_all(client, site, text=NUL_TEXT, other=None):
        failures.append(f"500 on a NUL byte in the text fields: {failure}")
    with app.app_context():
        if db.engine.dialect.name == "sqlite":  # PostgreSQL cannot hold one at all
            failures += [f"a NUL byte stored in {column}" for column in _columns_with_nul()]
        db.session.remove()
    for failure in _send_all(client, site, text=None, other=BIG):
        failures.append(f"500 on ids and numbers out of range: {failure}")
    for failure in _send_all(client, site, text=None, other=UNICODE_DIGITS):
        failures.append(f"500 on Unicode digits in ids and numbers: {failure}")
    for url in sorted(_bent_links(site.pages)):
        if client.get(url).status_code >= 500:
            failures.append(f"500 on a bent link: GET {url}")
    assert failures == [], f"as {role}:\n" + "\n".join(failures)


def test_the_walks_reach_every_get_route(app, request):
    """The union of the roles' walks, from the tests above (a role whose test
    did not run in this session is walked here)."""
    missing = [role for role in ROLES if role not in REACHED]
    if missing:
        client_as = request.getfixturevalue("client_as")  # the network first,
        request.getfixturevalue("full_demo")  # then the whole demo in its place
        for role in missing:
            _walk(app, client_as, role, request.session)
    failures = coverage_failures(app, set().union(*REACHED.values()))
    assert failures == [], "\n".join(failures)
