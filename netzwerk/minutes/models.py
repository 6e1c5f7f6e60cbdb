"""Minutes (Protokolle): versions, summaries per agenda item, frozen PDFs, cache.

Invariants the database enforces:

* one version number per meeting: ``minutes(meeting_id, version_no)``; a
  correction is a new version whose ``corrects_id`` names the version it
  corrects;
* one summary per version and agenda item, with a revision counter for the
  optimistic check of concurrent editors;
* one frozen document per version and edition (``full`` / ``public``); the
  services write it once, at approval, and change it only by appending
  personal signatures (incremental updates: the approved bytes stay the
  file's beginning, see :mod:`.signatures`);
* one cached draft render per meeting, version and kind;
* at most one waiting or running render job per thing it builds;
* a correction request (sent while the minutes circulate) that is answered
  names when; a declined one says why.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
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

if TYPE_CHECKING:
    from ..governance.models import Person
    from ..meetings.models import Meeting


# The flag of the minutes workflow's states in which members send correction
# requests (the circulation); code asks it, never a state's name.
OPEN_FOR_CORRECTIONS = "open_for_corrections"


class Minutes(WorkflowMixin, Model):
    """One version of the minutes of a meeting, under the workflow ``protokoll``."""

    __tablename__ = "minutes"
    __table_args__ = (
        UniqueConstraint("meeting_id", "version_no"),
        CheckConstraint("version_no >= 1", name="version_no"),
        CheckConstraint("corrects_id IS NULL OR corrects_id <> id", name="not_own_correction"),
        CheckConstraint("version >= 0", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="RESTRICT"), index=True
    )
    version_no: Mapped[int] = mapped_column(Integer, default=1)
    corrects_id: Mapped[int | None] = mapped_column(
        ForeignKey("minutes.id", ondelete="RESTRICT"), index=True
    )
    correction_reason: Mapped[str | None] = mapped_column(Text)
    minute_taker_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    approval_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL"), index=True
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    meeting: Mapped[Meeting] = relationship()
    minute_taker: Mapped[Person | None] = relationship()
    corrects: Mapped[Minutes | None] = relationship(remote_side="Minutes.id")

    @property
    def title(self) -> str:
        number = self.meeting.number if self.meeting is not None else "?"
        if self.version_no > 1:
            return str(
                _l(
                    "Minutes of %(number)s, version %(version)d",
                    number=number,
                    version=self.version_no,
                )
            )
        return str(_l("Minutes of %(number)s", number=number))

    def __repr__(self) -> str:
        return f"<Minutes {self.id} v{self.version_no} {self.state}>"


class MinutesEntry(Model):
    """The minute-taker's summary of one agenda item in one version."""

    __tablename__ = "minutes_entry"
    __table_args__ = (
        UniqueConstraint("minutes_id", "agenda_item_id"),
        CheckConstraint("revision >= 1", name="revision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id", ondelete="CASCADE"))
    agenda_item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="RESTRICT"), index=True
    )
    summary: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class MinutesDocument(Model):
    """The frozen PDF of an approved version: stored once with its SHA-256."""

    __tablename__ = "minutes_document"
    __table_args__ = (
        UniqueConstraint("minutes_id", "edition"),
        CheckConstraint("edition IN ('full', 'public')", name="edition"),
        CheckConstraint("size >= 0", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id", ondelete="RESTRICT"))
    edition: Mapped[str] = mapped_column(String(10))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PdfCache(Model):
    """The last draft render of a meeting's minutes or invitation.

    ``fingerprint`` is the SHA-256 over everything that goes into the PDF;
    a request whose fingerprint matches is served from here without a render.
    """

    __tablename__ = "minutes_pdf_cache"
    __table_args__ = (UniqueConstraint("cache_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cache_key: Mapped[str] = mapped_column(String(80))
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MinutesJob(JobColumns, Model):
    """A render that runs in the scheduler, not in a web request (:mod:`.jobs`;
    the columns and the queue are the shared ones of :mod:`netzwerk.jobqueue`).

    ``kind`` is ``approval`` (render, seal and fire the approving step),
    ``draft`` (a long draft PDF) or ``bundle`` (a Sitzungsmappe).
    """

    __tablename__ = "minutes_job"
    __table_args__ = (
        UniqueConstraint("open_key"),
        CheckConstraint("kind IN ('approval', 'draft', 'bundle')", name="kind"),
        CheckConstraint(STATE_CHECK, name="state"),
        CheckConstraint(PROGRESS_CHECK, name="progress"),
    )

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    minutes_id: Mapped[int | None] = mapped_column(ForeignKey("minutes.id", ondelete="CASCADE"))


class CorrectionRequestStatus:
    """What the office made of a correction request."""

    OPEN = "open"
    ACCEPTED = "accepted"  # taken over into the minutes
    DECLINED = "declined"  # with a short answer

    ALL = (OPEN, ACCEPTED, DECLINED)


class CorrectionRequest(Model):
    """A member's request to correct minutes in circulation, and the office's answer.

    Not a correction (Berichtigung) of approved minutes, which is a new
    version (:attr:`Minutes.corrects_id`): a request asks the office to
    change the draft while it circulates.  The database keeps the answer's
    invariants: an answered request names when and by whom, a declined one
    says why.
    """

    __tablename__ = "minutes_correction_request"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'accepted', 'declined')", name="status"),
        CheckConstraint(
            "status = 'open' OR answered_at IS NOT NULL", name="answered_when_not_open"
        ),
        CheckConstraint("status <> 'declined' OR answer IS NOT NULL", name="declined_with_answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(
        ForeignKey("minutes.id", ondelete="CASCADE"), index=True
    )
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL")
    )
    sender_person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    sender_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=CorrectionRequestStatus.OPEN)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sender: Mapped[Person] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status == CorrectionRequestStatus.OPEN

    @property
    def status_label(self) -> str:
        return str(CORRECTION_STATUS_LABELS.get(self.status, self.status))


CORRECTION_STATUS_LABELS = {
    CorrectionRequestStatus.OPEN: _l("Open"),
    CorrectionRequestStatus.ACCEPTED: _l("Taken over"),
    CorrectionRequestStatus.DECLINED: _l("Declined"),
}


def register_minutes_subject() -> None:
    from flask import url_for
    from flask_babel import lazy_gettext as _l

    from ..workflow.registry import Subject, register_subject

    def url(minutes: Minutes) -> str:
        try:
            return url_for("minutes.minutes_page", meeting_id=minutes.meeting_id)
        except RuntimeError:  # no request (scheduler)
            return f"/sitzungen/{minutes.meeting_id}/protokoll"

    def relations(minutes: Minutes, person_id: int) -> set[str]:
        return {"author"} if minutes.minute_taker_person_id == person_id else set()

    register_subject(
        Subject(
            object_type="minutes",
            model=Minutes,
            body_id_of=lambda m: m.meeting.body_id,
            relations_of=relations,
            title_of=lambda m: m.title,
            url_of=url,
            author_person_ids=lambda m: (
                {m.minute_taker_person_id} if m.minute_taker_person_id else set()
            ),
            label=_l("Minutes"),
            slots={"minutes": _l("Minutes")},
            relation_roles=frozenset({"author"}),
            # Members may send correction requests while the state has it.
            optional_flags=frozenset({OPEN_FOR_CORRECTIONS}),
        )
    )
