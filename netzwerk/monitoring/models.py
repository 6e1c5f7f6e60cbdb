"""Indicators of the education monitoring and their values per period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import Model
from ..feedback.models import Feedback


class Indicator(Model):
    """An imported indicator (official statistics); computed ones live in the
    provider registry (netzwerk.monitoring.indicators) and need no row."""

    __tablename__ = "monitoring_indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40), default="")
    source: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # Comma-separated names of the dimensions the values may be broken down by.
    dimensions: Mapped[str] = mapped_column(String(200), default="")
    # A combined indicator: numerator / denominator * factor, each operand the
    # code of an imported or a computed indicator (the network's own figures).
    numerator_code: Mapped[str | None] = mapped_column(String(60))
    denominator_code: Mapped[str | None] = mapped_column(String(60))
    factor: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    values: Mapped[list[IndicatorValue]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def dimension_list(self) -> list[str]:
        return [d for d in self.dimensions.split(",") if d]


class IndicatorValue(Model):
    __tablename__ = "monitoring_indicator_value"
    __table_args__ = (
        UniqueConstraint("indicator_id", "period", "dimension", "dimension_value"),
        CheckConstraint("length(period) IN (4, 7)", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_indicator.id", ondelete="CASCADE"), index=True
    )
    period: Mapped[str] = mapped_column(String(7))  # YYYY or YYYY-MM
    dimension: Mapped[str] = mapped_column(String(60), default="")  # "" = total
    dimension_value: Mapped[str] = mapped_column(String(200), default="")
    # None: the table gives no number (footnote marker ".", "x", "...", "/").
    value: Mapped[float | None] = mapped_column(Float)
    # Where it came from: the statistical office, its table code, the marker.
    source: Mapped[str] = mapped_column(String(300), default="")
    table_code: Mapped[str] = mapped_column(String(60), default="")
    footnote: Mapped[str] = mapped_column(String(20), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    indicator: Mapped[Indicator] = relationship(back_populates="values")


# --- indexes for the dashboard's figures (on the feedback table) -------------------------
#
# Every figure of the dashboard is a GROUP BY over all feedback in the period.
# At 100,000 entries a scan of the table's rows cost 60-110 ms per breakdown;
# these covering indexes let each breakdown read one narrow index instead
# (about 15 ms), in the order of its groups, and let the months be range
# scans (see dashboard._per_month).  They belong to the monitoring, so they
# are declared here, beside its other tables, on the feedback table.
DASHBOARD_DIMENSIONS = (
    "category_id",
    "target_group_id",
    "district_id",
    "language",
    "channel",
    "migration",
)
DASHBOARD_INDEXES = [
    Index(
        "ix_feedback_monitoring_month",
        Feedback.created_at,
        *(Feedback.__table__.c[name] for name in DASHBOARD_DIMENSIONS),
        Feedback.rating,
    ),
    *(
        Index(
            f"ix_feedback_monitoring_{name.removesuffix('_id')}",
            Feedback.__table__.c[name],
            Feedback.created_at,
            Feedback.rating,
        )
        for name in DASHBOARD_DIMENSIONS
    ),
]
