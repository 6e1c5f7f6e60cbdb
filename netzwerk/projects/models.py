"""Projects (Modellmaßnahmen) of an action field and what belongs to them.

A project runs through the project workflow (``applies_to: project``); its
approval goes through a Beschlussvorlage (``paper_id``) to the deciding body.
The database refuses what it can: negative budgets, progress outside 0–100,
weights that are not positive, a project as its own parent and the same
partner twice.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import Model
from ..workflow.models import WorkflowMixin
from .vocab import interval_label, target_group_label

if TYPE_CHECKING:
    from ..governance.models import ActionField, Body, Organisation, Person


class Project(WorkflowMixin, Model):
    __tablename__ = "project"
    __table_args__ = (
        CheckConstraint("budget IS NULL OR budget >= 0", name="budget"),
        CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="period"
        ),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        CheckConstraint("weight > 0", name="weight"),
        CheckConstraint("report_interval_months IN (0, 1, 3, 6, 12)", name="interval"),
        CheckConstraint("version >= 0", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    goals: Mapped[str] = mapped_column(Text, default="")
    action_field_id: Mapped[int] = mapped_column(
        ForeignKey("action_field.id", ondelete="RESTRICT"), index=True
    )
    lead_person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    created_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="RESTRICT")
    )
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    budget: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    # The venue's district (netzwerk.monitoring.districts code): reach by district.
    district: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="RESTRICT"), index=True
    )
    # Weight of this project inside its parent's progress (like a milestone's).
    weight: Mapped[int] = mapped_column(Integer, default=1)
    report_interval_months: Mapped[int] = mapped_column(Integer, default=3)
    deciding_body_id: Mapped[int | None] = mapped_column(
        ForeignKey("body.id", ondelete="RESTRICT"), index=True
    )
    paper_id: Mapped[int | None] = mapped_column(
        ForeignKey("paper.id", ondelete="RESTRICT"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    action_field: Mapped[ActionField] = relationship()
    lead: Mapped[Person] = relationship(foreign_keys=[lead_person_id])
    deciding_body: Mapped[Body | None] = relationship()
    parent: Mapped[Project | None] = relationship(remote_side="Project.id")
    target_groups: Mapped[list[ProjectTargetGroup]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectTargetGroup.code"
    )
    partners: Mapped[list[ProjectPartner]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectPartner.id"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        order_by=lambda: (Milestone.due_date, Milestone.id),
    )

    @property
    def text(self) -> str:
        """What the ``has_text`` guard checks: the goals."""
        return self.goals or ""

    @property
    def target_group_codes(self) -> list[str]:
        return [t.code for t in self.target_groups]

    @property
    def target_group_labels(self) -> list[str]:
        return [target_group_label(t.code) for t in self.target_groups]

    @property
    def interval_label(self) -> str:
        return interval_label(self.report_interval_months)

    def __repr__(self) -> str:
        return f"<Project {self.id} {self.state}>"


class ProjectTargetGroup(Model):
    __tablename__ = "project_target_group"
    __table_args__ = (UniqueConstraint("project_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40), index=True)


class ProjectPartner(Model):
    """An organisation with a role in the project and a contact person."""

    __tablename__ = "project_partner"
    __table_args__ = (UniqueConstraint("project_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[str] = mapped_column(String(100))
    contact_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The partner countersigned the cooperation agreement (partner portal):
    # when, and the name it was signed under; the audit trail has the event.
    agreement_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    agreement_signed_by: Mapped[str | None] = mapped_column(String(200))

    project: Mapped[Project] = relationship(back_populates="partners")
    organisation: Mapped[Organisation] = relationship()
    contact_person: Mapped[Person | None] = relationship()


class Milestone(Model):
    __tablename__ = "project_milestone"
    __table_args__ = (
        CheckConstraint("weight > 0", name="weight"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),
        Index("ix_project_milestone_due", "due_date", "progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    due_date: Mapped[date] = mapped_column(Date)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    # Who is reminded when it is overdue (else the project lead).
    lead_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"))
    # The partner organisation that owns it (confirms it in the partner portal).
    partner_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    project: Mapped[Project] = relationship(back_populates="milestones")
    lead: Mapped[Person | None] = relationship()
    partner_organisation: Mapped[Organisation | None] = relationship()

    def is_overdue(self, today: date) -> bool:
        return self.progress < 100 and self.due_date < today


class StatusReport(Model):
    """A status report with indicator values (cumulative totals up to its date)."""

    __tablename__ = "project_status_report"
    __table_args__ = (Index("ix_project_status_report_project", "project_id", "report_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    report_date: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    author_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last correction (services.update_report); the audit trail keeps them all.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )

    author: Mapped[Person] = relationship(foreign_keys=[author_person_id])
    updated_by: Mapped[Person | None] = relationship(foreign_keys=[updated_by_person_id])
    values: Mapped[list[ReportValue]] = relationship(
        cascade="all, delete-orphan", order_by="ReportValue.id"
    )


class ReportValue(Model):
    __tablename__ = "project_report_value"
    __table_args__ = (
        UniqueConstraint("report_id", "code"),
        CheckConstraint("value >= 0", name="value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("project_status_report.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(Integer)


class PartnerInvitation(Model):
    """A personal link for a partner's contact person (partner portal).

    Single-purpose (``purpose``: reporting to this one project), limited to
    one project and one partner organisation, valid until ``expires_at``
    unless revoked.  Only SHA-256 hashes of the link's token, of the mailed
    confirmation code and of the confirmed browser's session key are stored.
    """

    __tablename__ = "project_partner_invitation"
    __table_args__ = (
        CheckConstraint("purpose IN ('partner_report')", name="purpose"),
        CheckConstraint("code_attempts >= 0", name="code_attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("project_partner.id", ondelete="CASCADE"), index=True
    )
    contact_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="RESTRICT")
    )
    email: Mapped[str] = mapped_column(String(254))
    purpose: Mapped[str] = mapped_column(String(30), default="partner_report")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    session_hash: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship()
    partner: Mapped[ProjectPartner] = relationship()
    contact_person: Mapped[Person | None] = relationship()


ENTRY_KINDS = ("participants", "milestone", "evidence")


class PartnerEntry(Model):
    """What a partner entered through the portal, waiting for the project
    lead to accept it into a status report."""

    __tablename__ = "project_partner_entry"
    __table_args__ = (
        CheckConstraint("kind IN ('participants', 'milestone', 'evidence')", name="kind"),
        CheckConstraint("value IS NULL OR value >= 0", name="value"),
        CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_end >= period_start",
            name="period",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(
        ForeignKey("project_partner.id", ondelete="CASCADE"), index=True
    )
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("project_partner_invitation.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    value: Mapped[int | None] = mapped_column(Integer)
    milestone_id: Mapped[int | None] = mapped_column(
        ForeignKey("project_milestone.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(120))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("project_status_report.id", ondelete="SET NULL"), index=True
    )

    partner: Mapped[ProjectPartner] = relationship()
    milestone: Mapped[Milestone | None] = relationship()


class FeedbackProjectLink(Model):
    """A project that came out of a citizen's feedback (set by the
    Bildungsbüro); the feedback's status page names it."""

    __tablename__ = "project_feedback_link"
    __table_args__ = (UniqueConstraint("feedback_id", "project_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    linked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    project: Mapped[Project] = relationship()


class OrganisationProposal(Model):
    """A partner organisation a project lead proposed: inactive until the
    Bildungsbüro confirms it."""

    __tablename__ = "project_organisation_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), unique=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("project.id", ondelete="SET NULL"), index=True
    )
    # The role in that project: the partner is added when the office confirms.
    role: Mapped[str | None] = mapped_column(String(100))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    proposed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    organisation: Mapped[Organisation] = relationship()


# Flags a project workflow may set on its states, besides the general ones
# (editable_by_author = draft, open_for_voting = waiting for the decision,
# public = approved and later).
PROJECT_FLAGS = ("approved", "running")


def register_project_subject() -> None:
    from flask import url_for
    from flask_babel import lazy_gettext as _l

    from ..workflow.registry import Subject, register_subject

    def url(project: Project) -> str:
        try:
            return url_for("projects.detail", project_id=project.id)
        except RuntimeError:  # no request (scheduler)
            return f"/projekte/{project.id}"

    def relations(project: Project, person_id: int) -> set[str]:
        roles = set()
        if project.lead_person_id == person_id:
            roles.add("project_lead")
        if project.created_by_person_id == person_id:
            roles.add("author")
        return roles

    register_subject(
        Subject(
            object_type="project",
            model=Project,
            body_id_of=lambda p: p.deciding_body_id,
            relations_of=relations,
            title_of=lambda p: p.title,
            url_of=url,
            author_person_ids=lambda p: {p.lead_person_id},
            label=_l("Projects"),
            slots={"project": _l("Project proposal")},
            relation_roles=frozenset({"author", "project_lead"}),
            # approved: the body approved the project (and it was not ended
            # unsuccessfully); running: the project is being carried out.
            optional_flags=frozenset(PROJECT_FLAGS),
        )
    )
