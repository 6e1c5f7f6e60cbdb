"""The vocabulary of projects: target groups, report intervals, indicators.

Target groups and intervals are fixed vocabularies with German labels; the
indicators of status reports come from the configuration
(``PROJECTS_INDICATORS``: a list of ``(code, label)``), so a city can count
what it needs.  The code ``participants`` is the project's reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

TARGET_GROUPS: dict[str, Any] = {
    "children": _l("Children"),
    "young_people": _l("Young people"),
    "adults": _l("Adults"),
    "migration": _l("People with a migration background"),
    "families": _l("Families"),
    "educators": _l("Teachers and educators"),
    "pupils": _l("Pupils"),
    "seniors": _l("Older people"),
}

# Months between two status reports; 0 = no regular reports.
REPORT_INTERVALS: dict[int, Any] = {
    0: _l("No regular reports"),
    1: _l("Monthly"),
    3: _l("Quarterly"),
    6: _l("Half-yearly"),
    12: _l("Yearly"),
}

REACH_CODE = "participants"

DEFAULT_INDICATORS: list[tuple[str, Any]] = [
    (REACH_CODE, _l("Participants reached")),
    ("events", _l("Events held")),
    ("schools", _l("Schools involved")),
]

# Suggested partner roles (the role is free text; these fill the choice list).
PARTNER_ROLE_SUGGESTIONS: list[Any] = [
    _l("SME partner"),
    _l("University partner"),
    _l("School partner"),
    _l("Cultural partner"),
    _l("Funding partner"),
    _l("Practice partner"),
]


@dataclass(frozen=True)
class ReportIndicator:
    code: str
    label: str


def report_indicators() -> list[ReportIndicator]:
    """The indicators a status report asks for (configurable, reach first)."""
    configured = None
    if has_app_context():
        configured = current_app.config.get("PROJECTS_INDICATORS")
    items = configured or DEFAULT_INDICATORS
    return [ReportIndicator(str(code), str(label)) for code, label in items]


def target_group_label(code: str) -> str:
    label = TARGET_GROUPS.get(code)
    return str(label) if label is not None else code


def interval_label(months: int) -> str:
    label = REPORT_INTERVALS.get(months)
    return str(label) if label is not None else str(months)
