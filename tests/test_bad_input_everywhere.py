"""No request a page leads to answers 500, however its input is bent.

The test walks the application as each demo role does – every page linked
from the start page – and then sends what those pages lead to once more
with bad input:

* every form that has a text field, with "a\\x00b" in each text field (a
  NUL byte cannot be typed, but a crafted request can carry one; PostgreSQL
  refuses it in text columns, SQLite stores it silently) – afterwards no
  text column anywhere holds a NUL byte;
* every form, with each id, number, date and hidden field set to a number
  no integer column can hold (the text fields as the page filled them);
* every link, with the first id of its path and every query value replaced
  by such a number and by other junk.

No answer may be a server error.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from site_walk import TEXT_KINDS, Site, walk_site
from sqlalchemy import String, Text, func, select

from netzwerk.demo import load_demo
from netzwerk.extensions import db

NUL_TEXT = "a\x00b"
BIG = "99999999999999999999"  # more than any integer column holds
JUNK = (BIG, "-1", "0", "abc", "2026-13-45", "%00")


def _send_all(
    client: Any, site: Site, text: str | None, other: str | None
) -> tuple[int, list[str]]:
    """Send every form (POST, or GET such as search filters) with bent fields."""
    sent, failures = 0, []
    for form in site.forms.values():
        if not form.has(TEXT_KINDS if text is not None else None):
            continue
        data = form.data(text, other)
        if form.method == "post":
            answer = client.post(form.action, data=data)
        else:
            answer = client.get(form.action, query_string=data)
        sent += 1
        if answer.status_code >= 500:
            failures.append(f"{form.method} {form.action} {sorted(form.fields)}")
    return sent, failures


def _bent_links(pages: list[str]) -> set[str]:
    bent = set()
    for url in pages:
        path, _sep, query = url.partition("?")
        if re.search(r"/\d+(?=/|$)", path):
            bent.add(re.sub(r"/\d+(?=/|$)", "/" + BIG, path, count=1))
        for junk in JUNK if query else ():
            bent.add(path + "?" + re.sub(r"=[^&]*", "=" + junk, query))
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


@pytest.fixture
def walked(app, client_as):  # type: ignore[no-untyped-def]
    """Factory: a client of the role and what its walk found (counselling demo loaded)."""
    with app.app_context():
        load_demo()  # every package's demo data on top of the network
        db.session.remove()

    def walk(role: str) -> tuple[Any, Site]:
        client = app.test_client() if role == "anonymous" else client_as(role)
        site = walk_site(client)
        assert site.failures == []
        assert len(site.pages) > 10  # the walk reached the application
        return client, site

    return walk


ROLES = ["office", "chair", "member", "lead", "admin", "anonymous"]


@pytest.mark.parametrize("role", ROLES)
def test_no_form_fails_on_a_nul_byte_and_none_stores_one(app, walked, role):
    client, site = walked(role)
    sent, failures = _send_all(client, site, text=NUL_TEXT, other=None)
    assert failures == []
    assert sent > 3
    with app.app_context():
        if db.engine.dialect.name == "sqlite":  # PostgreSQL cannot hold one at all
            assert _columns_with_nul() == []
        db.session.remove()


@pytest.mark.parametrize("role", ROLES)
def test_no_form_fails_on_ids_and_numbers_out_of_range(walked, role):
    client, site = walked(role)
    sent, failures = _send_all(client, site, text=None, other=BIG)
    assert failures == []
    assert sent > 3


@pytest.mark.parametrize("role", ROLES)
def test_no_link_fails_with_a_bent_id_or_query(walked, role):
    client, site = walked(role)
    bent = _bent_links(site.pages)
    failures = [url for url in sorted(bent) if client.get(url).status_code >= 500]
    assert failures == []
    assert len(bent) > 5
