"""Feedback, its configurable choices, contact details, tags and referrals.

By design no table here has a column for an IP address or a user agent.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from ..governance.models import Body
    from ..meetings.models import AgendaItem, Paper

CHOICE_KINDS = ("category", "target_group", "district")
CHANNELS = ("online", "counselling", "event", "paper", "phone")


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


class Feedback(Model):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        CheckConstraint(
            "channel IN ('online', 'counselling', 'event', 'paper', 'phone')", name="channel"
        ),
        CheckConstraint("duplicate_of_id IS NULL OR duplicate_of_id <> id", name="not_self_dup"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_code: Mapped[str] = mapped_column(String(12), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
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
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback.id", ondelete="SET NULL"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

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

    @property
    def spoken(self) -> list[str]:
        return [code for code in self.languages_spoken.split(",") if code]


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
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    feedback: Mapped[Feedback] = relationship(back_populates="contact")


class FeedbackTag(Model):
    __tablename__ = "feedback_tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)


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
