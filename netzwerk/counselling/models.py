"""Counselling data: offers, staff, pseudonymous cases, contacts, referrals.

A case carries no name: it is known by a random case code.  Personal
details exist only with recorded consent, in their own table, and the
retention job deletes them after the configured period.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime, enum_check, utcnow
from ..extensions import Model
from ..governance.models import ActionField, Organisation
from .vocab import (
    AgeGroup,
    Arrival,
    Channel,
    Language,
    Outcome,
    Situation,
    TargetGroup,
    Topic,
)


class CounsellingStaff(Model):
    """An account that may see counselling cases (managed by administrators)."""

    __tablename__ = "counselling_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    added_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Offer(Model):
    """An education offer of an organisation of the network."""

    __tablename__ = "counselling_offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(300))
    district: Mapped[str | None] = mapped_column(String(100))
    action_field_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_field.id", ondelete="SET NULL"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()
    action_field: Mapped[ActionField | None] = relationship()
    languages: Mapped[list[OfferLanguage]] = relationship(
        cascade="all, delete-orphan", order_by="OfferLanguage.code"
    )
    target_groups: Mapped[list[OfferTargetGroup]] = relationship(
        cascade="all, delete-orphan", order_by="OfferTargetGroup.code"
    )

    @property
    def language_codes(self) -> list[str]:
        return [entry.code for entry in self.languages]

    @property
    def language_labels(self) -> list[str]:
        return [Language.label_of(code) for code in self.language_codes]

    @property
    def target_group_codes(self) -> list[str]:
        return [entry.code for entry in self.target_groups]

    @property
    def target_group_labels(self) -> list[str]:
        return [TargetGroup.label_of(code) for code in self.target_group_codes]


class OfferLanguage(Model):
    __tablename__ = "counselling_offer_language"
    __table_args__ = (CheckConstraint(enum_check("code", Language), name="code"),)

    offer_id: Mapped[int] = mapped_column(
        ForeignKey("counselling_offer.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(10), primary_key=True, index=True)


class OfferTargetGroup(Model):
    __tablename__ = "counselling_offer_target_group"
    __table_args__ = (CheckConstraint(enum_check("code", TargetGroup), name="code"),)

    offer_id: Mapped[int] = mapped_column(
        ForeignKey("counselling_offer.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(30), primary_key=True, index=True)


class CounsellingCase(Model):
    """A pseudonymous case: a random code, no name."""

    __tablename__ = "counselling_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # Set when a new referral follows one that did not arrive.
    waiting_loop_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # When the mark was last cleared: non-arrivals recorded before then are
    # resolved and do not mark the case again (services.create_referral).
    waiting_loop_cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contacts: Mapped[list[CounsellingContact]] = relationship(
        back_populates="case",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(CounsellingContact.contact_date, CounsellingContact.id)",
    )
    referrals: Mapped[list[Referral]] = relationship(
        back_populates="case",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(Referral.referred_on, Referral.id)",
    )
    personal_details: Mapped[PersonalDetails | None] = relationship(
        back_populates="case", uselist=False, cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def flagged(self) -> bool:
        return self.waiting_loop_at is not None


class CounsellingContact(Model):
    __tablename__ = "counselling_contact"
    __table_args__ = (
        CheckConstraint(enum_check("channel", Channel), name="channel"),
        CheckConstraint(enum_check("language", Language), name="language"),
        CheckConstraint(enum_check("age_group", AgeGroup), name="age_group"),
        CheckConstraint(enum_check("situation", Situation), name="situation"),
        CheckConstraint(enum_check("outcome", Outcome), name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("counselling_case.id", ondelete="CASCADE"), index=True
    )
    contact_date: Mapped[date] = mapped_column(Date, index=True)
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(10))
    age_group: Mapped[str] = mapped_column(String(20))
    situation: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(30))
    # Optional: the person's district (monitoring.districts code) and the
    # voluntary, self-declared migration background (only ever counted).
    district: Mapped[str | None] = mapped_column(String(40), index=True)
    migration: Mapped[str | None] = mapped_column(String(20))
    counsellor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[CounsellingCase] = relationship(back_populates="contacts")
    counsellor: Mapped[User | None] = relationship()
    topics: Mapped[list[ContactTopic]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ContactTopic.code"
    )

    @property
    def topic_labels(self) -> list[str]:
        return [Topic.label_of(t.code) for t in self.topics]

    @property
    def channel_label(self) -> str:
        return Channel.label_of(self.channel)

    @property
    def language_label(self) -> str:
        return Language.label_of(self.language)

    @property
    def age_group_label(self) -> str:
        return AgeGroup.label_of(self.age_group)

    @property
    def situation_label(self) -> str:
        return Situation.label_of(self.situation)

    @property
    def outcome_label(self) -> str:
        return Outcome.label_of(self.outcome)


class ContactTopic(Model):
    __tablename__ = "counselling_contact_topic"
    __table_args__ = (CheckConstraint(enum_check("code", Topic), name="code"),)

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("counselling_contact.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(30), primary_key=True)


class PersonalDetails(Model):
    """Name and contact of a counselled person: only with recorded consent."""

    __tablename__ = "counselling_personal_details"
    __table_args__ = (CheckConstraint("name IS NOT NULL OR contact IS NOT NULL", name="not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("counselling_case.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(300))
    # Consent is required: no row without the time it was given.
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    case: Mapped[CounsellingCase] = relationship(back_populates="personal_details")


class Referral(Model):
    """A Weitervermittlung to an organisation (optionally one of its offers)."""

    __tablename__ = "counselling_referral"
    __table_args__ = (
        CheckConstraint(
            "arrival IS NULL OR " + enum_check("arrival", Arrival),
            name="arrival",
        ),
        CheckConstraint("follow_up_on >= referred_on", name="follow_up_after_referral"),
        CheckConstraint(
            "arrived_on IS NULL OR (arrival = 'arrived' AND arrived_on >= referred_on)",
            name="arrived_on",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("counselling_case.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    offer_id: Mapped[int | None] = mapped_column(
        ForeignKey("counselling_offer.id", ondelete="SET NULL"), index=True
    )
    counsellor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    referred_on: Mapped[date] = mapped_column(Date)
    follow_up_on: Mapped[date] = mapped_column(Date, index=True)
    # None: not followed up yet.  "waiting" stays open with a new follow-up date.
    arrival: Mapped[str | None] = mapped_column(String(20), index=True)
    arrived_on: Mapped[date | None] = mapped_column(Date)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[CounsellingCase] = relationship(back_populates="referrals")
    organisation: Mapped[Organisation] = relationship()
    offer: Mapped[Offer | None] = relationship()
    counsellor: Mapped[User | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.arrival is None or self.arrival == Arrival.WAITING.value

    @property
    def arrival_label(self) -> str:
        return Arrival.label_of(self.arrival) if self.arrival else ""

    @property
    def target_label(self) -> str:
        if self.offer is not None:
            return f"{self.offer.title} ({self.organisation.name})"
        return self.organisation.name
