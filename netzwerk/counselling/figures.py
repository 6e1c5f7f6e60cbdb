"""Counselling figures for the monitoring, with small groups protected.

The rule is the monitoring's (netzwerk/monitoring/suppression.py, its module
docstring), applied through its functions: only counts of people are
suppressed, with k = NETZWERK_MIN_GROUP_SIZE (never below 5).  A count of 1
to k-1 reads "< k", a larger count hidden only so that a small one cannot be
computed from a total reads ".", an empty group (0) is shown.  Every table
with a hidden figure says why beside it, and each hidden cell carries the
same sentence for screen readers (templates/monitoring/_marks.html); the CSV
gives it in its own column.

The referral figures are linked counts, protected as one table: the
referrals of the period split into five groups (not followed up yet,
arrived, waiting, not arrived, unknown) under the published total.  "Followed
up" is the total minus the first group, so it is shown only when that group
is; the table by follow-up result (its total is "followed up") hides the
groups the five-group protection hides.  "Open referrals" (not followed up
plus waiting) is shown only when both of its parts are.

Share arrived (percent of the followed-up referrals): a share of two counts
reveals a hidden one as soon as the other is shown (hidden = share x shown),
so it is shown exactly when both counts are shown, else withheld ("–", with
the reason).

Days from referral to arrival (median and mean) are not counts but values of
people, and a statistic of very few values is those people's own figures:
the median of one to k-1 durations is one person's waiting time (odd
number) or the midpoint of two, the mean is their sum divided by a number
the reader can guess, and who knows all but one of them (the counsellor, a
client) computes the last.  So these figures follow the same k as counts:

* fewer than k durations: withheld ("–", with its own reason);
* k or more durations and the count of arrived referrals shown: the median
  as computed (a half day when the two middle values differ by an odd
  number) and the mean with one decimal;
* k or more durations but the count of arrived referrals hidden (".", a
  larger group hidden in addition): both in whole days ("≈ 4").  One decimal
  would narrow the hidden count down (a median ending in ",5" needs an even
  number of values; a mean of 3,3 fits 3, 6, 9 ... values), a whole number is
  possible for every number of people.  No total of days is published, so
  no sum of means can pin the count either (unlike mean ratings, for which
  suppression.means_reveal checks that).

What the figures do not guard against: the period is free, so two periods
that differ by a day differ by that day's contacts.  The page is for
counselling staff and the office, who see the cases themselves; what is
published goes through the monitoring's own fixed periods.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..csvutil import write_rows
from ..extensions import db
from ..monitoring.suppression import (
    MARK_ORDER,
    ROUNDED,
    WITHHELD,
    WITHHELD_LABEL,
    count_mark,
    format_mean,
    hidden_text,
    is_small,
    mark_notes,
    mark_title,
    min_group_size,
    protect,
)
from .models import CounsellingCase, CounsellingContact, Referral
from .vocab import Arrival, Labelled, Language, Situation

# Marks of the days until arrival (values of people, not counts): the
# monitoring's sentences speak of counts and means, these say it for days.
FEW_VALUES = "few_values"  # fewer than k durations: "–"
WHOLE_DAYS = "whole_days"  # a median of a group whose count is hidden: "≈ 4"
NOT_APPLICABLE = "–"  # nothing to compute (no referral followed up, no arrival)


def _own_title(mark: str, threshold: int) -> str:
    if mark == FEW_VALUES:
        return _(
            "not shown: based on fewer than %(n)s people, it would show their own values",
            n=threshold,
        )
    if mark == WHOLE_DAYS:
        return _(
            "median of a group whose number is not shown, in whole days so that it "
            "does not reveal the group's size"
        )
    return mark_title(mark, threshold)


@dataclass
class Cell:
    """One figure as shown: ``value`` is None when it is not shown as a
    number; ``mark`` says why (suppression.SMALL, SECONDARY, ROUNDED,
    WITHHELD or this module's FEW_VALUES, WHOLE_DAYS), "" when shown."""

    value: int | float | None
    threshold: int
    mark: str = ""
    text: str = ""

    @property
    def suppressed(self) -> bool:
        return bool(self.mark) and self.mark not in (ROUNDED, WHOLE_DAYS)

    @property
    def title(self) -> str:
        """Why the figure is hidden or less precise ("" when it is shown)."""
        return _own_title(self.mark, self.threshold) if self.mark else ""

    def __str__(self) -> str:
        return self.text


def _shown(value: int | float) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def count_cell(n: int, hidden: bool, threshold: int) -> Cell:
    """A count of people: shown, "< k" (small) or "." (hidden in addition)."""
    mark = count_mark(n, hidden, threshold)
    if mark:
        return Cell(None, threshold, mark, hidden_text(mark, threshold))
    return Cell(n, threshold, "", _shown(n))


def _withheld(threshold: int, mark: str = WITHHELD) -> Cell:
    return Cell(None, threshold, mark, WITHHELD_LABEL)


def notes_of(cells: Iterable[Cell], threshold: int) -> list[tuple[str, str]]:
    """(sign, why) for the note beside a table, for the marks its cells use."""
    marks = {c.mark for c in cells if c.mark}
    notes = mark_notes(marks & set(MARK_ORDER), threshold)
    notes += [
        (sign, _own_title(mark, threshold))
        for mark, sign in ((FEW_VALUES, WITHHELD_LABEL), (WHOLE_DAYS, "≈"))
        if mark in marks
    ]
    return notes


@dataclass
class Row:
    code: str
    label: str
    cell: Cell


@dataclass
class Breakdown:
    rows: list[Row]
    total: Cell

    @property
    def notes(self) -> list[tuple[str, str]]:
        return notes_of([*(r.cell for r in self.rows), self.total], self.total.threshold)


def suppress_counts(counts: dict[str, int], threshold: int) -> dict[str, int | None]:
    """Hide counts below the threshold, plus as many more as it takes that no
    hidden one can be computed from the total (monitoring.suppression)."""
    hidden = protect(counts, threshold).hidden
    return {key: (None if hidden[key] else n) for key, n in counts.items()}


def _cells(full: dict[str, int], threshold: int) -> tuple[dict[str, Cell], Cell]:
    """Cells of a breakdown whose total is published, and of the total."""
    protection = protect(full, threshold)
    cells = {key: count_cell(n, protection.hidden[key], threshold) for key, n in full.items()}
    return cells, count_cell(sum(full.values()), protection.total_hidden, threshold)


def _breakdown(counts: dict[str, int], vocab: type[Labelled], threshold: int) -> Breakdown:
    full = {member.value: counts.get(member.value, 0) for member in vocab}
    cells, total = _cells(full, threshold)
    return Breakdown([Row(code, vocab.label_of(code), cells[code]) for code in full], total)


def _migration_breakdown(counts: dict[str | None, int], threshold: int) -> Breakdown:
    """Contacts by the voluntary migration background: an aggregate only."""
    from .vocab import MIGRATION

    full = {code: counts.get(code, 0) for code in MIGRATION}
    full["none"] = counts.get(None, 0)
    cells, total = _cells(full, threshold)
    labels = {**{k: str(v) for k, v in MIGRATION.items()}, "none": _("No answer")}
    return Breakdown([Row(code, labels[code], cells[code]) for code in full], total)


NOT_FOLLOWED_UP = "none"


@dataclass
class Referrals:
    """The linked referral counts, protected as one table (see the docstring)."""

    by_arrival: Breakdown  # its total: followed up
    total: Cell
    open: Cell
    share_arrived: Cell  # percent of followed-up referrals that arrived
    arrived_hidden: bool


def _referrals(by_arrival: dict[str, int], threshold: int) -> Referrals:
    groups = {NOT_FOLLOWED_UP: by_arrival.get(NOT_FOLLOWED_UP, 0)}
    groups |= {member.value: by_arrival.get(member.value, 0) for member in Arrival}
    protection = protect(groups, threshold)
    hidden = protection.hidden
    total = sum(groups.values())
    followed = total - groups[NOT_FOLLOWED_UP]
    # Followed up = total - not followed up: hidden with either of them.
    followed_hidden = (protection.total_hidden or hidden[NOT_FOLLOWED_UP]) and followed > 0
    rows = []
    for member in Arrival:
        code = member.value
        rows.append(
            Row(code, Arrival.label_of(code), count_cell(groups[code], hidden[code], threshold))
        )
    followed_cell = count_cell(followed, followed_hidden, threshold)
    waiting = Arrival.WAITING.value
    open_n = groups[NOT_FOLLOWED_UP] + groups[waiting]
    open_hidden = hidden[NOT_FOLLOWED_UP] or hidden[waiting]
    arrived = Arrival.ARRIVED.value
    if followed == 0:
        share = Cell(None, threshold, "", NOT_APPLICABLE)
    elif hidden[arrived] or followed_hidden:
        share = _withheld(threshold)
    else:
        value = round(100.0 * groups[arrived] / followed, 1)
        share = Cell(value, threshold, "", _shown(value))
    return Referrals(
        by_arrival=Breakdown(rows, followed_cell),
        total=count_cell(total, protection.total_hidden, threshold),
        open=count_cell(open_n, open_hidden, threshold),
        share_arrived=share,
        arrived_hidden=hidden[arrived],
    )


def _days(durations: list[int], count_hidden: bool, threshold: int) -> tuple[Cell, Cell]:
    """Median and mean of the days until arrival (see the docstring)."""
    if not durations:
        return Cell(None, threshold, "", NOT_APPLICABLE), Cell(None, threshold, "", NOT_APPLICABLE)
    if len(durations) < threshold:
        return _withheld(threshold, FEW_VALUES), _withheld(threshold, FEW_VALUES)
    median = float(statistics.median(durations))
    mean = statistics.fmean(durations)
    if count_hidden:
        return (
            Cell(float(round(median)), threshold, WHOLE_DAYS, format_mean(median, True)),
            Cell(float(round(mean)), threshold, ROUNDED, format_mean(mean, True)),
        )
    return (
        Cell(median, threshold, "", _shown(median)),
        Cell(round(mean, 1), threshold, "", format_mean(mean)),
    )


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

    @property
    def referral_notes(self) -> list[tuple[str, str]]:
        """The note beside the table of referral figures."""
        cells = [
            self.referrals_total,
            self.followed_up,
            self.arrived_share,
            self.days_median,
            self.days_mean,
            self.open_referrals,
            self.waiting_loops,
        ]
        return notes_of(cells, self.threshold)


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
    by_arrival = {(key or NOT_FOLLOWED_UP): n for key, n in by_arrival_raw}
    referrals = _referrals(by_arrival, threshold)

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
    median, mean = _days(durations, referrals.arrived_hidden, threshold)

    loops = int(
        db.session.scalar(
            select(func.count())
            .select_from(CounsellingCase)
            .where(
                CounsellingCase.waiting_loop_at.is_not(None),
                *(
                    [
                        CounsellingCase.id.in_(
                            select(CounsellingContact.case_id).where(*contact_range)
                        )
                    ]
                    if contact_range
                    else []
                ),
            )
        )
        or 0
    )
    return Figures(
        threshold=threshold,
        start=start,
        end=end,
        contacts_by_situation=_breakdown(by_situation, Situation, threshold),
        contacts_by_language=_breakdown(by_language, Language, threshold),
        contacts_by_migration=_migration_breakdown(by_migration, threshold),
        referrals_by_arrival=referrals.by_arrival,
        referrals_total=referrals.total,
        followed_up=referrals.by_arrival.total,
        arrived_share=referrals.share_arrived,
        days_median=median,
        days_mean=mean,
        open_referrals=referrals.open,
        waiting_loops=count_cell(loops, is_small(loops, threshold), threshold),
    )


def _rows(figures: Figures) -> Iterable[list[str]]:
    """One line per figure: the value as the page shows it, and why it is
    hidden or less precise (the page's note), empty when it is shown."""
    yield [_("Figure"), _("Group"), _("Value"), _("Remark on the value")]
    for label, breakdown in (
        (_("Contacts by situation"), figures.contacts_by_situation),
        (_("Contacts by language"), figures.contacts_by_language),
        (_("Contacts by migration background"), figures.contacts_by_migration),
        (_("Referrals by follow-up result"), figures.referrals_by_arrival),
    ):
        for row in breakdown.rows:
            yield [label, row.label, row.cell.text, row.cell.title]
        yield [label, _("Total"), breakdown.total.text, breakdown.total.title]
    for group, cell in (
        (_("Total"), figures.referrals_total),
        (_("Followed up"), figures.followed_up),
        (_("Share arrived (percent)"), figures.arrived_share),
        (_("Median days until arrival"), figures.days_median),
        (_("Average days until arrival"), figures.days_mean),
        (_("Open referrals"), figures.open_referrals),
    ):
        yield [_("Referrals"), group, cell.text, cell.title]
    yield [
        _("Cases"),
        _("Possible waiting loops"),
        figures.waiting_loops.text,
        figures.waiting_loops.title,
    ]


def figures_csv(figures: Figures) -> str:
    return write_rows(_rows(figures))
