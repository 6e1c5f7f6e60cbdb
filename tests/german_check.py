"""The German checks of the whole-site walk (tests/test_german_everywhere.py):
what a page may not show, and a recorder that applies them to every German
page a walk renders.

The walk of each role happens once per run: the bad-input walk
(tests/test_bad_input_everywhere.py) records with :func:`recording` when the
German test is in the run, and the German test walks only a role no one has
walked for it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any

import pytest
from babel import support
from flask import request, request_finished
from flask_babel import get_locale

from netzwerk.feedback.languages import LANGUAGES
from netzwerk.i18n_check import catalogue_files

# Text that is not shown, or shown as it was typed (code samples).
HIDDEN_TAGS = frozenset({"script", "style", "template", "code", "pre", "textarea"})
SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
BUTTON_TYPES = frozenset({"submit", "button", "reset"})
VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)

# Internal identifiers.  A dotted name ends in no file or domain suffix
# (e-mail addresses and file names are shown on purpose).
NOT_EVENT_SUFFIXES = frozenset(
    [
        "example",
        "de",
        "com",
        "org",
        "net",
        "eu",
        "pdf",
        "csv",
        "ics",
        "eml",
        "html",
        "txt",
        "docx",
        "odt",
        "xlsx",
        "png",
        "svg",
        "jpg",
        "yaml",
        "yml",
        "json",
        "xml",
        "zip",
    ]
)
DOTTED = re.compile(r"(?<![\w@./:-])([a-z]+(?:_[a-z]+)*)\.([a-z]+(?:_[a-z]+)*)(?![\w@/-]|\.\w)")
SNAKE = re.compile(r"(?<![\w@./:-])[a-z]+(?:_[a-z0-9]+)+(?![\w@/-])")
# Not inside a hyphenated code (a receipt code such as WEHH-PT4M-7VRE).
ISO_DURATION = re.compile(
    r"(?<![\w-])(?:P(?:\d+[YMWD])+(?:T(?:\d+[HMS])+)?|PT(?:\d+[HMS])+)(?![\w-])"
)
# Role codes, workflow effect codes and English words a German page never
# shows (whole words, as written).
RAW_WORDS = frozenset(
    [
        "chair",
        "vice_chair",
        "member",
        "office",
        "author",
        "deputy",
        "guest",
        "minute_taker",
        "count",
        "meeting",
        "remind",
        "notify",
        "assign_number",
        "Yes",
        "No",
        "Abstain",
        "Open",
        "Closed",
        "Adopted",
        "Rejected",
        "Secret",
        "Simple",
        "majority",
        "vote",
        "the",
        "and",
        "with",
        "of",
        "named",
        "progress",
    ]
)
WORD = re.compile(r"[A-Za-z_]+")
# A language's name in itself ("English", "Türkçe") in the lists of the
# feedback's languages is no English text.
AUTONYMS = frozenset(language.own_name for language in LANGUAGES.values())


def translated_msgids() -> dict[str, str]:
    """Every msgid of the German catalogues with its translation."""
    from babel.messages.pofile import read_po

    found: dict[str, str] = {}
    for path in catalogue_files():
        with path.open("rb") as fh:
            for message in read_po(fh):
                if not message.id or message.fuzzy:
                    continue
                msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
                string = message.string[0] if isinstance(message.string, tuple) else message.string
                if string:
                    found[str(msgid)] = str(string)
    return found


class VisibleText(HTMLParser):
    """The texts a person sees on a page, each stripped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0
        self._foreign: list[str] = []  # open tags with a lang other than German

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in HIDDEN_TAGS:
            self._hidden += 1
        lang = a.get("lang")
        if self._foreign or (lang is not None and not lang.startswith("de") and tag != "html"):
            if tag not in VOID_TAGS:
                self._foreign.append(tag)
            return  # a language's own name, a quotation in its language
        for name in SHOWN_ATTRIBUTES:
            if a.get(name):
                self.texts.append((a[name] or "").strip())
        if tag == "input" and (a.get("type") or "").lower() in BUTTON_TYPES and a.get("value"):
            self.texts.append((a["value"] or "").strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_TAGS and self._hidden:
            self._hidden -= 1
        if self._foreign and self._foreign[-1] == tag:
            self._foreign.pop()

    def handle_data(self, data: str) -> None:
        if not self._hidden and not self._foreign and data.strip():
            self.texts.append(" ".join(data.split()))


def visible_texts(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.texts


def leaks(texts: list[str], msgids: dict[str, str]) -> list[str]:
    """What in these visible texts is English or raw, one line per find."""
    found = []
    for text in texts:
        if text in AUTONYMS:
            continue
        if text in msgids and msgids[text] != text:
            found.append(f"untranslated msgid {text!r} (German: {msgids[text]!r})")
            continue
        for match in DOTTED.finditer(text):
            if match.group(2) not in NOT_EVENT_SUFFIXES:
                found.append(f"dotted identifier {match.group(0)!r} in {text!r}")
        found += [f"snake_case {m.group(0)!r} in {text!r}" for m in SNAKE.finditer(text)]
        found += [f"ISO duration {m.group(0)!r} in {text!r}" for m in ISO_DURATION.finditer(text)]
        found += [
            f"raw or English word {word!r} in {text!r}"
            for word in WORD.findall(text)
            if word in RAW_WORDS
        ]
    return found


def _wtforms_field_name(frame: Any) -> bool:
    """WTForms calls gettext with a field's name as the label of a field
    given none (a hidden field's "Revision 1"), which is never shown."""
    for _depth in range(4):
        if frame is None:
            return False
        if frame.f_code.co_name == "__init__" and frame.f_globals.get("__name__") == (
            "wtforms.fields.core"
        ):
            return True
        frame = frame.f_back
    return False


class GettextMisses:
    """Records every msgid looked up in a German catalogue without a
    translation there (while installed: ``with misses.recording():``)."""

    def __init__(self, translated: set[str]) -> None:
        self.translated = translated
        self.found: dict[str, str] = {}  # msgid: the page that asked for it

    def _record(self, msgid: str) -> None:
        locale = get_locale()
        if (
            locale is not None
            and str(locale) == "de"
            and msgid not in self.translated
            and re.search("[A-Za-z]", msgid)
        ):
            self.found.setdefault(msgid, request.path if request else "")

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        cls = support.Translations
        for name, position in (
            ("ugettext", 0),
            ("gettext", 0),
            ("ungettext", 0),
            ("ngettext", 0),
            ("upgettext", 1),
            ("pgettext", 1),
            ("unpgettext", 1),
            ("npgettext", 1),
        ):
            monkeypatch.setattr(cls, name, self._wrap(getattr(cls, name), position))

    def _wrap(self, original: Any, position: int) -> Any:
        misses = self

        def recording(translations: Any, *args: Any) -> Any:
            result = original(translations, *args)
            msgid = args[position]
            if result == msgid and not _wtforms_field_name(sys._getframe(1)):
                misses._record(msgid)
            return result

        return recording


# role: what the German checks found on its walk in this run.
FOUND: dict[str, list[str]] = {}
GERMAN_TEST = "test_german_everywhere.py"


def wanted(session: pytest.Session) -> bool:
    """Whether the German test runs in this session (then a walk records)."""
    return any(item.path.name == GERMAN_TEST for item in session.items)


@contextmanager
def recording(app: Any, role: str) -> Iterator[None]:
    """Apply the German checks to every German page rendered while inside,
    and keep what they found under ``FOUND[role]``."""
    msgids = translated_msgids()
    pages: dict[str, str] = {}
    errors: list[str] = []

    def keep(sender: Any, response: Any, **extra: Any) -> None:
        locale = get_locale()
        german = locale is not None and str(locale) == "de"  # not the feedback form in English
        if response.status_code >= 500:
            errors.append(f"{response.status_code}: {request.method} {request.full_path}")
        elif response.status_code == 200 and response.mimetype == "text/html" and german:
            pages[request.full_path.rstrip("?")] = response.get_data(as_text=True)

    misses = GettextMisses(set(msgids))
    with pytest.MonkeyPatch.context() as monkeypatch:
        misses.install(monkeypatch)
        request_finished.connect(keep, app)
        try:
            yield
        finally:
            request_finished.disconnect(keep, app)
    failures = list(errors)
    if len(pages) < (3 if role == "anonymous" else 20):
        failures.append(f"the walk found only {len(pages)} German pages")
    failures += [f"{url}: no German translation: {m!r}" for m, url in sorted(misses.found.items())]
    for url, html in sorted(pages.items()):
        found = leaks(visible_texts(html), msgids)
        failures += [f"{url}: {leak}" for leak in dict.fromkeys(found)]
    FOUND[role] = failures
