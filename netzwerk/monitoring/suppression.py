"""Small-group suppression for every figure the monitoring shows or exports.

A group with fewer responses than the minimum group size is never shown as a
number, only as "< N".  N is NETZWERK_MIN_GROUP_SIZE (default 5) and never
below 5, whatever is configured.  When a breakdown would hide exactly one
group, the next smallest group is hidden as well, so that the hidden one
cannot be computed back from the total.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from flask import current_app

MIN_GROUP_FLOOR = 5

K = TypeVar("K")


def min_group_size() -> int:
    value = current_app.config.get("NETZWERK_MIN_GROUP_SIZE", MIN_GROUP_FLOOR)
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = MIN_GROUP_FLOOR
    return max(size, MIN_GROUP_FLOOR)


def suppress(counts: Mapping[K, int], threshold: int) -> dict[K, bool]:
    """For each group: True when its figures must be hidden."""
    hidden = {key: 0 < n < threshold for key, n in counts.items()}
    if sum(hidden.values()) == 1:
        visible = sorted(
            ((n, str(key), key) for key, n in counts.items() if not hidden[key] and n > 0),
            key=lambda item: (item[0], item[1]),
        )
        if visible:
            hidden[visible[0][2]] = True
    return hidden


def suppressed_label(threshold: int) -> str:
    return f"< {threshold}"
