"""Counselling figures for the monitoring, with small groups suppressed.

Every count below the minimum group size (config NETZWERK_MIN_GROUP_SIZE,
never below 5) is shown as "< N".  When a breakdown would hide exactly one
cell, the next smallest cell is hidden too, so that the hidden one cannot be
computed back from the total.  Shares and times are shown only when the
groups they are computed from are large enough.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..csvutil import write_rows
from ..extensions import db
from .models import CounsellingCase, CounsellingContact, Referral
from .vocab import Arrival, Labelled, Language, Situation

MIN_GROUP_FLOOR = 5


def min_group_size() -> int:
    value = current_app.config.get("NETZWERK_MIN_GROUP_SIZE") or os.environ.get(
        "NETZWERK_MIN_GROUP_SIZE"
    )
    try:
        size = int(value) if value is not None else MIN_GROUP_FLOOR
    except (TypeError, ValueError):
        size = MIN_GROUP_FLOOR
    return max(size, MIN_GROUP_FLOOR)


@dataclass
class Cell:
    """One figure: ``value`` is None when suppressed."""

    value: int | float | None
    threshold: int

    @property
    def suppressed(self) -> bool:
        return self.value is None

    def __str__(self) -> str:
        if self.value is None:
            return f"< {self.threshold}"
        if isinstance(self.value, float):
            return f"{self.value:.1f}".replace(".", ",")
        return str(self.value)


@dataclass
class Row:
    code: str
    label: str
    cell: Cell


@dataclass
class Breakdown:
    rows: list[Row]
    total: Cell


def suppress_counts(counts: dict[str, int], threshold: int) -> dict[str, int | None]:
    """Hide counts below the threshold, plus as many more as it takes that no
    hidden one can be computed from the total (monitoring.suppression)."""
    from ..monitoring.suppression import protect

    hidden = protect(counts, threshold).hidden
    # Counselling shows an empty group as "< N" too (as it always did).
    return {key: (None if hidden[key] or n == 0 else n) for key, n in counts.items()}


def _total_cell(counts: dict[str, int], threshold: int) -> Cell:
    from ..monitoring.suppression import protect

    total = sum(counts.values())
    return Cell(None if protect(counts, threshold).total_hidden else total, threshold)


def _breakdown(counts: dict[str, int], vocab: type[Labelled], threshold: int) -> Breakdown:
    full = {member.value: counts.get(member.value, 0) for member in vocab}
    shown = suppress_counts(full, threshold)
    total = sum(full.values())
    return Breakdown(
        rows=[Row(code, vocab.label_of(code), Cell(shown[code], threshold)) for code in full],
        total=_total_cell(full, threshold) if total >= threshold else Cell(None, threshold),
    )


def _migration_breakdown(counts: dict[str | None, int], threshold: int) -> Breakdown:
    """Contacts by the voluntary migration background: an aggregate only."""
    from .vocab import MIGRATION

    full = {code: counts.get(code, 0) for code in MIGRATION}
    full["none"] = counts.get(None, 0)
    shown = suppress_counts(full, threshold)
    labels = {**{k: str(v) for k, v in MIGRATION.items()}, "none": _("No answer")}
    return Breakdown(
        rows=[Row(code, labels[code], Cell(shown[code], threshold)) for code in full],
        total=_total_cell(full, threshold),
    )


def _count(value: int, threshold: int) -> Cell:
    return Cell(value if value >= threshold else None, threshold)


@dataclass
class Figures:
    threshold: int
    start: date | None
    end: date | None
    contacts_by_situation: Breakdown
    contacts_by_language: Breakdown
    contacts_by_migration: Breakdown
    referrals_by_arrival: Breakdown
    referrals_total: Cell
    followed_up: Cell
    arrived_share: Cell  # percent of followed-up referrals that arrived
    days_median: Cell
    days_mean: Cell
    open_referrals: Cell
    waiting_loops: Cell
    notes: list[str] = field(default_factory=list)


def _in_range(column, start: date | None, end: date | None):  # type: ignore[no-untyped-def]
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column <= end)
    return conditions


def compute_figures(start: date | None = None, end: date | None = None) -> Figures:
    threshold = min_group_size()
    contact_range = _in_range(CounsellingContact.contact_date, start, end)
    by_situation: dict[str, int] = dict(
        db.session.execute(  # type: ignore[arg-type]
            select(CounsellingContact.situation, func.count())
            .where(*contact_range)
            .group_by(CounsellingContact.situation)
        ).all()
    )
    by_language: dict[str, int] = dict(
        db.session.execute(  # type: ignore[arg-type]
            select(CounsellingContact.language, func.count())
            .where(*contact_range)
            .group_by(CounsellingContact.language)
        ).all()
    )
    by_migration: dict[str | None, int] = dict(
        db.session.execute(  # type: ignore[arg-type]
            select(CounsellingContact.migration, func.count())
            .where(*contact_range)
            .group_by(CounsellingContact.migration)
        ).all()
    )
    referral_range = _in_range(Referral.referred_on, start, end)
    by_arrival_raw = db.session.execute(
        select(Referral.arrival, func.count()).where(*referral_range).group_by(Referral.arrival)
    ).all()
    by_arrival = {(key or "none"): n for key, n in by_arrival_raw}
    total = sum(by_arrival.values())
    followed_up = total - by_arrival.get("none", 0)
    arrived = by_arrival.get(Arrival.ARRIVED.value, 0)
    open_n = by_arrival.get("none", 0) + by_arrival.get(Arrival.WAITING.value, 0)

    # A share would reveal both of its parts: each must be 0 or large enough.
    share: float | None = None
    others = followed_up - arrived
    if followed_up >= threshold and all(n == 0 or n >= threshold for n in (arrived, others)):
        share = round(100.0 * arrived / followed_up, 1)

    durations = [
        (arrived_on - referred_on).days
        for referred_on, arrived_on in db.session.execute(
            select(Referral.referred_on, Referral.arrived_on).where(
                Referral.arrival == Arrival.ARRIVED.value,
                Referral.arrived_on.is_not(None),
                *referral_range,
            )
        ).all()
    ]
    median = float(statistics.median(durations)) if len(durations) >= threshold else None
    mean = round(statistics.fmean(durations), 1) if len(durations) >= threshold else None

    loops = db.session.scalar(
        select(func.count())
        .select_from(CounsellingCase)
        .where(
            CounsellingCase.waiting_loop_at.is_not(None),
            *(
                [CounsellingCase.id.in_(select(CounsellingContact.case_id).where(*contact_range))]
                if contact_range
                else []
            ),
        )
    )
    return Figures(
        threshold=threshold,
        start=start,
        end=end,
        contacts_by_situation=_breakdown(by_situation, Situation, threshold),
        contacts_by_language=_breakdown(by_language, Language, threshold),
        contacts_by_migration=_migration_breakdown(by_migration, threshold),
        referrals_by_arrival=_breakdown(
            {k: v for k, v in by_arrival.items() if k != "none"}, Arrival, threshold
        ),
        referrals_total=_count(total, threshold),
        followed_up=_count(followed_up, threshold),
        arrived_share=Cell(share, threshold),
        days_median=Cell(median, threshold),
        days_mean=Cell(mean, threshold),
        open_referrals=_count(open_n, threshold),
        waiting_loops=_count(int(loops or 0), threshold),
    )


def _rows(figures: Figures) -> Iterable[list[str]]:
    yield [_("Figure"), _("Group"), _("Value")]
    for label, breakdown in (
        (_("Contacts by situation"), figures.contacts_by_situation),
        (_("Contacts by language"), figures.contacts_by_language),
        (_("Contacts by migration background"), figures.contacts_by_migration),
        (_("Referrals by follow-up result"), figures.referrals_by_arrival),
    ):
        for row in breakdown.rows:
            yield [label, row.label, str(row.cell)]
        yield [label, _("Total"), str(breakdown.total)]
    yield [_("Referrals"), _("Total"), str(figures.referrals_total)]
    yield [_("Referrals"), _("Followed up"), str(figures.followed_up)]
    yield [_("Referrals"), _("Share arrived (percent)"), str(figures.arrived_share)]
    yield [_("Referrals"), _("Median days until arrival"), str(figures.days_median)]
    yield [_("Referrals"), _("Average days until arrival"), str(figures.days_mean)]
    yield [_("Referrals"), _("Open referrals"), str(figures.open_referrals)]
    yield [_("Cases"), _("Possible waiting loops"), str(figures.waiting_loops)]


def figures_csv(figures: Figures) -> str:
    return write_rows(_rows(figures))
