"""Netzwerk: the application factory."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel import Locale
from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import database as dbmod
from . import storage
from .config import build_config, check_settings
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .forms import MAX_ID

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent

SUPPORTED_LOCALES = ["de"]


def _translation_directories() -> str:
    dirs = [PACKAGE_DIR / "translations"]
    dirs += sorted(p for p in PACKAGE_DIR.glob("*/translations") if p.is_dir())
    return ";".join(str(d) for d in dirs)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    instance_path = os.environ.get("NETZWERK_INSTANCE_PATH", str(PROJECT_DIR / "instance"))
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(PROJECT_DIR / "templates"),
        static_folder="static",
    )
    app.config.update(build_config(Path(app.instance_path)))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = _translation_directories()
    if config:
        app.config.update(config)
    check_settings(app.config, Path(app.instance_path))  # per-host files with NETZWERK_MULTI_HOST

    if app.config.get("NETZWERK_PROXY_FIX"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    _init_extensions(app)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    _register_blueprints(app)
    _register_hooks(app)

    from .errors import register_error_handlers

    register_error_handlers(app)

    from .cli import register_cli

    register_cli(app)

    _init_packages(app)
    _skip_rate_limiter(app, UNLIMITED_ENDPOINTS)
    _cache_ensure_sync(app)
    return app


# Hot endpoints that no rate limit applies to (a seat votes once: the
# database refuses a second ballot): Flask-Limiter's hooks are skipped for
# them, see _skip_rate_limiter.
UNLIMITED_ENDPOINTS = frozenset({"voting.vote"})


def _skip_rate_limiter(app: Flask, endpoints: frozenset[str]) -> None:
    """Run Flask-Limiter's three request hooks except for ``endpoints``.

    For a request that no limit applies to, the hooks still looked up the
    view, its exemptions and the (empty) lists of limits, and set up and
    reset a per-request context: about 5 % of a ballot.  Only endpoints for
    which Flask-Limiter itself resolves no limit at all (no decorated,
    blueprint, default, application or meta limit) are skipped, checked here
    once; any other endpoint, and every endpoint of an app with such limits,
    keeps all three hooks."""
    skipped = frozenset(e for e in endpoints if not _limits_apply(app, e))
    if not skipped:
        return

    def is_limiter_hook(f: Any) -> bool:
        owner = getattr(f, "__self__", None)
        args = getattr(f, "args", ())
        return owner is limiter or (isinstance(f, functools.partial) and args[:1] == (limiter,))

    def unless_skipped(hook: Any, passthrough: bool) -> Any:
        @functools.wraps(hook)
        def wrapper(*args: Any) -> Any:
            if request.endpoint in skipped:
                return args[0] if passthrough else None
            return hook(*args)

        return wrapper

    registries: tuple[tuple[dict[Any, list[Any]], bool], ...] = (
        (app.before_request_funcs, False),
        (app.after_request_funcs, True),
        (app.teardown_request_funcs, False),
    )
    for funcs, passthrough in registries:
        hooks = funcs.get(None, [])
        funcs[None] = [unless_skipped(f, passthrough) if is_limiter_hook(f) else f for f in hooks]


def _limits_apply(app: Flask, endpoint: str) -> bool:
    """Whether Flask-Limiter could apply any limit to the endpoint, for any
    of its methods (asked as its before- and after-request hooks ask)."""
    if limiter.limit_manager.application_limits or getattr(limiter, "_meta_limits", None):
        return True
    blueprint = endpoint.rpartition(".")[0] or None
    try:
        methods = {m for rule in app.url_map.iter_rules(endpoint) for m in rule.methods or ()}
    except KeyError:
        return True  # no such endpoint: nothing to skip
    for method in sorted(methods):
        # A limit may be a callable reading the config, or exempt by method.
        with app.test_request_context(method=method):
            for in_middleware in (True, False):
                defaults, decorated = limiter.limit_manager.resolve_limits(
                    app, endpoint, blueprint, None, in_middleware, False
                )
                if defaults or decorated:
                    return True
    return False


def _cache_ensure_sync(app: Flask) -> None:
    """Flask asks for every hook and view of every request whether it is a
    coroutine function (``inspect``, about 15 times a ballot); the answer
    for a function never changes, so it is kept."""
    plain: dict[Any, bool] = {}
    ensure_sync = app.ensure_sync

    def cached(func: Any) -> Any:
        try:
            if plain[func]:
                return func
        except (KeyError, TypeError):  # not seen yet, or unhashable
            result = ensure_sync(func)
            with contextlib.suppress(TypeError):
                if len(plain) < 10_000:  # hooks and views: a fixed set
                    plain[func] = result is func
            return result
        return ensure_sync(func)

    app.ensure_sync = cached  # type: ignore[method-assign]


def _init_packages(app: Flask) -> None:
    """Each domain package registers what it offers (workflow object types,
    guards, effects, providers, signal receivers, administration sections,
    indicators) in layer order, lower layers first; nothing registers on
    import (tests/test_import_hygiene.py).  Then workflows/*.yaml are loaded
    and validated against what is registered: an invalid definition stops
    the start."""
    from . import (
        auth,
        counselling,
        decisions,
        feedback,
        funding,
        governance,
        mail,
        meetings,
        minutes,
        monitoring,
        notifications,
        papers,
        projects,
        reports,
        search,
        voting,
        workflow,
    )
    from .workflow.boot import init_app as init_workflows

    layers = (
        workflow,
        governance,
        auth,
        mail,
        notifications,
        counselling,
        papers,
        meetings,
        voting,
        decisions,
        feedback,
        monitoring,
        minutes,
        projects,
        reports,
        funding,
        search,
    )
    for package in layers:
        package.init_app(app)
    init_workflows(app)


class IdConverter(IntegerConverter):
    """``<int:...>`` of every route: a number beyond what an integer column
    holds is 404, not a database error."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def _request_is_unit_of_work(app: Flask) -> None:
    """Every request is one unit of work (``database.unit_of_work``): what
    its services write commits once, after the view, before the response
    leaves; an answer of 500 or more, or an exception, commits nothing.
    Registered before any other hook, so the unit is open for every
    ``before_request`` and its commit is the last ``after_request``."""

    @app.before_request
    def _open_unit() -> None:
        g._unit_token = dbmod.begin_unit()

    @app.after_request
    def _commit_unit(response: Response) -> Response:
        if "_unit_token" in g:
            if response.status_code >= 500:
                db.session.rollback()
            else:
                dbmod.commit_unit()
        return response

    @app.teardown_request
    def _close_unit(exc: BaseException | None) -> None:
        token = g.pop("_unit_token", None)
        if token is not None:
            dbmod.end_unit(token, failed=exc is not None)


def _init_extensions(app: Flask) -> None:
    from .auth.security import HardenedSessionInterface

    db.init_app(app)
    with app.app_context():
        dbmod.install_engine_hooks(db.engine, app.config["NETZWERK_DB_PING_AFTER_IDLE"])
    _request_is_unit_of_work(app)
    migrate.init_app(app, db, directory=str(PROJECT_DIR / "migrations"))
    storage.init_app(app)
    csrf.init_app(app)
    # Flask-Limiter keeps the key prefix of the first app it served on its
    # one global object; every app (a test creates many) uses its own.
    limiter._key_prefix = app.config.get("RATELIMIT_KEY_PREFIX", "")
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: "Europe/Berlin")
    _cache_wtforms_translations()
    app.session_interface = HardenedSessionInterface()

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")  # type: ignore[assignment]

    @login_manager.user_loader
    def load_user(token: str) -> Any:
        from .auth.services import load_session_user

        # GET pages show the user's name; a form post mostly redirects.
        return load_session_user(token, with_person=request.method in ("GET", "HEAD"))

    # Import every model module so that metadata (and Alembic) sees them all.
    from . import models  # noqa: F401


_WTFORMS_CATALOGUES: dict[str, Any] = {}


def _cache_wtforms_translations() -> None:
    """Parse WTForms' own catalogue once per process and locale.

    Flask-WTF (1.2) caches it on the request only, so every request that
    builds a form parsed the ``.mo`` file again (about 0.3 ms, a twentieth of
    a ballot).  Flask-Babel's catalogues are cached per process already
    (``Domain.cache``).
    """
    from babel import support
    from flask import current_app
    from flask_babel import get_locale
    from flask_wtf import i18n
    from wtforms.i18n import messages_path

    if getattr(i18n._get_translations, "netzwerk_cached", False):
        return

    def _get_translations() -> Any:
        if not request or "babel" not in current_app.extensions:
            return None
        locale = get_locale()
        key = str(locale)
        translations = _WTFORMS_CATALOGUES.get(key)
        if translations is None:
            translations = support.Translations.load(messages_path(), [locale], domain="wtforms")
            _WTFORMS_CATALOGUES[key] = translations
        return translations

    _get_translations.netzwerk_cached = True  # type: ignore[attr-defined]
    i18n._get_translations = _get_translations


def _select_locale() -> Locale:
    forced = getattr(g, "netzwerk_locale", None)
    return _locale(str(forced) if forced else "de")


@functools.cache
def _locale(identifier: str) -> Locale:
    """Parsed once per process (Flask-Babel parses a selector's string on
    every request, with a look at the locale data files)."""
    return Locale.parse(identifier)


def _register_blueprints(app: Flask) -> None:
    from .blueprints import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


def _register_hooks(app: Flask) -> None:
    from .auth.security import set_security_headers
    from .templating import register_template_helpers

    register_template_helpers(app)

    @app.before_request
    def _write_intent() -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            g._write_intent_token = dbmod.set_write_intent(True)

    @app.teardown_request
    def _reset_write_intent(_exc: BaseException | None) -> None:
        token = g.pop("_write_intent_token", None)
        if token is not None:
            dbmod.reset_write_intent(token)

    app.after_request(set_security_headers)


# Every model module is imported with the package, so that relationships
# named by string always resolve, whichever module a script or test imports
# first.
from . import models as _models  # noqa: E402,F401
