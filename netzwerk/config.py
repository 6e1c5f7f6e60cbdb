"""Configuration from the environment.

Every setting has a safe default for the embedded SQLite set-up; production
overrides them with ``NETZWERK_*`` environment variables (see README).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from .storage import BadKey, check_key, normal_prefix


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError:
        raise RuntimeError(f"{name} must be a whole number, not {value!r}") from None


class ConfigError(RuntimeError):
    """A setting that does not allow the application to start."""


def load_secret_key(instance_path: Path, *, per_host: bool = True) -> str | None:
    """Return NETZWERK_SECRET_KEY, or a key generated once into instance/
    (not with ``per_host=False``: several hosts must share one key)."""
    key = os.environ.get("NETZWERK_SECRET_KEY")
    if key:
        return key
    if not per_host:
        return None
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(48)
    # Create with owner-only permissions before writing the secret into it.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _mail_directory(instance_path: Path, storage: str) -> str | None:
    """NETZWERK_MAIL_DIR, or in demo mode without a configured mail server
    instance/mail (the demo's mails can be read there, none get lost).  With
    the object store (``NETZWERK_STORAGE=s3``) it names a key prefix in the
    bucket instead of a folder: ``mail`` by default."""
    configured = os.environ.get("NETZWERK_MAIL_DIR")
    if configured:
        return configured
    if _env_bool("NETZWERK_DEMO") and not os.environ.get("NETZWERK_MAIL_SERVER"):
        return "mail" if storage == "s3" else str(instance_path / "mail")
    return None


STORAGE_KINDS = ("local", "s3")


def _storage_kind() -> str:
    return (os.environ.get("NETZWERK_STORAGE") or "local").strip().lower()


def build_config(instance_path: Path) -> dict[str, object]:
    database_url = os.environ.get(
        "NETZWERK_DATABASE_URL", f"sqlite:///{instance_path / 'netzwerk.sqlite'}"
    )
    redis_url = os.environ.get("NETZWERK_REDIS_URL")
    multi_host = _env_bool("NETZWERK_MULTI_HOST")
    storage = _storage_kind()
    return {
        # Several hosts (NETZWERK_MULTI_HOST=1) share one key: none is generated.
        "SECRET_KEY": load_secret_key(instance_path, per_host=not multi_host),
        # Earlier keys, still accepted after a change (sessions, sealed TOTP
        # secrets): comma-separated, the newest first.
        "SECRET_KEY_FALLBACKS": [
            key.strip()
            for key in os.environ.get("NETZWERK_SECRET_KEY_FALLBACKS", "").split(",")
            if key.strip()
        ],
        "NETZWERK_MULTI_HOST": multi_host,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Accounts (netzwerk/auth): two factors for staff (unset: on, except
        # in demo mode), reset links, per-account throttles.
        "NETZWERK_REQUIRE_2FA": (
            _env_bool("NETZWERK_REQUIRE_2FA") if "NETZWERK_REQUIRE_2FA" in os.environ else None
        ),
        "NETZWERK_PASSWORD_RESET_MINUTES": _env_int("NETZWERK_PASSWORD_RESET_MINUTES", 60),
        "NETZWERK_MEETING_OPEN_EARLY": _env_int("NETZWERK_MEETING_OPEN_EARLY", 60),
        "NETZWERK_ACCOUNT_LOGIN_LIMIT": os.environ.get(
            "NETZWERK_ACCOUNT_LOGIN_LIMIT", "10 per 15 minutes"
        ),
        "NETZWERK_RESET_MAIL_LIMIT": os.environ.get("NETZWERK_RESET_MAIL_LIMIT", "3 per hour"),
        # No ping on every checkout: database.install_ping_after_idle pings
        # only connections idle for longer than this many seconds.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "NETZWERK_DB_PING_AFTER_IDLE": _env_int("NETZWERK_DB_PING_AFTER_IDLE", 2),
        "NETZWERK_REDIS_URL": redis_url,
        # Sessions: a server-side session row backs every login (auth.models).
        "SESSION_COOKIE_NAME": "netzwerk_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # None means: Secure whenever the request came over HTTPS.
        "SESSION_COOKIE_SECURE": _env_bool("NETZWERK_COOKIE_SECURE", False) or None,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=_env_int("NETZWERK_SESSION_HOURS", 12)),
        # The login's lifetime is kept by its server-side session row; the
        # cookie need not be signed again on every request.
        "SESSION_REFRESH_EACH_REQUEST": False,
        # Remember-me cookies are not issued at all.
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "MAX_CONTENT_LENGTH": _env_int("NETZWERK_MAX_UPLOAD_MB", 20) * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        "NETZWERK_TIMEZONE": "Europe/Berlin",
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "NETZWERK_LOGIN_RATE_LIMIT": os.environ.get("NETZWERK_LOGIN_RATE_LIMIT", "10 per minute"),
        "MAIL_SERVER": os.environ.get("NETZWERK_MAIL_SERVER", "localhost"),
        "MAIL_PORT": _env_int("NETZWERK_MAIL_PORT", 25),
        "MAIL_USERNAME": os.environ.get("NETZWERK_MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("NETZWERK_MAIL_PASSWORD"),
        "MAIL_USE_TLS": _env_bool("NETZWERK_MAIL_USE_TLS"),
        "MAIL_SENDER": os.environ.get("NETZWERK_MAIL_SENDER", "bildungsbuero@netzwerk.invalid"),
        # Deliver into a folder instead of SMTP; the demo does so by default.
        "NETZWERK_MAIL_DIR": _mail_directory(instance_path, storage),
        "NETZWERK_DEMO": _env_bool("NETZWERK_DEMO"),
        # Where the application is reached from outside: every link in a mail
        # starts with it (required in production, see check_settings).
        "NETZWERK_BASE_URL": (os.environ.get("NETZWERK_BASE_URL") or "").strip() or None,
        # The network as a whole (OParl's Body; page titles of open data).
        "NETZWERK_NETWORK_NAME": os.environ.get(
            "NETZWERK_NETWORK_NAME", "Netzwerk Bildungslandschaft Osnabrück"
        ),
        # Monitoring and exports suppress groups smaller than this (never below 5).
        "NETZWERK_MIN_GROUP_SIZE": _env_int("NETZWERK_MIN_GROUP_SIZE", 5),
        "NETZWERK_FEEDBACK_RETENTION_DAYS": _env_int("NETZWERK_FEEDBACK_RETENTION_DAYS", 180),
        "NETZWERK_COUNSELLING_RETENTION_DAYS": _env_int("NETZWERK_COUNSELLING_RETENTION_DAYS", 180),
        "NETZWERK_FEEDBACK_RATE_LIMIT": os.environ.get(
            "NETZWERK_FEEDBACK_RATE_LIMIT", "10 per minute;60 per day"
        ),
        "NETZWERK_PROXY_FIX": _env_bool("NETZWERK_PROXY_FIX"),
        "NETZWERK_WORKFLOW_DIR": os.environ.get(
            "NETZWERK_WORKFLOW_DIR", str(Path(__file__).resolve().parent.parent / "workflows")
        ),
        # Files (netzwerk/storage.py): a folder of this host, or an
        # S3-compatible object store that every host reads.
        "NETZWERK_STORAGE": storage,
        "NETZWERK_UPLOAD_DIR": os.environ.get(
            "NETZWERK_UPLOAD_DIR", str(instance_path / "uploads")
        ),
        "NETZWERK_S3_BUCKET": os.environ.get("NETZWERK_S3_BUCKET") or None,
        "NETZWERK_S3_ENDPOINT_URL": os.environ.get("NETZWERK_S3_ENDPOINT_URL") or None,
        "NETZWERK_S3_ACCESS_KEY_ID": os.environ.get("NETZWERK_S3_ACCESS_KEY_ID") or None,
        "NETZWERK_S3_SECRET_ACCESS_KEY": os.environ.get("NETZWERK_S3_SECRET_ACCESS_KEY") or None,
        "NETZWERK_S3_REGION": os.environ.get("NETZWERK_S3_REGION") or None,
        "NETZWERK_S3_PREFIX": os.environ.get("NETZWERK_S3_PREFIX", ""),
    }


def check_settings(config: Mapping[str, Any], instance_path: Path) -> None:
    """Refuse to start with settings that cannot work: an incomplete object
    store, and with ``NETZWERK_MULTI_HOST=1`` anything that would differ from
    host to host.  A ConfigError names every variable to set."""
    problems = _storage_problems(config) + _base_url_problems(config)
    if config.get("NETZWERK_MULTI_HOST"):
        problems += _per_host_problems(config, instance_path)
    if problems:
        several = " (NETZWERK_MULTI_HOST=1)" if config.get("NETZWERK_MULTI_HOST") else ""
        raise ConfigError(
            f"Netzwerk cannot start with these settings{several}:\n"
            + "\n".join(f"  - {problem}" for problem in problems)
        )


def _base_url_problems(config: Mapping[str, Any]) -> list[str]:
    """The base URL of the links in mails: well-formed when set, and set in
    production (PostgreSQL or several hosts; tests and the demo on SQLite
    default to http://127.0.0.1:5000)."""
    from urllib.parse import urlsplit

    base = config.get("NETZWERK_BASE_URL")
    database_url = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    production = not config.get("TESTING") and (
        config.get("NETZWERK_MULTI_HOST") or database_url.startswith("postgresql")
    )
    if not base:
        if production:
            return [
                "NETZWERK_BASE_URL is not set: the links in mails (invitations, reset "
                "links, notifications) need the address under which Netzwerk is reached, "
                "for example https://netzwerk.stadt.example."
            ]
        return []
    parts = urlsplit(str(base))
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        return [
            "NETZWERK_BASE_URL must be an address like https://netzwerk.stadt.example "
            f"(http or https, a host, no query), not {base!r}."
        ]
    return []


def _storage_problems(config: Mapping[str, Any]) -> list[str]:
    kind = config.get("NETZWERK_STORAGE") or "local"
    if kind not in STORAGE_KINDS:
        return [f"NETZWERK_STORAGE must be one of {', '.join(STORAGE_KINDS)}, not {kind!r}."]
    if kind != "s3":
        return []
    problems = []
    if not config.get("NETZWERK_S3_BUCKET"):
        problems.append("NETZWERK_S3_BUCKET is not set (the object store's bucket).")
    try:
        normal_prefix(config.get("NETZWERK_S3_PREFIX") or "")
    except BadKey:
        problems.append(
            "NETZWERK_S3_PREFIX must be names of letters, digits, '.', '_' and '-' "
            "separated by '/' (for example netzwerk/)."
        )
    mail_dir = config.get("NETZWERK_MAIL_DIR")
    if mail_dir:
        try:
            check_key(str(mail_dir).rstrip("/"))
        except BadKey:
            problems.append(
                "NETZWERK_MAIL_DIR is a key prefix in the object store with "
                f"NETZWERK_STORAGE=s3 (for example mail), not {mail_dir!r}."
            )
    return problems


def _per_host_problems(config: Mapping[str, Any], instance_path: Path) -> list[str]:
    """What several hosts cannot share.  Tests run their hosts on one machine:
    there (TESTING) one SQLite file is shared; a limiter that is switched
    off (RATELIMIT_ENABLED=False) counts nothing per host."""
    problems = []
    key = config.get("SECRET_KEY")
    key_file = instance_path / "secret_key"
    if not key or (key_file.is_file() and key_file.read_text().strip() == key):
        problems.append(
            "NETZWERK_SECRET_KEY is not set: each host would sign sessions with a key "
            "of its own (instance/secret_key). Give every host the same key."
        )
    if (config.get("NETZWERK_STORAGE") or "local") != "s3":
        problems.append(
            "NETZWERK_STORAGE=s3 (with NETZWERK_S3_BUCKET, NETZWERK_S3_ENDPOINT_URL, ...) "
            "is not set: attachments in NETZWERK_UPLOAD_DIR would exist on one host only."
        )
        if config.get("NETZWERK_MAIL_DIR"):
            problems.append(
                "NETZWERK_MAIL_DIR is a folder of one host: use SMTP "
                "(NETZWERK_MAIL_SERVER), or the object store."
            )
    database_url = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if database_url.startswith("sqlite") and not config.get("TESTING"):
        problems.append(
            "NETZWERK_DATABASE_URL is SQLite, a file of one host: use PostgreSQL "
            "(postgresql+psycopg://...)."
        )
    if not config.get("NETZWERK_REDIS_URL") and config.get("RATELIMIT_ENABLED", True):
        problems.append(
            "NETZWERK_REDIS_URL is not set: each host would count login attempts "
            "and rate limits on its own."
        )
    return problems
