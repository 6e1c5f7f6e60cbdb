"""CSV exports shared by every package: one formula-safe writer.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-``, ``@`` (and, in
some programs, a tab, a line break or ``|``) as a formula (CSV injection).
Every exported cell goes through :func:`csv_safe`, which puts an apostrophe in
front of such a value; the files use ``;`` as separator and CRLF line ends, as
German spreadsheet programs expect.  This is the only module that writes
CSV: a lint rule (ruff's banned-api in pyproject.toml) refuses ``csv.writer``
and ``csv.DictWriter`` anywhere else.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "|")
BOM = "\ufeff"


def csv_safe(value: Any) -> str:
    """The value as text, neutralised if a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_rows(rows: Iterable[Iterable[Any]]) -> str:
    """The whole CSV text (without BOM), every cell made safe; rows may
    differ in length (an empty row is an empty line)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])
    return out.getvalue()


def write_csv(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> str:
    """The whole CSV text (without BOM): header first, every cell made safe."""
    return write_rows(itertools.chain([header], rows))
