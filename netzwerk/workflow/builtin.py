"""The engine's own guards and the ``assign_number`` effect.

Guards that need facts owned by later packages (polls, quorum, attachments)
ask the provider registries in :mod:`.registry`; when no provider knows the
object, the answer is False (no poll, no decision).  Effects that tell
people (notify, remind, schedule_on_agenda) belong to the notifications
package, guards and effects of one kind of object to the package that owns
it; each registers them from its ``init_app``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from . import registry
from .registry import TransitionContext

# --- guards ---------------------------------------------------------------


def has_text(ctx: TransitionContext) -> bool:
    """The object has a non-empty text."""
    return bool((getattr(ctx.obj, "text", None) or "").strip())


def has_attachment(ctx: TransitionContext) -> bool:
    """At least one file is attached (asks the attachment providers)."""
    return (
        registry.first_answer(registry.attachment_providers, ctx.subject.object_type, ctx.obj)
        is True
    )


def poll_passed(ctx: TransitionContext) -> bool:
    """The object's closed poll passed (False while there is none)."""
    return (
        registry.first_answer(registry.poll_result_providers, ctx.subject.object_type, ctx.obj)
        is True
    )


def poll_failed(ctx: TransitionContext) -> bool:
    """The object's closed poll failed (False while there is none)."""
    return (
        registry.first_answer(registry.poll_result_providers, ctx.subject.object_type, ctx.obj)
        is False
    )


def quorum_present(ctx: TransitionContext) -> bool:
    """The body dealing with the object is quorate now (asks the meetings)."""
    return (
        registry.first_answer(registry.quorum_providers, ctx.subject.object_type, ctx.obj) is True
    )


# --- effects --------------------------------------------------------------


def assign_number(ctx: TransitionContext) -> None:
    """Give the object its running number (once; the subject knows the scheme)."""
    if ctx.subject.assign_number is None:
        raise LookupError(f"{ctx.subject.object_type} objects have no numbers")
    if getattr(ctx.obj, "number", None):
        return
    ctx.subject.assign_number(ctx.obj, ctx.now)


def register() -> None:
    """Register the built-in guards and effects (from ``workflow.init_app``)."""
    registry.register_guards(
        {
            "has_text": (has_text, _l("The text is still empty.")),
            "has_attachment": (has_attachment, _l("No document is attached yet.")),
            "poll_passed": (poll_passed, _l("There is no adopted vote on it yet.")),
            "poll_failed": (poll_failed, _l("There is no rejecting vote on it.")),
            "quorum_present": (quorum_present, _l("The body is not quorate at the moment.")),
        }
    )
    registry.register_effects(
        {
            "assign_number": assign_number,
        }
    )
