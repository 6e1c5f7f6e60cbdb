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
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

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


def parse_amount(text: Any) -> Decimal:
    """An amount in euros: "1.234,50", "1234.5", "1234" (German notation first)."""
    if isinstance(text, Decimal):
        value = text
    else:
        cleaned = str(text or "").strip().replace("€", "").replace(" ", "")
        if "," in cleaned or re.fullmatch(r"\d{1,3}(\.\d{3})+", cleaned):
            # German notation: point for thousands ("6.000"), comma for decimals.
            cleaned = cleaned.replace(".", "").replace(",", ".")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise FundingError(_("Please enter an amount such as 1.234,50."), "amount") from None
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
        raise FundingError(_("Please enter an amount such as 1.234,50."), "amount")
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
            data={"source": source, "amount": str(value)},
        )
    return spending


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
    stmt = select(FundingSpending).where(FundingSpending.project_id == project_id)
    if start is not None:
        stmt = stmt.where(FundingSpending.spent_on >= start)
    if end is not None:
        stmt = stmt.where(FundingSpending.spent_on <= end)
    return list(db.session.scalars(stmt.order_by(FundingSpending.spent_on, FundingSpending.id)))


def euro(value: Decimal) -> str:
    text = f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{text} €"


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
