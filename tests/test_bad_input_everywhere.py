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
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest
from sqlalchemy import String, Text, func, select

from netzwerk.counselling.demo import load_counselling_demo
from netzwerk.extensions import db

NUL_TEXT = "a\x00b"
BIG = "99999999999999999999"  # more than any integer column holds
JUNK = (BIG, "-1", "0", "abc", "2026-13-45", "%00")
MAX_PAGES = 400
SKIPPED_PATHS = ("/abmelden", "/logout")
BUTTONS = frozenset({"submit", "button", "file", "image", "reset"})
TEXT_KINDS = frozenset({"text", "textarea", "search", "email", "url", "tel", "password"})
KEPT_KINDS = frozenset({"checkbox", "radio"})  # sent as the page offers them
KEPT_NAMES = frozenset({"csrf_token"})


@dataclass
class PageForm:
    action: str
    method: str
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)  # name: (kind, value)

    def data(self, text: str | None, other: str | None) -> dict[str, str]:
        """The form's fields with text fields set to ``text`` and ids,
        numbers, dates, selects and hidden fields to ``other`` (None: as
        the page filled them)."""
        data = {}
        for name, (kind, value) in self.fields.items():
            if kind in KEPT_KINDS or name in KEPT_NAMES:
                data[name] = value
            elif kind in TEXT_KINDS:
                data[name] = value if text is None else text
            else:
                data[name] = value if other is None else other
        return data

    def has(self, kinds: frozenset[str] | None) -> bool:
        return any(
            (kind in kinds) if kinds else (kind not in TEXT_KINDS | KEPT_KINDS)
            for name, (kind, _value) in self.fields.items()
            if name not in KEPT_NAMES
        )


class PageParser(HTMLParser):
    """The links and forms of a page; each field keeps the value the page gave it."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        elif tag == "form":
            self._form = PageForm(a.get("action") or "", (a.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select"):
            name, kind = a.get("name"), (a.get("type") or tag).lower()
            if name and kind not in BUTTONS:
                self._select = name if tag == "select" else None
                if kind not in KEPT_KINDS or name not in self._form.fields:
                    self._form.fields[name] = (kind, a.get("value") or "")
        elif tag == "option" and self._form is not None and self._select:
            self._option(self._form, self._select, a.get("value") or "")

    @staticmethod
    def _option(form: PageForm, name: str, value: str) -> None:
        """A select sends its first option with a value."""
        if value and not form.fields[name][1]:
            form.fields[name] = ("select", value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _local(base: str, href: str) -> str | None:
    url = urlparse(urljoin(base, href))
    if url.netloc or not url.path.startswith("/") or url.path.startswith(SKIPPED_PATHS):
        return None
    return url.path + (f"?{url.query}" if url.query else "")


@dataclass
class Site:
    """What a role's walk found: pages (GET 200, HTML) and their forms."""

    pages: list[str] = field(default_factory=list)
    forms: dict[tuple[str, tuple[str, ...]], PageForm] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def _walk(client: Any) -> Site:
    site, seen, queue = Site(), set(), ["/"]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code >= 500:
            site.failures.append(f"GET {url}: {response.status_code}")
        if response.status_code in (301, 302, 303) and len(seen) + len(queue) < MAX_PAGES:
            target = _local(url, response.headers["Location"])
            if target and target not in seen:
                queue.append(target)  # the login page, for one
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        site.pages.append(url)
        page = PageParser()
        page.feed(response.get_data(as_text=True))
        for href in page.links:
            target = _local(url, href)
            if target and target not in seen and len(seen) + len(queue) < MAX_PAGES:
                queue.append(target)
        for form in page.forms:
            action = _local(url, form.action or url)
            if action and form.fields:
                form.action = action
                site.forms.setdefault((action, tuple(sorted(form.fields))), form)
    return site


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
        load_counselling_demo()
        db.session.remove()

    def walk(role: str) -> tuple[Any, Site]:
        client = app.test_client() if role == "anonymous" else client_as(role)
        site = _walk(client)
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
