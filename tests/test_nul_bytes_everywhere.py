"""Every form of the application refuses (or removes) a NUL byte, none fails.

A NUL byte cannot be typed, but a crafted request can carry one; PostgreSQL
refuses it in text columns, so a form that passes it on answers 500 there
and SQLite stores it silently.  This test walks the application as each
demo role does – every page linked from the start page – and sends every
form that has a text field back with "a\\x00b" in each text field (the rest
as the page filled it).  No answer may be a server error, and afterwards
no text column anywhere holds a NUL byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest
from sqlalchemy import String, Text, func, select

from netzwerk.counselling.demo import load_counselling_demo
from netzwerk.extensions import db

NUL_TEXT = "a\x00b"
MAX_PAGES = 400
SKIPPED_PATHS = ("/abmelden", "/logout")
BUTTONS = frozenset({"submit", "button", "file", "image", "reset"})


@dataclass
class PageForm:
    action: str
    method: str
    fields: dict[str, str | None] = field(default_factory=dict)
    text_fields: set[str] = field(default_factory=set)


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
            self._field(tag, a)
        elif tag == "option" and self._form is not None and self._select and a.get("value"):
            self._form.fields.setdefault(self._select, None)
            if self._form.fields[self._select] is None:  # the first option with a value
                self._form.fields[self._select] = a["value"]

    def _field(self, tag: str, a: dict[str, str | None]) -> None:
        assert self._form is not None
        name, kind = a.get("name"), (a.get("type") or tag).lower()
        if not name or kind in BUTTONS:
            return
        if kind == "hidden":
            self._form.fields[name] = a.get("value") or ""
        elif kind in ("checkbox", "radio"):
            self._form.fields.setdefault(name, a.get("value") or "y")
        elif tag == "select":
            self._select = name
            self._form.fields[name] = None
        elif kind in ("text", "textarea", "search", "email", "url", "tel", "password"):
            self._form.fields[name] = NUL_TEXT
            self._form.text_fields.add(name)
        else:  # date, time, number ...: as the page filled it
            self._form.fields[name] = a.get("value") or ""

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
class Walk:
    pages: int = 0
    forms: int = 0
    failures: list[str] = field(default_factory=list)


def _walk(client: Any) -> Walk:
    walk, seen, queue, sent = Walk(), set(), ["/"], set()
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code >= 500:
            walk.failures.append(f"GET {url}: {response.status_code}")
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        walk.pages += 1
        page = PageParser()
        page.feed(response.get_data(as_text=True))
        for href in page.links:
            target = _local(url, href)
            if target and target not in seen and len(seen) + len(queue) < MAX_PAGES:
                queue.append(target)
        for form in page.forms:
            action = _local(url, form.action or url)
            key = (action, tuple(sorted(form.fields)))
            if form.method != "post" or not form.text_fields or not action or key in sent:
                continue
            sent.add(key)
            data = {name: value or "" for name, value in form.fields.items()}
            answer = client.post(action, data=data)
            walk.forms += 1
            if answer.status_code >= 500:
                walk.failures.append(f"POST {action} ({sorted(form.text_fields)})")
    return walk


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


@pytest.mark.parametrize("role", ["office", "chair", "member", "lead", "admin"])
def test_no_form_fails_on_a_nul_byte_and_none_stores_one(app, client_as, role):
    with app.app_context():
        load_counselling_demo()
        db.session.remove()
    walk = _walk(client_as(role))
    assert walk.failures == []
    assert walk.pages > 20 and walk.forms > 3  # the walk reached the application
    with app.app_context():
        if db.engine.dialect.name == "sqlite":  # PostgreSQL cannot hold one at all
            assert _columns_with_nul() == []
        db.session.remove()
