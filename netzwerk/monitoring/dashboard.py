"""The feedback figures of the monitoring dashboard.

Every figure comes from a GROUP BY query: the number of queries depends on
the number of breakdowns, never on the amount of feedback.  Small groups
are suppressed (see suppression.py) before anything leaves this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, select

from ..csvutil import write_csv
from ..database import local_month
from ..extensions import db
from ..feedback.languages import LANGUAGES
from ..feedback.models import Feedback, FeedbackChoice
from ..feedback.vocab import CHANNEL_LABELS
from ..timeutil import LOCAL_TZ
from .suppression import min_group_size, suppress, suppressed_label

DIMENSIONS: dict[str, Any] = {
    "category": _l("Need category"),
    "target_group": _l("Target group"),
    "district": _l("District"),
    "language": _l("Language"),
    "channel": _l("Channel"),
}

_COLUMNS = {
    "category": Feedback.category_id,
    "target_group": Feedback.target_group_id,
    "district": Feedback.district_id,
    "language": Feedback.language,
    "channel": Feedback.channel,
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


@dataclass
class DashboardFilter:
    start: date | None = None  # first day of the first month
    end: date | None = None  # first day of the last month


def month_expression() -> ColumnElement[str]:
    """The month of created_at as 'YYYY-MM' in Europe/Berlin (as the period
    filter counts months): feedback from the first hour of January belongs
    to January, although it is still December in UTC."""
    return local_month(Feedback.created_at)  # type: ignore[no-any-return]


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
        return (0, str(key))


def _figures(
    dimension: str,
    rows: Sequence[tuple[Any, int, float | None]],
    labeller: Labeller,
    threshold: int,
) -> Breakdown:
    counts = {key: int(n) for key, n, _mean in rows}
    hidden = suppress(counts, threshold)
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
    total_shown = total_n >= threshold
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


def monthly(f: DashboardFilter) -> Breakdown:
    """Count and mean rating per month (one query)."""
    threshold = min_group_size()
    month = month_expression().label("month")
    stmt = (
        select(month, func.count(Feedback.id), func.avg(Feedback.rating))
        .where(*_where(f))
        .group_by(month)
        .order_by(month)
    )
    rows = [(m, n, mean) for m, n, mean in db.session.execute(stmt)]
    counts = {m: int(n) for m, n, _mean in rows}
    hidden = suppress(counts, threshold)
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
    total = Figure("", str(_("All")), total_n if total_n >= threshold else None, None, threshold)
    return Breakdown("month", str(_("Month")), figures, total)


def time_series(f: DashboardFilter, dimension: str) -> TimeSeries:
    """Counts per month and group of one dimension (one query)."""
    if dimension not in _COLUMNS:
        dimension = "category"
    threshold = min_group_size()
    labeller = Labeller()
    column = _COLUMNS[dimension]
    month = month_expression().label("month")
    stmt = (
        select(month, column, func.count(Feedback.id), func.avg(Feedback.rating))
        .where(*_where(f))
        .group_by(month, column)
        .order_by(month)
    )
    raw = [(m, key, int(n), mean) for m, key, n, mean in db.session.execute(stmt)]
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
    for m in months:
        cells = by_month.get(m, {})
        hidden = suppress({k: v[0] for k, v in cells.items()}, threshold)
        for key in group_keys:
            n, mean = cells.get(key, (0, None))
            show = not hidden.get(key, False)
            series.cells[(m, "" if key is None else str(key))] = Figure(
                key="" if key is None else str(key),
                label=labeller(dimension, key),
                count=n if show else None,
                mean=float(mean) if show and mean is not None else None,
                threshold=threshold,
            )
        month_total = sum(v[0] for v in cells.values())
        series.totals.append(
            Figure(m, m, month_total if month_total >= threshold else None, None, threshold)
        )
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
