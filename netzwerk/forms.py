"""Form helpers shared by every package."""

from __future__ import annotations

from typing import Protocol

from flask import flash
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
