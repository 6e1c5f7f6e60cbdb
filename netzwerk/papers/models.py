"""Papers (Vorlagen), their attachments and consultations.

Invariants the database enforces: paper numbers are unique, one stored file
per paper and content hash, one consultation per paper, body and role; enum
values are check constraints.  A consultation names the meeting that deals
with the paper (the meetings package, one layer up, is known here by name
only).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, enum_check, utcnow
from ..extensions import Model
from ..labels import Labelled, labels
from ..workflow.models import WorkflowMixin

if TYPE_CHECKING:
    from ..governance.models import Body, Person
    from ..meetings.models import Meeting


class PaperKind(Labelled):
    RESOLUTION = "resolution"  # Beschlussvorlage
    INFORMATION = "information"  # Informationsvorlage
    MOTION = "motion"  # Antrag

    @property
    def slot(self) -> str:
        """The workflow slot a body chooses a workflow for."""
        return f"paper:{self.value}"


PAPER_KIND_LABELS = labels(
    PaperKind,
    {
        PaperKind.RESOLUTION: _l("Resolution paper"),
        PaperKind.INFORMATION: _l("Information paper"),
        PaperKind.MOTION: _l("Motion"),
    },
)


class Paper(WorkflowMixin, Model):
    """A Vorlage submitted to a body; the body's roles apply to its workflow."""

    __tablename__ = "paper"
    __table_args__ = (
        CheckConstraint("kind IN ('resolution', 'information', 'motion')", name="kind"),
        CheckConstraint("version >= 0", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    author_person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="RESTRICT"), index=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    author: Mapped[Person] = relationship()
    body: Mapped[Body] = relationship()

    @property
    def kind_label(self) -> str:
        return PaperKind(self.kind).label

    def __repr__(self) -> str:
        return f"<Paper {self.id} {self.state}>"


def register_paper_subject() -> None:
    from flask import url_for
    from flask_babel import lazy_gettext as _l

    from ..workflow.registry import Subject, register_subject

    def url(paper: Paper) -> str:
        try:
            return url_for("papers.paper", paper_id=paper.id)
        except RuntimeError:  # no request (scheduler): a path relative to the site
            return f"/vorlagen/{paper.id}"

    def assign(paper: Paper, now: datetime) -> str:
        from .services import assign_paper_number

        return assign_paper_number(paper, now)

    register_subject(
        Subject(
            object_type="paper",
            model=Paper,
            body_id_of=lambda p: p.body_id,
            relations_of=lambda p, person_id: (
                {"author"} if p.author_person_id == person_id else set()
            ),
            title_of=lambda p: p.title,
            url_of=url,
            author_person_ids=lambda p: {p.author_person_id},
            assign_number=assign,
            label=_l("Papers"),
            slots={
                "paper:resolution": _l("Resolution paper"),
                "paper:information": _l("Information paper"),
                "paper:motion": _l("Motion"),
            },
            relation_roles=frozenset({"author"}),
        )
    )


# --- attachments and consultations ------------------------------------------


class PaperAttachment(Model):
    """A file attached to a paper; the file itself is stored under its SHA-256."""

    __tablename__ = "paper_attachment"
    __table_args__ = (
        UniqueConstraint("paper_id", "sha256"),
        CheckConstraint("size >= 0", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class ConsultationRole(Labelled):
    PRELIMINARY = "preliminary"  # Vorberatung
    DECIDING = "deciding"  # Entscheidung


CONSULTATION_ROLE_LABELS = labels(
    ConsultationRole,
    {
        ConsultationRole.PRELIMINARY: _l("Preliminary consultation"),
        ConsultationRole.DECIDING: _l("Decision"),
    },
)


class ConsultationResult(Labelled):
    ADOPTED = "adopted"
    REJECTED = "rejected"
    RECOMMENDED = "recommended"
    NOTED = "noted"
    POSTPONED = "postponed"


CONSULTATION_RESULT_LABELS = labels(
    ConsultationResult,
    {
        ConsultationResult.ADOPTED: _l("Adopted"),
        ConsultationResult.REJECTED: _l("Rejected"),
        ConsultationResult.RECOMMENDED: _l("Recommended"),
        ConsultationResult.NOTED: _l("Taken note of"),
        ConsultationResult.POSTPONED: _l("Postponed"),
    },
)


class Consultation(Model):
    """Which body deals with a paper, in which role, and with what result."""

    __tablename__ = "paper_consultation"
    __table_args__ = (
        UniqueConstraint("paper_id", "body_id", "role"),
        CheckConstraint(enum_check("role", ConsultationRole), name="role"),
        CheckConstraint(
            "result IS NULL OR " + enum_check("result", ConsultationResult), name="result"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="SET NULL"), index=True
    )
    result: Mapped[str | None] = mapped_column(String(20))
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    body: Mapped[Body] = relationship()
    meeting: Mapped[Meeting | None] = relationship()

    @property
    def role_label(self) -> str:
        return ConsultationRole(self.role).label

    @property
    def result_label(self) -> str:
        return ConsultationResult(self.result).label if self.result else ""
