"""Polls and ballots.

Invariants the database enforces (not only the services):

* one ballot per eligible seat: ``ballot(poll_id, voter_membership_id)`` is
  unique for open (named) polls; for secret polls
  ``poll_participation(poll_id, voter_membership_id)`` is unique and the
  value goes, while the poll is open, encrypted into ``sealed_ballot``, and
  at the close, in a random order, into ``secret_ballot``; both hold nothing
  but a random UUID, the poll and the (sealed) value (on SQLite WITHOUT
  ROWID tables, so that not even a hidden row number records an order).
  Why and against whom: :mod:`netzwerk.voting.sealing`;
* ballots can only be written while the poll is open, and a closed poll's
  row (result, figures, times) can never change: triggers on SQLite and
  PostgreSQL refuse it (see ``POLL_DDL``, which the migration must install
  too); sealed and secret ballots may also be deleted while the poll is
  open (the close does, to publish them), never afterwards (PostgreSQL);
* enum values and the result/state pairing are check constraints.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, enum_check, utcnow
from ..extensions import Model, db
from ..governance.models import Body, MajorityRule, Membership, QuorumRule
from ..labels import Labelled, labels
from ..workflow.models import WorkflowMixin
from .rules import PollResult, Tally
from .sealing import SEALED_BYTES


class PollKind(Labelled):
    OPEN = "open"
    SECRET = "secret"  # noqa: S105  (a kind of vote, not a password)


POLL_KIND_LABELS = labels(
    PollKind,
    {
        PollKind.OPEN: _l("Open (named) vote"),
        PollKind.SECRET: _l("Secret vote"),
    },
)


class PollMethod(Labelled):
    """How the votes are taken in the room (a circular resolution is electronic)."""

    ELECTRONIC = "electronic"
    HANDS = "hands"  # show of hands: the minute-taker enters the counts
    MIXED = "mixed"  # by hand in the room, electronically online; each seat once


POLL_METHOD_LABELS = labels(
    PollMethod,
    {
        PollMethod.ELECTRONIC: _l("Electronically"),
        PollMethod.HANDS: _l("By show of hands"),
        PollMethod.MIXED: _l("Mixed (show of hands in the room, electronically online)"),
    },
)


class PollOptions(Labelled):
    YES_NO = "yes_no"
    YES_NO_ABSTAIN = "yes_no_abstain"

    @property
    def values(self) -> list[BallotValue]:
        if self is PollOptions.YES_NO:
            return [BallotValue.YES, BallotValue.NO]
        return [BallotValue.YES, BallotValue.NO, BallotValue.ABSTAIN]


POLL_OPTIONS_LABELS = labels(
    PollOptions,
    {
        PollOptions.YES_NO: _l("Yes / No"),
        PollOptions.YES_NO_ABSTAIN: _l("Yes / No / Abstain"),
    },
)


class PollState(Labelled):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


POLL_STATE_LABELS = labels(
    PollState,
    {
        PollState.DRAFT: _l("Draft"),
        PollState.OPEN: _l("Open"),
        PollState.CLOSED: _l("Closed"),
    },
)


class PollMode(Labelled):
    """Where the poll runs; selects the eligibility provider."""

    CIRCULAR = "circular"
    MEETING = "meeting"


POLL_MODE_LABELS = labels(
    PollMode,
    {
        PollMode.CIRCULAR: _l("Circular resolution (written procedure)"),
        PollMode.MEETING: _l("Vote in a meeting"),
    },
)


class BallotValue(Labelled):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


BALLOT_VALUE_LABELS = labels(
    BallotValue,
    {
        BallotValue.YES: _l("Yes"),
        BallotValue.NO: _l("No"),
        BallotValue.ABSTAIN: _l("Abstain"),
    },
)


class Poll(Model):
    """A vote of a body on a subject (a paper, later an agenda item)."""

    __tablename__ = "poll"
    __table_args__ = (
        CheckConstraint(enum_check("kind", PollKind), name="kind"),
        CheckConstraint(enum_check("options", PollOptions), name="options"),
        CheckConstraint(enum_check("state", PollState), name="state"),
        CheckConstraint(enum_check("mode", PollMode), name="mode"),
        CheckConstraint(enum_check("method", PollMethod), name="method"),
        CheckConstraint("method = 'electronic' OR kind = 'open'", name="hands_not_secret"),
        CheckConstraint(enum_check("majority_rule", MajorityRule), name="majority_rule"),
        CheckConstraint(enum_check("quorum_rule", QuorumRule), name="quorum_rule"),
        CheckConstraint(
            "result IS NULL OR " + enum_check("result", PollResult), name="result_value"
        ),
        # A result exists exactly when the poll is closed.
        CheckConstraint(
            "(state = 'closed' AND result IS NOT NULL AND closed_at IS NOT NULL "
            "AND yes_count IS NOT NULL AND no_count IS NOT NULL AND abstain_count IS NOT NULL) "
            "OR (state <> 'closed' AND result IS NULL AND closed_at IS NULL)",
            name="result_when_closed",
        ),
        CheckConstraint("state = 'draft' OR opened_at IS NOT NULL", name="opened"),
        CheckConstraint(
            "yes_count >= 0 AND no_count >= 0 AND abstain_count >= 0", name="counts_positive"
        ),
        CheckConstraint("mode <> 'circular' OR closes_at IS NOT NULL", name="circular_deadline"),
        Index("ix_poll_subject", "subject_type", "subject_id"),
        Index("ix_poll_state_closes_at", "state", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="RESTRICT"), index=True)
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    question: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10), default=PollKind.OPEN.value)
    options: Mapped[str] = mapped_column(String(20), default=PollOptions.YES_NO_ABSTAIN.value)
    mode: Mapped[str] = mapped_column(String(10), default=PollMode.CIRCULAR.value)
    method: Mapped[str] = mapped_column(
        String(10), default=PollMethod.ELECTRONIC.value, server_default="electronic"
    )
    majority_rule: Mapped[str] = mapped_column(String(20))
    majority_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    quorum_rule: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(10), default=PollState.DRAFT.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Recorded at opening.
    voting_members: Mapped[int | None] = mapped_column(Integer)  # base of quorum / absolute
    eligible_count: Mapped[int | None] = mapped_column(Integer)
    quorum_required: Mapped[int | None] = mapped_column(Integer)
    present_at_opening: Mapped[int | None] = mapped_column(Integer)
    # The quorum recomputed at the opening (of each vote), stored with it.
    quorate_at_opening: Mapped[bool | None] = mapped_column(Boolean)

    # Computed once at closing, never edited afterwards.
    yes_count: Mapped[int | None] = mapped_column(Integer)
    no_count: Mapped[int | None] = mapped_column(Integer)
    abstain_count: Mapped[int | None] = mapped_column(Integer)
    participants: Mapped[int | None] = mapped_column(Integer)
    present_at_closing: Mapped[int | None] = mapped_column(Integer)
    quorate: Mapped[bool | None] = mapped_column(Boolean)
    result: Mapped[str | None] = mapped_column(String(20))

    body: Mapped[Body] = relationship()

    @property
    def kind_label(self) -> str:
        return PollKind(self.kind).label

    @property
    def method_label(self) -> str:
        return PollMethod(self.method).label

    @property
    def by_hand(self) -> bool:
        """Counts are entered by the minute-taker (show of hands or mixed)."""
        return self.method != PollMethod.ELECTRONIC.value

    @property
    def electronic(self) -> bool:
        """Members cast ballots electronically (electronic or mixed)."""
        return self.method != PollMethod.HANDS.value

    @property
    def how_label(self) -> str:
        """How the vote was taken, for the register and the minutes."""
        if self.mode == PollMode.CIRCULAR.value:
            return str(
                _l("in writing (circular resolution), secret")
                if self.is_secret
                else _l("in writing (circular resolution), named")
            )
        if self.method == PollMethod.HANDS.value:
            return str(_l("by show of hands"))
        if self.method == PollMethod.MIXED.value:
            return str(_l("mixed (show of hands and electronically)"))
        return str(_l("electronically, secret") if self.is_secret else _l("electronically, named"))

    @property
    def options_label(self) -> str:
        return PollOptions(self.options).label

    @property
    def state_label(self) -> str:
        return PollState(self.state).label

    @property
    def mode_label(self) -> str:
        return PollMode(self.mode).label

    @property
    def majority_rule_label(self) -> str:
        return MajorityRule(self.majority_rule).label

    @property
    def quorum_rule_label(self) -> str:
        return QuorumRule(self.quorum_rule).label

    @property
    def result_label(self) -> str:
        return PollResult(self.result).label if self.result else ""

    @property
    def is_open(self) -> bool:
        return self.state == PollState.OPEN.value

    @property
    def is_closed(self) -> bool:
        return self.state == PollState.CLOSED.value

    @property
    def is_secret(self) -> bool:
        return self.kind == PollKind.SECRET.value

    @property
    def values(self) -> list[BallotValue]:
        return PollOptions(self.options).values

    @property
    def tally(self) -> Tally | None:
        if not self.is_closed:
            return None
        return Tally(self.yes_count or 0, self.no_count or 0, self.abstain_count or 0)


class PollProcess(WorkflowMixin, Model):
    """The workflow of one poll (1:1): how it opens, closes and what follows.

    The poll row keeps its counting lifecycle (``PollState`` draft, open,
    closed; guarded by the triggers below); the process carries the
    workflow's state, and only the effects its definition names
    (``open_poll``, ``close_poll``) move the poll from draft to open and
    from open to closed.  Code asks the process's flags (``open``,
    ``closed``), never a state name.  One table, two kinds (single table
    inheritance): a circular resolution and a vote in a meeting are
    different workflow subjects with their own definitions.
    """

    __tablename__ = "poll_process"
    __table_args__ = (
        CheckConstraint(enum_check("kind", PollMode), name="kind"),
        CheckConstraint("version >= 0", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[str] = mapped_column(String(10))

    poll: Mapped[Poll] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"polymorphic_on": "kind"}  # noqa: RUF012


class CircularResolution(PollProcess):
    """A written vote between meetings (Umlaufverfahren)."""

    __mapper_args__ = {"polymorphic_identity": PollMode.CIRCULAR.value}  # noqa: RUF012


class MeetingVote(PollProcess):
    """A vote on an agenda item during a meeting."""

    __mapper_args__ = {"polymorphic_identity": PollMode.MEETING.value}  # noqa: RUF012


class MeetingPoll(Model):
    """Which meeting and agenda item a poll in a meeting belongs to (one link
    per poll); the services of votes in a meeting are in :mod:`.meeting`."""

    __tablename__ = "meeting_poll"

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True
    )
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="RESTRICT"), index=True
    )
    agenda_item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="RESTRICT"), index=True
    )
    seats_at_opening: Mapped[int | None] = mapped_column(Integer)


class PollEligibility(Model):
    """The seats that may vote in a poll, fixed when it opens.

    ``membership_id`` is the seat (the member with a voting right);
    ``person_id`` is who may cast its ballot (the member, or in a meeting
    their deputy).  It says nothing about how anyone voted.
    """

    __tablename__ = "poll_eligibility"
    __table_args__ = (
        UniqueConstraint("poll_id", "membership_id"),
        Index("ix_poll_eligibility_person", "person_id", "poll_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id", ondelete="RESTRICT"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"))

    membership: Mapped[Membership] = relationship(foreign_keys=[membership_id])


class Ballot(Model):
    """A named ballot of an open poll: one per seat (database constraint)."""

    __tablename__ = "ballot"
    __table_args__ = (
        UniqueConstraint("poll_id", "voter_membership_id"),
        CheckConstraint(enum_check("value", BallotValue), name="value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="RESTRICT"))
    voter_membership_id: Mapped[int] = mapped_column(
        ForeignKey("membership.id", ondelete="RESTRICT"), index=True
    )
    cast_by_person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    value: Mapped[str] = mapped_column(String(10))
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    voter_membership: Mapped[Membership] = relationship(foreign_keys=[voter_membership_id])


class PollParticipation(Model):
    """Who took part in a secret poll: one row per seat, no value."""

    __tablename__ = "poll_participation"
    __table_args__ = (UniqueConstraint("poll_id", "voter_membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="RESTRICT"))
    voter_membership_id: Mapped[int] = mapped_column(
        ForeignKey("membership.id", ondelete="RESTRICT"), index=True
    )
    cast_by_person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _random_uuid() -> str:
    return str(uuid.uuid4())


class SecretBallot(Model):
    """A published anonymous ballot of a closed secret poll: no voter, no
    time, no sequential id.

    Written only by the close, all of a poll's at once, in a random order and
    with fresh random UUIDs (see :mod:`netzwerk.voting.sealing`): neither
    the rows' transaction, nor their physical place (PostgreSQL's ``ctid``,
    the cells of SQLite's pages, which keep the order of insertion even in
    this WITHOUT ROWID table), nor their ids follow the order of the votes.
    """

    __tablename__ = "secret_ballot"
    __table_args__ = (
        CheckConstraint(enum_check("value", BallotValue), name="value"),
        Index("ix_secret_ballot_poll_value", "poll_id", "value"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_random_uuid)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="RESTRICT"))
    value: Mapped[str] = mapped_column(String(10))


class SealedBallot(Model):
    """A secret ballot while its poll is open: the value only encrypted.

    ``sealed`` is :func:`netzwerk.voting.sealing.seal`'s output (format
    version, random nonce, fixed-length ciphertext and tag: the same length
    for every value).  At the close the sealed ballots of the poll are opened
    and replaced by :class:`SecretBallot` rows in a random order.
    """

    __tablename__ = "sealed_ballot"
    __table_args__ = (
        CheckConstraint(f"length(sealed) = {SEALED_BYTES}", name="sealed_length"),
        {"sqlite_with_rowid": False},
    )

    # The key leads with the poll: the close reads and deletes a poll's
    # ballots by it, and a ballot writes one b-tree entry, not two.
    poll_id: Mapped[int] = mapped_column(
        ForeignKey("poll.id", ondelete="RESTRICT"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_random_uuid)
    sealed: Mapped[bytes] = mapped_column(LargeBinary(SEALED_BYTES))


# --- show of hands ---------------------------------------------------------------


class HandCount(Model):
    """The counts a minute-taker entered for a vote by show of hands (or the
    room's part of a mixed vote): one row per poll, replaced while the poll
    is open (each entry audited), never after its close (service check under
    the poll's row lock, and a trigger: see ``POLL_DDL``)."""

    __tablename__ = "poll_hand_count"
    __table_args__ = (
        CheckConstraint(
            "yes_count >= 0 AND no_count >= 0 AND abstain_count >= 0", name="counts_positive"
        ),
    )

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True
    )
    yes_count: Mapped[int] = mapped_column(Integer)
    no_count: Mapped[int] = mapped_column(Integer)
    abstain_count: Mapped[int] = mapped_column(Integer)
    # The limit the counts were checked against (present and entitled).
    entitled: Mapped[int] = mapped_column(Integer)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )

    @property
    def total(self) -> int:
        return self.yes_count + self.no_count + self.abstain_count


class HandVote(Model):
    """A named vote by show of hands: who raised a hand for which answer.
    One per seat and poll (database constraint)."""

    __tablename__ = "poll_hand_vote"
    __table_args__ = (
        UniqueConstraint("poll_id", "membership_id"),
        CheckConstraint(enum_check("value", BallotValue), name="value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id", ondelete="RESTRICT"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"))
    value: Mapped[str] = mapped_column(String(10))


# --- amendments -------------------------------------------------------------------


class AmendmentState(Labelled):
    PENDING = "pending"
    ADOPTED = "adopted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


AMENDMENT_STATE_LABELS = labels(
    AmendmentState,
    {
        AmendmentState.PENDING: _l("Not yet decided"),
        AmendmentState.ADOPTED: _l("Adopted"),
        AmendmentState.REJECTED: _l("Rejected"),
        AmendmentState.WITHDRAWN: _l("Withdrawn"),
    },
)


class Amendment(Model):
    """An amendment (Änderungsantrag) to the proposed resolution of an agenda
    item: its text replaces the proposed resolution when adopted.  Voted
    before the main motion (see :mod:`.amendments`)."""

    __tablename__ = "amendment"
    __table_args__ = (
        UniqueConstraint("agenda_item_id", "seq"),
        CheckConstraint(enum_check("state", AmendmentState), name="state"),
        CheckConstraint("seq >= 1", name="seq_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="RESTRICT"), index=True
    )
    agenda_item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="RESTRICT"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    proposer: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default=AmendmentState.PENDING.value)
    # The latest vote on it (a vote without quorum may be repeated).
    poll_id: Mapped[int | None] = mapped_column(
        ForeignKey("poll.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    poll: Mapped[Poll | None] = relationship()

    @property
    def state_label(self) -> str:
        return AmendmentState(self.state).label

    @property
    def is_pending(self) -> bool:
        return self.state == AmendmentState.PENDING.value

    @property
    def is_adopted(self) -> bool:
        return self.state == AmendmentState.ADOPTED.value


# --- elections of persons -----------------------------------------------------------


class ElectionRule(Labelled):
    """How an election is decided (configurable per election, like the
    majority rules; the rules themselves are in :mod:`.rules`)."""

    ABSOLUTE_RUNOFF = "absolute_runoff"
    RELATIVE = "relative"


ELECTION_RULE_LABELS = labels(
    ElectionRule,
    {
        ElectionRule.ABSOLUTE_RUNOFF: _l(
            "Absolute majority in the first round, then a run-off between the leading "
            "candidates; the lot on a tie"
        ),
        ElectionRule.RELATIVE: _l("Most votes; the lot on a tie"),
    },
)


class ElectionState(Labelled):
    OPEN = "open"
    CLOSED = "closed"


ELECTION_STATE_LABELS = labels(
    ElectionState,
    {ElectionState.OPEN: _l("Election running"), ElectionState.CLOSED: _l("Election closed")},
)


class Election(Model):
    """An election of persons (Wahl) on an agenda item: candidates, seats, a
    secret ballot per round (:mod:`.elections`)."""

    __tablename__ = "election"
    __table_args__ = (
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint(enum_check("rule", ElectionRule), name="rule"),
        CheckConstraint(enum_check("state", ElectionState), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="RESTRICT"), index=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="RESTRICT"), index=True
    )
    agenda_item_id: Mapped[int] = mapped_column(
        ForeignKey("agenda_item.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    seats: Mapped[int] = mapped_column(Integer, default=1)
    rule: Mapped[str] = mapped_column(String(20), default=ElectionRule.ABSOLUTE_RUNOFF.value)
    state: Mapped[str] = mapped_column(String(10), default=ElectionState.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT")
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    body: Mapped[Body] = relationship()
    candidates: Mapped[list[ElectionCandidate]] = relationship(
        order_by="ElectionCandidate.id", back_populates="election"
    )
    rounds: Mapped[list[ElectionRound]] = relationship(
        order_by="ElectionRound.number", back_populates="election"
    )

    @property
    def rule_label(self) -> str:
        return ElectionRule(self.rule).label

    @property
    def is_open(self) -> bool:
        return self.state == ElectionState.OPEN.value

    @property
    def elected(self) -> list[ElectionCandidate]:
        return sorted(
            (c for c in self.candidates if c.elected_in_round is not None),
            key=lambda c: (c.elected_in_round or 0, c.id),
        )


class ElectionCandidate(Model):
    """A candidate: a person of the network or a free name."""

    __tablename__ = "election_candidate"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(
        ForeignKey("election.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(200))
    elected_in_round: Mapped[int | None] = mapped_column(Integer)
    by_lot: Mapped[bool] = mapped_column(Boolean, default=False)

    election: Mapped[Election] = relationship(back_populates="candidates")


class ElectionRound(Model):
    """One ballot of an election (first round, run-off).  While it is open,
    ballots are sealed (``election_sealed_ballot``); at its close they are
    published shuffled (``election_ballot``) and counted (``counts``)."""

    __tablename__ = "election_round"
    __table_args__ = (UniqueConstraint("election_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[int] = mapped_column(ForeignKey("election.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    runoff: Mapped[bool] = mapped_column(Boolean, default=False)
    # Candidate ids standing in this round, comma-separated.
    candidate_ids: Mapped[str] = mapped_column(Text)
    seats_open: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voting_members: Mapped[int] = mapped_column(Integer)
    eligible_count: Mapped[int] = mapped_column(Integer)
    quorum_required: Mapped[int] = mapped_column(Integer)
    present_at_opening: Mapped[int] = mapped_column(Integer)
    quorate_at_opening: Mapped[bool] = mapped_column(Boolean)
    participants: Mapped[int | None] = mapped_column(Integer)
    # {"<candidate id>": votes, ...} and the lot draws, as JSON (at the close).
    counts: Mapped[str | None] = mapped_column(Text)
    lots: Mapped[str | None] = mapped_column(Text)

    election: Mapped[Election] = relationship(back_populates="rounds")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def standing(self) -> list[int]:
        return [int(x) for x in self.candidate_ids.split(",") if x]


class ElectionSeat(Model):
    """Who may vote in a round (fixed at its opening), as ``PollEligibility``."""

    __tablename__ = "election_seat"
    __table_args__ = (UniqueConstraint("round_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("election_round.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id", ondelete="RESTRICT"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"))


class ElectionParticipation(Model):
    """Who took part in a round: one per seat (the database refuses a second)."""

    __tablename__ = "election_participation"
    __table_args__ = (UniqueConstraint("round_id", "voter_membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("election_round.id", ondelete="RESTRICT"))
    voter_membership_id: Mapped[int] = mapped_column(
        ForeignKey("membership.id", ondelete="RESTRICT")
    )
    cast_by_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="RESTRICT"))


class ElectionSealedBallot(Model):
    """One sealed choice of a ballot while its round is open: every ballot
    writes exactly ``seats_open`` of them (a candidate id or "-" for an
    unused vote), so that all ballots look alike (see :mod:`.sealing`)."""

    __tablename__ = "election_sealed_ballot"
    __table_args__ = (
        CheckConstraint(f"length(sealed) = {SEALED_BYTES}", name="sealed_length"),
        {"sqlite_with_rowid": False},
    )

    round_id: Mapped[int] = mapped_column(
        ForeignKey("election_round.id", ondelete="RESTRICT"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_random_uuid)
    sealed: Mapped[bytes] = mapped_column(LargeBinary(SEALED_BYTES))


class ElectionBallot(Model):
    """A published choice of a closed round: no voter, no time, random id."""

    __tablename__ = "election_ballot"
    __table_args__ = (
        Index("ix_election_ballot_round", "round_id", "candidate_id"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_random_uuid)
    round_id: Mapped[int] = mapped_column(ForeignKey("election_round.id", ondelete="RESTRICT"))
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("election_candidate.id", ondelete="RESTRICT")
    )


# --- database guards: a closed poll never changes, ballots only while open ---

# Named ballots and participations: inserted while the poll is open, never
# changed.  Sealed and secret ballots: inserted while open, never changed,
# deleted only while open (the close publishes them; PostgreSQL enforces it,
# SQLite refuses no DELETE of any ballot, as before).
_STRICT_TABLES = ("ballot", "poll_participation")
_SECRET_TABLES = ("secret_ballot", "sealed_ballot")

_SQLITE_DDL: list[tuple[str, str]] = [
    (
        "poll",
        "CREATE TRIGGER poll_closed_immutable BEFORE UPDATE ON poll "
        "FOR EACH ROW WHEN OLD.state = 'closed' "
        "BEGIN SELECT RAISE(ABORT, 'poll is closed; its result cannot change'); END",
    ),
    *(
        (
            table,
            f"CREATE TRIGGER {table}_poll_open BEFORE INSERT ON {table} FOR EACH ROW "
            f"WHEN (SELECT state FROM poll WHERE id = NEW.poll_id) IS NOT 'open' "
            f"BEGIN SELECT RAISE(ABORT, 'poll is not open'); END",
        )
        for table in _STRICT_TABLES + _SECRET_TABLES
    ),
    *(
        (
            table,
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} FOR EACH ROW "
            f"BEGIN SELECT RAISE(ABORT, 'ballots cannot be changed'); END",
        )
        for table in _STRICT_TABLES + _SECRET_TABLES
    ),
]

# Hand counts and named hands: written only while the poll is open (SQLite
# refuses no DELETE, as for ballots; PostgreSQL does).
_HAND_TABLES = ("poll_hand_count", "poll_hand_vote")
_SQLITE_DDL += [
    (
        table,
        f"CREATE TRIGGER {table}_poll_open_{op.lower()} BEFORE {op} ON {table} FOR EACH ROW "
        f"WHEN (SELECT state FROM poll WHERE id = {row}.poll_id) IS NOT 'open' "
        f"BEGIN SELECT RAISE(ABORT, 'poll is not open'); END",
    )
    for table in _HAND_TABLES
    for op, row in (("INSERT", "NEW"), ("UPDATE", "OLD"))
]

# The functions' texts as the migrations install them (DDL() below doubles %).
PG_POLL_CLOSED_IMMUTABLE = """
CREATE OR REPLACE FUNCTION poll_closed_immutable() RETURNS trigger AS $$
BEGIN
  IF OLD.state = 'closed' THEN
    RAISE EXCEPTION 'poll is closed; its result cannot change (% refused)', TG_OP;
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""
PG_BALLOT_POLL_OPEN = """
CREATE OR REPLACE FUNCTION ballot_poll_open() RETURNS trigger AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    RAISE EXCEPTION 'ballots cannot be changed (% refused)', TG_OP;
  END IF;
  IF (SELECT state FROM poll WHERE id = NEW.poll_id) IS DISTINCT FROM 'open' THEN
    RAISE EXCEPTION 'poll is not open';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""
PG_ANONYMOUS_BALLOT_POLL_OPEN = """
CREATE OR REPLACE FUNCTION secret_ballot_poll_open() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'ballots cannot be changed (% refused)', TG_OP;
  END IF;
  IF TG_OP = 'DELETE' THEN
    IF (SELECT state FROM poll WHERE id = OLD.poll_id) IS DISTINCT FROM 'open' THEN
      RAISE EXCEPTION 'poll is not open';
    END IF;
    RETURN OLD;
  END IF;
  IF (SELECT state FROM poll WHERE id = NEW.poll_id) IS DISTINCT FROM 'open' THEN
    RAISE EXCEPTION 'poll is not open';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""

PG_HAND_COUNT_POLL_OPEN = """
CREATE OR REPLACE FUNCTION hand_count_poll_open() RETURNS trigger AS $$
DECLARE
  target integer;
BEGIN
  IF TG_OP = 'INSERT' THEN target := NEW.poll_id; ELSE target := OLD.poll_id; END IF;
  IF (SELECT state FROM poll WHERE id = target) IS DISTINCT FROM 'open' THEN
    RAISE EXCEPTION 'poll is not open';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""

_PG_DDL: list[tuple[str, str]] = [
    ("poll", PG_POLL_CLOSED_IMMUTABLE),
    (
        "poll",
        "CREATE TRIGGER poll_closed_immutable BEFORE UPDATE OR DELETE ON poll "
        "FOR EACH ROW EXECUTE FUNCTION poll_closed_immutable()",
    ),
    ("poll", PG_BALLOT_POLL_OPEN),
    ("poll", PG_ANONYMOUS_BALLOT_POLL_OPEN),
    *(
        (
            table,
            f"CREATE TRIGGER {table}_poll_open BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION ballot_poll_open()",
        )
        for table in _STRICT_TABLES
    ),
    *(
        (
            table,
            f"CREATE TRIGGER {table}_poll_open BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION secret_ballot_poll_open()",
        )
        for table in _SECRET_TABLES
    ),
    ("poll", PG_HAND_COUNT_POLL_OPEN),
    *(
        (
            table,
            f"CREATE TRIGGER {table}_poll_open BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION hand_count_poll_open()",
        )
        for table in _HAND_TABLES
    ),
]

# (dialect, table, DDL) triples; the Alembic migrations run the same statements.
POLL_DDL: list[tuple[str, str, str]] = []


def _attach(table_name: str, statement: str, dialect: str) -> None:
    table = db.metadata.tables[table_name]
    # DDL() formats with %: a literal % in a function's text is written %%.
    ddl = DDL(statement.replace("%", "%%")).execute_if(dialect=dialect)
    event.listen(table, "after_create", ddl)
    POLL_DDL.append((dialect, table_name, statement))


# Each trigger goes on the table it guards (created after poll).
for _table, _stmt in _SQLITE_DDL:
    _attach(_table, _stmt, "sqlite")
for _table, _stmt in _PG_DDL:
    _attach(_table, _stmt, "postgresql")
