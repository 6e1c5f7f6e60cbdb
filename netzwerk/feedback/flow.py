"""The triage of feedback on the workflow engine: guards and effects.

``workflows/rueckmeldung.yaml`` names them.  The guards make sure a step
that needs data has it (an answer, an original, a referral): the services
write the data first and then fire the step in the same transaction, so a
bare button can never publish an empty answer.  The effects keep the
timestamps the receipt page and the data export show.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..workflow import registry
from ..workflow.registry import TransitionContext


def has_answer(ctx: TransitionContext) -> bool:
    """The feedback has an answer text to publish."""
    return bool((getattr(ctx.obj, "answer", None) or "").strip())


def has_original(ctx: TransitionContext) -> bool:
    """The feedback names the earlier feedback it duplicates."""
    return getattr(ctx.obj, "duplicate_of_id", None) is not None


def has_referral(ctx: TransitionContext) -> bool:
    """The feedback was passed to at least one body."""
    return bool(getattr(ctx.obj, "referrals", None))


def mark_considered(ctx: TransitionContext) -> None:
    """The Bildungsbüro has looked at it: the receipt page says when (once)."""
    if ctx.obj.considered_at is None:
        ctx.obj.considered_at = ctx.now


def mark_answered(ctx: TransitionContext) -> None:
    """The answer is published now."""
    ctx.obj.answered_at = ctx.now


def clear_duplicate(ctx: TransitionContext) -> None:
    """No longer a duplicate: forget the original."""
    ctx.obj.duplicate_of_id = None


def register() -> None:
    registry.register_guards(
        {
            "has_answer": (has_answer, _l("There is no answer to publish yet.")),
            "has_original": (has_original, _l("The earlier feedback it repeats is not chosen.")),
            "has_referral": (has_referral, _l("It has not been passed to a body yet.")),
        }
    )
    registry.register_effects(
        {
            "mark_considered": mark_considered,
            "mark_answered": mark_answered,
            "clear_duplicate": clear_duplicate,
        }
    )
