"""Funding of projects: budget per funding source, spending, proof of spending."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import Model

if TYPE_CHECKING:
    from ..projects.models import Project, StatusReport

SOURCES = ("land", "bund_esf", "buergerstiftung", "dbu", "eigenmittel")
_SOURCE_CHECK = "source IN ('land', 'bund_esf', 'buergerstiftung', 'dbu', 'eigenmittel')"


class FundingBudget(Model):
    """The amount a funding source granted a project."""

    __tablename__ = "funding_budget"
    __table_args__ = (
        UniqueConstraint("project_id", "source"),
        CheckConstraint(_SOURCE_CHECK, name="source"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[Project] = relationship()


class FundingSpending(Model):
    """Money spent against a source, recorded with a status report (or alone)."""

    __tablename__ = "funding_spending"
    __table_args__ = (
        CheckConstraint(_SOURCE_CHECK, name="source"),
        CheckConstraint("amount > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    status_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("project_status_report.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(30))
    spent_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    purpose: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    project: Mapped[Project] = relationship()
    status_report: Mapped[StatusReport | None] = relationship()
