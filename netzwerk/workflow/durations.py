"""ISO-8601 durations as used by timers (P14D, PT24H, P1W, P2DT12H)."""

from __future__ import annotations

import re
from datetime import timedelta

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
