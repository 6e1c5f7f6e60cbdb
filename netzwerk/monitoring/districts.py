"""Osnabrück's 23 Stadtteile: reference data, figures by district, the map.

The shapes in ``districts.json`` are simplified schematic shapes, not survey
boundaries (see the file's ``_comment``): tiles of a coarse grid in
plausible relative positions, shipped with the application.  The map is an
inline SVG drawn here; no map tiles, no external requests.

Figures by district: feedback (its optional district), counselling cases
(the district a contact recorded) and project reach (the venue's district).
Counts of people go through :func:`suppression.protect` (k and secondary
suppression) before they leave this module; the table beside the map shows
the same protected figures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import func, select

from ..extensions import db
from .suppression import (
    SMALL,
    WITHHELD,
    WITHHELD_LABEL,
    count_mark,
    hidden_text,
    mark_notes,
    mark_title,
    min_group_size,
    protect,
)

GEOMETRY_FILE = Path(__file__).with_name("districts.json")
# Sequential blues (light to dark), readable on white; hidden cells hatched grey.
CLASS_COLOURS = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]
TEXT_ON = ["#111", "#111", "#111", "#fff", "#fff"]


@dataclass(frozen=True)
class District:
    code: str
    name: str
    ring: tuple[tuple[float, float], ...]
    label_at: tuple[float, float]


@cache
def _load() -> tuple[tuple[District, ...], tuple[float, float, float, float]]:
    data = json.loads(GEOMETRY_FILE.read_text(encoding="utf-8"))
    result = []
    for feature in data["features"]:
        props = feature["properties"]
        ring = tuple((float(x), float(y)) for x, y in feature["geometry"]["coordinates"][0])
        result.append(
            District(props["code"], props["name"], ring, tuple(props["label"]))  # type: ignore[arg-type]
        )
    box = tuple(float(v) for v in data["viewBox"])
    return tuple(result), box  # type: ignore[return-value]


def all_districts() -> tuple[District, ...]:
    return _load()[0]


def codes() -> list[str]:
    return [d.code for d in all_districts()]


def name_of(code: str | None) -> str:
    for d in all_districts():
        if d.code == code:
            return d.name
    return code if code else str(_("no answer"))


def choices(no_answer: Any = None) -> list[tuple[str, Any]]:
    """(code, name) for a select field; names are proper nouns in every language."""
    options: list[tuple[str, Any]] = [(d.code, d.name) for d in all_districts()]
    if no_answer is not None:
        options.insert(0, ("", no_answer))
    return options


def _fold(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    return " ".join(text.strip().lower().translate(table).replace("-", " ").split())


def match(text: str) -> str | None:
    """The district code for a name as statistics tables write it ("Schölerberg",
    "Schoelerberg", "Darum-Gretesch-Lüstringen", "05 Sonnenhügel"), or None."""
    folded = _fold(text)
    # A leading number (the city's district number) is allowed.
    parts = folded.split(" ", 1)
    if len(parts) == 2 and parts[0].isdigit():
        folded = parts[1]
    for d in all_districts():
        name = _fold(d.name)
        if folded in (name, name.replace("/", " "), d.code, d.code.replace("_", " ")):
            return d.code
        if folded.replace("/", " ") == name.replace("/", " "):
            return d.code
    return None


# --- figures ---------------------------------------------------------------------------


@dataclass
class Cell:
    code: str
    name: str
    value: float | None  # None: hidden (or no value)
    text: str
    hidden: bool = False
    # Why it is hidden (suppression.SMALL, SECONDARY, WITHHELD); "" when shown.
    mark: str = ""
    threshold: int = 5

    @property
    def title(self) -> str:
        return mark_title(self.mark, self.threshold) if self.hidden else ""


@dataclass
class DistrictTable:
    title: str
    unit: str
    cells: list[Cell]  # every district, in the reference order, then "no district"
    total: Cell
    threshold: int
    note: str = ""

    def by_code(self) -> dict[str, Cell]:
        return {c.code: c for c in self.cells}

    @property
    def notes(self) -> list[tuple[str, str]]:
        marks = {c.mark for c in [*self.cells, self.total] if c.hidden and c.mark}
        return mark_notes(marks, self.threshold)


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def counts_table(
    title: str, counts: Mapping[str | None, int], *, suppress_small: bool = True, unit: str = ""
) -> DistrictTable:
    """Counts of people per district code (None = no district given), protected."""
    threshold = min_group_size()
    keyed = {(k or ""): int(v) for k, v in counts.items()}
    full = {d.code: keyed.get(d.code, 0) for d in all_districts()}
    if keyed.get("", 0):
        full[""] = keyed[""]
    for k, v in keyed.items():  # codes no longer in the reference list
        full.setdefault(k, v)
    if suppress_small:
        protection = protect(full, threshold)
        hidden, total_hidden = protection.hidden, protection.total_hidden
    else:
        hidden, total_hidden = dict.fromkeys(full, False), False
    cells = []
    for code, n in full.items():
        mark = count_mark(n, hidden[code], threshold)
        cells.append(
            Cell(
                code,
                name_of(code),
                None if hidden[code] else float(n),
                hidden_text(mark, threshold) if hidden[code] else _fmt(n),
                hidden[code],
                mark,
                threshold,
            )
        )
    total = sum(full.values())
    total_mark = count_mark(total, total_hidden, threshold)
    total_cell = Cell(
        "",
        str(_("All")),
        None if total_hidden else float(total),
        hidden_text(total_mark, threshold) if total_hidden else _fmt(total),
        total_hidden,
        total_mark,
        threshold,
    )
    return DistrictTable(title, unit or str(_("Count")), cells, total_cell, threshold)


def values_table(
    title: str,
    unit: str,
    values: Mapping[str, float | None],
    hidden: set[str] | None = None,
    total: float | None = None,
    note: str = "",
    marks: Mapping[str, str] | None = None,
) -> DistrictTable:
    """Values that need no suppression here (official statistics, or already
    protected by the indicator): per district code.  ``marks`` say why a
    hidden one is hidden (a count "< N" or ".", a share "–"); "" = the total."""
    threshold = min_group_size()
    hidden = hidden or set()
    marks = marks or {}

    def cell(code: str, name: str, value: float | None) -> Cell:
        if code in hidden:
            mark = marks.get(code, SMALL)
            text = WITHHELD_LABEL if mark == WITHHELD else hidden_text(mark, threshold)
            return Cell(code, name, None, text, True, mark, threshold)
        return Cell(code, name, value, "–" if value is None else _fmt(value), False, "", threshold)

    cells = [cell(d.code, d.name, values.get(d.code)) for d in all_districts()]
    total_cell = cell("", str(_("All")), total)
    return DistrictTable(title, unit, cells, total_cell, threshold, note)


def _range(start: datetime | None, end: datetime | None, column: Any) -> list[Any]:
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column < end)
    return conditions


def feedback_counts(start: datetime | None = None, end: datetime | None = None) -> dict:
    """Feedback per district code (one query)."""
    from ..feedback.models import Feedback, FeedbackChoice

    rows = db.session.execute(
        select(FeedbackChoice.code, func.count(Feedback.id))
        .select_from(Feedback)
        .outerjoin(FeedbackChoice, Feedback.district_id == FeedbackChoice.id)
        .where(*_range(start, end, Feedback.created_at))
        .group_by(FeedbackChoice.code)
    ).all()
    return {code: int(n) for code, n in rows}


def counselling_counts(start: datetime | None = None, end: datetime | None = None) -> dict:
    """Counselling cases per district (of their contacts in the period; one query)."""
    from ..counselling.models import CounsellingContact

    conditions = []
    if start is not None:
        conditions.append(CounsellingContact.contact_date >= start.date())
    if end is not None:
        conditions.append(CounsellingContact.contact_date < end.date())
    rows = db.session.execute(
        select(
            CounsellingContact.district,
            func.count(func.distinct(CounsellingContact.case_id)),
        )
        .where(*conditions)
        .group_by(CounsellingContact.district)
    ).all()
    return {code: int(n) for code, n in rows}


def reach_sums(end: datetime | None = None) -> dict:
    """Participants reached up to ``end`` (all so far when None) per venue
    district of the project: cumulative, each project's latest status report
    before then (report values are totals up to their date; see
    projects.portfolio)."""
    from ..projects.models import Project
    from ..projects.portfolio import latest_values
    from ..projects.vocab import REACH_CODE

    at_end = latest_values(before=end.date() if end else None)
    if not at_end:
        return {}
    where = dict(
        db.session.execute(select(Project.id, Project.district).where(Project.id.in_(list(at_end))))
        .tuples()
        .all()
    )
    result: dict[str | None, int] = {}
    for project_id, values in at_end.items():
        if REACH_CODE not in values or project_id not in where:
            continue
        key = where[project_id] or None
        result[key] = result.get(key, 0) + max(values[REACH_CODE], 0)
    return result


MEASURES: dict[str, Any] = {
    "feedback": _l("Feedback"),
    "counselling": _l("Counselling cases"),
    "reach": _l("Project reach (participants reached so far)"),
}


def measure_table(
    measure: str, start: datetime | None = None, end: datetime | None = None
) -> DistrictTable:
    if measure == "counselling":
        return counts_table(str(MEASURES[measure]), counselling_counts(start, end))
    if measure == "reach":
        # Sums of participants of projects, not counts of individual people;
        # cumulative up to the end of the year asked for.
        return counts_table(
            str(MEASURES[measure]),
            reach_sums(end),
            suppress_small=False,
            unit=str(_("Participants")),
        )
    return counts_table(str(MEASURES["feedback"]), feedback_counts(start, end))


# --- the map -----------------------------------------------------------------------------


def _classes(values: list[float]) -> list[float]:
    """Upper bounds of five classes (equal intervals between min and max)."""
    if not values:
        return []
    low, high = min(values), max(values)
    if high == low:
        return [high] * 5
    step = (high - low) / 5
    return [low + step * (i + 1) for i in range(5)]


def _class_of(value: float, bounds: list[float]) -> int:
    for index, bound in enumerate(bounds):
        if value <= bound + 1e-9:
            return index
    return len(bounds) - 1


_map_ids = iter(range(1, 10**9))


def choropleth(table: DistrictTable, *, width: int = 480) -> Markup:
    """The districts coloured by their value; hidden ones hatched and labelled
    "< N"; every shape has a title with name and figure (the table beside it
    lists the same)."""
    districts, box = _load()
    map_id = f"map{next(_map_ids)}"
    cells = table.by_code()
    shown = [c.value for c in table.cells if c.value is not None and c.code]
    bounds = _classes(shown)
    x0, y0, w, h = box
    legend_h = 56
    desc = "; ".join(f"{c.name}: {c.text}" for c in table.cells if c.code)
    parts = [
        f'<svg class="district-map" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="{x0} {y0} {w} {h + legend_h}" width="{width}" role="img" '
        f'aria-labelledby="{map_id}-t {map_id}-d" font-family="sans-serif" font-size="10">',
        f'<title id="{map_id}-t">{escape(table.title)}</title>',
        f'<desc id="{map_id}-d">{escape(desc)}</desc>',
        f'<defs><pattern id="{map_id}-hatch" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#eee"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#888" stroke-width="2"/></pattern></defs>',
    ]
    for d in districts:
        cell = cells.get(d.code)
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in d.ring)
        text_colour = "#111"
        if cell is None or cell.value is None:
            fill = f"url(#{map_id}-hatch)" if cell is not None and cell.hidden else "#fff"
        else:
            index = _class_of(cell.value, bounds)
            fill = CLASS_COLOURS[index]
            text_colour = TEXT_ON[index]
        figure = cell.text if cell is not None else "–"
        parts.append(
            f"<g><title>{escape(d.name)}: {escape(figure)}</title>"
            f'<polygon points="{points}" fill="{fill}" stroke="#333" stroke-width="1"/>'
            f'<text x="{d.label_at[0]:.1f}" y="{d.label_at[1] + 3:.1f}" text-anchor="middle" '
            f'fill="{text_colour}" font-weight="bold">{escape(figure)}</text></g>'
        )
    # Legend: five classes and the hidden pattern.
    ly = h + 10
    for index, bound in enumerate(bounds):
        lower = min(shown) if index == 0 else bounds[index - 1]
        lx = x0 + 6 + index * 78
        parts.append(
            f'<rect x="{lx}" y="{ly}" width="14" height="14" fill="{CLASS_COLOURS[index]}" '
            'stroke="#333"/>'
            f'<text x="{lx + 18}" y="{ly + 11}" fill="#111">'
            f"{escape(_fmt(round(lower, 1)))}–{escape(_fmt(round(bound, 1)))}</text>"
        )
    hidden_legend = _(
        "not shown (fewer than %(n)s people, or would reveal them)", n=table.threshold
    )
    parts.append(
        f'<rect x="{x0 + 6}" y="{ly + 22}" width="14" height="14" fill="url(#{map_id}-hatch)" '
        'stroke="#333"/>'
        f'<text x="{x0 + 24}" y="{ly + 33}" fill="#111">{escape(hidden_legend)}</text>'
    )
    parts.append("</svg>")
    # Every interpolated text went through escape(); numbers are formatted by us.
    return Markup("".join(parts))  # noqa: S704


def indicator_table(code: str, year: str | None = None) -> DistrictTable | None:
    """An indicator's values by district for one year (the latest with values
    when none is given); hidden values stay hidden."""
    from .indicators import Period, any_series

    periods = [Period(year)] if year else None
    series = any_series(code, periods)
    if series is None:
        return None
    if not series.periods:
        return values_table(series.name, series.unit, {})
    period = year if year in series.periods else series.periods[-1]
    values = {g: series.values.get((period, g)) for g in series.groups if g}
    hidden = {g for (p, g) in series.suppressed if p == period}
    total = series.values.get((period, ""))
    notes = sorted({n for (p, _g), n in series.footnotes.items() if p == period and n})
    table = values_table(
        f"{series.name} ({period})",
        series.unit,
        values,
        hidden,
        total,
        note=", ".join(notes),
        marks={g: series.mark(period, g) for g in hidden},
    )
    for cell in table.cells:
        note = series.footnotes.get((period, cell.code))
        if note and not cell.hidden:
            cell.text = series.text(period, cell.code)
    return table


def table_for(measure: str, year: str | None = None) -> DistrictTable | None:
    """The table of the district page: a count (feedback, counselling, reach)
    or an indicator by its code."""
    if measure in MEASURES:
        start = end = None
        if year:
            from .indicators import Period

            period = Period(year)
            start, end = period.start, period.end
        return measure_table(measure, start, end)
    return indicator_table(measure, year)
