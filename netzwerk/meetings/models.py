"""Meetings, agendas, attendance and guests; places.

Invariants the database enforces: one number per body, year and sequence
(``meeting(body_id, year, seq)``), one attendance row per meeting and seat;
enum values are check constraints.  Agenda items refer to papers
(:mod:`netzwerk.papers`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, enum_check, utcnow
from ..extensions import Model
from ..labels import Labelled, labels
from ..workflow.models import WorkflowMixin

if TYPE_CHECKING:
    from ..governance.models import Body, Membership, Person
    from ..papers.models import Paper


# --- meetings -----------------------------------------------------------------


class Location(Model):
    """A place where meetings take place."""

    __tablename__ = "meeting_location"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str | None] = mapped_column(String(300))
    room: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def label(self) -> str:
        parts = [self.name]
        if self.room:
            parts.append(self.room)
        if self.address:
            parts.append(self.address)
        return ", ".join(parts)


class Meeting(WorkflowMixin, Model):
    """A meeting (Sitzung) of a body, numbered per body and year ("VK 3/2026")."""

    __tablename__ = "meeting"
    __table_args__ = (
        UniqueConstraint("body_id", "year", "seq"),
        CheckConstraint("seq >= 1", name="seq"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("version >= 0", name="version"),
        Index("ix_meeting_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_location.id", ondelete="RESTRICT"), index=True
    )
    online_link: Mapped[str | None] = mapped_column(String(500))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    agenda_frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invitations_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invitation_rounds: Mapped[int] = mapped_column(Integer, default=0)
    short_notice_reason: Mapped[str | None] = mapped_column(Text)
    # The real times the meeting was opened and closed (the workflow's
    # effects ``record_opening``/``record_closing``); attendance and
    # decisions carry them, never the time something was entered.
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    body: Mapped[Body] = relationship()
    location: Mapped[Location | None] = relationship()

    @property
    def number(self) -> str:
        short = self.body.short_name if self.body is not None else "?"
        return f"{short} {self.seq}/{self.year}"

    @property
    def display_title(self) -> str:
        return self.title or str(_l("Meeting %(number)s", number=self.number))

    @property
    def agenda_frozen(self) -> bool:
        return self.agenda_frozen_at is not None

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.state}>"


class AgendaItem(Model):
    """A point of the agenda: a paper or a free item; sub-items have a parent.

    ``late`` marks an item added after the invitations went out; ``changed``
    marks an item changed after that (moved, withdrawn); ``withdrawn`` items
    stay visible (struck out) once the agenda is frozen.
    """

    __tablename__ = "agenda_item"
    __table_args__ = (
        CheckConstraint("position >= 0", name="position"),
        CheckConstraint(
            "speaking_seconds IS NULL OR (speaking_seconds > 0 AND speaking_seconds <= 3600)",
            name="speaking_seconds",
        ),
        Index("ix_agenda_item_meeting", "meeting_id", "public", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str | None] = mapped_column(Text)
    paper_id: Mapped[int | None] = mapped_column(
        ForeignKey("paper.id", ondelete="RESTRICT"), index=True
    )
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    changed: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the chair last called the item (the current item is the one
    # called last); its speakers list closed; an optional speaking time.
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    speakers_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    speaking_seconds: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    paper: Mapped[Paper | None] = relationship()
    meeting: Mapped[Meeting] = relationship()


class AttendanceStatus(Labelled):
    PRESENT = "present"
    EXCUSED = "excused"
    ABSENT = "absent"


ATTENDANCE_LABELS = labels(
    AttendanceStatus,
    {
        AttendanceStatus.PRESENT: _l("Present"),
        AttendanceStatus.EXCUSED: _l("Excused"),
        AttendanceStatus.ABSENT: _l("Absent"),
    },
)


class Attendance(Model):
    """Whether a seat (membership) attends; arrival and departure times.

    Present now means: status present, arrived, and not left since.
    """

    __tablename__ = "meeting_attendance"
    __table_args__ = (
        UniqueConstraint("meeting_id", "membership_id"),
        CheckConstraint(enum_check("status", AttendanceStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("membership.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(10))
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    membership: Mapped[Membership] = relationship()

    @property
    def present_now(self) -> bool:
        return self.status == AttendanceStatus.PRESENT.value and self.left_at is None

    @property
    def status_label(self) -> str:
        return AttendanceStatus(self.status).label


class MeetingGuest(Model):
    """A guest of a meeting (no seat, no vote)."""

    __tablename__ = "meeting_guest"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpeakerStatus(Labelled):
    WAITING = "waiting"
    SPEAKING = "speaking"
    DONE = "done"
    WITHDRAWN = "withdrawn"


SPEAKER_LABELS = labels(
    SpeakerStatus,
    {
        SpeakerStatus.WAITING: _l("Waiting"),
        SpeakerStatus.SPEAKING: _l("Speaking"),
        SpeakerStatus.DONE: _l("Has spoken"),
        SpeakerStatus.WITHDRAWN: _l("Withdrawn"),
    },
)


class Speaker(Model):
    """A request to speak on an agenda item (Redeliste).

    ``pending`` is True while the request waits or its speaker speaks and
    NULL afterwards: the unique constraint over (item, person, point of
    order, pending) lets a person ask once at a time (NULLs never collide),
    so a double click or two devices cannot create two entries.
    """

    __tablename__ = "meeting_speaker"
    __table_args__ = (
        UniqueConstraint(
            "agenda_item_id",
            "person_id",
            "point_of_order",
            "pending",
            name="uq_meeting_speaker_pending",
        ),
        CheckConstraint(enum_check("status", SpeakerStatus), name="status"),
        CheckConstraint("pending IS NULL OR pending", name="pending"),
        CheckConstraint("position >= 0", name="position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"), index=True)
    point_of_order: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default=SpeakerStatus.WAITING.value)
    pending: Mapped[bool | None] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    added_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    person: Mapped[Person] = relationship()

    @property
    def status_label(self) -> str:
        return SpeakerStatus(self.status).label


class ProjectorLink(Model):
    """A revocable secret link to a meeting's projector view (no login).

    Only the SHA-256 of the token is stored; the link is shown once."""

    __tablename__ = "meeting_projector_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CheckIn(Model):
    """A member's own "I am here" from their device; counts once confirmed
    by the minute-taker (then the seat is present from ``checked_in_at``)."""

    __tablename__ = "meeting_checkin"
    __table_args__ = (UniqueConstraint("meeting_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("membership.id", ondelete="RESTRICT"), index=True
    )
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    membership: Mapped[Membership] = relationship()


# What the application asks of a meeting's state; every meeting workflow sets
# each of them on at least one state (the validator refuses it otherwise):
# invited: the invitations are out and the agenda is frozen; in_session: the
# meeting is being held (attendance, votes); closed: it has been held
# (minutes); cancelled: it will not take place.
MEETING_FLAGS = frozenset({"invited", "in_session", "closed", "cancelled"})


def register_meeting_subject() -> None:
    from flask import url_for
    from flask_babel import lazy_gettext as _l

    from ..workflow.registry import Subject, register_subject

    def url(meeting: Meeting) -> str:
        try:
            return url_for("meetings.meeting", meeting_id=meeting.id)
        except RuntimeError:
            return f"/sitzungen/{meeting.id}"

    register_subject(
        Subject(
            object_type="meeting",
            model=Meeting,
            body_id_of=lambda m: m.body_id,
            relations_of=lambda m, person_id: set(),
            title_of=lambda m: m.display_title,
            url_of=url,
            label=_l("Meetings"),
            slots={"meeting": _l("Meeting")},
            required_flags=MEETING_FLAGS,
        )
    )
