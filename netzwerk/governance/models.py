"""The governance model of the network.

Names of bodies, roles and action fields are data, never code; the enums
below are the vocabulary (kinds, roles, rules) that the voting and workflow
packages reason about.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, enum_check, utcnow
from ..extensions import Model
from ..labels import Labelled, labels
from ..timeutil import local_today

if TYPE_CHECKING:
    from ..auth.models import User


class OrganisationKind(Labelled):
    SCHOOL = "school"
    DAYCARE = "daycare"
    UNIVERSITY = "university"
    SME = "sme"
    CHAMBER = "chamber"
    CULTURE = "culture"
    FURTHER_EDUCATION = "further_education"
    FOUNDATION = "foundation"
    MIGRANT_ORGANISATION = "migrant_organisation"
    ADMINISTRATION = "administration"
    OTHER = "other"


ORGANISATION_KIND_LABELS = labels(
    OrganisationKind,
    {
        OrganisationKind.SCHOOL: _l("School"),
        OrganisationKind.DAYCARE: _l("Day-care centre"),
        OrganisationKind.UNIVERSITY: _l("University"),
        OrganisationKind.SME: _l("SME"),
        OrganisationKind.CHAMBER: _l("Chamber"),
        OrganisationKind.CULTURE: _l("Cultural institution"),
        OrganisationKind.FURTHER_EDUCATION: _l("Further education"),
        OrganisationKind.FOUNDATION: _l("Foundation"),
        OrganisationKind.MIGRANT_ORGANISATION: _l("Migrant organisation"),
        OrganisationKind.ADMINISTRATION: _l("Administration"),
        OrganisationKind.OTHER: _l("Other"),
    },
)


class BodyKind(Labelled):
    BOARD = "board"
    CONFERENCE = "conference"
    WORKING_GROUP = "working_group"


BODY_KIND_LABELS = labels(
    BodyKind,
    {
        BodyKind.BOARD: _l("Board"),
        BodyKind.CONFERENCE: _l("Conference"),
        BodyKind.WORKING_GROUP: _l("Working group"),
    },
)


class QuorumRule(Labelled):
    """Who must be present for a body to be quorate."""

    MORE_THAN_HALF = "more_than_half"
    AT_LEAST_HALF = "at_least_half"
    ONE_THIRD = "one_third"
    NONE = "none"


QUORUM_RULE_LABELS = labels(
    QuorumRule,
    {
        QuorumRule.MORE_THAN_HALF: _l("More than half of the members with a voting right"),
        QuorumRule.AT_LEAST_HALF: _l("At least half of the members with a voting right"),
        QuorumRule.ONE_THIRD: _l("At least one third of the members with a voting right"),
        QuorumRule.NONE: _l("No quorum required"),
    },
)


class MajorityRule(Labelled):
    SIMPLE = "simple"
    ABSOLUTE = "absolute"
    TWO_THIRDS = "two_thirds"
    UNANIMOUS = "unanimous"


MAJORITY_RULE_LABELS = labels(
    MajorityRule,
    {
        MajorityRule.SIMPLE: _l("Simple majority (more yes than no)"),
        MajorityRule.ABSOLUTE: _l("Absolute majority (more yes than half of the voting members)"),
        MajorityRule.TWO_THIRDS: _l("Two-thirds of the votes cast"),
        MajorityRule.UNANIMOUS: _l("Unanimous"),
    },
)


class MembershipRole(Labelled):
    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    MEMBER = "member"
    ADVISORY = "advisory"
    OFFICE = "office"
    GUEST = "guest"

    @property
    def may_vote(self) -> bool:
        """Only chairs, vice chairs and members can hold a voting right."""
        return self in VOTING_ROLES


VOTING_ROLES = frozenset({MembershipRole.CHAIR, MembershipRole.VICE_CHAIR, MembershipRole.MEMBER})

MEMBERSHIP_ROLE_LABELS = labels(
    MembershipRole,
    {
        MembershipRole.CHAIR: _l("Chair"),
        MembershipRole.VICE_CHAIR: _l("Vice chair"),
        MembershipRole.MEMBER: _l("Member"),
        MembershipRole.ADVISORY: _l("Advisory member"),
        MembershipRole.OFFICE: _l("Office"),
        MembershipRole.GUEST: _l("Guest"),
    },
)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Organisation(TimestampMixin, Model):
    __tablename__ = "organisation"
    __table_args__ = (CheckConstraint(enum_check("kind", OrganisationKind), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(String(300))
    website: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    persons: Mapped[list[Person]] = relationship(back_populates="organisation")

    @property
    def kind_label(self) -> str:
        return OrganisationKind(self.kind).label


class Person(TimestampMixin, Model):
    """A person of the network, with or without a login (external guests)."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str | None] = mapped_column(String(40))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    function: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    organisation: Mapped[Organisation | None] = relationship(back_populates="persons")
    user: Mapped[User | None] = relationship(back_populates="person", uselist=False)
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="person", foreign_keys="Membership.person_id"
    )

    @property
    def full_name(self) -> str:
        parts = [self.title, self.first_name, self.last_name]
        return " ".join(p for p in parts if p)

    @property
    def sort_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


class ActionField(TimestampMixin, Model):
    __tablename__ = "action_field"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Body(TimestampMixin, Model):
    """A Gremium: board, conference or working group."""

    __tablename__ = "body"
    __table_args__ = (
        CheckConstraint(enum_check("kind", BodyKind), name="kind"),
        CheckConstraint(enum_check("quorum_rule", QuorumRule), name="quorum_rule"),
        CheckConstraint(enum_check("majority_rule", MajorityRule), name="majority_rule"),
        CheckConstraint("notice_days >= 0 AND notice_days <= 365", name="notice_days"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("body.id", ondelete="RESTRICT"), index=True
    )
    action_field_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_field.id", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str | None] = mapped_column(Text)
    notice_days: Mapped[int] = mapped_column(Integer, default=7)
    quorum_rule: Mapped[str] = mapped_column(String(20), default=QuorumRule.MORE_THAN_HALF.value)
    majority_rule: Mapped[str] = mapped_column(String(20), default=MajorityRule.SIMPLE.value)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Body | None] = relationship(remote_side="Body.id", back_populates="children")
    children: Mapped[list[Body]] = relationship(back_populates="parent")
    action_field: Mapped[ActionField | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(back_populates="body")

    @property
    def kind_label(self) -> str:
        return BodyKind(self.kind).label

    @property
    def quorum_rule_label(self) -> str:
        return QuorumRule(self.quorum_rule).label

    @property
    def majority_rule_label(self) -> str:
        return MajorityRule(self.majority_rule).label


class Membership(TimestampMixin, Model):
    """A person's seat in a body, with role, voting right and term."""

    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint(enum_check("role", MembershipRole), name="role"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="term"),
        CheckConstraint(
            "NOT voting_right OR role IN ('chair', 'vice_chair', 'member')",
            name="voting_role",
        ),
        CheckConstraint("deputy_of_id IS NULL OR deputy_of_id <> id", name="not_own_deputy"),
        UniqueConstraint("person_id", "body_id", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"))
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=MembershipRole.MEMBER.value)
    voting_right: Mapped[bool] = mapped_column(Boolean, default=False)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    deputy_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("membership.id", ondelete="RESTRICT"), index=True
    )
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(300))

    person: Mapped[Person] = relationship(back_populates="memberships", foreign_keys=[person_id])
    body: Mapped[Body] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation | None] = relationship()
    deputy_of: Mapped[Membership | None] = relationship(remote_side="Membership.id")

    @property
    def role_label(self) -> str:
        return MembershipRole(self.role).label

    def is_current(self, on: date | None = None) -> bool:
        on = on or local_today()
        return self.start_date <= on and (self.end_date is None or self.end_date >= on)
