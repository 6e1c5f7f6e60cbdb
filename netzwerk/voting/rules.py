"""Majority and quorum rules as pure functions (no database, no request).

Definitions (documented here, in the README note and in the tests):

* **Votes cast** are yes + no.  Abstentions are recorded and shown, but they
  are not votes cast ("abgegebene Stimmen" in the sense of German
  Geschäftsordnungen): they never count for or against a proposal.
* **simple**: more yes than no.  A tie fails.
* **absolute**: more yes than half of the members with a voting right
  (``2 * yes > voting_members``), whoever took part.
* **two_thirds**: at least two thirds of the votes cast are yes
  (``3 * yes >= 2 * (yes + no)``) and at least one vote was cast.  A tie
  always fails.
* **unanimous**: no "no" vote and at least one "yes"; abstentions do not
  break unanimity.
* **quorum**: without quorum there is no valid decision; the result is
  "not quorate" whatever the figures.  The base of the quorum is the number
  of members with a voting right; who counts as present comes from the
  eligibility provider (in a meeting: present members or their deputies; in a
  circular resolution: the seats that cast a ballot, abstentions included).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..governance.models import MajorityRule, QuorumRule
from ..labels import Labelled, labels


class PollResult(Labelled):
    PASSED = "passed"
    FAILED = "failed"
    NOT_QUORATE = "not_quorate"

    @property
    def is_valid(self) -> bool:
        """A valid result (passed or failed) becomes a decision."""
        return self is not PollResult.NOT_QUORATE


POLL_RESULT_LABELS = labels(
    PollResult,
    {
        PollResult.PASSED: _l("Adopted"),
        PollResult.FAILED: _l("Rejected"),
        PollResult.NOT_QUORATE: _l("Not quorate – no valid decision"),
    },
)


@dataclass(frozen=True)
class Tally:
    yes: int = 0
    no: int = 0
    abstain: int = 0

    def __post_init__(self) -> None:
        if min(self.yes, self.no, self.abstain) < 0:
            raise ValueError("negative count")

    @property
    def cast(self) -> int:
        """Votes cast: yes + no (abstentions are not votes cast)."""
        return self.yes + self.no

    @property
    def participants(self) -> int:
        """Ballots handed in, abstentions included."""
        return self.yes + self.no + self.abstain


def majority_reached(rule: MajorityRule | str, tally: Tally, voting_members: int) -> bool:
    """True when the tally meets the rule (quorum is checked separately)."""
    rule = MajorityRule(rule)
    if rule is MajorityRule.SIMPLE:
        return tally.yes > tally.no
    if rule is MajorityRule.ABSOLUTE:
        return 2 * tally.yes > voting_members
    if rule is MajorityRule.TWO_THIRDS:
        return tally.cast > 0 and 3 * tally.yes >= 2 * tally.cast
    if rule is MajorityRule.UNANIMOUS:
        return tally.no == 0 and tally.yes >= 1
    raise ValueError(f"unknown majority rule {rule!r}")  # pragma: no cover


def quorum_required(rule: QuorumRule | str, voting_members: int) -> int:
    """How many members with a voting right must be present (or take part)."""
    rule = QuorumRule(rule)
    if voting_members < 0:
        raise ValueError("negative member count")
    if rule is QuorumRule.MORE_THAN_HALF:
        return voting_members // 2 + 1
    if rule is QuorumRule.AT_LEAST_HALF:
        return (voting_members + 1) // 2
    if rule is QuorumRule.ONE_THIRD:
        return (voting_members + 2) // 3
    if rule is QuorumRule.NONE:
        return 0
    raise ValueError(f"unknown quorum rule {rule!r}")  # pragma: no cover


def is_quorate(rule: QuorumRule | str, voting_members: int, present: int) -> bool:
    if voting_members <= 0:
        return False
    return present >= quorum_required(rule, voting_members)


def evaluate(
    majority: MajorityRule | str,
    quorum: QuorumRule | str,
    tally: Tally,
    voting_members: int,
    present: int,
) -> PollResult:
    """The one place where a poll's outcome is decided."""
    if not is_quorate(quorum, voting_members, present):
        return PollResult.NOT_QUORATE
    if majority_reached(majority, tally, voting_members):
        return PollResult.PASSED
    return PollResult.FAILED
