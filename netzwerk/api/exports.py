"""CSV exports that had no home yet: action items and poll results.

The decisions register and the projects have their own exports
(``decisions.export_csv``, ``projects.export_csv``); all of them write
through ``netzwerk.csvutil``.  Who sees which rows is
:mod:`netzwerk.visibility`'s, the same rules as the pages:

* action items (:func:`~netzwerk.visibility.action_item_filter`): the
  Bildungsbüro and administrators see all; everyone else the items of
  decisions of the bodies they hold a current seat in and the items they are
  responsible for; anonymous visitors none;
* poll results (:func:`~netzwerk.visibility.poll_result_filter`): closed
  polls only; anonymous visitors see those of public bodies on a public
  subject (as the decisions register does); members additionally those of
  their bodies; staff all.  Secret polls are counts anyway, named ballots
  never leave the poll page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import visibility
from ..csvutil import write_csv
from ..decisions.models import ActionItem, Decision
from ..extensions import db
from ..timeutil import to_local
from ..voting.models import Poll

EXPORT_LIMIT = 100000


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
    viewer = visibility.viewer(user)
    if not viewer.signed_in:
        return []
    stmt = (
        select(ActionItem)
        .join(Decision, ActionItem.decision_id == Decision.id)
        .options(
            joinedload(ActionItem.decision).joinedload(Decision.body),
            joinedload(ActionItem.responsible_person),
            joinedload(ActionItem.responsible_organisation),
        )
        .where(visibility.action_item_filter(viewer))
        .order_by(Decision.decided_at, Decision.id, ActionItem.id)
    )
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


def visible_poll_results(user: Any) -> list[Poll]:
    stmt = (
        select(Poll)
        .options(joinedload(Poll.body))
        .where(visibility.poll_result_filter(visibility.viewer(user)))
        .order_by(Poll.closed_at, Poll.id)
    )
    return list(db.session.scalars(stmt.limit(EXPORT_LIMIT)).unique())


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
