"""Jinja filters and globals shared by all templates."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from sqlalchemy import bindparam, func, select

from .i18n import request_translations
from .timeutil import format_date, format_local


def _translations() -> Any:
    """The request's catalogue, looked up once per request."""
    return request_translations()


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


@functools.cache
def _nav_state_statement() -> Any:
    """Built once (on first use, when all models are imported): a reused
    statement keeps SQLAlchemy's cache key memoised."""
    from .counselling.models import CounsellingStaff
    from .notifications.models import Notification

    return select(
        select(CounsellingStaff.id)
        .where(CounsellingStaff.user_id == bindparam("user_id"))
        .exists(),
        select(func.count(Notification.id))
        .where(Notification.person_id == bindparam("person_id"), Notification.read_at.is_(None))
        .scalar_subquery(),
    )


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
        from .extensions import db

        params = {"user_id": current_user.id, "person_id": current_user.person_id}
        counselling, unread = db.session.execute(_nav_state_statement(), params).one()
        state = NavState(bool(counselling), int(unread or 0))
        # The counselling package's own per-request cache agrees with it.
        g.setdefault("_counselling_staff", state.counselling)
    g._netzwerk_nav_state = state
    return state


# --- the layout's header and footer ---------------------------------------
#
# Every page carries the same header and footer; only a handful of plain
# values make them differ (the catalogue, who is logged in, the unread count,
# which entry is the current page).  They are rendered from those values
# alone and kept per process, keyed by exactly those values, so a page pays
# for rendering its own content, not for ~30 url_for and ~40 gettext calls of
# the layout.  The logout form's CSRF token is not part of the key: it is
# inserted into the cached fragment on every request.

# Navigation entries and the path prefix that marks them current
# (None: the entry's own URL).  "/" is current on the start page only.
_NAV_PREFIXES: tuple[tuple[str, str | None], ...] = (
    ("main.index", "/"),
    ("governance.my_bodies", "/meine-gremien"),
    ("meetings.my_meetings", None),
    ("governance.bodies", "/gremien/"),
    ("papers.papers", None),
    ("voting.open_polls", None),
    ("decisions.register", None),
    ("projects.index", None),
    ("counselling.index", None),
    ("monitoring.dashboard", None),
    ("governance.admin_index", "/verwaltung"),
    ("meetings.public_meetings", None),
    ("counselling.directory", None),
    ("feedback.start", "/rueckmeldung"),
)
# The staff's meeting list is current anywhere under /sitzungen/ except on
# "My meetings".
_MEETINGS_PREFIX = "/sitzungen/"

_CSRF_PLACEHOLDER = "\x00csrf\x00"
_FRAGMENT_CACHE_SIZE = 2048


class _FragmentCache:
    """A small LRU of rendered layout fragments (per process; a lock for
    threaded servers)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[Any, ...], tuple[Any, ...]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> tuple[Any, ...] | None:
        with self.lock:
            parts = self.entries.get(key)
            if parts is not None:
                self.entries.move_to_end(key)
            return parts

    def put(self, key: tuple[Any, ...], parts: tuple[Any, ...]) -> None:
        with self.lock:
            self.entries[key] = parts
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)


def _fragments() -> _FragmentCache:
    """The app's cache (one per app: URLs and templates belong to it)."""
    cache: _FragmentCache = current_app.extensions["netzwerk_fragments"]
    return cache


def _nav_prefixes() -> tuple[tuple[str, str], ...]:
    """(endpoint, prefix) pairs with the URLs built once per script root."""
    cache = _fragments()
    key = ("nav-prefixes", request.script_root)
    cached = cache.get(key)
    if cached is None:
        cached = tuple(
            (endpoint, prefix if prefix is not None else url_for(endpoint))
            for endpoint, prefix in _NAV_PREFIXES
        )
        cache.put(key, cached)
    return cached


def active_nav_entries(path: str) -> frozenset[str]:
    """The navigation entries that are the current page for ``path``."""
    active = {
        endpoint
        for endpoint, prefix in _nav_prefixes()
        if path == prefix or (prefix != "/" and path.startswith(prefix))
    }
    if path.startswith(_MEETINGS_PREFIX) and "meetings.my_meetings" not in active:
        active.add("meetings.meetings")
    return frozenset(active)


def _render_fragment(template: str, key: tuple[Any, ...], **context: Any) -> tuple[Markup, ...]:
    cache = _fragments()
    full_key = (template, request.script_root, _translations(), *key)
    # While templates reload on change (debug), so does the fragment.
    parts = None if current_app.jinja_env.auto_reload else cache.get(full_key)
    if parts is None:
        html = current_app.jinja_env.get_template(template).render(
            csrf_placeholder=_CSRF_PLACEHOLDER, **context
        )
        # Jinja rendered it with autoescaping: it is markup already.
        parts = tuple(Markup(html).split(_CSRF_PLACEHOLDER))  # noqa: S704
        cache.put(full_key, parts)
    return parts


def site_header() -> Markup:
    authenticated = bool(current_user.is_authenticated)
    active = active_nav_entries(request.path)
    if authenticated:
        state = nav_state()
        values: dict[str, Any] = {
            "authenticated": True,
            "is_staff": bool(current_user.is_staff),
            "display_name": current_user.display_name,
            "counselling": state.counselling,
            "unread": state.unread,
            "active": active,
        }
    else:
        values = {"authenticated": False, "active": active}
    parts = _render_fragment("_site_header.html", tuple(sorted(values.items())), **values)
    return escape(generate_csrf()).join(parts)


def site_footer() -> Markup:
    return _render_fragment("_site_footer.html", ())[0]


def _event_title(action: str | None) -> str:
    """The German title of an audit event's code (``minutes.started``)."""
    from .audit.titles import event_title

    return event_title(action)


def register_template_helpers(app: Flask) -> None:
    _install_cached_gettext(app)
    app.extensions["netzwerk_fragments"] = _FragmentCache(_FRAGMENT_CACHE_SIZE)
    app.jinja_env.globals["nav_state"] = nav_state
    app.jinja_env.globals["site_header"] = site_header
    app.jinja_env.globals["site_footer"] = site_footer
    app.jinja_env.filters["localtime"] = format_local
    app.jinja_env.filters["localdate"] = format_date
    app.jinja_env.filters["event_title"] = _event_title
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
