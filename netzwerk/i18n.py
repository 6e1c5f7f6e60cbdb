"""The request's catalogue, looked up once per request.

Flask-Babel (4.0) looks the catalogue up again for every string it
translates: the request's Babel context, the locale, ``str(locale)`` and a
dictionary lookup, about 30 µs per string.  A page translating a hundred
strings (labels of roles, kinds, table headings) spent milliseconds on it.
``RequestDomain`` keeps the catalogue on Flask-Babel's own request context
under ``babel_translations``, the attribute that ``flask_babel.refresh()``
deletes, so a view that switches the language (the public feedback pages)
gets the new catalogue at once.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from babel import support
from flask import g
from flask_babel import Babel, Domain, _get_current_context


class RequestDomain(Domain):
    """A Babel domain that looks the catalogue up once per request."""

    def get_translations(self) -> Any:
        ctx = _get_current_context()
        if ctx is None:
            return support.NullTranslations()
        translations = getattr(ctx, "babel_translations", None)
        if translations is None:
            translations = super().get_translations()
            ctx.babel_translations = translations
        return translations


def request_translations() -> Any:
    """The request's catalogue (the fast path of RequestDomain)."""
    ctx = g.get("_flask_babel") if g else None
    translations = getattr(ctx, "babel_translations", None) if ctx is not None else None
    if translations is None:
        from flask_babel import get_translations

        translations = get_translations()
    return translations


class NetzwerkBabel(Babel):
    """Flask-Babel serving the app's strings through RequestDomain."""

    @cached_property
    def domain_instance(self) -> Domain:  # type: ignore[override]
        return RequestDomain(domain=self.domain)
