"""Jinja filters and globals shared by all templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, g, request
from flask_babel import get_translations
from flask_login import current_user
from sqlalchemy import func, select

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


@dataclass(frozen=True)
class NavState:
    counselling: bool
    unread: int


def nav_state() -> NavState:
    """What the layout's navigation needs about the user, in one query per
    request: counselling staff or not, and the number of unread
    notifications.  (Access checks do not rely on it.)"""
    cached = g.get("_netzwerk_nav_state")
    if cached is not None:
        return cached
    if not current_user.is_authenticated:
        state = NavState(False, 0)
    else:
        from .counselling.models import CounsellingStaff
        from .extensions import db
        from .notifications.models import Notification

        counselling, unread = db.session.execute(
            select(
                select(CounsellingStaff.id)
                .where(CounsellingStaff.user_id == current_user.id)
                .exists(),
                select(func.count(Notification.id))
                .where(
                    Notification.person_id == current_user.person_id,
                    Notification.read_at.is_(None),
                )
                .scalar_subquery(),
            )
        ).one()
        state = NavState(bool(counselling), int(unread or 0))
        # The counselling package's own per-request cache agrees with it.
        g.setdefault("_counselling_staff", state.counselling)
    g._netzwerk_nav_state = state
    return state


def register_template_helpers(app: Flask) -> None:
    _install_cached_gettext(app)
    app.jinja_env.globals["nav_state"] = nav_state
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
