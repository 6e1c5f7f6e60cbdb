"""The msgids of the public feedback pages (extracted from their sources)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file

from netzwerk.i18n_check import KEYWORDS

ROOT = Path(__file__).resolve().parents[2]

PUBLIC_TEMPLATES = [
    "templates/base.html",
    "templates/macros/forms.html",
    "templates/errors/error.html",
    "templates/feedback/_public.html",
    "templates/feedback/form.html",
    "templates/feedback/thanks.html",
    "templates/feedback/status.html",
    "templates/feedback/privacy.html",
    "templates/feedback/rejected.html",
    "templates/feedback/results.html",
]
PUBLIC_PYTHON = [
    "netzwerk/feedback/forms.py",
    "netzwerk/feedback/vocab.py",
    "netzwerk/feedback/validation.py",
    "netzwerk/feedback/outcomes.py",
    "netzwerk/errors.py",
]


def public_msgids() -> set[str]:
    ids: set[str] = set()
    for rel in PUBLIC_TEMPLATES:
        for _line, message, _c, _ctx in extract_from_file(
            "jinja2", str(ROOT / rel), keywords=KEYWORDS, options={"extensions": "jinja2.ext.do"}
        ):
            ids.add(message if isinstance(message, str) else message[0])
    for rel in PUBLIC_PYTHON:
        for _line, message, _c, _ctx in extract_from_file(
            "python", str(ROOT / rel), keywords=KEYWORDS
        ):
            ids.add(message if isinstance(message, str) else message[0])
    return ids
