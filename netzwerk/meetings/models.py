"""Papers (Vorlagen): the first kind of object that runs through a workflow."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import Model
from ..workflow.models import WorkflowMixin

if TYPE_CHECKING:
    from ..governance.models import Body, Person


class PaperKind(StrEnum):
    RESOLUTION = "resolution"  # Beschlussvorlage
    INFORMATION = "information"  # Informationsvorlage
    MOTION = "motion"  # Antrag

    @property
    def label(self) -> str:
        return str(PAPER_KIND_LABELS[self])

    @property
    def slot(self) -> str:
        """The workflow slot a body chooses a workflow for."""
        return f"paper:{self.value}"


PAPER_KIND_LABELS = {
    PaperKind.RESOLUTION: _l("Resolution paper"),
    PaperKind.INFORMATION: _l("Information paper"),
    PaperKind.MOTION: _l("Motion"),
}


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


def _register_subject() -> None:
    from flask import url_for

    from ..workflow.registry import Subject, register_subject

    def url(paper: Paper) -> str:
        try:
            return url_for("meetings.paper", paper_id=paper.id)
        except RuntimeError:  # no request (scheduler): a path relative to the site
            return f"/vorlagen/{paper.id}"

    def assign(paper: Paper) -> str:
        from .services import assign_paper_number

        return assign_paper_number(paper)

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
        )
    )


_register_subject()
