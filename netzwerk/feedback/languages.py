"""The languages of the public feedback pages.

Each language has a URL key (``/rueckmeldung/<key>/``), the Babel locale whose
catalogue it uses, the BCP 47 tag for ``<html lang>`` and its text direction.

Leichte Sprache (easy-to-read German) is German in a simpler register, not a
language of its own: it is served from the Babel locale ``de@ls`` (a POSIX
locale *modifier*, like ``sr@latin``; Babel parses it as Locale('de',
modifier='ls') and gettext falls back from ``de@ls`` to ``de`` for catalogues
of other packages), and the page says ``lang="de"``, the valid BCP 47 tag for
what a screen reader must pronounce.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request
from flask_babel import refresh


@dataclass(frozen=True)
class PublicLanguage:
    key: str  # URL key and value stored in feedback.language
    locale: str  # Babel locale of the catalogue
    html_lang: str  # BCP 47
    direction: str  # ltr | rtl
    own_name: str  # the language's name in itself


LANGUAGES: dict[str, PublicLanguage] = {
    lang.key: lang
    for lang in (
        PublicLanguage("de", "de", "de", "ltr", "Deutsch"),
        PublicLanguage("ls", "de@ls", "de", "ltr", "Leichte Sprache"),
        PublicLanguage("en", "en", "en", "ltr", "English"),
        PublicLanguage("tr", "tr", "tr", "ltr", "Türkçe"),
        PublicLanguage("ar", "ar", "ar", "rtl", "العربية"),
        PublicLanguage("ru", "ru", "ru", "ltr", "Русский"),
        PublicLanguage("uk", "uk", "uk", "ltr", "Українська"),
    )
}
DEFAULT = "de"

# Negotiable from Accept-Language (Leichte Sprache has no tag of its own).
_NEGOTIABLE = ["de", "en", "tr", "ar", "ru", "uk"]


def negotiate() -> str:
    """The best language for the browser's Accept-Language header."""
    best = request.accept_languages.best_match(_NEGOTIABLE)
    return best if best in LANGUAGES else DEFAULT


def activate(key: str) -> PublicLanguage:
    """Serve the current request in the given language."""
    lang = LANGUAGES.get(key) or LANGUAGES[DEFAULT]
    g.netzwerk_locale = lang.locale
    g.html_lang = lang.html_lang
    g.html_dir = lang.direction
    g.feedback_language = lang
    refresh()
    return lang


def current_key() -> str:
    lang = g.get("feedback_language")
    return lang.key if lang else DEFAULT
