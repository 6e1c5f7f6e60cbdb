"""CSV exports that had no home yet: action items and poll results.

The decisions register and the projects have their own exports
(``decisions.export_csv``, ``projects.export_csv``); all of them write
through ``netzwerk.csvutil``.  The access rules are those of the pages:

* action items: the Bildungsbüro and administrators see all; everyone else
  sees the items of decisions of the bodies they hold a current seat in
  (as on the decision pages); anonymous visitors none;
* poll results: closed polls only; anonymous visitors see those of public
  bodies on a public subject (as the decisions register does); members
  additionally those of their bodies; staff all.  Secret polls are counts
  anyway, named ballots never leave the poll page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select, true
from sqlalchemy.orm import joinedload

from ..csvutil import write_csv
from ..decisions.models import ActionItem, Decision
from ..extensions import db
from ..governance.models import Body, Membership
from ..governance.services import current_filter
from ..meetings.models import AgendaItem, Meeting, Paper
from ..timeutil import to_local
from ..voting.models import Poll, PollState
from ..voting.providers import resolve_subject

EXPORT_LIMIT = 100000


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _seat_body_ids(user: Any) -> Any:
    return select(Membership.body_id).where(
        Membership.person_id == user.person_id, current_filter()
    )


# --- action items -----------------------------------------------------------------------


ACTION_ITEM_COLUMNS = [
    "decision",
    "body",
    "decision_title",
    "action",
    "responsible",
    "due_date",
    "status",
    "notes",
]


def visible_action_items(user: Any) -> Sequence[ActionItem]:
    if not _authenticated(user):
        return []
    stmt = (
        select(ActionItem)
        .join(Decision, ActionItem.decision_id == Decision.id)
        .options(
            joinedload(ActionItem.decision).joinedload(Decision.body),
            joinedload(ActionItem.responsible_person),
            joinedload(ActionItem.responsible_organisation),
        )
        .order_by(Decision.decided_at, Decision.id, ActionItem.id)
    )
    if not user.is_staff:
        stmt = stmt.where(Decision.body_id.in_(_seat_body_ids(user)))
    return db.session.scalars(stmt.limit(EXPORT_LIMIT)).unique().all()


def action_items_csv(items: Sequence[ActionItem]) -> str:
    return write_csv(
        ACTION_ITEM_COLUMNS,
        (
            (
                item.decision.number,
                item.decision.body.name,
                item.decision.title,
                item.title,
                item.responsible_label,
                item.due_date.isoformat() if item.due_date else "",
                item.status_label,
                item.notes or "",
            )
            for item in items
        ),
    )


# --- poll results -----------------------------------------------------------------------------


POLL_COLUMNS = [
    "body",
    "title",
    "mode",
    "kind",
    "opened_at",
    "closed_at",
    "majority_rule",
    "voting_members",
    "participants",
    "yes",
    "no",
    "abstain",
    "quorate",
    "result",
    "decision",
]


def _public_subjects(polls: Sequence[Poll]) -> set[tuple[str, int]]:
    """The (subject type, id) pairs of these polls that are public, in few queries."""
    public: set[tuple[str, int]] = set()
    paper_ids = {p.subject_id for p in polls if p.subject_type == "paper" and p.subject_id}
    if paper_ids:
        public |= {
            ("paper", pid)
            for pid in db.session.scalars(
                select(Paper.id).where(Paper.id.in_(paper_ids), Paper.public)
            )
        }
    item_ids = {p.subject_id for p in polls if p.subject_type == "agenda_item" and p.subject_id}
    if item_ids:
        public |= {
            ("agenda_item", iid)
            for iid in db.session.scalars(
                select(AgendaItem.id)
                .join(Meeting, AgendaItem.meeting_id == Meeting.id)
                .where(AgendaItem.id.in_(item_ids), AgendaItem.public, Meeting.public)
            )
        }
    for poll in polls:  # other kinds of subject: ask their resolver
        if poll.subject_type in ("paper", "agenda_item") or poll.subject_id is None:
            continue
        info = resolve_subject(poll.subject_type, poll.subject_id)
        if info is not None and info.public:
            public.add((poll.subject_type, poll.subject_id))
    return public


def visible_poll_results(user: Any) -> list[Poll]:
    stmt = (
        select(Poll)
        .join(Body, Poll.body_id == Body.id)
        .options(joinedload(Poll.body))
        .where(Poll.state == PollState.CLOSED.value)
        .order_by(Poll.closed_at, Poll.id)
    )
    if not _authenticated(user):
        condition: Any = Body.public
        members: Any = None
    elif user.is_staff:
        condition, members = true(), None
    else:
        members = _seat_body_ids(user)
        condition = or_(Body.public, Poll.body_id.in_(members))
    polls = list(db.session.scalars(stmt.where(condition).limit(EXPORT_LIMIT)).unique())
    if _authenticated(user) and user.is_staff:
        return polls
    member_body_ids = set(db.session.scalars(members)) if members is not None else set()
    candidates = [p for p in polls if p.body_id not in member_body_ids]
    public = _public_subjects(candidates)
    return [
        p
        for p in polls
        if p.body_id in member_body_ids
        or (p.body.public and (p.subject_type, p.subject_id or 0) in public)
    ]


def poll_results_csv(polls: Sequence[Poll]) -> str:
    numbers: dict[int, str] = {
        int(poll_id): number
        for poll_id, number in db.session.execute(
            select(Decision.poll_id, Decision.number).where(Decision.poll_id.is_not(None))
        )
    }

    def when(value: Any) -> str:
        return to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""

    def yes_no(value: bool | None) -> str:
        if value is None:
            return ""
        return _("yes") if value else _("no")

    return write_csv(
        POLL_COLUMNS,
        (
            (
                p.body.name,
                p.title,
                p.mode_label,
                p.kind_label,
                when(p.opened_at),
                when(p.closed_at),
                p.majority_rule_label,
                p.voting_members,
                p.participants,
                p.yes_count,
                p.no_count,
                p.abstain_count,
                yes_no(p.quorate),
                p.result_label,
                numbers.get(p.id, ""),
            )
            for p in polls
        ),
    )
