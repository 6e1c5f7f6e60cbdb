"""Indicators: computed ones from a provider registry, imported ones from CSV.

Computed indicators are defined in code.  A package registers one with
:func:`register_indicator` from its ``init_app`` (never on import); its
provider is a callable
``provider(period) -> {group: value}`` ("" is the group of the total).  The
registry is the dict ``PROVIDERS`` (code -> ComputedIndicator).  The feedback
system registers "feedback by need" (:func:`register_indicators`);
counselling referrals and project reach plug in the same way from their
packages' ``init_app``, e.g.::

    register_indicator("counselling_referrals", name=_l("Counselling referrals"),
                       unit="count", source="Netzwerk: counselling",
                       dimension="outcome", provider=referrals_by_outcome)

Imported indicators (official statistics) are rows of monitoring_indicator,
their values come from a CSV file imported in one transaction.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..rules import RuleError
from ..timeutil import LOCAL_TZ, local_today
from .models import Indicator, IndicatorValue
from .suppression import (
    SMALL,
    WITHHELD,
    WITHHELD_LABEL,
    count_mark,
    hidden_text,
    mark_notes,
    mark_title,
    min_group_size,
    protect,
)

PERIOD_RE = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2]))?$")
MAX_IMPORT_ROWS = 20000


class IndicatorError(RuleError):
    """An indicator's definition or value was refused."""


@dataclass(frozen=True)
class Period:
    """A calendar year ("2025") or month ("2025-03") in Europe/Berlin."""

    key: str

    @classmethod
    def parse(cls, value: str) -> Period:
        value = (value or "").strip()
        if not PERIOD_RE.match(value):
            raise ValueError(value)
        return cls(value)

    @property
    def is_month(self) -> bool:
        return len(self.key) == 7

    @property
    def start(self) -> datetime:
        year = int(self.key[:4])
        month = int(self.key[5:7]) if self.is_month else 1
        return datetime(year, month, 1, tzinfo=LOCAL_TZ)

    @property
    def end(self) -> datetime:
        year = int(self.key[:4])
        if not self.is_month:
            return datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ)
        month = int(self.key[5:7])
        return datetime(year + (month == 12), 1 if month == 12 else month + 1, 1, tzinfo=LOCAL_TZ)


Provider = Callable[[Period], Mapping[str, float]]


@dataclass(frozen=True)
class ComputedIndicator:
    code: str
    name: Any  # str or lazy string
    unit: str
    source: str
    dimension: str  # "" when the provider returns only the total
    provider: Provider
    # Counts of people are suppressed below the minimum group size.
    suppress_small: bool = True


PROVIDERS: dict[str, ComputedIndicator] = {}

# How units and dimensions are shown: a unit code is never shown.  The codes
# computed indicators use (register_indicator(unit=...)) and those an office
# or a statistics table may write in English; keys are lower case.  A unit
# the office typed in German ("Schüler/-innen") is shown as typed.
UNIT_LABELS: dict[str, Any] = {
    "count": _l("Count"),
    "number": _l("Count"),
    "n": _l("Count"),
    "persons": _l("Persons"),
    "people": _l("Persons"),
    "participants": _l("Participants"),
    "cases": _l("Cases"),
    "percent": "%",
    "per_cent": "%",
    "percentage": "%",
    "pct": "%",
    "share": "%",
    "%": "%",
    "per_mille": "‰",
    "permille": "‰",
    "per_1000": _l("per 1,000"),
    "eur": _l("Euro"),
    "euro": _l("Euro"),
    "€": _l("Euro"),
    "ratio": _l("Ratio"),
    "rate": _l("Rate"),
    "years": _l("Years"),
    "months": _l("Months"),
    "days": _l("Days"),
    "hours": _l("Hours"),
    "index": _l("Index"),
    "rating": _l("Rating (1–5)"),
}
DIMENSION_LABELS: dict[str, Any] = {
    "category": _l("Need category"),
    "target_group": _l("Target group"),
    "district": _l("District"),
    "language": _l("Language"),
    "channel": _l("Channel"),
    "action_field": _l("Action field"),
    "arrival": _l("Result of the follow-up"),
}


def unit_label(unit: str | None) -> str:
    """A unit as the pages show it: the German title of a known code, else as typed."""
    unit = (unit or "").strip()
    label = UNIT_LABELS.get(unit.lower()) or UNIT_LABELS.get(unit.lower().replace(" ", "_"))
    return str(label) if label is not None else unit


def dimension_label(dimensions: str) -> str:
    """One dimension code or several, comma-separated, as labels ("–" for none)."""
    codes = [d for d in (dimensions or "").split(",") if d]
    return ", ".join(str(DIMENSION_LABELS.get(d, d)) for d in codes) or "–"


def register_indicator(
    code: str,
    *,
    name: Any,
    unit: str,
    source: str,
    provider: Provider,
    dimension: str = "",
    suppress_small: bool = True,
) -> None:
    PROVIDERS[code] = ComputedIndicator(
        code, name, unit, source, dimension, provider, suppress_small
    )


# --- the feedback system's computed indicator ---------------------------------------


def feedback_by_need(period: Period) -> dict[str, float]:
    """Feedback received in the period, per need category (one query)."""
    from ..feedback.models import Feedback, FeedbackChoice

    rows = db.session.execute(
        select(Feedback.category_id, func.count(Feedback.id))
        .where(Feedback.created_at >= period.start, Feedback.created_at < period.end)
        .group_by(Feedback.category_id)
    ).all()
    if not rows:
        return {}
    choices = {
        c.id: c
        for c in db.session.scalars(
            select(FeedbackChoice).where(FeedbackChoice.id.in_([r[0] for r in rows]))
        )
    }
    return {choices[cid].label("de"): float(n) for cid, n in rows if cid in choices}


def feedback_by_district(period: Period) -> dict[str, float]:
    """Feedback received in the period per district code (one query); "" the total."""
    from .districts import feedback_counts

    counts = feedback_counts(period.start, period.end)
    result = {code: float(n) for code, n in counts.items() if code}
    if counts:
        result[""] = float(sum(counts.values()))
    return result


def register_indicators() -> None:
    """From monitoring.init_app."""
    register_indicator(
        "feedback_by_need",
        name=_l("Feedback by need category"),
        unit="count",
        source="Netzwerk: feedback system",
        dimension="category",
        provider=feedback_by_need,
    )
    register_indicator(
        "feedback_by_district",
        name=_l("Feedback by district"),
        unit="count",
        source="Netzwerk: feedback system",
        dimension="district",
        provider=feedback_by_district,
    )


# --- reading --------------------------------------------------------------------------


@dataclass
class Series:
    """Values of one indicator over periods, by group; None = suppressed or missing."""

    code: str
    name: str
    unit: str
    source: str
    kind: str  # computed | imported
    periods: list[str]
    groups: list[str]
    values: dict[tuple[str, str], float | None]
    suppressed: set[tuple[str, str]]
    threshold: int
    dimension: str = ""
    # Footnote markers of imported values ("." unknown, "p" provisional ...).
    footnotes: dict[tuple[str, str], str] = field(default_factory=dict)
    table_codes: list[str] = field(default_factory=list)
    # Why a suppressed value is hidden (suppression.SMALL, SECONDARY, WITHHELD).
    marks: dict[tuple[str, str], str] = field(default_factory=dict)
    unit_code: str = ""

    def mark(self, period: str, group: str) -> str:
        if (period, group) not in self.suppressed:
            return ""
        return self.marks.get((period, group), SMALL)

    def title(self, period: str, group: str) -> str:
        """Why the value is not shown ("" when it is)."""
        mark = self.mark(period, group)
        return mark_title(mark, self.threshold) if mark else ""

    @property
    def notes(self) -> list[tuple[str, str]]:
        return mark_notes({self.mark(p, g) for p, g in self.suppressed}, self.threshold)

    def text(self, period: str, group: str) -> str:
        if (period, group) in self.suppressed:
            mark = self.mark(period, group)
            return WITHHELD_LABEL if mark == WITHHELD else hidden_text(mark, self.threshold)
        value = self.values.get((period, group))
        note = self.footnotes.get((period, group), "")
        if value is None:
            return note or "–"
        number = (f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}").translate(
            str.maketrans(",.", ".,")
        )
        if note and note != "-":
            return f"{number} {note}"
        return "-" if note == "-" else number

    def group_label(self, group: str) -> str:
        if not group:
            return str(_("Total"))
        if self.dimension == "district":
            from .districts import name_of

            return name_of(group)
        return group


def last_months(n: int, today: date | None = None) -> list[Period]:
    today = today or local_today()
    periods = []
    year, month = today.year, today.month
    for _i in range(n):
        periods.append(Period(f"{year:04d}-{month:02d}"))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(periods))


def computed_series(code: str, periods: list[Period]) -> Series:
    indicator = PROVIDERS[code]
    threshold = min_group_size()
    values: dict[tuple[str, str], float | None] = {}
    suppressed: set[tuple[str, str]] = set()
    marks: dict[tuple[str, str], str] = {}
    groups: list[str] = []
    for period in periods:
        result = dict(indicator.provider(period))
        hidden: dict[str, bool] = {}
        if indicator.suppress_small:
            # "" is the total the provider publishes; the groups are protected
            # against it (secondary suppression), the total itself when needed.
            groups_only = {k: int(v) for k, v in result.items() if k != ""}
            protection = protect(groups_only, threshold)
            hidden = dict(protection.hidden)
            hidden[""] = protection.total_hidden and "" in result
        for group, value in result.items():
            if group not in groups:
                groups.append(group)
            if hidden.get(group):
                suppressed.add((period.key, group))
                marks[(period.key, group)] = count_mark(int(value), True, threshold)
                values[(period.key, group)] = None
            else:
                values[(period.key, group)] = float(value)
    return Series(
        code,
        str(indicator.name),
        unit_label(indicator.unit),
        indicator.source,
        "computed",
        [p.key for p in periods],
        sorted(groups),
        values,
        suppressed,
        threshold,
        dimension=indicator.dimension,
        marks=marks,
        unit_code=indicator.unit,
    )


def imported_series(indicator: Indicator) -> Series:
    if indicator.numerator_code:
        return combined_series(indicator)
    rows = db.session.execute(
        select(
            IndicatorValue.period,
            IndicatorValue.dimension,
            IndicatorValue.dimension_value,
            IndicatorValue.value,
            IndicatorValue.footnote,
            IndicatorValue.table_code,
        )
        .where(IndicatorValue.indicator_id == indicator.id)
        .order_by(IndicatorValue.period)
    ).all()
    periods = sorted({r.period for r in rows})
    groups = sorted({r.dimension_value for r in rows})
    dimension = next((r.dimension for r in rows if r.dimension), "")
    return Series(
        indicator.code,
        indicator.name,
        unit_label(indicator.unit),
        indicator.source,
        "imported",
        periods,
        groups,
        {(r.period, r.dimension_value): None if r.value is None else float(r.value) for r in rows},
        set(),
        min_group_size(),
        dimension=dimension,
        footnotes={(r.period, r.dimension_value): r.footnote for r in rows if r.footnote},
        table_codes=sorted({r.table_code for r in rows if r.table_code}),
        unit_code=indicator.unit,
    )


# --- combined indicators: imported series with the network's own figures -------------------


def operand_series(code: str, periods: list[Period] | None = None) -> Series | None:
    """An indicator's series by code: computed (for the given periods, by
    default the years of the last five) or imported."""
    if code in PROVIDERS:
        if periods is None:
            year = local_today().year
            periods = [Period(str(y)) for y in range(year - 4, year + 1)]
        return computed_series(code, periods)
    found = get_imported(code)
    if found is None or found.numerator_code:
        return None
    return imported_series(found)


def combined_series(indicator: Indicator, periods: list[Period] | None = None) -> Series:
    """numerator / denominator x factor per period and group.

    Imported operands cover the periods they have; computed ones (the
    network's own counts) are asked for the same years.  A share is shown
    when both operands are shown and withheld (suppression.WITHHELD) when
    either is hidden: with the other one shown, the share would give the
    hidden count back (see suppression.py for the rule).
    """
    numerator = indicator.numerator_code or ""
    denominator = indicator.denominator_code or ""
    num = operand_series(numerator, periods)
    if periods is None and num is not None and num.kind == "imported" and num.periods:
        periods = [Period(p) for p in num.periods if PERIOD_RE.match(p)]
    den = operand_series(denominator, periods)
    if periods is None and den is not None and den.kind == "imported" and den.periods:
        periods = [Period(p) for p in den.periods if PERIOD_RE.match(p)]
        num = operand_series(numerator, periods)
    threshold = min_group_size()
    factor = indicator.factor if indicator.factor is not None else 1.0
    values: dict[tuple[str, str], float | None] = {}
    suppressed: set[tuple[str, str]] = set()
    marks: dict[tuple[str, str], str] = {}
    footnotes: dict[tuple[str, str], str] = {}
    if num is None or den is None:
        period_keys: list[str] = []
        groups: list[str] = []
    else:
        period_keys = sorted(set(num.periods) & set(den.periods))
        groups = sorted(set(num.groups) | set(den.groups))
        for p in period_keys:
            for g in groups:
                key = (p, g)
                if key in num.suppressed or key in den.suppressed:
                    suppressed.add(key)
                    marks[key] = WITHHELD
                    values[key] = None
                    continue
                a, b = num.values.get(key), den.values.get(key)
                if a is None or b is None or b == 0:
                    values[key] = None
                    note = num.footnotes.get(key) or den.footnotes.get(key)
                    if note and note != "-":
                        footnotes[key] = note
                    continue
                values[key] = a / b * factor
                note = num.footnotes.get(key) or den.footnotes.get(key)
                if note and note != "-":
                    footnotes[key] = note
    dimension = (num.dimension if num else "") or (den.dimension if den else "")
    return Series(
        indicator.code,
        indicator.name,
        unit_label(indicator.unit),
        indicator.source,
        "combined",
        period_keys,
        groups,
        values,
        suppressed,
        threshold,
        dimension=dimension,
        footnotes=footnotes,
        table_codes=sorted(
            set((num.table_codes if num else []) + (den.table_codes if den else []))
        ),
        marks=marks,
        unit_code=indicator.unit,
    )


def any_series(code: str, periods: list[Period] | None = None) -> Series | None:
    """Every kind of indicator by code (the report and the district map use it)."""
    if code in PROVIDERS:
        return operand_series(code, periods)
    found = get_imported(code)
    if found is None:
        return None
    if found.numerator_code:
        return combined_series(found, periods)
    return imported_series(found)


def all_codes() -> list[tuple[str, str]]:
    """(code, name) of every indicator, computed first."""
    return [(c, str(i.name)) for c, i in PROVIDERS.items()] + [
        (i.code, i.name) for i in imported_indicators()
    ]


def define_combined(
    user: User,
    *,
    code: str,
    name: str,
    unit: str,
    numerator: str,
    denominator: str,
    factor: float,
    description: str = "",
) -> Indicator:
    known = {c for c, _n in all_codes()}
    if numerator not in known:
        raise IndicatorError(_("Unknown indicator."), "numerator")
    if denominator not in known:
        raise IndicatorError(_("Unknown indicator."), "denominator")
    indicator = define_indicator(
        user,
        code=code,
        name=name,
        unit=unit,
        source=_("Computed from %(a)s and %(b)s", a=numerator, b=denominator),
        dimensions="district",
        description=description,
    )
    with write_transaction():
        indicator.numerator_code = numerator
        indicator.denominator_code = denominator
        indicator.factor = factor
    return indicator


def imported_indicators() -> list[Indicator]:
    return list(db.session.scalars(select(Indicator).order_by(Indicator.name)))


def get_imported(code: str) -> Indicator | None:
    return db.session.scalar(select(Indicator).where(Indicator.code == code))


# --- defining and importing -----------------------------------------------------------------

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


def define_indicator(
    user: User, *, code: str, name: str, unit: str, source: str, dimensions: str, description: str
) -> Indicator:
    code = (code or "").strip().lower()
    if not CODE_RE.match(code):
        raise IndicatorError(
            _("Use lower-case letters, digits, '-' and '_' only (at most 60 characters)."), "code"
        )
    if code in PROVIDERS:
        raise IndicatorError(_("This code is already used."), "code")
    name = (name or "").strip()
    if not name:
        raise IndicatorError(_("Please enter a name."), "name")
    dims = ",".join(d.strip().lower() for d in (dimensions or "").split(",") if d.strip())
    try:
        with write_transaction():
            indicator = Indicator(
                code=code,
                name=name[:200],
                unit=(unit or "").strip()[:40],
                source=(source or "").strip()[:300],
                dimensions=dims[:200],
                description=(description or "").strip(),
            )
            db.session.add(indicator)
            db.session.flush()
            record(
                "monitoring.indicator_defined",
                "monitoring_indicator",
                indicator.id,
                actor_id=user.id,
                data={"code": code},
            )
    except IntegrityError:
        raise IndicatorError(_("This code is already used."), "code") from None
    return indicator


@dataclass
class ImportProblem:
    row: int  # 1 = header line
    column: str
    message: str


class ImportFailed(Exception):
    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


REQUIRED_COLUMNS = ("indicator", "period", "value")
OPTIONAL_COLUMNS = ("dimension", "dimension_value")


def _parse_number(text: str) -> float:
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if "," in cleaned:  # German notation: 1.234,5
        cleaned = cleaned.replace(".", "").replace(",", ".")
    value = float(cleaned)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def import_csv(user: User, data: bytes) -> int:
    """Import indicator values from CSV: all rows or none.

    Columns (header line, ``;`` or ``,`` separated): indicator, period
    (YYYY or YYYY-MM), value, and optionally dimension, dimension_value.
    A value for the same indicator, period and group replaces the old one.
    Every problem is reported with its row and column; if there is any,
    nothing is imported.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed([ImportProblem(0, "", _("The file is not UTF-8 text."))]) from None
    if not text.strip():
        raise ImportFailed([ImportProblem(0, "", _("The file is empty."))])
    try:
        dialect: Any = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    problems = [
        ImportProblem(1, column, _("The column is missing."))
        for column in REQUIRED_COLUMNS
        if column not in header
    ]
    if problems:
        raise ImportFailed(problems)
    indicators = {i.code: i for i in imported_indicators()}
    parsed: dict[tuple[int, str, str, str], tuple[int, float]] = {}
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_IMPORT_ROWS:
            problems.append(ImportProblem(line, "", _("Too many rows (at most 20000).")))
            break
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            problems.append(ImportProblem(line, "", _("The row has more cells than the header.")))
            continue
        if not any(row.values()):
            continue
        indicator = indicators.get(row.get("indicator", "").lower())
        if indicator is None:
            problems.append(ImportProblem(line, "indicator", _("Unknown indicator.")))
        try:
            period = Period.parse(row.get("period", "")).key
        except ValueError:
            problems.append(ImportProblem(line, "period", _("Use YYYY or YYYY-MM.")))
            period = ""
        try:
            value = _parse_number(row.get("value", ""))
        except ValueError:
            problems.append(ImportProblem(line, "value", _("Not a number.")))
            value = 0.0
        dimension = row.get("dimension", "").lower()
        dimension_value = row.get("dimension_value", "")
        if indicator is not None and dimension and dimension not in indicator.dimension_list:
            problems.append(
                ImportProblem(line, "dimension", _("The indicator has no such dimension."))
            )
        if bool(dimension) != bool(dimension_value):
            problems.append(
                ImportProblem(
                    line,
                    "dimension_value",
                    _("Give both dimension and dimension_value, or neither."),
                )
            )
        if len(dimension_value) > 200:
            problems.append(ImportProblem(line, "dimension_value", _("Too long.")))
        if indicator is None or not period:
            continue
        key = (indicator.id, period, dimension, dimension_value)
        if key in parsed:
            problems.append(
                ImportProblem(
                    line, "period", _("Same value as in row %(row)s.", row=parsed[key][0])
                )
            )
        parsed[key] = (line, value)
    if problems:
        raise ImportFailed(problems)
    if not parsed:
        raise ImportFailed([ImportProblem(0, "", _("The file has no rows."))])
    now = utcnow()
    with write_transaction():
        existing = {
            (v.indicator_id, v.period, v.dimension, v.dimension_value): v
            for v in db.session.scalars(
                select(IndicatorValue).where(
                    IndicatorValue.indicator_id.in_({k[0] for k in parsed})
                )
            )
        }
        for key, (_line, value) in parsed.items():
            found = existing.get(key)
            if found is not None:
                found.value = value
                found.imported_at = now
            else:
                db.session.add(
                    IndicatorValue(
                        indicator_id=key[0],
                        period=key[1],
                        dimension=key[2],
                        dimension_value=key[3],
                        value=value,
                        imported_at=now,
                    )
                )
        record(
            "monitoring.values_imported",
            "monitoring_indicator",
            None,
            actor_id=user.id,
            data={"rows": len(parsed)},
        )
    return len(parsed)
