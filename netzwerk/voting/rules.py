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
from typing import Any

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


# --- elections of persons ---------------------------------------------------------------

# Election rules (``ElectionRule`` in models):
#
# * **absolute_runoff**: in the first round a candidate is elected with more
#   votes than half of the ballots handed in (``2 * votes > ballots``;
#   blank votes and abstentions count as ballots, as in most
#   Geschäftsordnungen); the best of them take the open seats.  Seats still
#   open go to a run-off between the leading candidates not yet elected (two
#   per open seat); in the run-off the most votes win.
# * **relative**: the most votes win in the first round.
#
# A tie that decides who is elected, or who enters the run-off, is decided
# by the lot (``draw``, in the services ``secrets.SystemRandom``, recorded in
# the audit trail).  A candidate without a vote is never elected.


@dataclass(frozen=True)
class RoundOutcome:
    elected: list[int]
    runoff: list[int]
    lots: list[tuple[list[int], list[int]]]  # (tied candidates, drawn)


def _take_best(
    ranked: list[tuple[int, int]],
    places: int,
    draw: Any,
    lots: list[tuple[list[int], list[int]]],
) -> list[int]:
    """The ``places`` best of (candidate, votes) pairs, a tie at the
    boundary decided by ``draw(tied, k)``."""
    if places <= 0 or not ranked:
        return []
    ranked = sorted(ranked, key=lambda cv: (-cv[1], cv[0]))
    if len(ranked) <= places:
        return [c for c, _v in ranked]
    boundary = ranked[places - 1][1]
    sure = [c for c, v in ranked if v > boundary]
    tied = [c for c, v in ranked if v == boundary]
    needed = places - len(sure)
    if needed >= len(tied):
        return sure + tied
    drawn = list(draw(tied, needed))
    lots.append((tied, drawn))
    return sure + drawn


def election_round(
    rule: str,
    counts: dict[int, int],
    ballots: int,
    seats_open: int,
    *,
    runoff: bool,
    draw: Any,
) -> RoundOutcome:
    """Who is elected in this round and who stands in a run-off."""
    lots: list[tuple[list[int], list[int]]] = []
    voted = [(c, v) for c, v in counts.items() if v > 0]
    if runoff or rule == "relative":
        return RoundOutcome(_take_best(voted, seats_open, draw, lots), [], lots)
    if rule != "absolute_runoff":
        raise ValueError(f"unknown election rule {rule!r}")
    majority = [(c, v) for c, v in voted if 2 * v > ballots]
    elected = _take_best(majority, seats_open, draw, lots)
    remaining = seats_open - len(elected)
    if remaining <= 0:
        return RoundOutcome(elected, [], lots)
    others = [(c, v) for c, v in counts.items() if c not in elected]
    standing = _take_best(others, 2 * remaining, draw, lots)
    return RoundOutcome(elected, standing, lots)
