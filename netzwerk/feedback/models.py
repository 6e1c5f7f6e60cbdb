"""Feedback, its configurable choices, contact details, tags and referrals.

By design no table here has a column for an IP address or a user agent, and
no time about a submission is finer than its day: ``created_at`` (and the
start of its workflow, its first ``updated_at``, a contact's ``consent_at``)
is midnight in Berlin of the day it arrived, so the time of a request in
some log cannot be matched to a feedback.  Within a day feedback is ordered
by id.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import Model
from ..timeutil import LOCAL_TZ, local_today
from ..workflow.models import WorkflowMixin

if TYPE_CHECKING:
    from ..governance.models import Body
    from ..meetings.models import AgendaItem
    from ..papers.models import Paper

CHOICE_KINDS = ("category", "target_group", "district")
CHANNELS = ("online", "counselling", "event", "paper", "phone")

# Flags of feedback states (workflows/rueckmeldung.yaml): what the code asks.
# ``new``: nobody has looked at it yet; ``in_triage``: looked at (categorised,
# redacted) and waiting; ``passed``: passed to a body; ``duplicate``: the same
# as an earlier feedback; ``answered``: the answer is published.
NEW = "new"
IN_TRIAGE = "in_triage"
PASSED = "passed"
DUPLICATE = "duplicate"
ANSWERED = "answered"
FEEDBACK_FLAGS = frozenset({NEW, IN_TRIAGE, PASSED, DUPLICATE, ANSWERED})


def day_start(day: date | None = None) -> datetime:
    """Midnight in Berlin of a day (today by default), in UTC: the only time
    stored about a submission."""
    return datetime.combine(day or local_today(), time(0), LOCAL_TZ).astimezone(UTC)


def _start_definition() -> Any:
    from ..workflow.catalog import get_catalog

    definition = get_catalog().default_for("feedback")
    if definition is None:
        raise LookupError("no workflow definition applies to feedback")
    return definition


# Rows written without ``services.submit_feedback`` (a bulk import, a
# benchmark, a fixture) start at the beginning of the triage workflow too;
# the service sets these columns itself and records the start.
def _default_workflow_name() -> str:
    return str(_start_definition().name)


def _default_workflow_hash() -> str:
    return str(_start_definition().hash)


def _default_state() -> str:
    return str(_start_definition().initial)


class FeedbackChoice(Model):
    """An entry of a configurable list: need category, target group, district."""

    __tablename__ = "feedback_choice"
    __table_args__ = (
        UniqueConstraint("kind", "code"),
        CheckConstraint("kind IN ('category', 'target_group', 'district')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    code: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)

    labels: Mapped[list[FeedbackChoiceLabel]] = relationship(
        back_populates="choice", cascade="all, delete-orphan", lazy="selectin"
    )

    def label(self, locale: str = "de") -> str:
        by_locale = {item.locale: item.label for item in self.labels}
        return by_locale.get(locale) or by_locale.get("de") or self.code


class FeedbackChoiceLabel(Model):
    """The label of a choice in one language (locale key as in feedback.languages)."""

    __tablename__ = "feedback_choice_label"
    __table_args__ = (UniqueConstraint("choice_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    choice_id: Mapped[int] = mapped_column(ForeignKey("feedback_choice.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(200))

    choice: Mapped[FeedbackChoice] = relationship(back_populates="labels")


class Feedback(WorkflowMixin, Model):
    """One feedback; its triage state is the workflow engine's."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("version >= 0", name="version"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        CheckConstraint(
            "channel IN ('online', 'counselling', 'event', 'paper', 'phone')", name="channel"
        ),
        CheckConstraint("duplicate_of_id IS NULL OR duplicate_of_id <> id", name="not_self_dup"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_name: Mapped[str] = mapped_column(String(60), default=_default_workflow_name)
    workflow_hash: Mapped[str] = mapped_column(String(64), default=_default_workflow_hash)
    state: Mapped[str] = mapped_column(String(60), index=True, default=_default_state)
    receipt_code: Mapped[str] = mapped_column(String(12), unique=True)
    # The day it arrived (day_start): never the time of the request.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=day_start, index=True)
    channel: Mapped[str] = mapped_column(String(20), default="online")
    language: Mapped[str] = mapped_column(String(10), default="de")
    category_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_choice.id", ondelete="RESTRICT"), index=True
    )
    rating: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_choice.id", ondelete="RESTRICT"), index=True
    )
    target_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_choice.id", ondelete="RESTRICT"), index=True
    )
    age_group: Mapped[str | None] = mapped_column(String(20))
    migration: Mapped[str | None] = mapped_column(String(20))
    languages_spoken: Mapped[str] = mapped_column(String(200), default="")
    # Staff who entered it (counselling, event, paper, phone); None when online.
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    considered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    # The language the answer is written in (None: the feedback's language),
    # and, for an answer in German to a sender of another language, its
    # translation by a person, credited on the status page and in the mail.
    answer_language: Mapped[str | None] = mapped_column(String(10))
    answer_translation: Mapped[str | None] = mapped_column(Text)
    answer_translator: Mapped[str | None] = mapped_column(String(200))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback.id", ondelete="SET NULL"), index=True
    )
    # Staff changes set the time; a new feedback is dated by its day only.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=day_start, onupdate=utcnow)

    category: Mapped[FeedbackChoice] = relationship(foreign_keys=[category_id])
    district: Mapped[FeedbackChoice | None] = relationship(foreign_keys=[district_id])
    target_group: Mapped[FeedbackChoice | None] = relationship(foreign_keys=[target_group_id])
    duplicate_of: Mapped[Feedback | None] = relationship(remote_side=[id])
    contact: Mapped[FeedbackContact | None] = relationship(
        back_populates="feedback", cascade="all, delete-orphan", uselist=False
    )
    tags: Mapped[list[FeedbackTag]] = relationship(
        secondary="feedback_tag_link", order_by="FeedbackTag.name"
    )
    referrals: Mapped[list[FeedbackReferral]] = relationship(
        back_populates="feedback", order_by="FeedbackReferral.passed_at"
    )
    working_translation: Mapped[FeedbackWorkingTranslation | None] = relationship(
        cascade="all, delete-orphan", uselist=False
    )

    @property
    def spoken(self) -> list[str]:
        return [code for code in self.languages_spoken.split(",") if code]

    def has_flag(self, flag: str) -> bool:
        from ..workflow.services import has_flag

        return has_flag(self, flag)

    @property
    def is_new(self) -> bool:
        return self.has_flag(NEW)

    @property
    def is_answered(self) -> bool:
        return self.has_flag(ANSWERED)

    @property
    def is_duplicate(self) -> bool:
        return self.has_flag(DUPLICATE)

    @property
    def state_label(self) -> str:
        from ..workflow.ui import state_title

        return state_title(self)


class FeedbackContact(Model):
    """Contact details, stored only with explicit consent and deleted after the
    retention period."""

    __tablename__ = "feedback_contact"

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=day_start, index=True)

    feedback: Mapped[Feedback] = relationship(back_populates="contact")


class FeedbackTag(Model):
    """A tag: ``name`` is its key (lower case, one space between words, unique),
    ``title`` how it was first written ("Eltern"), shown wherever it appears."""

    __tablename__ = "feedback_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str | None] = mapped_column(String(60))

    @property
    def label(self) -> str:
        return self.title or self.name


class FeedbackTagLink(Model):
    __tablename__ = "feedback_tag_link"

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_tag.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class FeedbackReferral(Model):
    """Feedback passed to a body as a paper, and on a meeting's agenda when
    the Bildungsbüro chose a meeting."""

    __tablename__ = "feedback_referral"
    __table_args__ = (UniqueConstraint("feedback_id", "paper_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="RESTRICT"), index=True)
    paper_id: Mapped[int | None] = mapped_column(
        ForeignKey("paper.id", ondelete="SET NULL"), index=True
    )
    agenda_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="SET NULL"), index=True
    )
    passed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    passed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    feedback: Mapped[Feedback] = relationship(back_populates="referrals")
    body: Mapped[Body] = relationship()
    paper: Mapped[Paper | None] = relationship()
    agenda_item: Mapped[AgendaItem | None] = relationship()


class FeedbackWorkingTranslation(Model):
    """The German working translation of a feedback written in another
    language: entered by a person (staff or a translator, named here), never
    by a machine service; the latest version, each save audited.  Staff see
    it beside the original; a paper carries both."""

    __tablename__ = "feedback_working_translation"

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text)
    translator: Mapped[str] = mapped_column(String(200))
    translated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class FeedbackSummary(Model):
    """What became of a feedback, for its sender: written once, in German,
    by the Bildungsbüro (shown on the status page and in the mail)."""

    __tablename__ = "feedback_summary"

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    written_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    translations: Mapped[list[FeedbackSummaryTranslation]] = relationship(
        cascade="all, delete-orphan", order_by="FeedbackSummaryTranslation.language"
    )


class FeedbackSummaryTranslation(Model):
    """The summary in the sender's language, entered by staff or a
    translator (never by a machine service) and shown as translated by them."""

    __tablename__ = "feedback_summary_translation"
    __table_args__ = (UniqueConstraint("feedback_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_summary.feedback_id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    translator: Mapped[str] = mapped_column(String(200))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


def register_feedback_subject() -> None:
    """Feedback under the workflow engine (from ``feedback.init_app``).

    Feedback belongs to no body, so no body chooses its workflow: it has no
    slot and starts under the definition for ``feedback`` (catalog
    ``default_for``).  Only global roles (office, admin) act on it.
    """
    from flask import url_for
    from flask_babel import gettext as _
    from flask_babel import lazy_gettext as _l

    from ..workflow.registry import Subject, register_subject

    def url(feedback: Feedback) -> str:
        try:
            return url_for("feedback.detail", feedback_id=feedback.id)
        except RuntimeError:  # no request (scheduler)
            return f"/verwaltung/rueckmeldungen/{feedback.id}"

    def title(feedback: Feedback) -> str:
        code = feedback.receipt_code
        return _("Feedback %(code)s", code="-".join(code[i : i + 4] for i in range(0, 12, 4)))

    register_subject(
        Subject(
            object_type="feedback",
            model=Feedback,
            body_id_of=lambda feedback: None,
            relations_of=lambda feedback, person_id: set(),
            title_of=title,
            url_of=url,
            label=_l("Feedback"),
            required_flags=FEEDBACK_FLAGS,
        )
    )
