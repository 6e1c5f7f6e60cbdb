"""Walk the application as a person does: every page linked from the start.

``walk_site(client)`` follows links, redirects and the files a page loads
(style sheets, scripts, images) from ``/`` with a Flask test client, up to
``MAX_PAGES`` requests, and returns every URL it asked for with the status
of the answer, the HTML pages it could open and their forms, each field with
its kind and the value the page gave it.  Used by the bad-input walk
(tests/test_bad_input_everywhere.py) and the accessibility walk
(tests/browser/test_axe_everywhere.py); tests/walk_coverage.py checks that
the walks reach every GET route of the application.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlparse

MAX_PAGES = 400
PER_KIND = 3  # pages of one kind (e.g. /gremien/N) the walk opens
SKIPPED_PATHS = ("/abmelden", "/logout")
BUTTONS = frozenset({"submit", "button", "file", "image", "reset"})
TEXT_KINDS = frozenset({"text", "textarea", "search", "email", "url", "tel", "password"})
KEPT_KINDS = frozenset({"checkbox", "radio"})  # sent as the page offers them
KEPT_NAMES = frozenset({"csrf_token"})
LINKING = {"a": "href", "link": "href", "script": "src", "img": "src"}  # what a browser fetches
LOCAL_HOST = "localhost"  # the test client's host, in links made with _external=True


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
    """The links (and files it loads) and forms of a page; each field keeps
    the value the page gave it."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in LINKING and a.get(LINKING[tag]):
            self.links.append(a[LINKING[tag]] or "")
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


def local_url(base: str, href: str) -> str | None:
    url = urlparse(urljoin(base, href))
    if (
        url.netloc not in ("", LOCAL_HOST)
        or not url.path.startswith("/")
        or url.path.startswith(SKIPPED_PATHS)
    ):
        return None
    return url.path + (f"?{url.query}" if url.query else "")


@dataclass
class Site:
    """What a role's walk found: every URL it asked for with the status of
    the answer, the pages (GET 200, HTML) and their forms."""

    answered: dict[str, int] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)
    forms: dict[tuple[str, tuple[str, ...]], PageForm] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def kind_of_page(url: str) -> str:
    """A page's kind: its path with the numbers taken out (``/sitzungen/N``)."""
    return re.sub(r"\d+", "N", url.split("?")[0])


def spread(items: list[str], count: int) -> list[str]:
    """``count`` of the items, evenly spread from the first to the last: the
    oldest and the newest entries of a list differ most (closed, open, draft)."""
    if len(items) <= count:
        return items
    if count <= 1:
        return items[: max(count, 0)]
    step = (len(items) - 1) / (count - 1)
    return [items[round(i * step)] for i in range(count)]


def walk_site(client: Any) -> Site:
    """Breadth first from ``/``; at most PER_KIND URLs of one kind are
    queued, spread over the ones a page offers, so that many members or
    meetings do not crowd out other pages."""
    site, queue = Site(), ["/"]
    per_kind: Counter[str] = Counter()

    def enqueue(base: str, hrefs: list[str]) -> None:
        by_kind: dict[str, list[str]] = {}
        for href in hrefs:
            target = local_url(base, href)
            if target is not None and target not in site.answered and target not in queue:
                found = by_kind.setdefault(kind_of_page(target), [])
                if target not in found:
                    found.append(target)
        for kind, targets in by_kind.items():
            room = min(PER_KIND - per_kind[kind], MAX_PAGES - len(site.answered) - len(queue))
            chosen = spread(targets, room)
            per_kind[kind] += len(chosen)
            queue.extend(chosen)

    while queue:
        url = queue.pop(0)
        with client.get(url) as response:  # closed: a file download holds its file open
            site.answered[url] = response.status_code
            if response.status_code >= 500:
                site.failures.append(f"GET {url}: {response.status_code}")
            if response.status_code in (301, 302, 303):
                enqueue(url, [response.headers["Location"]])  # the login page, for one
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            site.pages.append(url)
            page = PageParser()
            page.feed(response.get_data(as_text=True))
        enqueue(url, page.links)
        for form in page.forms:
            action = local_url(url, form.action or url)
            if action and form.fields:
                form.action = action
                site.forms.setdefault((action, tuple(sorted(form.fields))), form)
    return site
