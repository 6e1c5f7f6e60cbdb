"""The light formatting of summaries: never the user's HTML.

A summary is plain text.  It is escaped first, completely; only then a tiny
syntax becomes markup:

* a blank line separates paragraphs, a single line break stays a line break;
* lines that start with ``- `` or ``* `` are a bulleted list, lines
  ``1.``, ``2.`` ... a numbered list (also after a line of text, without a
  blank line between);
* ``**text**`` is bold.

Whatever a summary contains – ``<script>``, ``<img src="file:///...">``,
entities – is shown as the characters typed, in the page and in the PDF.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

MAX_SUMMARY = 50000
MAX_CORRECTION = 4000  # a member's correction request while the minutes circulate
MAX_ANSWER = 1000  # the office's short answer to it

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
    """The summary as safe HTML (escaped text with the tiny syntax applied).

    Within a paragraph, a run of lines starting with ``- `` is a bulleted
    list and a run starting with ``1.`` a numbered one, so "Reported:" followed
    by bullet lines is a sentence and its list.
    """
    value = clean(text)
    if not value:
        return Markup("")
    parts: list[str] = []
    for block in re.split(r"\n\s*\n", value):
        lines = [line for line in block.split("\n") if line.strip()]
        runs: list[tuple[str, list[str]]] = []
        for line in lines:
            bullet = _BULLET.match(line)
            number = _NUMBERED.match(line)
            if bullet:
                kind, content = "ul", bullet.group(1)
            elif number and (
                (runs and runs[-1][0] == "ol") or re.match(r"^\s*1[.)]", line) or len(lines) == 1
            ):
                kind, content = "ol", number.group(1)
            else:
                kind, content = "p", line
            if runs and runs[-1][0] == kind:
                runs[-1][1].append(content)
            else:
                runs.append((kind, [content]))
        if all(_NUMBERED.match(line) for line in lines):  # a block of numbered lines
            runs = [("ol", [m.group(1) for m in map(_NUMBERED.match, lines) if m])]
        for kind, contents in runs:
            if kind == "p":
                parts.append("<p>" + "<br>".join(_inline(c) for c in contents) + "</p>")
            else:
                items = "".join(f"<li>{_inline(c)}</li>" for c in contents)
                parts.append(f"<{kind}>{items}</{kind}>")
    return Markup("".join(parts))  # noqa: S704 - every piece was escaped above
