"""The feedback figures of the monitoring dashboard.

Every figure comes from a GROUP BY query: the number of queries depends on
the number of breakdowns, never on the amount of feedback.  Small groups
are suppressed (see suppression.py) before anything leaves this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, String, and_, func, select, values
from sqlalchemy import column as sa_column

from ..csvutil import write_csv
from ..database import UTCDateTime
from ..extensions import db
from ..feedback.languages import LANGUAGES
from ..feedback.models import Feedback, FeedbackChoice
from ..feedback.vocab import CHANNEL_LABELS, MIGRATION
from ..timeutil import LOCAL_TZ
from .suppression import (
    ROUNDED,
    SMALL,
    WITHHELD,
    count_mark,
    extend_protection,
    format_mean,
    hidden_text,
    mark_notes,
    mark_title,
    means_reveal,
    min_group_size,
    protect,
    protect_grid,
    shown_mean,
)

DIMENSIONS: dict[str, Any] = {
    "category": _l("Need category"),
    "target_group": _l("Target group"),
    "district": _l("District"),
    "language": _l("Language"),
    "channel": _l("Channel"),
    # Voluntary, self-declared: only ever shown as protected counts.
    "migration": _l("Migration background"),
}

# Voluntary, self-declared data: a hidden group's mean is withheld, not rounded.
SENSITIVE_DIMENSIONS = {"migration"}

_COLUMNS = {
    "category": Feedback.category_id,
    "target_group": Feedback.target_group_id,
    "district": Feedback.district_id,
    "language": Feedback.language,
    "channel": Feedback.channel,
    "migration": Feedback.migration,
}


@dataclass
class Figure:
    """One group's figures.  ``count`` is None when hidden (``count_mark``
    says why); ``mean`` is the mean as shown: one decimal, or a whole number
    when the count is hidden (``mean_mark`` ROUNDED), None when there is no
    answer or it is withheld (``mean_mark`` WITHHELD).  See suppression.py."""

    key: str
    label: str
    count: int | None
    mean: float | None
    threshold: int
    count_mark: str = ""
    mean_mark: str = ""

    @property
    def suppressed(self) -> bool:
        return self.count is None

    @property
    def count_text(self) -> str:
        if self.count is None:
            return hidden_text(self.count_mark or SMALL, self.threshold)
        return str(self.count)

    @property
    def mean_text(self) -> str:
        if self.mean is None or self.mean_mark == WITHHELD:
            return "–"
        return format_mean(self.mean, self.mean_mark == ROUNDED)

    @property
    def count_title(self) -> str:
        return mark_title(self.count_mark, self.threshold) if self.count is None else ""

    @property
    def mean_title(self) -> str:
        return mark_title(self.mean_mark, self.threshold) if self.mean_mark else ""

    @property
    def marks(self) -> set[str]:
        return {m for m in (self.count_mark if self.count is None else "", self.mean_mark) if m}


def _protected_figures(
    rows: Sequence[tuple[Any, str, int, float | None]],
    hidden: dict[Any, bool],
    total_hidden: bool,
    threshold: int,
    *,
    withhold_hidden_means: bool = False,
) -> tuple[list[Figure], Figure]:
    """Figures of one table: (key, label, count, mean) per group, the groups'
    hidden flags and whether the total is hidden (suppression.protect).
    ``withhold_hidden_means``: no mean of a hidden group at all (the
    voluntary migration background: a mean of one person's answers must
    not be tied to it)."""
    counts = {key: int(n) for key, _label, n, _mean in rows}
    sums = {key: round(float(mean or 0) * int(n)) for key, _label, n, mean in rows}
    withhold = withhold_hidden_means or means_reveal(counts, sums, hidden, total_hidden, threshold)
    figures = []
    for key, label, n, mean in rows:
        shown = not hidden.get(key, False)
        mean_mark = "" if shown or mean is None else (WITHHELD if withhold else ROUNDED)
        figures.append(
            Figure(
                key="" if key is None else str(key),
                label=label,
                count=int(n) if shown else None,
                mean=None
                if mean is None or mean_mark == WITHHELD
                else shown_mean(float(mean), not shown),
                threshold=threshold,
                count_mark=count_mark(int(n), not shown, threshold),
                mean_mark=mean_mark,
            )
        )
    total_n = sum(counts.values())
    total_mean = sum(sums.values()) / total_n if total_n else None
    total = Figure(
        key="",
        label=str(_("All")),
        count=None if total_hidden else total_n,
        mean=None if total_mean is None else shown_mean(total_mean, total_hidden),
        threshold=threshold,
        count_mark=count_mark(total_n, total_hidden, threshold),
        mean_mark=ROUNDED if total_hidden and total_mean is not None else "",
    )
    return figures, total


@dataclass
class Breakdown:
    dimension: str
    title: str
    rows: list[Figure]
    total: Figure

    @property
    def notes(self) -> list[tuple[str, str]]:
        """Why figures of this table are hidden or rounded (for the note beside it)."""
        marks: set[str] = set().union(*(f.marks for f in [*self.rows, self.total]))
        return mark_notes(marks, self.total.threshold)


@dataclass
class TimeSeries:
    """Counts per month and group (for the line chart and its table)."""

    dimension: str
    title: str
    months: list[str]
    groups: list[tuple[str, str]]  # key, label
    cells: dict[tuple[str, str], Figure] = field(default_factory=dict)
    totals: list[Figure] = field(default_factory=list)
    # Months whose total must stay hidden everywhere (else their hidden
    # groups could be computed): monthly() hides them too.
    hidden_months: set[str] = field(default_factory=set)
    # (month, count, mean rating) over all groups: what monthly() needs.
    per_month: list[tuple[str, int, float | None]] = field(default_factory=list)
    threshold: int = 5

    @property
    def notes(self) -> list[tuple[str, str]]:
        marks: set[str] = set().union(*(f.marks for f in [*self.cells.values(), *self.totals]))
        return mark_notes(marks, self.threshold)


@dataclass
class DashboardFilter:
    start: date | None = None  # first day of the first month
    end: date | None = None  # first day of the last month


def _month_ranges(f: DashboardFilter) -> list[tuple[str, datetime, datetime]]:
    """('YYYY-MM', first instant, first instant of the next month) in UTC for
    every Berlin month from the first to the last feedback in the filter."""
    # Two scalar subqueries: each is one step along the index on created_at
    # (min and max in one SELECT would scan it).
    first, last = db.session.execute(
        select(
            select(func.min(Feedback.created_at)).where(*_where(f)).scalar_subquery(),
            select(func.max(Feedback.created_at)).where(*_where(f)).scalar_subquery(),
        )
    ).one()
    if first is None or last is None:
        return []
    first, last = _aware(first).astimezone(LOCAL_TZ), _aware(last).astimezone(LOCAL_TZ)
    year, month = first.year, first.month
    ranges = []
    while (year, month) <= (last.year, last.month):
        nxt = (year + 1, 1) if month == 12 else (year, month + 1)
        ranges.append(
            (
                f"{year:04d}-{month:02d}",
                datetime(year, month, 1, tzinfo=LOCAL_TZ).astimezone(UTC),
                datetime(nxt[0], nxt[1], 1, tzinfo=LOCAL_TZ).astimezone(UTC),
            )
        )
        year, month = nxt
    return ranges


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _per_month(f: DashboardFilter, column: Any = None) -> list[tuple[str, Any, int, Any]]:
    """(month, group, count, mean rating) in one GROUP BY query (and one for
    the first and last day).

    The months are Berlin months (feedback from the first hour of January
    belongs to January, although it is still December in UTC).  They are
    not computed per row (a time zone conversion per row cost ~100 ms at
    100,000 entries, and on SQLite a Python call per row): the query joins
    the feedback to a small VALUES list of month boundaries, computed here,
    so each month is a range scan of the index on created_at.  The same SQL
    on SQLite and PostgreSQL, the number of statements the same whatever
    the amount of feedback.
    """
    ranges = _month_ranges(f)
    if not ranges:
        return []
    months = (
        values(
            sa_column("month", String(7)),
            sa_column("start", UTCDateTime()),
            sa_column("stop", UTCDateTime()),
            name="months",
        )
        .data(ranges)
        .cte("months")
    )
    keys = [] if column is None else [column]
    stmt = (
        select(months.c.month, *keys, func.count(Feedback.id), func.avg(Feedback.rating))
        .select_from(months)
        .join(
            Feedback,
            and_(Feedback.created_at >= months.c.start, Feedback.created_at < months.c.stop),
        )
        .where(*_where(f))
        .group_by(months.c.month, *keys)
    )
    rows = db.session.execute(stmt).all()
    if column is None:
        return [(str(m), None, int(n), mean) for m, n, mean in rows]
    return [(str(m), key, int(n), mean) for m, key, n, mean in rows]


def _where(f: DashboardFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.start:
        start = datetime(f.start.year, f.start.month, 1, tzinfo=LOCAL_TZ)
        conditions.append(Feedback.created_at >= start)
    if f.end:
        year, month = (f.end.year + 1, 1) if f.end.month == 12 else (f.end.year, f.end.month + 1)
        conditions.append(Feedback.created_at < datetime(year, month, 1, tzinfo=LOCAL_TZ))
    return conditions


class Labeller:
    """Turns group keys into labels; loads the configurable lists once."""

    def __init__(self) -> None:
        self.choices = {c.id: c for c in db.session.scalars(select(FeedbackChoice))}

    def __call__(self, dimension: str, key: Any) -> str:
        if key is None or key == "":
            return str(_("no answer"))
        if dimension in ("category", "target_group", "district"):
            choice = self.choices.get(int(key))
            return choice.label("de") if choice else str(key)
        if dimension == "language":
            lang = LANGUAGES.get(str(key))
            return lang.own_name if lang else str(key)
        if dimension == "channel":
            return str(CHANNEL_LABELS.get(str(key), key))
        if dimension == "migration":
            return str(MIGRATION.get(str(key), key))
        return str(key)

    def order(self, dimension: str, key: Any) -> tuple[int, str]:
        if key is None or key == "":
            return (10**6, "")
        if dimension in ("category", "target_group", "district"):
            choice = self.choices.get(int(key))
            return (choice.position if choice else 10**5, str(key))
        if dimension == "language":
            keys = list(LANGUAGES)
            return (keys.index(key) if key in keys else 10**5, str(key))
        if dimension == "channel":
            keys = list(CHANNEL_LABELS)
            return (keys.index(key) if key in keys else 10**5, str(key))
        if dimension == "migration":
            keys = list(MIGRATION)
            return (keys.index(key) if key in keys else 10**5, str(key))
        return (0, str(key))


def _figures(
    dimension: str,
    rows: Sequence[tuple[Any, int, float | None]],
    labeller: Labeller,
    threshold: int,
) -> Breakdown:
    counts = {key: int(n) for key, n, _mean in rows}
    protection = protect(counts, threshold)
    ordered = sorted(rows, key=lambda r: labeller.order(dimension, r[0]))
    figures, total = _protected_figures(
        [(key, labeller(dimension, key), n, mean) for key, n, mean in ordered],
        protection.hidden,
        protection.total_hidden,
        threshold,
        withhold_hidden_means=dimension in SENSITIVE_DIMENSIONS,
    )
    return Breakdown(dimension, str(DIMENSIONS[dimension]), figures, total)


def breakdowns(f: DashboardFilter, labeller: Labeller | None = None) -> list[Breakdown]:
    """Count and mean rating by each dimension: one GROUP BY per dimension."""
    threshold = min_group_size()
    labeller = labeller or Labeller()
    result = []
    for dimension, column in _COLUMNS.items():
        stmt = (
            select(column, func.count(Feedback.id), func.avg(Feedback.rating))
            .where(*_where(f))
            .group_by(column)
        )
        rows = [(key, n, mean) for key, n, mean in db.session.execute(stmt)]
        result.append(_figures(dimension, rows, labeller, threshold))
    return result


def monthly(
    f: DashboardFilter,
    hidden_months: set[str] | None = None,
    series: TimeSeries | None = None,
) -> Breakdown:
    """Count and mean rating per month (one query, none when the time series
    of the same filter is given: its groups add up to the months);
    ``hidden_months`` are hidden too (a time series needs it), and then
    whatever else it takes."""
    threshold = min_group_size()
    if series is not None:
        rows = list(series.per_month)
    else:
        rows = sorted((m, n, mean) for m, _key, n, mean in _per_month(f))
    counts = {m: int(n) for m, n, _mean in rows}
    protection = protect(counts, threshold)
    if hidden_months and not protection.total_hidden:
        protection.hidden.update({m: True for m in counts if m in hidden_months})
        protection = extend_protection(counts, protection, threshold)
    figures, total = _protected_figures(
        [(m, str(m), n, mean) for m, n, mean in rows],
        protection.hidden,
        protection.total_hidden,
        threshold,
    )
    return Breakdown("month", str(_("Month")), figures, total)


def time_series(f: DashboardFilter, dimension: str, labeller: Labeller | None = None) -> TimeSeries:
    """Counts per month and group of one dimension (one query)."""
    if dimension not in _COLUMNS:
        dimension = "category"
    threshold = min_group_size()
    labeller = labeller or Labeller()
    column = _COLUMNS[dimension]
    raw = sorted(_per_month(f, column), key=lambda r: r[0])
    months = sorted({str(m) for m, *_rest in raw})
    group_keys = sorted(
        {key for _m, key, *_rest in raw}, key=lambda k: labeller.order(dimension, k)
    )
    series = TimeSeries(
        dimension,
        str(DIMENSIONS[dimension]),
        months,
        [("" if k is None else str(k), labeller(dimension, k)) for k in group_keys],
        threshold=threshold,
    )
    by_month: dict[str, dict[Any, tuple[int, Any]]] = {}
    for m, key, n, mean in raw:
        by_month.setdefault(str(m), {})[key] = (n, mean)
    # Month totals are shown here, group totals over the period in the
    # breakdowns: both directions are protected.
    grid = protect_grid(
        {(str(m), key): n for m, key, n, _mean in raw},
        threshold,
    )
    for m in months:
        cells = by_month.get(m, {})
        for key in group_keys:
            n, mean = cells.get(key, (0, None))
            show = (m, key) not in grid.hidden
            series.cells[(m, "" if key is None else str(key))] = Figure(
                key="" if key is None else str(key),
                label=labeller(dimension, key),
                count=n if show else None,
                mean=None,  # the series shows counts only
                threshold=threshold,
                count_mark=count_mark(n, not show, threshold),
            )
        month_total = sum(v[0] for v in cells.values())
        shown = month_total >= threshold and m not in grid.row_total_hidden
        series.totals.append(
            Figure(
                m,
                m,
                month_total if shown else None,
                None,
                threshold,
                count_mark=count_mark(month_total, not shown, threshold),
            )
        )
    series.hidden_months = set(grid.row_total_hidden)
    for m in months:
        cells = by_month.get(m, {})
        n_month = sum(n for n, _mean in cells.values())
        rated = sum(float(mean) * n for n, mean in cells.values() if mean is not None)
        series.per_month.append((m, n_month, rated / n_month if n_month else None))
    return series


def csv_export(f: DashboardFilter) -> str:
    """Every breakdown as CSV; suppressed groups appear as "< N", never as a number."""
    return write_csv(
        ["dimension", "group", "count", "mean_rating"],
        (
            [breakdown.dimension, fig.label, fig.count_text, fig.mean_text]
            for breakdown in [*breakdowns(f), monthly(f)]
            for fig in [*breakdown.rows, breakdown.total]
        ),
    )
