"""What the engine knows of its clients: object types, guards, effects.

The engine knows no client package.  Each package that owns workflow
objects registers them from its ``init_app(app)`` (never on import), in the
layer order ``create_app`` calls them:

- a :class:`Subject` per object type: its model, the slots a body can choose
  a workflow for, the relation roles it knows (author, project_lead, ...),
  the flags every definition for it must declare, and ``roles_of``;
- its guards and effects, by name (:func:`register_guard`,
  :func:`register_effect`); definitions refer to them by name only.

Packages that know facts a guard needs (polls, quorum, attachments) fill the
provider lists, so a guard asks whoever knows and answers False when nobody
does.  Registering is idempotent: ``create_app`` may run more than once in a
process (tests), and the same name registered again replaces the entry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..auth.models import User
    from .definition import Transition, WorkflowDefinition

# --- roles ----------------------------------------------------------------

GLOBAL_ROLES = frozenset({"admin", "office"})
BODY_ROLES = frozenset({"chair", "vice_chair", "member", "advisory", "office", "guest"})
# Transitions only the scheduler (a timer) may fire.
SYSTEM_ROLE = "system"

# Flags any definition may set on a state, whatever its type.
GENERAL_FLAGS = frozenset({"editable_by_author", "open_for_voting", "public"})

# --- kinds of objects -----------------------------------------------------


def slot_object_type(slot: str) -> str:
    """A slot is "<object type>" or "<object type>:<kind>" (papers come in kinds)."""
    return slot.split(":", 1)[0]


@dataclass
class Subject:
    """How the engine reaches one kind of workflow object.

    ``model`` must carry the columns of ``WorkflowMixin``; ``body_id_of``
    names the body whose roles apply; ``relations_of`` returns the relation
    roles (author, project_lead) a person holds to the object, and
    ``relation_roles`` names every role it can answer.  ``slots`` maps each
    slot a body may choose a workflow for to its label.  Every definition
    for the type must set each of ``required_flags`` on at least one state;
    ``optional_flags`` may be set.  ``roles_of`` adds roles the generic rules
    do not know (for example "chair" of the meeting a vote belongs to).
    """

    object_type: str
    model: type[Any]
    body_id_of: Callable[[Any], int | None]
    relations_of: Callable[[Any, int], set[str]]
    title_of: Callable[[Any], str]
    url_of: Callable[[Any], str] | None = None
    author_person_ids: Callable[[Any], set[int]] = field(default=lambda obj: set())
    # (object, instant of the transition) -> its number (the instant's year
    # numbers it: a transition dated in the past numbers in its own year).
    assign_number: Callable[[Any, datetime], str] | None = None
    label: Any = None
    slots: Mapping[str, Any] = field(default_factory=dict)
    relation_roles: frozenset[str] = frozenset()
    required_flags: frozenset[str] = frozenset()
    optional_flags: frozenset[str] = frozenset()
    roles_of: Callable[[Any, Any], set[str]] | None = None


SUBJECTS: dict[str, Subject] = {}


def register_subject(subject: Subject) -> Subject:
    SUBJECTS[subject.object_type] = subject
    return subject


def subject_for(obj: Any) -> Subject:
    for subject in SUBJECTS.values():
        if isinstance(obj, subject.model):
            return subject
    raise LookupError(f"{type(obj).__name__} is not a registered workflow object")


def subject_for_model(model: type) -> Subject:
    for subject in SUBJECTS.values():
        if subject.model is model:
            return subject
    raise LookupError(f"{model.__name__} is not a registered workflow model")


def object_types() -> tuple[str, ...]:
    return tuple(SUBJECTS)


def slots() -> dict[str, Any]:
    """Every slot a body can choose a workflow for, with its label."""
    result: dict[str, Any] = {}
    for subject in SUBJECTS.values():
        result.update(subject.slots)
    return result


def known_roles() -> frozenset[str]:
    relations: set[str] = set()
    for subject in SUBJECTS.values():
        relations |= subject.relation_roles
    return GLOBAL_ROLES | BODY_ROLES | relations | {SYSTEM_ROLE}


def known_flags(object_type: str | None = None) -> frozenset[str]:
    """The flags a definition (for ``object_type``, or for any type) may set."""
    flags = set(GENERAL_FLAGS)
    for subject in SUBJECTS.values():
        if object_type is None or subject.object_type == object_type:
            flags |= subject.required_flags | subject.optional_flags
    return frozenset(flags)


def required_flags(object_type: str) -> frozenset[str]:
    subject = SUBJECTS.get(object_type)
    return subject.required_flags if subject else frozenset()


# --- roles in a body --------------------------------------------------------

BodyRoles = Callable[[int, int], set[str]]
_body_roles: list[BodyRoles] = []


def set_body_roles(func: BodyRoles) -> None:
    """Who knows a person's roles in a body (``func(person_id, body_id)``);
    the governance package sets it from its init_app."""
    _body_roles[:] = [func]


def body_roles(person_id: int, body_id: int) -> set[str]:
    return _body_roles[0](person_id, body_id) if _body_roles else set()


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
# Why a step is not possible while its guard refuses, for the person who
# sees the step on the page (a lazy translation of the registering package).
GUARD_REASONS: dict[str, Any] = {}
EFFECTS: dict[str, Effect] = {}


def register_guard(name: str, func: Guard, reason: Any = None) -> Guard:
    """Register a guard by name, with the sentence that explains a refusal
    ("Die Sitzung ist noch nicht geschlossen.")."""
    GUARDS[name] = func
    if reason is not None:
        GUARD_REASONS[name] = reason
    return func


def register_effect(name: str, func: Effect) -> Effect:
    EFFECTS[name] = func
    return func


def register_guards(guards: Mapping[str, Guard | tuple[Guard, Any]]) -> None:
    """Register guards by name: a function, or (function, reason)."""
    for name, entry in guards.items():
        if isinstance(entry, tuple):
            register_guard(name, entry[0], entry[1])
        else:
            register_guard(name, entry)


def register_effects(effects: Mapping[str, Effect]) -> None:
    for name, func in effects.items():
        register_effect(name, func)


def add_provider(providers: list[Any], provider: Any) -> None:
    """Append a provider once (``init_app`` may run again in one process)."""
    if provider not in providers:
        providers.append(provider)


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
