"""The built-in guards and effects.

Guards that need facts owned by later packages (polls, quorum, attachments)
ask the provider registries in :mod:`.registry`; when no provider knows the
object, the answer is False (no poll, no decision).
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..auth.models import User
from ..extensions import db
from ..governance.models import Membership, MembershipRole
from ..governance.services import current_filter
from ..notifications.services import notify as notify_people
from . import registry
from .registry import TransitionContext, effect, guard

# --- guards ---------------------------------------------------------------


@guard("has_text")
def has_text(ctx: TransitionContext) -> bool:
    """The object has a non-empty text."""
    return bool((getattr(ctx.obj, "text", None) or "").strip())


@guard("has_attachment")
def has_attachment(ctx: TransitionContext) -> bool:
    """At least one file is attached (asks the attachment providers)."""
    return (
        registry.first_answer(registry.attachment_providers, ctx.subject.object_type, ctx.obj)
        is True
    )


@guard("poll_passed")
def poll_passed(ctx: TransitionContext) -> bool:
    """The object's closed poll passed (False while there is none)."""
    return (
        registry.first_answer(registry.poll_result_providers, ctx.subject.object_type, ctx.obj)
        is True
    )


@guard("poll_failed")
def poll_failed(ctx: TransitionContext) -> bool:
    """The object's closed poll failed (False while there is none)."""
    return (
        registry.first_answer(registry.poll_result_providers, ctx.subject.object_type, ctx.obj)
        is False
    )


@guard("quorum_present")
def quorum_present(ctx: TransitionContext) -> bool:
    """The body dealing with the object is quorate now (asks the meetings)."""
    return (
        registry.first_answer(registry.quorum_providers, ctx.subject.object_type, ctx.obj) is True
    )


# --- effects --------------------------------------------------------------


def _office_person_ids(body_id: int | None) -> set[int]:
    """The office members of the body; without any, the Bildungsbüro accounts."""
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
    if not ids:
        ids = set(db.session.scalars(select(User.person_id).where(User.is_office, User.active)))
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


@effect("notify")
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
    recipients = ctx.subject.author_person_ids(ctx.obj) | _office_person_ids(
        ctx.subject.body_id_of(ctx.obj)
    )
    _notify(ctx, recipients, message, "workflow_state")


@effect("remind")
def remind(ctx: TransitionContext) -> None:
    """Remind the body's office that the object still waits in its state."""
    message = _(
        "Reminder: “%(title)s” is still waiting in the state “%(state)s”.",
        title=ctx.subject.title_of(ctx.obj),
        state=ctx.definition.state_title(ctx.from_state),
    )
    _notify(ctx, _office_person_ids(ctx.subject.body_id_of(ctx.obj)), message, "workflow_reminder")


@effect("assign_number")
def assign_number(ctx: TransitionContext) -> None:
    """Give the object its running number (once; the subject knows the scheme)."""
    if ctx.subject.assign_number is None:
        raise LookupError(f"{ctx.subject.object_type} objects have no numbers")
    if getattr(ctx.obj, "number", None):
        return
    ctx.subject.assign_number(ctx.obj)


@effect("schedule_on_agenda")
def schedule_on_agenda(ctx: TransitionContext) -> None:
    """Put the object on the next agenda; until meetings can, ask the office to."""
    for scheduler in registry.agenda_schedulers:
        if scheduler(ctx.subject.object_type, ctx.obj):
            return
    message = _(
        "Please put “%(title)s” on the agenda of the next meeting.",
        title=ctx.subject.title_of(ctx.obj),
    )
    _notify(ctx, _office_person_ids(ctx.subject.body_id_of(ctx.obj)), message, "workflow_agenda")
