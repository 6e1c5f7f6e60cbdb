"""Official statistics in: tables as the statistical offices' regional
databases export them (Regionaldatenbank, LSN-Online, the city's statistics).

The layout, as those exports write it::

    Landesamt für Statistik Niedersachsen;;;              <- header block: source,
    Tabelle 21111-03: Schulabgänger nach Abschluss;;;      table code and title,
    Stadt Osnabrück, Stadtteile;;;                         free lines
    ;;;
    Jahr;Stadtteil;ohne Hauptschulabschluss;insgesamt     <- header row
    ;;Anzahl;Anzahl                                         <- units (optional)
    2024;Innenstadt;12;1.150                               <- data lines
    2024;Schinkel;.;210
    2023/24;Stadt Osnabrück;118;1.234,0
    __________                                             <- footer: legend,
    - = nichts vorhanden; . = Zahlenwert unbekannt ...        "Stand", copyright

Semicolon-separated, German numbers ("1.234,5": point for thousands, comma
for decimals), footnote markers instead of numbers (``-`` nothing, ``.``
unknown or secret, ``x`` locked, ``...`` not yet available, ``/`` no
reliable figure) and after numbers (``123p`` provisional).  Each value
column becomes an indicator (created on first import) with a value per year
and district; "Stadt Osnabrück"/"Insgesamt" is the city's total.  Every
value keeps its source, table code, year and footnote.

:func:`parse` reads everything and lists every refused line with its line
number and reason; :func:`import_table` imports all values or none.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..rules import RuleError
from . import districts
from .models import Indicator, IndicatorValue

MAX_BYTES = 2 * 1024 * 1024
MAX_LINES = 20000

YEAR_HEADERS = {"jahr", "schuljahr", "stichtag", "zeit", "berichtsjahr", "jahr/stichtag"}
REGION_HEADERS = {
    "stadtteil",
    "stadtteile",
    "gebiet",
    "region",
    "raumeinheit",
    "bezirk",
    "kreise und krfr. staedte",
    "gemeinde",
}
TOTAL_NAMES = {
    "osnabrueck",
    "stadt osnabrueck",
    "osnabrueck, kreisfreie stadt",
    "osnabrueck, stadt",
    "insgesamt",
    "gesamt",
    "stadt insgesamt",
    "03404",
}
# Markers that stand instead of a number, and what they mean.
MARKERS = {
    "-": "nothing (exactly zero)",
    ".": "unknown or kept secret",
    "x": "locked (no sensible figure)",
    "...": "not yet available",
    "/": "no reliable figure",
}
NUMBER_RE = re.compile(r"^(-?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?)\s*([a-z*()0-9]{0,4})$")
TABLE_CODE_RE = re.compile(r"\b(\d{5}(?:-[0-9A-Za-z]{1,4}){1,5}|[A-Z]\d{2,4}[A-Z0-9.-]*)\b")
FOOTER_START = ("___", "---", "stand", "©", "(c)", "zeichenerkl", "quelle", "fußnote", "fussnote")


class StatisticsError(RuleError):
    """A table was refused."""


@dataclass
class Column:
    index: int
    heading: str
    unit: str
    code: str  # the indicator's code


@dataclass
class ParsedValue:
    line: int
    column: str  # indicator code
    period: str  # YYYY
    district: str  # code, "" = the city's total
    value: float | None
    footnote: str
    raw: str


@dataclass
class Refused:
    line: int
    reason: str


@dataclass
class ParsedTable:
    source: str = ""
    table_code: str = ""
    title: str = ""
    columns: list[Column] = field(default_factory=list)
    values: list[ParsedValue] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)

    @property
    def importable(self) -> bool:
        return bool(self.values) and not self.refused

    def heading_of(self, code: str) -> str:
        for c in self.columns:
            if c.code == code:
                return c.heading
        return code


def _fold(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    return " ".join(text.strip().lower().translate(table).split())


def slug(text: str) -> str:
    folded = _fold(text)
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def parse_number(text: str) -> tuple[float | None, str]:
    """(value, footnote) of a cell in German notation; ValueError when neither
    a number nor a marker."""
    cell = text.strip().replace("\u00a0", "").replace(" ", "")
    if cell in MARKERS:
        return (0.0 if cell == "-" else None), cell
    match = NUMBER_RE.match(cell.lower())
    if not match:
        raise ValueError(text)
    number = match.group(1).replace(".", "").replace(",", ".")
    return float(number), match.group(2)


def parse_year(text: str) -> str | None:
    cell = text.strip()
    if re.fullmatch(r"\d{4}", cell):
        return cell
    school = re.fullmatch(r"(\d{4})\s*/\s*(\d{2}|\d{4})", cell)
    if school:  # school year 2023/24: the year it ends in
        return str(int(school.group(1)) + 1)
    day = re.fullmatch(r"\d{1,2}\.\d{1,2}\.(\d{4})", cell)
    if day:
        return day.group(1)
    return None


def _region(text: str) -> str | None:
    folded = _fold(text)
    if folded in TOTAL_NAMES:
        return ""
    return districts.match(text)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise StatisticsError(_("The file is neither UTF-8 nor Windows-1252 text."))


def parse(data: bytes) -> ParsedTable:
    """Read a table; every line that cannot be used is listed with its reason."""
    if len(data) > MAX_BYTES:
        raise StatisticsError(_("The file is larger than 2 MB."))
    text = _decode(data)
    if "\x00" in text:
        raise StatisticsError(_("The file is not a text file."))
    table = ParsedTable()
    reader = csv.reader(io.StringIO(text), delimiter=";")
    header: list[str] | None = None
    year_col = region_col = -1
    block: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}
    in_footer = False
    expect_units = False
    for cells in reader:
        line = reader.line_num
        if line > MAX_LINES:
            table.refused.append(Refused(line, _("Too many lines (at most 20000).")))
            break
        cells = [c.strip() for c in cells]
        while cells and not cells[-1]:
            cells.pop()
        if in_footer:
            continue
        if not cells:
            continue
        first = _fold(cells[0])
        if header is None:
            if first in YEAR_HEADERS and len(cells) >= 3:
                header = cells
                year_col = 0
                region_col = next(
                    (i for i in (1, 2) if i < len(cells) and _fold(cells[i]) in REGION_HEADERS),
                    1,
                )
                for index in range(region_col + 1, len(cells)):
                    heading = cells[index]
                    if not heading:
                        continue
                    table.columns.append(Column(index, heading, "", ""))
                expect_units = True
            else:
                block.append(" ".join(c for c in cells if c))
            continue
        if (
            first.startswith(FOOTER_START)
            or cells[0].startswith("_")
            or re.match(r"^(-|\.|x|\.\.\.|/)\s*=", first)
        ):
            in_footer = True
            continue
        if expect_units:
            expect_units = False
            if not cells[0]:
                for column in table.columns:
                    if column.index < len(cells):
                        column.unit = cells[column.index]
                continue
        if len(cells) > len(header):
            table.refused.append(
                Refused(
                    line,
                    _(
                        "The line has %(n)s cells, the header row %(m)s.",
                        n=len(cells),
                        m=len(header),
                    ),
                )
            )
            continue
        if len(cells) <= region_col:
            table.refused.append(Refused(line, _("The line has no district.")))
            continue
        year = parse_year(cells[year_col])
        if year is None:
            table.refused.append(
                Refused(line, _("“%(text)s” is not a year.", text=cells[year_col][:40]))
            )
            continue
        region = _region(cells[region_col])
        if region is None:
            table.refused.append(
                Refused(
                    line,
                    _("“%(text)s” is no district of Osnabrück.", text=cells[region_col][:60]),
                )
            )
            continue
        parsed: list[ParsedValue] = []
        problems: list[str] = []
        for column in table.columns:
            raw = cells[column.index] if column.index < len(cells) else ""
            if not raw:
                problems.append(_("The value of “%(col)s” is missing.", col=column.heading))
                continue
            try:
                value, footnote = parse_number(raw)
            except ValueError:
                problems.append(
                    _("“%(text)s” (%(col)s) is not a number.", text=raw[:40], col=column.heading)
                )
                continue
            parsed.append(ParsedValue(line, column.heading, year, region, value, footnote, raw))
        if problems:
            table.refused.append(Refused(line, " ".join(problems)))
            continue
        key = (year, region, "")
        if key in seen:
            table.refused.append(
                Refused(line, _("The same year and district as line %(n)s.", n=seen[key]))
            )
            continue
        seen[key] = line
        table.values.extend(parsed)
    if header is None:
        raise StatisticsError(
            _("No header row found: a line that begins with “Jahr” and names the columns.")
        )
    if not table.columns:
        raise StatisticsError(_("The header row names no value columns."))
    table.source = block[0][:300] if block else ""
    for line_text in block:
        found = TABLE_CODE_RE.search(line_text)
        if found:
            table.table_code = found.group(1)[:60]
            table.title = line_text[:300]
            break
    if not table.title and len(block) > 1:
        table.title = block[1][:300]
    prefix = slug(table.table_code) or "statistik"
    used: set[str] = set()
    for column in table.columns:
        code = f"{prefix}-{slug(column.heading)}"[:60].strip("-")
        while code in used:
            code = code[:57] + f"-{column.index}"
        used.add(code)
        column.code = code
    codes = {c.heading: c.code for c in table.columns}
    for parsed_value in table.values:
        parsed_value.column = codes[parsed_value.column]
    return table


def import_table(user: User, data: bytes) -> int:
    """Import every value of the table, or nothing when a line was refused."""
    table = parse(data)
    if table.refused:
        raise StatisticsError(
            _("%(n)s lines were refused: nothing was imported.", n=len(table.refused))
        )
    if not table.values:
        raise StatisticsError(_("The table holds no values."))
    now = utcnow()
    with write_transaction():
        indicators = {
            i.code: i
            for i in db.session.scalars(
                select(Indicator).where(Indicator.code.in_([c.code for c in table.columns]))
            )
        }
        for column in table.columns:
            if column.code not in indicators:
                indicator = Indicator(
                    code=column.code,
                    name=column.heading[:200],
                    unit=column.unit[:40],
                    source=table.source[:300],
                    dimensions="district",
                    description=table.title,
                )
                db.session.add(indicator)
                indicators[column.code] = indicator
        db.session.flush()
        ids = [i.id for i in indicators.values()]
        existing = {
            (v.indicator_id, v.period, v.dimension, v.dimension_value): v
            for v in db.session.scalars(
                select(IndicatorValue).where(IndicatorValue.indicator_id.in_(ids))
            )
        }
        for value in table.values:
            indicator = indicators[value.column]
            dimension = "district" if value.district else ""
            key = (indicator.id, value.period, dimension, value.district)
            row = existing.get(key)
            if row is None:
                row = IndicatorValue(
                    indicator_id=indicator.id,
                    period=value.period,
                    dimension=dimension,
                    dimension_value=value.district,
                )
                db.session.add(row)
                existing[key] = row
            row.value = value.value
            row.footnote = value.footnote
            row.source = table.source[:300]
            row.table_code = table.table_code
            row.imported_at = now
        record(
            "monitoring.statistics_imported",
            "monitoring_indicator",
            None,
            actor_id=user.id,
            data={"table": table.table_code, "values": len(table.values)},
        )
    return len(table.values)
