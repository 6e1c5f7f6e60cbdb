"""Extension points that later packages (voting) fill for the meeting pages.

The meetings package sits below voting and cannot import it; voting
registers lookups that tell the meeting page which votes and elections
belong to which agenda item, and the endpoint that opens a poll on an item.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ItemPoll:
    poll_id: int
    title: str
    state: str
    state_label: str
    result_label: str
    yes: int | None
    no: int | None
    abstain: int | None
    quorate: bool | None
    present: int | None
    url: str
    # For the cockpit and the projector: how many have voted of how many
    # may (never how), and whether the vote is still open.
    voted: int | None = None
    eligible: int | None = None
    is_open: bool = False
    # "vote" or "election" (an election of persons: rounds, no yes/no/abstain).
    kind: str = "vote"
    # Where the chair closes it (the vote, or an election's open round).
    close_url: str | None = None


ItemPollLookup = Callable[[list[int]], dict[int, list[ItemPoll]]]

MayOpenPoll = Callable[[Any, Any], bool]

_lookups: list[ItemPollLookup] = []
poll_open_endpoint: list[str] = []
_may_open: list[MayOpenPoll] = []


def register_item_poll_lookup(
    lookup: ItemPollLookup,
    open_endpoint: str | None = None,
    may_open: MayOpenPoll | None = None,
) -> None:
    """``may_open(user, meeting)``: whether the user may open a vote in the
    meeting now (the vote workflow's ``by:`` and the meeting's flags)."""
    if lookup not in _lookups:
        _lookups.append(lookup)
    if open_endpoint and open_endpoint not in poll_open_endpoint:
        poll_open_endpoint.append(open_endpoint)
    if may_open is not None and may_open not in _may_open:
        _may_open.append(may_open)


def may_open_poll(user: Any, meeting: Any) -> bool:
    return any(check(user, meeting) for check in _may_open)


def polls_for_items(item_ids: list[int]) -> dict[int, list[ItemPoll]]:
    result: dict[int, list[ItemPoll]] = {}
    if not item_ids:
        return result
    for lookup in _lookups:
        for item_id, polls in lookup(item_ids).items():
            result.setdefault(item_id, []).extend(polls)
    return result


def open_endpoint() -> str | None:
    return poll_open_endpoint[0] if poll_open_endpoint else None
