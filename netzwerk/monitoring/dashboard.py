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
from sqlalchemy import ColumnElement, func, select

from ..csvutil import write_csv
from ..database import local_month
from ..extensions import db
from ..feedback.languages import LANGUAGES
from ..feedback.models import Feedback, FeedbackChoice
from ..feedback.vocab import CHANNEL_LABELS, MIGRATION
from ..timeutil import LOCAL_TZ
from .suppression import (
    extend_protection,
    min_group_size,
    protect,
    protect_grid,
    suppressed_label,
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
    """One group's figures; ``count`` and ``mean`` are None when suppressed."""

    key: str
    label: str
    count: int | None
    mean: float | None
    threshold: int

    @property
    def suppressed(self) -> bool:
        return self.count is None

    @property
    def count_text(self) -> str:
        return suppressed_label(self.threshold) if self.count is None else str(self.count)

    @property
    def mean_text(self) -> str:
        if self.count is None:
            return suppressed_label(self.threshold)
        return "–" if self.mean is None else f"{self.mean:.1f}".replace(".", ",")


@dataclass
class Breakdown:
    dimension: str
    title: str
    rows: list[Figure]
    total: Figure


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


@dataclass
class DashboardFilter:
    start: date | None = None  # first day of the first month
    end: date | None = None  # first day of the last month


def month_expression() -> ColumnElement[str]:
    """The month of created_at as 'YYYY-MM' in Europe/Berlin (as the period
    filter counts months): feedback from the first hour of January belongs
    to January, although it is still December in UTC."""
    return local_month(Feedback.created_at)  # type: ignore[no-any-return]


def _per_month(f: DashboardFilter, column: Any = None) -> list[tuple[str, Any, int, Any]]:
    """(month, group, count, mean rating) in one GROUP BY query.

    PostgreSQL converts to Berlin time itself.  On SQLite the conversion is a
    Python function; called once per row it took seconds at 100,000 entries.
    So SQLite groups by the UTC hour (Berlin's offset is whole hours) and the
    few hundred buckets are turned into Berlin months here: as exact, with
    the number of statements the same whatever the amount of feedback.
    """
    keys = [] if column is None else [column]
    if db.session.get_bind().dialect.name == "postgresql":
        month = month_expression().label("month")
        stmt = (
            select(month, *keys, func.count(Feedback.id), func.avg(Feedback.rating))
            .where(*_where(f))
            .group_by(month, *keys)
        )
        rows = db.session.execute(stmt).all()
        if column is None:
            return [(str(m), None, int(n), mean) for m, n, mean in rows]
        return [(str(m), key, int(n), mean) for m, key, n, mean in rows]
    hour = func.strftime("%Y-%m-%d %H", Feedback.created_at).label("hour")
    stmt = (
        select(hour, *keys, func.count(Feedback.id), func.sum(Feedback.rating))
        .where(*_where(f))
        .group_by(hour, *keys)
    )
    months: dict[str, str] = {}
    totals: dict[tuple[str, Any], list[float]] = {}
    for row in db.session.execute(stmt):
        h, key, n, rating_sum = (row[0], None, row[1], row[2]) if column is None else row
        if h not in months:
            utc = datetime.strptime(h, "%Y-%m-%d %H").replace(tzinfo=UTC)
            months[h] = utc.astimezone(LOCAL_TZ).strftime("%Y-%m")
        acc = totals.setdefault((months[h], key), [0, 0.0])
        acc[0] += int(n)
        acc[1] += float(rating_sum or 0)
    return [(m, key, int(n), (total / n) if n else None) for (m, key), (n, total) in totals.items()]


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
    hidden = protection.hidden
    figures = []
    for key, n, mean in sorted(rows, key=lambda r: labeller.order(dimension, r[0])):
        shown = not hidden[key]
        figures.append(
            Figure(
                key="" if key is None else str(key),
                label=labeller(dimension, key),
                count=int(n) if shown else None,
                mean=float(mean) if shown and mean is not None else None,
                threshold=threshold,
            )
        )
    total_n = sum(counts.values())
    weighted = sum(float(m or 0) * int(n) for _k, n, m in rows)
    total_shown = not protection.total_hidden
    total = Figure(
        key="",
        label=str(_("All")),
        count=total_n if total_shown else None,
        mean=(weighted / total_n) if total_shown and total_n else None,
        threshold=threshold,
    )
    return Breakdown(dimension, str(DIMENSIONS[dimension]), figures, total)


def breakdowns(f: DashboardFilter) -> list[Breakdown]:
    """Count and mean rating by each dimension: one GROUP BY per dimension."""
    threshold = min_group_size()
    labeller = Labeller()
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


def monthly(f: DashboardFilter, hidden_months: set[str] | None = None) -> Breakdown:
    """Count and mean rating per month (one query); ``hidden_months`` are
    hidden too (a time series needs it), and then whatever else it takes."""
    threshold = min_group_size()
    rows = sorted((m, n, mean) for m, _key, n, mean in _per_month(f))
    counts = {m: int(n) for m, n, _mean in rows}
    protection = protect(counts, threshold)
    if hidden_months and not protection.total_hidden:
        protection.hidden.update({m: True for m in counts if m in hidden_months})
        protection = extend_protection(counts, protection, threshold)
    hidden = protection.hidden
    figures = [
        Figure(
            key=str(m),
            label=str(m),
            count=int(n) if not hidden[m] else None,
            mean=float(mean) if not hidden[m] and mean is not None else None,
            threshold=threshold,
        )
        for m, n, mean in rows
    ]
    total_n = sum(counts.values())
    total = Figure("", str(_("All")), None if protection.total_hidden else total_n, None, threshold)
    return Breakdown("month", str(_("Month")), figures, total)


def time_series(f: DashboardFilter, dimension: str) -> TimeSeries:
    """Counts per month and group of one dimension (one query)."""
    if dimension not in _COLUMNS:
        dimension = "category"
    threshold = min_group_size()
    labeller = Labeller()
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
                mean=float(mean) if show and mean is not None else None,
                threshold=threshold,
            )
        month_total = sum(v[0] for v in cells.values())
        shown = month_total >= threshold and m not in grid.row_total_hidden
        series.totals.append(Figure(m, m, month_total if shown else None, None, threshold))
    series.hidden_months = set(grid.row_total_hidden)
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
