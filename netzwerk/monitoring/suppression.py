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
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from flask import current_app

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
