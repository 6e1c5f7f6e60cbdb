"""Links in mails: absolute, from the configured base URL.

A mail is read outside the application, often days later and in another
program, so every link in it starts with ``NETZWERK_BASE_URL`` (for example
``https://netzwerk.stadt.example``), never with the host a request
happened to name (a reset link built from a forged Host header would lead
elsewhere) and never as a bare path.  Without the setting (tests, the demo
on SQLite) the base is the address ``make run`` serves on.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def base_url() -> str:
    """The configured base URL without a trailing slash."""
    return str(current_app.config.get("NETZWERK_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def absolute_url(endpoint: str, **values: Any) -> str:
    """The absolute address of a route, built without a request."""
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def path_for(endpoint: str, **values: Any) -> str:
    """The path of a route (``/abstimmungen/3``), built without a request:
    what a notification stores; a mail makes it absolute."""
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return adapter.build(endpoint, values)


def absolute(path_or_url: str) -> str:
    """A stored link (``/sitzungen/3``) made absolute; an absolute one stays."""
    if urlsplit(path_or_url).scheme:
        return path_or_url
    return base_url() + "/" + path_or_url.lstrip("/")
