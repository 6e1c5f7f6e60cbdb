"""Jinja filters and globals shared by all templates."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from flask_babel import get_translations

from .timeutil import format_date, format_local


def _translations() -> Any:
    """The request's catalogue, looked up once per request (Flask-Babel looks
    it up again for every string a template translates)."""
    translations = g.get("_netzwerk_translations")
    if translations is None:
        translations = get_translations()
        g._netzwerk_translations = translations
    return translations


def _install_cached_gettext(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )


def register_template_helpers(app: Flask) -> None:
    _install_cached_gettext(app)
    app.jinja_env.filters["localtime"] = format_local
    app.jinja_env.filters["localdate"] = format_date
    app.jinja_env.globals["nav_is_active"] = _nav_is_active
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _inject() -> dict[str, Any]:
        return {
            # A view serving another language sets g.html_lang / g.html_dir
            # (and g.netzwerk_locale for the catalogue).
            "html_lang": g.get("html_lang", "de"),
            "html_dir": g.get("html_dir", "ltr"),
            "demo_mode": app.config.get("NETZWERK_DEMO", False),
        }


def _nav_is_active(prefix: str) -> bool:
    return request.path == prefix or (prefix != "/" and request.path.startswith(prefix))
