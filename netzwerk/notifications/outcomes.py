"""Everyone involved hears how it ended: approved minutes and circular
resolutions, whatever their outcome (signal receivers, connected by
notifications.init_app).

- ``workflow_transition`` of minutes into a final state: the body's current
  members, its office and the minutes' authors (the minute-taker).
- ``poll_closed`` of a circular resolution (adopted, rejected, without
  quorum): the body's current members and its office.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..governance.memberships import current_filter
from ..governance.models import Membership
from ..mail.links import path_for
from .services import notify
from .workflow_effects import office_person_ids

CIRCULAR = "circular"  # the mode of a poll held in writing (voting.models.PollMode)


def body_member_ids(body_id: int | None) -> set[int]:
    if body_id is None:
        return set()
    return set(
        db.session.scalars(
            select(Membership.person_id).where(Membership.body_id == body_id, current_filter())
        )
    )


def minutes_approved(sender: str, *, obj: Any, ctx: Any, **extra: Any) -> None:
    """Minutes reached a final state of their workflow: tell everyone involved."""
    if sender != "minutes" or not ctx.definition.states[ctx.to_state].final:
        return
    body_id = ctx.subject.body_id_of(obj)
    people = (
        body_member_ids(body_id) | office_person_ids(body_id) | ctx.subject.author_person_ids(obj)
    )
    if ctx.actor is not None:
        people.discard(ctx.actor.person_id)
    notify(
        people,
        kind="minutes_approved",
        object_type="minutes",
        object_id=obj.id,
        message=_(
            "“%(title)s” is final: %(state)s.",
            title=ctx.subject.title_of(obj),
            state=ctx.definition.state_title(ctx.to_state),
        ),
        url=ctx.subject.url_of(obj) if ctx.subject.url_of else None,
        dedup_key=f"minutes:{obj.id}:approved",
        now=ctx.now,
    )


def circular_resolution_ended(sender: Any, *, now: Any = None, **extra: Any) -> None:
    """A circular resolution was closed and counted: tell its body, whatever the outcome."""
    poll = sender
    if getattr(poll, "mode", None) != CIRCULAR:
        return
    result = getattr(poll, "result_label", "") or _("no result")
    people = body_member_ids(poll.body_id) | office_person_ids(poll.body_id)
    notify(
        people,
        kind="poll_ended",
        object_type="poll",
        object_id=poll.id,
        message=_(
            "The circular resolution “%(title)s” has ended: %(result)s.",
            title=poll.title,
            result=result,
        ),
        url=path_for("voting.poll", poll_id=poll.id),
        dedup_key=f"poll:{poll.id}:ended",
        now=now,
    )


def connect() -> None:
    from .. import signals

    signals.workflow_transition.connect(minutes_approved)
    signals.poll_closed.connect(circular_resolution_ended)
