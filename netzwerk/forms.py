"""Form helpers shared by every package."""

from __future__ import annotations

from typing import Protocol

from flask import Blueprint, Response, flash, request
from flask_wtf import FlaskForm


class FieldError(Protocol):
    """A domain rule's error: a message and, if any, the form field it concerns."""

    field: str | None


def show_error(form: FlaskForm, exc: Exception) -> None:
    """Put a service's error next to its field; otherwise above the form.

    Every package's service error (GovernanceError, MeetingError, ...) carries
    ``field``; a message without a field goes into the form's own errors and
    is flashed, so it shows whichever way the page renders the form.
    """
    name = getattr(exc, "field", None)
    target = form._fields.get(name) if name else None
    if target is not None and target.type not in ("CSRFTokenField", "SubmitField"):
        target.errors = [*target.errors, str(exc)]
        return
    form.form_errors.append(str(exc))
    flash(str(exc), "error")


def answer_failed_posts_with_422(bp: Blueprint) -> None:
    """A POST of the blueprint answered with a page (not a redirect) showed
    its form again with errors: say so with 422, as the other packages'
    views do one by one.  Done once per blueprint for the administration
    packages, whose many forms all follow post/redirect/get."""

    @bp.after_request
    def _failed_post(response: Response) -> Response:
        if (
            request.method == "POST"
            and response.status_code == 200
            and response.mimetype == "text/html"
        ):
            response.status_code = 422
        return response
