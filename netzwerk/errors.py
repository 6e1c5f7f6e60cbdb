"""Error pages in the application's layout, without internals."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood. Please try again.")),
        403: (_("Access denied"), _("You are not allowed to see this page.")),
        404: (_("Page not found"), _("This page does not exist or has been moved.")),
        405: (_("Method not allowed"), _("This page cannot be used in this way.")),
        413: (_("File too large"), _("The upload is larger than allowed.")),
        429: (
            _("Too many requests"),
            _("Too many attempts in a short time. Please wait a moment and try again."),
        ),
        500: (
            _("Internal error"),
            _("Something went wrong on our side. The error has been logged."),
        ),
    }


def render_error(code: int, description: str | None = None) -> tuple[str, int]:
    title, text = _messages().get(code, (_("Error"), _("An error occurred.")))
    return render_template("errors/error.html", code=code, title=title, text=text), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        code = exc.code or 500
        if code not in _messages():
            return exc
        body, status = render_error(code)
        response = exc.get_response()
        response.set_data(body)
        response.status_code = status
        response.mimetype = "text/html"
        return response

    @app.errorhandler(InternalServerError)
    def _internal_error(exc: InternalServerError):  # type: ignore[no-untyped-def]
        original = getattr(exc, "original_exception", None)
        if original is not None:
            log.exception("unhandled error", exc_info=original)
        return render_error(500)
