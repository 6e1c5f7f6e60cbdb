"""Every majority and quorum rule against hand-computed outcomes."""

from __future__ import annotations

import pytest

from netzwerk.governance.models import MajorityRule, QuorumRule
from netzwerk.voting.rules import (
    PollResult,
    Tally,
    evaluate,
    is_quorate,
    majority_reached,
    quorum_required,
)

S, A, T, U = (
    MajorityRule.SIMPLE,
    MajorityRule.ABSOLUTE,
    MajorityRule.TWO_THIRDS,
    MajorityRule.UNANIMOUS,
)
P, F, N = PollResult.PASSED, PollResult.FAILED, PollResult.NOT_QUORATE

# rule, yes, no, abstain, members with a voting right, present, quorum rule, expected
CASES = [
    # simple: more yes than no; abstentions ignored; a tie fails
    (S, 5, 3, 0, 10, 8, QuorumRule.MORE_THAN_HALF, P),
    (S, 4, 4, 0, 10, 8, QuorumRule.MORE_THAN_HALF, F),  # tie
    (S, 2, 1, 5, 10, 8, QuorumRule.MORE_THAN_HALF, P),  # abstentions do not count
    (S, 1, 1, 6, 10, 8, QuorumRule.MORE_THAN_HALF, F),  # tie with abstentions
    (S, 0, 0, 8, 10, 8, QuorumRule.MORE_THAN_HALF, F),  # only abstentions
    (S, 3, 4, 0, 10, 7, QuorumRule.MORE_THAN_HALF, F),
    # quorum: more than half of 10 is 6
    (S, 5, 0, 0, 10, 5, QuorumRule.MORE_THAN_HALF, N),
    (S, 5, 0, 0, 10, 6, QuorumRule.MORE_THAN_HALF, P),
    (S, 5, 0, 0, 10, 5, QuorumRule.AT_LEAST_HALF, P),
    (S, 3, 0, 0, 10, 4, QuorumRule.ONE_THIRD, P),  # ceil(10/3) = 4
    (S, 3, 0, 0, 10, 3, QuorumRule.ONE_THIRD, N),
    (S, 1, 0, 0, 10, 1, QuorumRule.NONE, P),
    (S, 0, 0, 0, 10, 0, QuorumRule.NONE, F),
    (S, 9, 0, 0, 0, 9, QuorumRule.NONE, N),  # no members: never quorate
    # absolute: more yes than half of the members (10 -> at least 6 yes)
    (A, 6, 0, 0, 10, 6, QuorumRule.MORE_THAN_HALF, P),
    (A, 5, 0, 0, 10, 6, QuorumRule.MORE_THAN_HALF, F),  # 5 is exactly half
    (A, 5, 0, 3, 9, 8, QuorumRule.MORE_THAN_HALF, P),  # 5 > 4.5
    (A, 4, 0, 4, 9, 8, QuorumRule.MORE_THAN_HALF, F),
    (A, 6, 4, 0, 10, 10, QuorumRule.MORE_THAN_HALF, P),
    (A, 6, 0, 0, 10, 5, QuorumRule.MORE_THAN_HALF, N),  # cannot happen in practice, quorum first
    # two thirds of the votes cast (yes + no); abstentions are not cast
    (T, 6, 3, 0, 10, 9, QuorumRule.MORE_THAN_HALF, P),  # exactly 2/3
    (T, 5, 3, 0, 10, 8, QuorumRule.MORE_THAN_HALF, F),  # 62.5 %
    (T, 2, 1, 7, 10, 10, QuorumRule.MORE_THAN_HALF, P),  # abstentions ignored
    (T, 1, 1, 6, 10, 8, QuorumRule.MORE_THAN_HALF, F),  # tie
    (T, 0, 0, 7, 10, 7, QuorumRule.MORE_THAN_HALF, F),  # nothing cast
    (T, 7, 3, 0, 10, 10, QuorumRule.MORE_THAN_HALF, P),
    (T, 8, 0, 0, 10, 4, QuorumRule.MORE_THAN_HALF, N),
    # unanimous: no "no" and at least one yes; abstentions allowed
    (U, 7, 0, 0, 10, 7, QuorumRule.MORE_THAN_HALF, P),
    (U, 6, 0, 2, 10, 8, QuorumRule.MORE_THAN_HALF, P),
    (U, 7, 1, 0, 10, 8, QuorumRule.MORE_THAN_HALF, F),
    (U, 0, 0, 8, 10, 8, QuorumRule.MORE_THAN_HALF, F),
    (U, 5, 0, 0, 10, 5, QuorumRule.MORE_THAN_HALF, N),
]


@pytest.mark.parametrize(
    ("rule", "yes", "no", "abstain", "members", "present", "quorum", "expected"), CASES
)
def test_rule_outcome_matches_hand_computation(
    rule: MajorityRule,
    yes: int,
    no: int,
    abstain: int,
    members: int,
    present: int,
    quorum: QuorumRule,
    expected: PollResult,
) -> None:
    assert evaluate(rule, quorum, Tally(yes, no, abstain), members, present) is expected


@pytest.mark.parametrize(
    ("quorum", "members", "required"),
    [
        (QuorumRule.MORE_THAN_HALF, 8, 5),
        (QuorumRule.MORE_THAN_HALF, 7, 4),
        (QuorumRule.AT_LEAST_HALF, 8, 4),
        (QuorumRule.AT_LEAST_HALF, 7, 4),
        (QuorumRule.ONE_THIRD, 24, 8),
        (QuorumRule.ONE_THIRD, 25, 9),
        (QuorumRule.NONE, 25, 0),
    ],
)
def test_quorum_required(quorum: QuorumRule, members: int, required: int) -> None:
    assert quorum_required(quorum, members) == required
    assert is_quorate(quorum, members, required)
    if required > 0:
        assert not is_quorate(quorum, members, required - 1)


def test_tie_fails_under_every_rule() -> None:
    for rule in MajorityRule:
        assert not majority_reached(rule, Tally(3, 3, 0), 6)


def test_abstentions_are_not_votes_cast() -> None:
    assert Tally(2, 1, 5).cast == 3
    assert Tally(2, 1, 5).participants == 8


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        Tally(-1, 0, 0)
