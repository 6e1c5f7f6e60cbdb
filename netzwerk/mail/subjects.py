"""Subjects of mails: one line, shortened at a word, never cut inside one."""

from __future__ import annotations

ELLIPSIS = "…"
MAX_LENGTH = 300  # the outbox's column


def one_line(text: str) -> str:
    """All whitespace (line breaks included) as single spaces."""
    return " ".join(str(text).split())


def shorten(text: str, limit: int = MAX_LENGTH) -> str:
    """The text on one line, at most ``limit`` characters: cut before the
    last word that does not fit, with "…".  Only a single word longer than
    the limit is cut inside (there is no earlier place to cut)."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return text[:limit]
    room = limit - len(ELLIPSIS)
    cut = text.rfind(" ", 0, room + 1)
    if cut <= 0:
        return text[:room] + ELLIPSIS
    return text[:cut].rstrip(" ,;:–-") + ELLIPSIS
