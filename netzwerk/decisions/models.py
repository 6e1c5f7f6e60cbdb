"""The decisions register (Beschlüsse) and implementation tracking.

A decision is written once, in the transaction that closes its poll, with a
number per body and year (``VK/2026/B007``: the ``B`` of "Beschluss" keeps
it apart from the paper ``VK/2026/007``; decisions numbered before stay as
they were).  Numbers come from a counter row locked ``FOR UPDATE`` (SQLite:
the BEGIN IMMEDIATE write lock) and are also unique in the database:
``(body_id, year, seq)``.

A decision is final: nothing of it changes afterwards (the session refuses
it, see ``services.refuse_changed_decisions``), except its text by a
correction (Berichtigung), which keeps every earlier text as a
:class:`DecisionVersion` with who corrected it, when and why.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
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
from ..governance.models import Body, Organisation, Person
from ..labels import Labelled, labels
from ..voting.models import Election, Poll
from ..workflow.models import WorkflowMixin


class DecisionOutcome(Labelled):
    ADOPTED = "adopted"
    REJECTED = "rejected"


OUTCOME_LABELS = labels(
    DecisionOutcome,
    {
        DecisionOutcome.ADOPTED: _l("Adopted"),
        DecisionOutcome.REJECTED: _l("Rejected"),
    },
)


# Flags of action item states (workflows/massnahme.yaml): what the code asks.
# ``pending``: not yet done, listed as open and can become overdue;
# ``done``: implemented; ``dropped`` (optional): given up.
PENDING = "pending"
DONE = "done"
DROPPED = "dropped"
ACTION_ITEM_FLAGS = frozenset({PENDING, DONE})
ACTION_ITEM_OPTIONAL_FLAGS = frozenset({DROPPED})
# The relation role of the person responsible for an action item (``by:``).
RESPONSIBLE = "responsible"


class DecisionCounter(Model):
    """The last number given per body and year (locked while numbering)."""

    __tablename__ = "decision_counter"
    __table_args__ = (UniqueConstraint("body_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Decision(Model):
    __tablename__ = "decision"
    __table_args__ = (
        UniqueConstraint("body_id", "year", "seq"),
        UniqueConstraint("number"),
        UniqueConstraint("poll_id"),
        UniqueConstraint("election_id"),
        CheckConstraint(enum_check("outcome", DecisionOutcome), name="outcome"),
        CheckConstraint("seq >= 1", name="seq_positive"),
        Index("ix_decision_subject", "subject_type", "subject_id"),
        Index("ix_decision_decided_at", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(40))
    poll_id: Mapped[int | None] = mapped_column(ForeignKey("poll.id", ondelete="RESTRICT"))
    # An election of persons (no poll; the elected persons are its text).
    election_id: Mapped[int | None] = mapped_column(ForeignKey("election.id", ondelete="RESTRICT"))
    subject_type: Mapped[str | None] = mapped_column(String(30))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    subject_title: Mapped[str | None] = mapped_column(String(300))
    # Later: the meeting and agenda item (filled by the meetings package).
    meeting_id: Mapped[int | None] = mapped_column(Integer)
    agenda_item_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))
    yes_count: Mapped[int] = mapped_column(Integer)
    no_count: Mapped[int] = mapped_column(Integer)
    abstain_count: Mapped[int] = mapped_column(Integer)
    voting_members: Mapped[int] = mapped_column(Integer)
    majority_rule: Mapped[str] = mapped_column(String(20))
    # The subject may be shown publicly; the body must be public too (checked on read).
    subject_public: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    body: Mapped[Body] = relationship()
    poll: Mapped[Poll | None] = relationship()
    election: Mapped[Election | None] = relationship()
    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="decision", order_by="ActionItem.due_date"
    )

    @property
    def outcome_label(self) -> str:
        return DecisionOutcome(self.outcome).label

    @property
    def how_label(self) -> str:
        """How it was decided ("by show of hands", "electronically, secret", ...)."""
        if self.election_id is not None:
            return str(_l("election, secret ballot"))
        return self.poll.how_label if self.poll is not None else ""

    @property
    def is_public(self) -> bool:
        return bool(self.subject_public and self.body.public)


class DecisionVersion(Model):
    """One text of a decision: version 1 is the text as decided, each later
    one a correction (Berichtigung) with its note.  Written only by
    ``services.correct_decision``; the decision's ``text`` is the newest."""

    __tablename__ = "decision_version"
    __table_args__ = (
        UniqueConstraint("decision_id", "version_no"),
        CheckConstraint("version_no >= 1", name="version_no"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decision.id", ondelete="RESTRICT"), index=True
    )
    version_no: Mapped[int] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ActionItem(WorkflowMixin, Model):
    """A step that implements a decision, with who and until when.

    Its state is the workflow engine's (``workflows/massnahme.yaml``); the
    code asks the state's flags (``pending``, ``done``), never its name.
    """

    __tablename__ = "decision_action_item"
    __table_args__ = (
        CheckConstraint(
            "responsible_person_id IS NOT NULL OR responsible_organisation_id IS NOT NULL",
            name="responsible",
        ),
        CheckConstraint("version >= 0", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("decision.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    responsible_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    responsible_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    due_date: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    decision: Mapped[Decision] = relationship(back_populates="action_items")
    responsible_person: Mapped[Person | None] = relationship()
    responsible_organisation: Mapped[Organisation | None] = relationship()

    @property
    def status_label(self) -> str:
        """The title of its state (from the definition it is pinned to)."""
        from ..workflow.ui import state_title

        return state_title(self)

    @property
    def is_pending(self) -> bool:
        from ..workflow.services import has_flag

        return has_flag(self, PENDING)

    @property
    def is_done(self) -> bool:
        from ..workflow.services import has_flag

        return has_flag(self, DONE)

    @property
    def responsible_label(self) -> str:
        parts = []
        if self.responsible_person is not None:
            parts.append(self.responsible_person.full_name)
        if self.responsible_organisation is not None:
            parts.append(self.responsible_organisation.name)
        return " – ".join(parts)

    def is_overdue(self, today: date) -> bool:
        return self.due_date is not None and self.due_date < today and self.is_pending


def register_action_item_subject() -> None:
    """Action items under the workflow engine (from ``decisions.init_app``)."""
    from flask import url_for
    from flask_babel import lazy_gettext as _l

    from ..workflow.registry import Subject, register_subject

    def url(item: ActionItem) -> str:
        try:
            return url_for("decisions.action_item", item_id=item.id)
        except RuntimeError:  # no request (scheduler)
            return f"/beschluesse/massnahmen/{item.id}"

    def relations(item: ActionItem, person_id: int) -> set[str]:
        if person_id is not None and item.responsible_person_id == person_id:
            return {RESPONSIBLE}
        return set()

    def responsible(item: ActionItem) -> set[int]:
        return {item.responsible_person_id} if item.responsible_person_id else set()

    register_subject(
        Subject(
            object_type="action_item",
            model=ActionItem,
            body_id_of=lambda item: item.decision.body_id,
            relations_of=relations,
            title_of=lambda item: item.title,
            url_of=url,
            author_person_ids=responsible,
            label=_l("Action items"),
            slots={"action_item": _l("Action item of a decision")},
            relation_roles=frozenset({RESPONSIBLE}),
            required_flags=ACTION_ITEM_FLAGS,
            optional_flags=ACTION_ITEM_OPTIONAL_FLAGS,
        )
    )
