"""Named guards, effects, roles and the kinds of objects workflows run on.

Guards and effects are Python functions registered by name with the
decorators below; definitions refer to them by name only (never to
expressions).  Packages that own workflow objects register a
:class:`Subject`; packages that know facts a guard needs (polls, quorum,
attachments) fill the provider registries, so a guard asks whoever knows and
answers False when nobody does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..auth.models import User
    from .definition import Transition, WorkflowDefinition

# --- roles ----------------------------------------------------------------

GLOBAL_ROLES = frozenset({"admin", "office"})
BODY_ROLES = frozenset({"chair", "vice_chair", "member", "advisory", "office", "guest"})
RELATION_ROLES = frozenset({"author", "project_lead"})
# Transitions only the scheduler (a timer) may fire.
SYSTEM_ROLE = "system"
KNOWN_ROLES = GLOBAL_ROLES | BODY_ROLES | RELATION_ROLES | {SYSTEM_ROLE}

# --- kinds of objects -----------------------------------------------------

OBJECT_TYPES = ("paper", "agenda_item", "project", "minutes", "circular_resolution", "meeting")

# A slot is what a body chooses a workflow for: "<object type>" or
# "<object type>:<kind>" (papers come in kinds).
SLOTS = (
    "paper:resolution",
    "paper:information",
    "paper:motion",
    "agenda_item",
    "project",
    "minutes",
    "circular_resolution",
)


def slot_object_type(slot: str) -> str:
    return slot.split(":", 1)[0]


@dataclass
class Subject:
    """How the engine reaches one kind of workflow object.

    ``model`` must carry the columns of ``WorkflowMixin``; ``body_id_of``
    names the body whose roles apply; ``relations_of`` returns the relation
    roles (author, project_lead) a person holds to the object.
    """

    object_type: str
    model: type[Any]
    body_id_of: Callable[[Any], int | None]
    relations_of: Callable[[Any, int], set[str]]
    title_of: Callable[[Any], str]
    url_of: Callable[[Any], str] | None = None
    author_person_ids: Callable[[Any], set[int]] = field(default=lambda obj: set())
    assign_number: Callable[[Any], str] | None = None


SUBJECTS: dict[str, Subject] = {}


def register_subject(subject: Subject) -> Subject:
    SUBJECTS[subject.object_type] = subject
    return subject


def subject_for(obj: Any) -> Subject:
    for subject in SUBJECTS.values():
        if isinstance(obj, subject.model):
            return subject
    raise LookupError(f"{type(obj).__name__} is not a registered workflow object")


# --- guards and effects ---------------------------------------------------


@dataclass
class TransitionContext:
    """What a guard or an effect gets to see."""

    obj: Any
    subject: Subject
    definition: WorkflowDefinition
    transition: Transition | None
    actor: User | None
    from_state: str
    to_state: str
    comment: str | None
    now: datetime
    by_timer: bool = False


Guard = Callable[[TransitionContext], bool]
Effect = Callable[[TransitionContext], None]

GUARDS: dict[str, Guard] = {}
EFFECTS: dict[str, Effect] = {}


def guard(name: str) -> Callable[[Guard], Guard]:
    def decorator(func: Guard) -> Guard:
        GUARDS[name] = func
        return func

    return decorator


def effect(name: str) -> Callable[[Effect], Effect]:
    def decorator(func: Effect) -> Effect:
        EFFECTS[name] = func
        return func

    return decorator


# --- providers that later packages fill -----------------------------------

# Each provider takes (object_type, object) and answers; None = "I do not know
# this object" (no poll yet, no meeting, ...).  The first answer wins.  A poll
# result provider answers True for a passed and False for a failed poll.
PollResultProvider = Callable[[str, Any], "bool | None"]
QuorumProvider = Callable[[str, Any], "bool | None"]
AttachmentProvider = Callable[[str, Any], "bool | None"]
AgendaScheduler = Callable[[str, Any], bool]

poll_result_providers: list[PollResultProvider] = []
quorum_providers: list[QuorumProvider] = []
attachment_providers: list[AttachmentProvider] = []
agenda_schedulers: list[AgendaScheduler] = []


def first_answer(
    providers: list[Callable[[str, Any], bool | None]], object_type: str, obj: Any
) -> bool | None:
    """The first provider's answer that is not None (None when nobody knows)."""
    for provider in providers:
        answer = provider(object_type, obj)
        if answer is not None:
            return bool(answer)
    return None
