"""Small-group suppression: no group below k can be computed from a table.

The reader of a table knows the rule: a hidden group holds 1..k-1 people
(or, hidden in addition, at least k), an empty group is shown as 0, and the
total is published unless it is hidden too.  For every published table the
test enumerates, by brute force over the sums the other hidden groups can
reach, every value a hidden small group could have; at least two must remain.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netzwerk.monitoring import districts
from netzwerk.monitoring.suppression import (
    format_mean,
    is_small,
    means_reveal,
    protect,
    protect_grid,
)


def _reachable(ranges: list[tuple[int, int]]) -> set[int]:
    sums = {0}
    for low, high in ranges:
        sums = {s + v for s in sums for v in range(low, high + 1)}
    return sums


def computable(counts: dict, hidden: dict, k: int, total_known: bool) -> list:
    """Small hidden groups whose value the reader can pin down to one number."""
    if not total_known:
        return []
    keys = [key for key, h in hidden.items() if h]
    rest = sum(counts[key] for key in keys)
    found = []
    for key in keys:
        if not is_small(counts[key], k):
            continue
        others = [(1, k - 1) if is_small(counts[o], k) else (k, rest) for o in keys if o != key]
        reachable = _reachable(others)
        possible = [v for v in range(1, k) if rest - v in reachable]
        assert counts[key] in possible  # the truth is always consistent
        if len(possible) < 2:
            found.append(key)
    return found


counts_strategy = st.dictionaries(
    st.sampled_from("abcdefgh"),
    st.one_of(st.integers(0, 6), st.integers(0, 40)),
    min_size=1,
    max_size=7,
)


@settings(max_examples=25, deadline=None)
@given(counts=counts_strategy, k=st.sampled_from([5, 6, 10]))
def test_no_small_group_can_be_computed_from_a_table(counts, k):
    p = protect(counts, k)
    for key, n in counts.items():
        if is_small(n, k):
            assert p.hidden[key], (counts, key)
    assert computable(counts, p.hidden, k, total_known=not p.total_hidden) == []
    if sum(counts.values()) < k and sum(counts.values()) > 0:
        assert p.total_hidden


@settings(max_examples=25, deadline=None)
@given(
    cells=st.dictionaries(
        st.tuples(st.sampled_from(["2026-01", "2026-02", "2026-03"]), st.sampled_from("xyzw")),
        st.one_of(st.integers(0, 6), st.integers(0, 30)),
        min_size=1,
        max_size=12,
    )
)
def test_no_small_group_can_be_computed_from_row_or_column_totals(cells):
    k = 5
    g = protect_grid(cells, k)
    rows = {r for r, _c in cells}
    columns = {c for _r, c in cells}
    for key, n in cells.items():
        if is_small(n, k):
            assert key in g.hidden
    for r in rows:
        line = {c: cells.get((r, c), 0) for c in columns}
        hidden = {c: (r, c) in g.hidden for c in columns}
        assert computable(line, hidden, k, total_known=r not in g.row_total_hidden) == []
    for c in columns:
        line = {r: cells.get((r, c), 0) for r in rows}
        hidden = {r: (r, c) in g.hidden for r in rows}
        assert computable(line, hidden, k, total_known=c not in g.column_total_hidden) == []


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    counts=st.dictionaries(
        st.sampled_from(districts.codes()[:8] + [""]),
        st.one_of(st.integers(0, 6), st.integers(0, 40)),
        min_size=1,
        max_size=9,
    )
)
def test_district_table_and_map_never_show_a_small_group(app_ctx, counts):
    table = districts.counts_table("Test", counts)
    k = table.threshold
    full = {c.code: counts.get(c.code, 0) for c in table.cells}
    hidden = {c.code: c.hidden for c in table.cells}
    for cell in table.cells:
        if cell.hidden:
            # "< k" for a small group, "." for a larger one hidden in addition.
            assert cell.text == (f"< {k}" if is_small(full[cell.code], k) else ".")
            assert cell.value is None and cell.title
        else:
            shown = int(cell.text.replace(".", ""))
            assert shown == full[cell.code] and not is_small(shown, k)
    assert computable(full, hidden, k, total_known=not table.total.hidden) == []
    svg = str(districts.choropleth(table))
    for cell in table.cells:
        if cell.hidden and cell.code:
            text = "&lt; 5" if is_small(full[cell.code], k) else "."
            assert re.search(rf"<title>{re.escape(cell.name)}: {re.escape(text)}</title>", svg)


def test_the_classic_leaks_are_closed():
    # One hidden group beside a total: a second one is hidden.
    assert protect({"a": 3, "b": 10, "c": 12}, 5).hidden == {"a": True, "b": True, "c": False}
    # Two hidden groups of 4 and 4 under a known rest of 8: both would be known.
    p = protect({"a": 4, "b": 4, "c": 20}, 5)
    assert p.hidden["c"] or p.total_hidden
    # A 1 hidden beside a 5: rest 6 = 1 + 5 reveals the 1; a third group goes too.
    p = protect({"a": 1, "b": 5, "c": 9, "d": 30}, 5)
    assert sum(p.hidden.values()) >= 3
    # Nothing small: nothing hidden.
    assert not any(protect({"a": 0, "b": 7, "c": 9}, 5).hidden.values())


def test_a_month_hidden_for_the_time_series_stays_hidden_in_the_monthly_table(app_ctx, demo):
    """March has two categories of 4: the time series hides both and, as their
    month's total (8) would reveal them, the total too; the table per month
    must then not show March, nor April beside the overall total."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from netzwerk.extensions import db
    from netzwerk.feedback import services
    from netzwerk.feedback.models import Feedback, FeedbackChoice
    from netzwerk.monitoring import dashboard

    services.ensure_default_choices()
    categories = list(
        db.session.scalars(select(FeedbackChoice.id).where(FeedbackChoice.kind == "category"))
    )[:2]
    for month, sizes in ((3, (4, 4)), (4, (20, 30))):
        for category, n in zip(categories, sizes, strict=True):
            for _i in range(n):
                db.session.add(
                    Feedback(
                        receipt_code=services.new_receipt_code(),
                        category_id=category,
                        rating=3,
                        created_at=datetime(2026, month, 10, tzinfo=UTC),
                    )
                )
    db.session.commit()
    f = dashboard.DashboardFilter()
    series = dashboard.time_series(f, "category")
    assert "2026-03" in series.hidden_months
    monthly = dashboard.monthly(f, series.hidden_months)
    shown = {fig.key: fig.count for fig in monthly.rows}
    assert shown["2026-03"] is None
    assert shown["2026-04"] is None or monthly.total.count is None


# --- means beside hidden counts ---------------------------------------------------------


def _sums_printed_as(n: int, text: str, rounded: bool) -> tuple[int, int] | None:
    """By brute force: the least and greatest rating sum of n people (1..5 each)
    whose mean is printed as ``text``."""
    found = [s for s in range(n, 5 * n + 1) if format_mean(s / n, rounded) == text]
    return (found[0], found[-1]) if found else None


def _count_vectors(bounds: list[tuple[int, int]], rest: int):  # type: ignore[no-untyped-def]
    if not bounds:
        if rest == 0:
            yield ()
        return
    low, high = bounds[0]
    for v in range(low, min(high, rest) + 1):
        for tail in _count_vectors(bounds[1:], rest - v):
            yield (v, *tail)


def possible_counts_with_means(counts: dict, sums: dict, hidden: dict, k: int) -> dict:
    """Every count of each hidden group consistent with all printed figures:
    shown counts, their means (one decimal), the total and its mean, the
    hidden groups' whole-number means."""
    keys = [key for key, h in hidden.items() if h and counts[key] > 0]
    rest = sum(counts[key] for key in keys)
    n_total = sum(counts.values())
    total_range = _sums_printed_as(n_total, format_mean(sum(sums.values()) / n_total), False)
    assert total_range is not None
    shown_low = shown_high = 0
    for key, n in counts.items():
        if n and not hidden.get(key):
            r = _sums_printed_as(n, format_mean(sums[key] / n), False)
            assert r is not None
            shown_low, shown_high = shown_low + r[0], shown_high + r[1]
    texts = {key: format_mean(sums[key] / counts[key], True) for key in keys}
    bounds = [(1, k - 1) if is_small(counts[key], k) else (k, rest) for key in keys]
    possible: dict = {key: set() for key in keys}
    for vector in _count_vectors(bounds, rest):
        low = high = 0
        for key, c in zip(keys, vector, strict=True):
            r = _sums_printed_as(c, texts[key], True)
            if r is None:
                break
            low, high = low + r[0], high + r[1]
        else:
            if low + shown_low <= total_range[1] and high + shown_high >= total_range[0]:
                for key, c in zip(keys, vector, strict=True):
                    possible[key].add(c)
    return possible


@settings(max_examples=40, deadline=None)
@given(
    ratings=st.dictionaries(
        st.sampled_from("abcde"),
        st.lists(st.integers(1, 5), max_size=14),
        min_size=1,
        max_size=5,
    )
)
def test_means_beside_hidden_counts_never_reveal_them(ratings):
    """Where the means of hidden groups are shown (whole numbers), no small
    hidden group can be computed from them, the total's mean and the shown
    groups' means; where they could, means_reveal withholds them."""
    k = 5
    counts = {key: len(r) for key, r in ratings.items()}
    sums = {key: sum(r) for key, r in ratings.items()}
    p = protect(counts, k)
    if not sum(counts.values()) or p.total_hidden:
        return
    if means_reveal(counts, sums, p.hidden, p.total_hidden, k):
        return
    possible = possible_counts_with_means(counts, sums, p.hidden, k)
    for key, values in possible.items():
        assert counts[key] in values  # the truth is always consistent
        if is_small(counts[key], k):
            assert len(values) >= 2, (ratings, key, values)


def test_a_mean_says_nothing_about_the_size_of_a_small_group():
    # One decimal would: 3,3 is 10/3, so three people (of 1..4).
    assert [n for n in range(1, 5) if _sums_printed_as(n, "3,3", False)] == [3]
    # A whole number is possible for every size.
    for text in ("≈ 1", "≈ 2", "≈ 3", "≈ 4", "≈ 5"):
        assert all(_sums_printed_as(n, text, True) for n in range(1, 5))
    # A table where the counts alone are safe but the means would give one
    # away: 1 person (rating 1) and 12 (mean 3,3 -> "≈ 3") both hidden,
    # total 13 with mean 3,1: only a group of 1 fits.  The means are withheld.
    counts, sums = {"a": 1, "b": 12}, {"a": 1, "b": 40}
    p = protect(counts, 5)
    assert p.hidden == {"a": True, "b": True} and not p.total_hidden
    assert possible_counts_with_means(counts, sums, p.hidden, 5)["a"] == {1}
    assert means_reveal(counts, sums, p.hidden, False, 5)
