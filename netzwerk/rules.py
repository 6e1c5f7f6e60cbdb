"""What every package's services share: the error of a broken rule, and the
rules for a text they store.

Services check their input themselves – forms are one caller among others
(the scheduler, the command line, imports, tests) – and report a broken rule
as their package's subclass of ``RuleError``; ``forms.show_error`` puts its
message next to the field it names.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _


class RuleError(ValueError):
    """A rule was broken; the message is for the user, ``field`` names the
    form field it concerns, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def checked_text(
    value: Any, field: str, max_length: int, *, error: type[RuleError], required: bool = False
) -> str:
    """The text without surrounding blanks ("" for none), or ``error`` naming
    ``field``: required but empty, longer than its column, or holding a NUL
    byte (PostgreSQL refuses it in text columns)."""
    text = value.strip() if isinstance(value, str) else "" if value is None else str(value)
    if not text:
        if required:
            raise error(_("Please fill in this field."), field)
        return ""
    if "\x00" in text:
        raise error(_("This text contains a NUL byte."), field)
    if len(text) > max_length:
        raise error(_("At most %(max)d characters, please.", max=max_length), field)
    return text
