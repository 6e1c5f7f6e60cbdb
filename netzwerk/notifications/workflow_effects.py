"""The workflow effects that tell people: ``notify``, ``remind`` and
``schedule_on_agenda`` (registered by notifications.init_app).

They live here, not in the engine: the engine knows no persons, bodies or
messages, only the names a definition uses.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..auth.models import User
from ..extensions import db
from ..governance.memberships import current_filter
from ..governance.models import Membership, MembershipRole
from ..workflow import registry
from ..workflow.registry import TransitionContext
from .services import notify as notify_people


def office_person_ids(body_id: int | None, *, also_bildungsbuero: bool = False) -> set[int]:
    """The office members of the body; without any (or, with
    ``also_bildungsbuero``, always as well) the Bildungsbüro's accounts."""
    ids: set[int] = set()
    if body_id is not None:
        ids = set(
            db.session.scalars(
                select(Membership.person_id).where(
                    Membership.body_id == body_id,
                    Membership.role == MembershipRole.OFFICE.value,
                    current_filter(),
                )
            )
        )
    if also_bildungsbuero or not ids:
        ids |= set(db.session.scalars(select(User.person_id).where(User.is_office, User.active)))
    return ids


def _notify(ctx: TransitionContext, person_ids: set[int], message: str, kind: str) -> int:
    if ctx.actor is not None:
        person_ids = person_ids - {ctx.actor.person_id}
    url = ctx.subject.url_of(ctx.obj) if ctx.subject.url_of else None
    return len(
        notify_people(
            person_ids,
            kind=kind,
            object_type=ctx.subject.object_type,
            object_id=ctx.obj.id,
            message=message,
            url=url,
            now=ctx.now,
        )
    )


def notify(ctx: TransitionContext) -> None:
    """Tell the authors and the body's office about the new state."""
    title = ctx.subject.title_of(ctx.obj)
    state = ctx.definition.state_title(ctx.to_state)
    if ctx.transition is not None:
        message = _(
            "“%(title)s”: %(step)s – now “%(state)s”.",
            title=title,
            step=ctx.transition.label,
            state=state,
        )
    else:
        message = _("“%(title)s” is in the state “%(state)s”.", title=title, state=state)
    if ctx.comment:
        message += " " + _("Comment: %(comment)s", comment=ctx.comment)
    recipients = ctx.subject.author_person_ids(ctx.obj) | office_person_ids(
        ctx.subject.body_id_of(ctx.obj)
    )
    _notify(ctx, recipients, message, "workflow_state")


def remind(ctx: TransitionContext) -> None:
    """Remind the body's office that the object still waits in its state."""
    message = _(
        "Reminder: “%(title)s” is still waiting in the state “%(state)s”.",
        title=ctx.subject.title_of(ctx.obj),
        state=ctx.definition.state_title(ctx.from_state),
    )
    _notify(ctx, office_person_ids(ctx.subject.body_id_of(ctx.obj)), message, "workflow_reminder")


def schedule_on_agenda(ctx: TransitionContext) -> None:
    """Put the object on the next agenda; until meetings can, ask the office to."""
    for scheduler in registry.agenda_schedulers:
        if scheduler(ctx.subject.object_type, ctx.obj):
            return
    message = _(
        "Please put “%(title)s” on the agenda of the next meeting.",
        title=ctx.subject.title_of(ctx.obj),
    )
    _notify(ctx, office_person_ids(ctx.subject.body_id_of(ctx.obj)), message, "workflow_agenda")


def register() -> None:
    registry.register_effects(
        {"notify": notify, "remind": remind, "schedule_on_agenda": schedule_on_agenda}
    )
