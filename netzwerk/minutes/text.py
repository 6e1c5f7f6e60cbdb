"""The light formatting of summaries: never the user's HTML.

A summary is plain text.  It is escaped first, completely; only then a tiny
syntax becomes markup:

* a blank line separates paragraphs, a single line break stays a line break;
* a block whose lines all start with ``- `` or ``* `` is a bulleted list,
  one whose lines all start with ``1.``, ``2.`` ... a numbered list;
* ``**text**`` is bold.

Whatever a summary contains – ``<script>``, ``<img src="file:///...">``,
entities – is shown as the characters typed, in the page and in the PDF.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

MAX_SUMMARY = 50000

# Control characters other than tab and newline (they break XML and PDFs).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


def clean(text: str | None) -> str:
    """Normalise what an editor sent: newlines, no control characters, trimmed."""
    value = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return "\n".join(line.rstrip() for line in value.strip().split("\n"))


def _inline(text: str) -> str:
    escaped = str(escape(text))
    return _BOLD.sub(r"<strong>\1</strong>", escaped)


def render_summary(text: str | None) -> Markup:
    """The summary as safe HTML (escaped text with the tiny syntax applied)."""
    value = clean(text)
    if not value:
        return Markup("")
    parts: list[str] = []
    for block in re.split(r"\n\s*\n", value):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        bullets = [_BULLET.match(line) for line in lines]
        numbers = [_NUMBERED.match(line) for line in lines]
        if all(bullets):
            items = "".join(f"<li>{_inline(m.group(1))}</li>" for m in bullets if m)
            parts.append(f"<ul>{items}</ul>")
        elif all(numbers):
            items = "".join(f"<li>{_inline(m.group(1))}</li>" for m in numbers if m)
            parts.append(f"<ol>{items}</ol>")
        else:
            parts.append("<p>" + "<br>".join(_inline(line) for line in lines) + "</p>")
    return Markup("".join(parts))  # noqa: S704 - every piece was escaped above
