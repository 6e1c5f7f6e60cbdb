"""Small-group suppression for every figure the monitoring shows or exports.

A group with fewer than N people (1 to N-1) is never shown as a number, only
as "< N".  N is NETZWERK_MIN_GROUP_SIZE (default 5) and never below 5,
whatever is configured.  An empty group (0) identifies nobody and is shown.

Secondary suppression: a published total minus the shown groups gives the
sum of the hidden ones.  A reader who knows the rule knows that each group
hidden first lies between 1 and N-1 and each hidden in addition at least N;
from the sum and these bounds they could compute a hidden group exactly
(one hidden group; two hidden groups of 4 and 4 under a total that leaves
8; a 1 hidden beside a 5).  :func:`protect` therefore hides the next
smallest group as long as any group below N could still be computed, and
hides the total itself when nothing else is left to hide.  For tables with
totals in both directions (month x group with the month's total and the
group's total over the period) :func:`protect_grid` applies the same rule
to every row and every column until nothing changes.

What is suppressed, and how a page says so
------------------------------------------

Suppression applies to *counts of people* only.  A hidden count reads
"< N" when the group is small (1 to N-1: :data:`SMALL`) and "." (the mark
of official statistics for "kept secret") when it is a larger group hidden
in addition (:data:`SECONDARY`); the reader may know which is which, the
rule above assumes it.  Every table with a hidden figure says why beside
it (templates/monitoring/_marks.html, :func:`mark_title`), and each hidden
cell carries the same sentence for screen readers.

Averages and percentages are not counts: they are shown, never as "< N".
They must not, however, let a reader compute a hidden count:

* A mean rating (1 to 5) of a group whose count is shown has one decimal.
  The mean of a group whose count is hidden is shown rounded to a whole
  number (:data:`ROUNDED`): every whole mean from 1 to 5 is possible for
  every group size, so the value alone says nothing about the size,
  whereas one decimal would (3,3 is 10/3: three people when fewer than 5).
  It also must not leak through the sums: the total's mean times the total
  count, minus each shown group's mean times its count, gives the rating
  sum of the hidden groups; with the whole means of the hidden groups this
  could pin a count in a small table.  :func:`means_reveal` looks, for each
  hidden group, for a second count that the reader could not rule out
  (moving people between two hidden groups, all published figures still
  matching as printed); where it finds none, the means of the hidden
  groups are withheld (:data:`WITHHELD`, "–" with the reason).  The check
  is per table, like the counts' protection: the monthly table is checked
  against its months and the total, not against the cells of the time
  series by group (which shows counts only, no means).  A whole-number
  mean of a group of one still tells that person's rating to within half
  a point: ratings are anonymous answers, but for the voluntary migration
  background the means of hidden groups are withheld outright
  (dashboard.SENSITIVE_DIMENSIONS).
* A percentage (a share of two of the network's own counts) reveals a
  hidden count whenever one operand is shown: hidden numerator = share x
  shown denominator, and the other way round; with both hidden, a share of
  fewer than N people has only a few possible fractions.  So a share is
  shown exactly when both its operands are shown, and withheld
  (:data:`WITHHELD`) otherwise.  When both are shown it reveals nothing the
  two counts do not already show, so it is shown even where numerator and
  denominator differ by a small number.  Shares of imported official
  statistics are shown as the office published them.
* Sums that are not counts of people (participants of projects, which
  count attendances, not individuals) are not suppressed.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from flask import current_app
from flask_babel import gettext as _

MIN_GROUP_FLOOR = 5

K = TypeVar("K", bound=Hashable)
R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)


def min_group_size() -> int:
    value = current_app.config.get("NETZWERK_MIN_GROUP_SIZE", MIN_GROUP_FLOOR)
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = MIN_GROUP_FLOOR
    return max(size, MIN_GROUP_FLOOR)


def is_small(n: int, threshold: int) -> bool:
    """A group that must never be shown as a number (1 .. threshold-1)."""
    return 0 < n < threshold


def revealed(counts: Mapping[K, int], hidden: Mapping[K, bool], threshold: int) -> set[K]:
    """The small hidden groups a reader could compute exactly from the total
    (sum of all groups) and the shown ones, knowing the rule's bounds."""
    hidden_keys = [key for key, h in hidden.items() if h]
    if not hidden_keys:
        return set()
    rest = sum(counts[key] for key in hidden_keys)
    lower = {key: 1 if is_small(counts[key], threshold) else threshold for key in hidden_keys}
    upper: dict[K, float] = {
        key: threshold - 1 if is_small(counts[key], threshold) else float("inf")
        for key in hidden_keys
    }
    lower_sum = sum(lower.values())
    upper_sum = sum(upper.values())
    found = set()
    for key in hidden_keys:
        if not is_small(counts[key], threshold):
            continue
        low = max(1.0, rest - (upper_sum - upper[key]))
        high = min(threshold - 1.0, rest - (lower_sum - lower[key]))
        if high - low < 1:
            found.add(key)
    return found


@dataclass
class Protection:
    hidden: dict  # key -> bool
    total_hidden: bool


def protect(counts: Mapping[K, int], threshold: int, total_shown: bool = True) -> Protection:
    """Which groups (and whether the total) must be hidden.

    ``total_shown=False``: the caller never publishes the total, so only
    the small groups themselves are hidden.
    """
    hidden: dict[K, bool] = {key: is_small(n, threshold) for key, n in counts.items()}
    total = sum(counts.values())
    if total < threshold:
        return Protection(hidden, total > 0)
    if not total_shown or not any(hidden.values()):
        return Protection(hidden, not total_shown)
    while revealed(counts, hidden, threshold):
        visible = sorted(
            ((n, str(key), key) for key, n in counts.items() if not hidden[key] and n > 0),
            key=lambda item: (item[0], item[1]),
        )
        if not visible:
            return Protection(hidden, True)
        hidden[visible[0][2]] = True
    return Protection(hidden, False)


def suppress(counts: Mapping[K, int], threshold: int) -> dict[K, bool]:
    """For each group: True when its figures must be hidden (the total is
    published; see :func:`protect` for when the total must go too)."""
    return protect(counts, threshold).hidden


@dataclass
class GridProtection:
    hidden: set  # of (row, column)
    row_total_hidden: set  # of rows
    column_total_hidden: set  # of columns


def protect_grid(cells: Mapping[tuple[R, C], int], threshold: int) -> GridProtection:
    """Cells of a two-way table whose row and column totals are both published."""
    rows = sorted({r for r, _c in cells}, key=str)
    columns = sorted({c for _r, c in cells}, key=str)
    hidden = {key for key, n in cells.items() if is_small(n, threshold)}
    row_hidden: set[R] = set()
    column_hidden: set[C] = set()
    for _round in range(len(cells) + 2):
        before = (len(hidden), len(row_hidden), len(column_hidden))
        for r in rows:
            line = {c: cells.get((r, c), 0) for c in columns}
            p = protect(line, threshold)
            p.hidden.update({c: p.hidden[c] or (r, c) in hidden for c in columns})
            p = extend_protection(line, p, threshold)
            hidden |= {(r, c) for c, h in p.hidden.items() if h}
            if p.total_hidden:
                row_hidden.add(r)
        for c in columns:
            down = {r: cells.get((r, c), 0) for r in rows}
            q = protect(down, threshold)
            q.hidden.update({r: q.hidden[r] or (r, c) in hidden for r in rows})
            q = extend_protection(down, q, threshold)
            hidden |= {(r, c) for r, h in q.hidden.items() if h}
            if q.total_hidden:
                column_hidden.add(c)
        if (len(hidden), len(row_hidden), len(column_hidden)) == before:
            break
    return GridProtection(hidden, row_hidden, column_hidden)


def extend_protection(counts: Mapping[K, int], p: Protection, threshold: int) -> Protection:
    """Hide more until nothing small can be computed (after cells were hidden
    for the other direction's sake).  A cell hidden for another table's
    sake may be large; it must not be computed either: a single hidden cell
    is the total minus the shown ones, so one more is hidden then."""
    if p.total_hidden:
        return p
    hidden = dict(p.hidden)
    while revealed(counts, hidden, threshold) or sum(hidden.values()) == 1:
        visible = sorted(
            ((n, str(key), key) for key, n in counts.items() if not hidden[key] and n > 0),
            key=lambda item: (item[0], item[1]),
        )
        if not visible:
            return Protection(hidden, True)
        hidden[visible[0][2]] = True
    return Protection(hidden, False)


def suppressed_label(threshold: int) -> str:
    return f"< {threshold}"


# --- marks: why a figure is not shown (or shown less precisely) ------------------------

SMALL = "small"  # a count of 1 .. N-1 people: "< N"
SECONDARY = "secondary"  # a larger count hidden so that no small one can be computed: "."
ROUNDED = "rounded"  # the mean of a group whose count is hidden, in whole numbers: "≈ 4"
WITHHELD = "withheld"  # a mean or share that would reveal a hidden count: "–"
SECONDARY_LABEL = "."
WITHHELD_LABEL = "–"


def count_mark(n: int, hidden: bool, threshold: int) -> str:
    """The mark of a count: "" when shown."""
    if not hidden:
        return ""
    return SMALL if is_small(n, threshold) else SECONDARY


def hidden_text(mark: str, threshold: int) -> str:
    """What a hidden count's cell shows."""
    return suppressed_label(threshold) if mark == SMALL else SECONDARY_LABEL


def mark_title(mark: str, threshold: int) -> str:
    """The sentence that says why (for the note beside a table and for screen readers)."""
    if mark == SMALL:
        return _("fewer than %(n)s people – not shown to protect individuals", n=threshold)
    if mark == SECONDARY:
        return _(
            "not shown: with the total it would reveal a group of fewer than %(n)s people",
            n=threshold,
        )
    if mark == ROUNDED:
        return _(
            "mean of a group whose number is not shown, rounded to a whole number "
            "so that it does not reveal the group's size"
        )
    if mark == WITHHELD:
        return _("not shown: it would reveal a group of fewer than %(n)s people", n=threshold)
    return ""


def format_mean(value: float, rounded: bool = False) -> str:
    """A mean rating as shown: one decimal ("3,4"), or a whole number ("≈ 3")."""
    if rounded:
        return f"≈ {value:.0f}"
    return f"{value:.1f}".replace(".", ",")


def shown_mean(value: float, rounded: bool) -> float:
    """The value a chart may draw: no more precise than the text."""
    return float(f"{value:.0f}") if rounded else float(f"{value:.1f}")


def _sum_range(n: int, text: str, rounded: bool, low: int = 1, high: int = 5) -> tuple[int, int]:
    """The whole rating sums of ``n`` people (each rating low..high) whose mean
    is printed as ``text``; (1, 0) when there is none.  The printed mean
    grows with the sum, so the matching sums are one range: found by
    bisection with the very formatting the pages use."""
    centre = float(text.lstrip("≈ ").replace(",", "."))

    def printed(total: int) -> float:
        return float(format_mean(total / n, rounded).lstrip("≈ ").replace(",", "."))

    def first_at_least(target: float, strict: bool) -> int:
        lo, hi = n * low, n * high + 1
        while lo < hi:
            mid = (lo + hi) // 2
            value = printed(mid)
            if value > target or (not strict and value == target):
                hi = mid
            else:
                lo = mid + 1
        return lo

    first = first_at_least(centre, strict=False)
    last = first_at_least(centre, strict=True) - 1
    if first > last:
        return (1, 0)
    return (first, last)


def means_reveal(
    counts: Mapping[K, int],
    sums: Mapping[K, int],
    hidden: Mapping[K, bool],
    total_hidden: bool,
    threshold: int,
) -> bool:
    """Whether the printed means would let a reader compute a hidden count.

    Published: the shown counts, their means with one decimal, the total
    count and its mean with one decimal (unless the total is hidden), the
    whole-number means of the hidden groups.  For every hidden group we look
    for a witness: another count for it, with another hidden group taking
    up the difference (both within the bounds the reader knows: 1..N-1 for
    a small group, at least N for a larger one), for which every printed
    figure still matches.  No witness for some group: True (conservative:
    a witness may exist that this search does not try).
    """
    keys = [key for key, h in hidden.items() if h and counts[key] > 0]
    if total_hidden or not keys:
        return False
    n_total = sum(counts.values())
    s_total = sum(sums.values())
    if n_total <= 0:
        return False
    total_lo, total_hi = _sum_range(n_total, format_mean(s_total / n_total), False)
    shown_lo = shown_hi = 0
    for key, n in counts.items():
        if n > 0 and not hidden.get(key):
            lo, hi = _sum_range(n, format_mean(sums[key] / n), False)
            shown_lo, shown_hi = shown_lo + lo, shown_hi + hi
    lowest, highest = total_lo - shown_hi, total_hi - shown_lo  # the hidden groups' sum
    texts = {key: format_mean(sums[key] / counts[key], True) for key in keys}

    def allowed(key: K, n: int) -> bool:
        return 0 < n < threshold if is_small(counts[key], threshold) else n >= threshold

    def consistent(changed: dict[K, int]) -> bool:
        lo = hi = 0
        for key in keys:
            a, b = _sum_range(changed.get(key, counts[key]), texts[key], True)
            if a > b:
                return False
            lo, hi = lo + a, hi + b
        return lo <= highest and hi >= lowest

    for key in keys:
        witness = False
        for distance in range(1, threshold + 1):
            for delta in (distance, -distance):
                if not allowed(key, counts[key] + delta):
                    continue
                for other in keys:
                    if other == key or not allowed(other, counts[other] - delta):
                        continue
                    if consistent({key: counts[key] + delta, other: counts[other] - delta}):
                        witness = True
                        break
                if witness:
                    break
            if witness:
                break
        if not witness:
            return True
    return False


MARK_ORDER = (SMALL, SECONDARY, ROUNDED, WITHHELD)


def mark_notes(marks: set[str], threshold: int) -> list[tuple[str, str]]:
    """(sign, why) for the note beside a table, for the marks it uses."""
    signs = {
        SMALL: suppressed_label(threshold),
        SECONDARY: SECONDARY_LABEL,
        ROUNDED: "≈",
        WITHHELD: WITHHELD_LABEL,
    }
    return [(signs[m], mark_title(m, threshold)) for m in MARK_ORDER if m in marks]
