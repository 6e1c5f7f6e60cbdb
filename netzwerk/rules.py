"""What every package's services share: the error of a broken rule, and the
rules for a text they store.

Services check their input themselves – forms are one caller among others
(the scheduler, the command line, imports, tests) – and report a broken rule
as their package's subclass of ``RuleError``; ``forms.show_error`` puts its
message next to the field it names.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _

#: Bidi embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO; LRI,
#: RLI, FSI, PDI): a stored text holding one could reverse the text shown
#: after it ("Bericht\u202egnp.exe").  Stored texts never keep them.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
#: The invisible direction marks (LRM, RLM, ALM): harmless in a sentence,
#: but a file name carries nothing invisible.
BIDI_MARKS = "\u200e\u200f\u061c"
_BIDI_CONTROLS = re.compile(f"[{BIDI_CONTROLS}]")
_BIDI_ALL = re.compile(f"[{BIDI_CONTROLS}{BIDI_MARKS}]")


class RuleError(ValueError):
    """A rule was broken; the message is for the user, ``field`` names the
    form field it concerns, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def without_bidi_controls(text: str, *, marks: bool = False) -> str:
    """The text without bidi embeddings, overrides and isolates (and, with
    ``marks``, without the direction marks LRM, RLM and ALM too): nothing in
    it can turn the text around it."""
    return (_BIDI_ALL if marks else _BIDI_CONTROLS).sub("", text)


def checked_text(
    value: Any, field: str, max_length: int, *, error: type[RuleError], required: bool = False
) -> str:
    """The text without surrounding blanks ("" for none) and without bidi
    controls (:func:`without_bidi_controls`), or ``error`` naming ``field``:
    required but empty, longer than its column, or holding a NUL byte
    (PostgreSQL refuses it in text columns)."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    text = without_bidi_controls(text).strip()
    if not text:
        if required:
            raise error(_("Please fill in this field."), field)
        return ""
    if "\x00" in text:
        raise error(_("This text contains a NUL byte."), field)
    if len(text) > max_length:
        raise error(_("At most %(max)d characters, please.", max=max_length), field)
    return text
