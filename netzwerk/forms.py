"""Form helpers shared by every package."""

from __future__ import annotations

import unicodedata
from typing import Any

from flask import Blueprint, Response, flash, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, StringField, TextAreaField
from wtforms.validators import StopValidation

_LINE_BREAKS = frozenset("\n\r\t")

#: The largest id (and number) an integer column holds on PostgreSQL.  Ids
#: and numbers from a request beyond it are not found, never a server error.
MAX_ID = 2**31 - 1


def optional_id(value: Any) -> int | None:
    """Coerce a select field's or a parameter's id: None for "none"; -1 for
    garbage, zero, negatives and ids no integer column can hold (-1 is no
    valid choice, so the field says so; a lookup finds nothing)."""
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if 0 < number <= MAX_ID else -1


def page_number(value: Any) -> int:
    """A ``?page=`` parameter (``type=page_number``): 1 for garbage, at most MAX_ID."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_ID)


def has_control_characters(value: str, multiline: bool = False) -> bool:
    """Whether the text holds control characters (or lone surrogates);
    multi-line text may hold line breaks and tabs."""
    for ch in value:
        if multiline and ch in _LINE_BREAKS:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs"):
            return True
    return False


class PlainText:
    """Refuses control characters (NUL, escape codes ...) in a text field:
    PostgreSQL refuses NUL, PDFs and XML the rest, and nobody can see them.
    Multi-line fields keep line breaks and tabs.  It stops the field's
    other checks, so its message is the one shown."""

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, form: Any, field: Field) -> None:
        if isinstance(field.data, str) and has_control_characters(field.data, self.multiline):
            raise StopValidation(
                _l(
                    "This field contains control characters (for example a NUL byte); "
                    "please remove them."
                )
            )


_SINGLE_LINE = PlainText()
_MULTI_LINE = PlainText(multiline=True)


def within_integer_columns(form: Any, field: Field) -> None:
    """Refuses a whole number no integer column holds (WTForms' NumberRange
    turns a 300-digit number into a float and fails with an OverflowError):
    the field says so, and its other checks do not run."""
    if isinstance(field.data, int) and abs(field.data) > MAX_ID:
        raise StopValidation(_l("This number is too large."))


class Form(FlaskForm):
    """The base of every form of Netzwerk: each text field (StringField and
    its kinds – text area, search, e-mail, password, hidden) refuses control
    characters before its own checks run, so no package's form can pass a
    NUL byte on to the database; each whole-number field refuses numbers no
    integer column holds.

    A form whose service removes them itself sets ``removes_control_characters``
    (the public feedback form: its messages exist in the public languages
    only; the minutes' summaries: pasted text keeps its words)."""

    removes_control_characters = False

    class Meta(FlaskForm.Meta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, StringField) and not form.removes_control_characters:
                first = _MULTI_LINE if isinstance(field, TextAreaField) else _SINGLE_LINE
                field.validators = [first, *field.validators]
            elif isinstance(field, IntegerField):
                field.validators = [within_integer_columns, *field.validators]
            return field


def show_error(form: FlaskForm, exc: Exception) -> None:
    """Put a service's error next to its field; otherwise above the form.

    Every package's service error (a ``rules.RuleError``: GovernanceError,
    MeetingError, ...) carries ``field``; a message without a field goes into
    the form's own errors and is flashed, so it shows whichever way the page
    renders the form.
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
