"""Budgets by funding source, spending, overspending, proof of spending.

A project's budget is kept per funding source (Land, Bund/ESF, Bürgerstiftung
Osnabrück, Deutsche Bundesstiftung Umwelt, own funds).  Spending is recorded
against a source, optionally with the status report it belongs to.  A source
whose spending exceeds its budget is flagged (spending without any budget
from that source too).  The proof of spending (Verwendungsnachweis) is a
PDF/A per project and period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..audit.services import record
from ..auth.models import User
from ..database import write_transaction
from ..extensions import db
from ..rules import RuleError
from ..timeutil import local_today
from .models import SOURCES, FundingBudget, FundingSpending

SOURCE_LABELS: dict[str, Any] = {
    "land": _l("Land Niedersachsen"),
    "bund_esf": _l("Bund / ESF"),
    "buergerstiftung": _l("Bürgerstiftung Osnabrück"),
    "dbu": _l("Deutsche Bundesstiftung Umwelt"),
    "eigenmittel": _l("Own funds"),
}
MAX_AMOUNT = Decimal("9999999999.99")


class FundingError(RuleError):
    """A budget or a spending was refused."""


# "1.234,56", "1234,5", "1.234" (thousands) in German notation; "1234.56" plain.
_GERMAN_AMOUNT = re.compile(r"(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?")
_PLAIN_AMOUNT = re.compile(r"\d+(?:\.\d+)?")


def parse_amount(text: Any, field: str = "amount") -> Decimal:
    """An amount in euros and cents: "1.234,56", "1234,5", "6.000" (German
    notation first), "1234.56"; never negative, at most two decimal places."""
    if isinstance(text, Decimal | int) and not isinstance(text, bool):
        value = Decimal(text)
    else:
        cleaned = str(text or "").strip().replace("€", "").replace(" ", "").replace("\u2212", "-")
        digits = cleaned.removeprefix("-")
        if _GERMAN_AMOUNT.fullmatch(digits):
            digits = digits.replace(".", "").replace(",", ".")
        elif not _PLAIN_AMOUNT.fullmatch(digits):
            raise FundingError(_("Please enter an amount such as 1.234,50."), field)
        value = Decimal(digits)
        if cleaned.startswith("-"):
            value = -value
    if not value.is_finite() or value > MAX_AMOUNT:
        raise FundingError(_("Please enter an amount such as 1.234,50."), field)
    if value < 0:
        raise FundingError(_("The amount cannot be negative."), field)
    if int(value.as_tuple().exponent) < -2:
        raise FundingError(_("Please give at most two decimal places (cents)."), field)
    return value.quantize(Decimal("0.01"))


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise FundingError(_("Please choose one of the options."), "source")


def set_budget(user: User, project_id: int, source: str, amount: Any) -> FundingBudget:
    _check_source(source)
    value = parse_amount(amount)
    with write_transaction():
        budget = db.session.scalar(
            select(FundingBudget).where(
                FundingBudget.project_id == project_id, FundingBudget.source == source
            )
        )
        if budget is None:
            budget = FundingBudget(project_id=project_id, source=source, amount=value)
            db.session.add(budget)
        else:
            budget.amount = value
        db.session.flush()
        record(
            "funding.budget_set",
            "project",
            project_id,
            actor_id=user.id,
            data={"source": source, "amount": str(value)},
        )
    return budget


def record_spending(
    user: User,
    project_id: int,
    *,
    source: str,
    spent_on: date,
    amount: Any,
    purpose: str,
    status_report_id: int | None = None,
) -> FundingSpending:
    from ..projects.models import StatusReport

    _check_source(source)
    value = parse_amount(amount)
    if value <= 0:
        raise FundingError(_("Please enter an amount above zero."), "amount")
    if spent_on > local_today():
        raise FundingError(_("The date lies in the future."), "spent_on")
    if status_report_id is not None:
        report = db.session.get(StatusReport, status_report_id)
        if report is None or report.project_id != project_id:
            raise FundingError(_("Please choose one of the options."), "status_report")
    with write_transaction():
        spending = FundingSpending(
            project_id=project_id,
            source=source,
            spent_on=spent_on,
            amount=value,
            purpose=(purpose or "").strip()[:300],
            status_report_id=status_report_id,
            created_by_id=user.id,
        )
        db.session.add(spending)
        db.session.flush()
        record(
            "funding.spending_recorded",
            "project",
            project_id,
            actor_id=user.id,
            data={"source": source, "amount": str(value), "status_report_id": status_report_id},
        )
    return spending


# --- spending recorded with a status report --------------------------------------------------


def budget_sources(project_id: int) -> list[tuple[str, str]]:
    """The project's funding sources (those with a budget), as (code, label)."""
    found = set(
        db.session.scalars(
            select(FundingBudget.source).where(FundingBudget.project_id == project_id)
        )
    )
    return [(source, str(SOURCE_LABELS[source])) for source in SOURCES if source in found]


@dataclass(frozen=True)
class SpendingLine:
    source: str
    amount: Decimal
    purpose: str


SPENDING_LINES_NAME = "spending"  # the lines' field names: spending-<i>-source|amount|purpose
PURPOSE_MAX = 200


def spending_lines(project_id: int, rows: Any, spent_on: date | None) -> list[SpendingLine]:
    """Check the spending lines of a status report: each non-empty line needs
    a source of the project's budget and an amount above zero in euros and
    cents; an empty line (no amount, no purpose) is left out.  An error
    names the line's field (``spending-<i>-amount``)."""
    sources = {code for code, _label in budget_sources(project_id)}
    lines = []
    for index, row in enumerate(rows or []):
        row = dict(row or {})
        name = f"{SPENDING_LINES_NAME}-{index}-"
        amount = str(row.get("amount") or "").strip()
        purpose = " ".join(str(row.get("purpose") or "").split())
        if not amount and not purpose:
            continue
        source = str(row.get("source") or "")
        if source not in sources:
            raise FundingError(
                _("Please choose one of the project's funding sources."), name + "source"
            )
        if not amount:
            raise FundingError(_("Please enter the amount."), name + "amount")
        value = parse_amount(amount, name + "amount")
        if value <= 0:
            raise FundingError(_("Please enter an amount above zero."), name + "amount")
        if len(purpose) > PURPOSE_MAX:
            raise FundingError(_("At most 200 characters."), name + "purpose")
        lines.append(SpendingLine(source, value, purpose))
    if lines and isinstance(spent_on, date) and spent_on > local_today():
        raise FundingError(
            _("Spending cannot be recorded with a report dated in the future."), "report_date"
        )
    return lines


def file_status_report(user: User, project: Any, *, spending: Any, **report: Any) -> Any:
    """File a status report with the spending it records (one FundingSpending
    per line, through :func:`record_spending`, dated on the report's date):
    all of it or, on an error, nothing."""
    from ..projects import services as projects

    lines = spending_lines(project.id, spending, report.get("report_date"))
    with write_transaction():
        filed = projects.add_report(user, project, **report)
        _record_lines(user, filed, lines)
    return filed


def _record_lines(user: User, filed: Any, lines: list[SpendingLine]) -> None:
    """Record a report's spending lines, dated on the report's date."""
    for line in lines:
        record_spending(
            user,
            filed.project_id,
            source=line.source,
            spent_on=filed.report_date,
            amount=line.amount,
            purpose=line.purpose,
            status_report_id=filed.id,
        )


def report_spending(report_id: int) -> list[FundingSpending]:
    """The spending recorded with a status report, in the order it was entered."""
    return list(
        db.session.scalars(
            select(FundingSpending)
            .where(FundingSpending.status_report_id == report_id)
            .order_by(FundingSpending.id)
        )
    )


def revise_status_report(user: User, report: Any, *, spending: Any, **fields: Any) -> Any:
    """Correct a filed status report together with the spending it records,
    all of it or, on an error, nothing.

    The report goes through ``projects.services.update_report`` (same rules
    and audit).  Its spending follows the report's date.  When the lines
    differ from those recorded, the recorded ones are withdrawn (audited with
    what they were) and the new ones recorded as on filing; unchanged lines
    stay as they are, and so do all when ``spending`` is None (a form
    without lines: the project has no budget).  Returns the report's
    ``ReportUpdate`` (``changed`` also when only the spending changed)."""
    from ..projects import services as projects

    report_date = fields.get("report_date")
    lines = None if spending is None else spending_lines(report.project_id, spending, report_date)
    with write_transaction():
        update = projects.update_report(user, report, **fields)
        filed = update.report
        recorded = report_spending(filed.id)
        as_recorded = [SpendingLine(s.source, s.amount, s.purpose) for s in recorded]
        if lines is None or as_recorded == lines:
            if recorded and filed.report_date > local_today():
                raise FundingError(
                    _("Spending cannot be recorded with a report dated in the future."),
                    "report_date",
                )
            for spent in recorded:
                spent.spent_on = filed.report_date  # the report's date moved (audited there)
            return update
        for spent in recorded:
            db.session.delete(spent)
        db.session.flush()
        if recorded:
            record(
                "funding.spending_withdrawn",
                "project",
                filed.project_id,
                actor_id=user.id,
                data={
                    "status_report_id": filed.id,
                    "lines": [
                        {"source": s.source, "amount": str(s.amount), "purpose": s.purpose}
                        for s in recorded
                    ],
                },
            )
        _record_lines(user, filed, lines)
    return projects.ReportUpdate(filed, True)


@dataclass
class SourceLine:
    source: str
    label: str
    budget: Decimal
    spent: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.spent

    @property
    def overspent(self) -> bool:
        return self.spent > self.budget


@dataclass
class Overview:
    lines: list[SourceLine]

    @property
    def budget(self) -> Decimal:
        return sum((line.budget for line in self.lines), Decimal("0"))

    @property
    def spent(self) -> Decimal:
        return sum((line.spent for line in self.lines), Decimal("0"))

    @property
    def overspent(self) -> list[SourceLine]:
        return [line for line in self.lines if line.overspent]


def overview(project_id: int, start: date | None = None, end: date | None = None) -> Overview:
    """Budget and spending per source (spending within [start, end] if given): two queries."""
    budgets = dict(
        db.session.execute(
            select(FundingBudget.source, FundingBudget.amount).where(
                FundingBudget.project_id == project_id
            )
        )
        .tuples()
        .all()
    )
    conditions = [FundingSpending.project_id == project_id]
    if start is not None:
        conditions.append(FundingSpending.spent_on >= start)
    if end is not None:
        conditions.append(FundingSpending.spent_on <= end)
    spent = dict(
        db.session.execute(
            select(FundingSpending.source, func.sum(FundingSpending.amount))
            .where(*conditions)
            .group_by(FundingSpending.source)
        )
        .tuples()
        .all()
    )
    lines = [
        SourceLine(
            source,
            str(SOURCE_LABELS[source]),
            Decimal(budgets.get(source) or 0),
            Decimal(spent.get(source) or 0),
        )
        for source in SOURCES
        if source in budgets or source in spent
    ]
    return Overview(lines)


def spendings(
    project_id: int, start: date | None = None, end: date | None = None
) -> list[FundingSpending]:
    stmt = (
        select(FundingSpending)
        .where(FundingSpending.project_id == project_id)
        .options(joinedload(FundingSpending.status_report))
    )
    if start is not None:
        stmt = stmt.where(FundingSpending.spent_on >= start)
    if end is not None:
        stmt = stmt.where(FundingSpending.spent_on <= end)
    return list(db.session.scalars(stmt.order_by(FundingSpending.spent_on, FundingSpending.id)))


def german_amount(value: Decimal) -> str:
    """An amount as a German form takes it back: ``1.234,50``."""
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def euro(value: Decimal) -> str:
    return f"{german_amount(value)} €"


def proof_pdf(project: Any, start: date, end: date) -> bytes:
    """The proof of spending (Verwendungsnachweis) of one project and period, PDF/A-3b.

    The budget is the whole grant; the spending listed is that of the period,
    and the comparison flags a source overspent over the whole project.
    """
    from .. import pdf

    html = render_template(
        "funding/proof_pdf.html",
        project=project,
        start=start,
        end=end,
        period=overview(project.id, start, end),
        total=overview(project.id),
        items=spendings(project.id, start, end),
        labels=SOURCE_LABELS,
        euro=euro,
        today=local_today(),
    )
    return pdf.render(html, pdf_variant="pdf/a-3b", pdf_tags=True, lang="de")
