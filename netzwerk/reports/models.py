"""The education report (Bildungsbericht): chapters, versions, the frozen edition."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import Model
from ..jobqueue import PROGRESS_CHECK, STATE_CHECK, JobColumns
from ..workflow.models import WorkflowMixin

# Flags of report states (workflows/bildungsbericht.yaml): ``editable``: the
# office may change chapters and commentary; ``approved``: the edition is
# frozen (PDF/A, HTML and CSV stored, never rendered again).
EDITABLE = "editable"
APPROVED = "approved"
REPORT_FLAGS = frozenset({EDITABLE, APPROVED})


class EducationReport(WorkflowMixin, Model):
    __tablename__ = "education_report"
    __table_args__ = (
        CheckConstraint("year_to >= year_from", name="period"),
        CheckConstraint("version >= 0", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    year_from: Mapped[int] = mapped_column(Integer)
    year_to: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    chapters: Mapped[list[ReportChapter]] = relationship(
        back_populates="report",
        cascade="all, delete-orphan",
        order_by="ReportChapter.position",
    )
    versions: Mapped[list[ReportVersion]] = relationship(
        back_populates="report",
        cascade="all, delete-orphan",
        order_by="ReportVersion.number",
    )

    @property
    def period_label(self) -> str:
        if self.year_from == self.year_to:
            return str(self.year_from)
        return f"{self.year_from}–{self.year_to}"

    def has_flag(self, flag: str) -> bool:
        from ..workflow.services import has_flag

        return has_flag(self, flag)


class ReportChapter(Model):
    __tablename__ = "education_report_chapter"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("education_report.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    commentary: Mapped[str] = mapped_column(Text, default="")
    # Codes of the indicators shown, comma-separated, in their order.
    indicators: Mapped[str] = mapped_column(String(1000), default="")
    show_map: Mapped[bool] = mapped_column(Boolean, default=True)
    show_chart: Mapped[bool] = mapped_column(Boolean, default=True)

    report: Mapped[EducationReport] = relationship(back_populates="chapters")

    @property
    def indicator_codes(self) -> list[str]:
        return [c for c in self.indicators.split(",") if c]


class ReportVersion(Model):
    """A saved draft (snapshot of text and figures) or the frozen edition."""

    __tablename__ = "education_report_version"
    __table_args__ = (UniqueConstraint("report_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("education_report.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    snapshot: Mapped[str] = mapped_column(Text)  # JSON
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    html: Mapped[str | None] = mapped_column(Text)
    csv: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))

    report: Mapped[EducationReport] = relationship(back_populates="versions")


class ReportJob(JobColumns, Model):
    """A PDF of the report rendered in the scheduler, not in a web request
    (:mod:`.jobs`): ``approval`` fires the approving step, whose effect
    renders and freezes the edition; ``edition`` renders a saved version's
    PDF into the version; ``preview`` renders the current draft (its
    snapshot in ``params``) into ``result``."""

    __tablename__ = "education_report_job"
    __table_args__ = (
        UniqueConstraint("open_key"),
        CheckConstraint("kind IN ('approval', 'edition', 'preview')", name="kind"),
        CheckConstraint(STATE_CHECK, name="state"),
        CheckConstraint(PROGRESS_CHECK, name="progress"),
    )

    report_id: Mapped[int] = mapped_column(
        ForeignKey("education_report.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("education_report_version.id", ondelete="CASCADE")
    )
    result: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
