"""ISO-8601 durations as used by timers (P14D, PT24H, P1W, P2DT12H)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ..timeutil import to_local

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


class DurationError(ValueError):
    pass


def parse_duration(text: object) -> timedelta:
    """Parse an ISO-8601 duration of weeks, days, hours, minutes and seconds.

    Years and months are refused: their length varies, so a deadline would
    be ambiguous (write P30D or P365D).
    """
    if not isinstance(text, str):
        raise DurationError(f"duration must be text like P14D or PT24H, not {text!r}")
    value = text.strip()
    if re.match(r"^P(\d+Y|\d+M)", value):
        raise DurationError(
            f"malformed duration {text!r}: years and months are not allowed, write days (P30D)"
        )
    match = _DURATION.match(value)
    if not match:
        raise DurationError(
            f"malformed duration {text!r}: expected ISO-8601 like P14D, PT24H or P1DT12H"
        )
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    if not parts:
        raise DurationError(f"malformed duration {text!r}")
    delta = timedelta(**parts)
    if delta <= timedelta(0):
        raise DurationError(f"duration {text!r} must be longer than zero")
    return delta


# How far a timer's calendar days can move it from the same count of
# 24-hour days: one change of daylight saving time in between.
CALENDAR_SLACK = timedelta(hours=1)


def calendar_days(text: str) -> int:
    """The days of a valid duration's date part (a week is seven): ISO 8601
    counts them in the calendar, its hours, minutes and seconds as time
    that passes."""
    match = _DURATION.match(text.strip())
    if not match:
        raise DurationError(f"malformed duration {text!r}")
    return 7 * int(match["weeks"] or 0) + int(match["days"] or 0)


def due_at(start: datetime, after: timedelta, days: int) -> datetime:
    """When a duration of ``after`` that began at ``start`` ends, its first
    ``days`` (:func:`calendar_days`) counted in the local calendar: 14 days
    after Monday 10:00 is the Monday two weeks on at 10:00, also across a
    change of daylight saving time; the rest as time that passes.  ``start``
    is aware, the result in UTC."""
    local = to_local(start)
    # Aware arithmetic in one zone keeps the wall clock; astimezone() then
    # gives the instant that wall-clock time is (in the hour skipped in
    # spring: the instant an hour later).
    day_end = (local + timedelta(days=days)).astimezone(UTC)
    return day_end + (after - timedelta(days=days))
