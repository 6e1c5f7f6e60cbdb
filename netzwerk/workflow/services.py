"""The engine: which transitions a user may fire, and firing them.

Firing is one transaction: role check, guard check, the state change with an
optimistic version check (``UPDATE ... WHERE id = ? AND version = ?``), the
effects and the audit event.  When the UPDATE finds no row, another firing
came first: :class:`WorkflowConflict`, and nothing is applied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, false, or_, select, update
from sqlalchemy.exc import IntegrityError

from .. import signals
from ..audit.models import AuditEvent
from ..audit.services import history as audit_history
from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from . import registry
from .catalog import get_catalog, store_version
from .definition import State, Transition, WorkflowDefinition
from .models import BodyWorkflow

TRANSITION_ACTION = "workflow.transition"
START_ACTION = "workflow.start"


class WorkflowError(Exception):
    """A transition was refused; the message is for the user (German)."""


class TransitionNotAllowed(WorkflowError):
    pass


class CommentRequired(WorkflowError):
    pass


class WorkflowConflict(WorkflowError):
    """Someone else changed the object first (optimistic version check)."""


# --- definitions and roles ------------------------------------------------


def definition_of(obj: Any) -> WorkflowDefinition:
    """The definition version the object is pinned to."""
    return get_catalog().version(obj.workflow_name, obj.workflow_hash)


def roles_of(user: User | None, obj: Any, subject: registry.Subject | None = None) -> set[str]:
    """Every role the user holds for this object: global, in its body, relations."""
    if user is None:
        return set()
    subject = subject or registry.subject_for(obj)
    roles: set[str] = set()
    if user.is_admin:
        roles.add("admin")
    if user.is_office:
        roles.add("office")
    body_id = subject.body_id_of(obj)
    if body_id is not None:
        roles |= registry.body_roles(user.person_id, body_id)
    roles |= subject.relations_of(obj, user.person_id)
    if subject.roles_of is not None:
        roles |= subject.roles_of(user, obj)
    return roles


# --- flags: what code asks of a state --------------------------------------


def has_flag(obj: Any, flag: str) -> bool:
    """Whether the object's state carries ``flag`` in its pinned definition."""
    state = definition_of(obj).states.get(obj.state)
    return bool(state and flag in state.flags)


def is_final(obj: Any) -> bool:
    return definition_of(obj).is_final(obj.state)


def states_with_flag(object_type: str, flag: str) -> list[str]:
    """Every state name that carries ``flag`` in a definition for the type
    (current ones and the versions running objects are pinned to), for
    queries: ``Meeting.state.in_(states_with_flag("meeting", "invited"))``."""
    return sorted(get_catalog().states_with_flag(object_type, flag))


def flag_condition(model: Any, flag: str) -> Any:
    """SQL: the object's state carries ``flag`` in the definition it is
    pinned to, for queries: ``select(Meeting).where(flag_condition(Meeting,
    "invited"))``, negated with ``~``.

    A state name that means the same in every definition for the type is
    tested by name alone; one that carries the flag in some definitions and
    not in others (a renamed or reused state) is tested together with the
    definitions in which it does, so no object is counted by another
    definition's meaning of its state's name.
    """
    object_type = registry.subject_for_model(model).object_type
    plain, mixed = get_catalog().flag_split(object_type, flag)
    parts: list[Any] = []
    if plain:
        parts.append(model.state.in_(sorted(plain)))
    for name, pins in sorted(mixed.items()):
        parts.append(
            and_(
                model.state == name,
                or_(
                    *(
                        and_(model.workflow_name == pin_name, model.workflow_hash == pin_hash)
                        for pin_name, pin_hash in sorted(pins)
                    )
                ),
            )
        )
    if not parts:
        return false()
    return or_(*parts) if len(parts) > 1 else parts[0]


def transitions_to_flag(obj: Any, flag: str) -> list[Transition]:
    """The transitions from the object's state into a state with ``flag``."""
    definition = definition_of(obj)
    return [
        t
        for t in definition.transitions_from(obj.state)
        if flag in definition.states[t.to].flags and flag not in _flags_of(definition, obj.state)
    ]


def _flags_of(definition: WorkflowDefinition, state: str) -> frozenset[str]:
    found = definition.states.get(state)
    return found.flags if found else frozenset()


def _context(
    obj: Any,
    subject: registry.Subject,
    definition: WorkflowDefinition,
    transition: Transition | None,
    actor: User | None,
    from_state: str,
    comment: str | None,
    now: datetime,
    by_timer: bool = False,
) -> registry.TransitionContext:
    return registry.TransitionContext(
        obj=obj,
        subject=subject,
        definition=definition,
        transition=transition,
        actor=actor,
        from_state=from_state,
        to_state=transition.to if transition else from_state,
        comment=comment,
        now=now,
        by_timer=by_timer,
    )


def _guard_holds(ctx: registry.TransitionContext) -> bool:
    assert ctx.transition is not None
    if ctx.transition.when is None:
        return True
    return bool(registry.GUARDS[ctx.transition.when](ctx))


def guard_reason(guard: str | None) -> str:
    """Why a step whose guard refuses is not possible now."""
    reason = registry.GUARD_REASONS.get(guard or "")
    return str(reason) if reason is not None else _("The conditions for this step are not met.")


def role_allows(transition: Transition, roles: set[str]) -> bool:
    if transition.timer_only:
        return False
    return bool(roles.intersection(transition.by))


@dataclass(frozen=True)
class AvailableTransition:
    transition: Transition
    to_title: str
    # Set when the user's role allows the step but its guard refuses now:
    # the sentence saying why (the page shows it instead of a button).
    refused: str | None = None


def available_transitions(user: User | None, obj: Any) -> list[AvailableTransition]:
    """The transitions this user may fire now (role and guard hold)."""
    return [t for t in possible_transitions(user, obj) if t.refused is None]


def possible_transitions(user: User | None, obj: Any) -> list[AvailableTransition]:
    """The transitions from the object's state this user's role allows, each
    with the reason its guard refuses it now (``refused``), if it does."""
    if user is None:
        return []
    subject = registry.subject_for(obj)
    definition = definition_of(obj)
    roles = roles_of(user, obj, subject)
    now = utcnow()
    result = []
    for transition in definition.transitions_from(obj.state):
        if not role_allows(transition, roles):
            continue
        ctx = _context(obj, subject, definition, transition, user, obj.state, None, now)
        refused = None if _guard_holds(ctx) else guard_reason(transition.when)
        result.append(
            AvailableTransition(transition, definition.state_title(transition.to), refused)
        )
    return result


Wanted = Callable[[State], bool]


def _wanted(target: str | Wanted) -> Wanted:
    if isinstance(target, str):
        return lambda state: target in state.flags
    return target


def _distances(
    definition: WorkflowDefinition, wanted: Wanted, avoid: frozenset[str]
) -> dict[str, int]:
    """How many steps each state is from a wanted one, not passing through a
    state with an ``avoid`` flag (unreachable states are absent)."""
    distance = {name: 0 for name, state in definition.states.items() if wanted(state)}
    queue = list(distance)
    while queue:
        target = queue.pop(0)
        for transition in definition.transitions.values():
            if transition.to != target or transition.timer_only:
                continue
            for source in transition.from_states:
                passable = not (definition.states[source].flags & avoid)
                if source not in distance and passable:
                    distance[source] = distance[target] + 1
                    queue.append(source)
    return distance


def fire_to_flag(
    users: User | Sequence[User],
    obj: Any,
    target: str | Wanted,
    *,
    comment: str | None = None,
    now: datetime | None = None,
    avoid: frozenset[str] = frozenset(),
    fire_step: Callable[[User, Any, Transition, str | None], Any] | None = None,
    as_system: bool = False,
) -> Any:
    """Bring the object into a state with the flag ``target`` (or one the
    predicate accepts), step by step, as the first of ``users`` whose role
    and guard allow each step: code and the demo name what they want, never
    a state.  Each step is an ordinary transition (``fire``, or
    ``fire_step`` for a package that wraps its transitions) and gets
    ``comment`` where it takes one; a step that requires a comment is only
    taken with one.  Among the allowed steps the one nearest to the target
    wins (then the definition's order); states with an ``avoid`` flag are
    not passed through.  Returns the object; TransitionNotAllowed when no
    allowed step leads on.

    ``as_system``: the steps are the system's, asked for by an effect a
    definition names (no role is checked, guards still hold, no timer-only
    step); each is fired like a timer's, recording the first of ``users``
    (if any) as the actor who caused it."""
    people: list[Any] = [users] if isinstance(users, User) else list(users)
    if as_system and not people:
        people = [None]
    wanted = _wanted(target)
    text = (comment or "").strip() or None
    step_fire = fire_step or (
        lambda user, o, t, c: fire(user, o, t.name, c, now=now, by_timer=as_system)  # noqa: E731
    )
    definition = definition_of(obj)
    for _step in range(len(definition.states) + 1):
        definition = definition_of(obj)
        if wanted(definition.states[obj.state]):
            return obj
        distance = _distances(definition, wanted, avoid)
        subject = registry.subject_for(obj)
        choice: tuple[int, Transition, User] | None = None
        for transition in definition.transitions_from(obj.state):
            if transition.to not in distance or (transition.comment_required and not text):
                continue
            if choice is not None and distance[transition.to] >= choice[0]:
                continue
            for person in people:
                if as_system:
                    if transition.timer_only:
                        continue
                elif not role_allows(transition, roles_of(person, obj, subject)):
                    continue
                ctx = _context(
                    obj, subject, definition, transition, person, obj.state, text, now or utcnow()
                )
                if _guard_holds(ctx):
                    choice = (distance[transition.to], transition, person)
                    break
        if choice is None:
            raise TransitionNotAllowed(_("This step is not possible in the current state."))
        _distance, transition, person = choice
        obj = step_fire(person, obj, transition, text if transition.takes_comment else None)
    raise TransitionNotAllowed(_("This step is not possible in the current state."))


# --- starting and firing --------------------------------------------------


def workflow_for(body_id: int | None, slot: str) -> WorkflowDefinition:
    """The workflow a body chose for a slot, else the shipped default."""
    catalog = get_catalog()
    if body_id is not None:
        name = db.session.scalar(
            select(BodyWorkflow.workflow_name).where(
                BodyWorkflow.body_id == body_id, BodyWorkflow.applies_to == slot
            )
        )
        if name is not None and name in catalog.current:
            return catalog.current[name]
    definition = catalog.default_for(slot)
    if definition is None:
        raise WorkflowError(_("No workflow is available for this kind of object."))
    return definition


def start(
    obj: Any, definition: WorkflowDefinition, actor: User | None, *, at: datetime | None = None
) -> None:
    """Put a new object (flushed, with an id) at the start of a workflow.

    Runs inside the caller's write transaction; writes the audit event.
    ``at`` dates the start and its event other than now (public feedback:
    midnight of its day, so no stored time points to the sender's request).
    """
    subject = registry.subject_for(obj)
    if definition.applies_to != subject.object_type:
        raise WorkflowError(_("This workflow does not apply to this kind of object."))
    store_version(definition)
    obj.workflow_name = definition.name
    obj.workflow_hash = definition.hash
    obj.state = definition.initial
    obj.version = 0
    obj.state_entered_at = at or utcnow()
    db.session.flush()
    record(
        START_ACTION,
        subject.object_type,
        obj.id,
        actor_id=actor.id if actor else None,
        to_state=definition.initial,
        data={"workflow": definition.name, "hash": definition.hash},
        at=at,
    )
    signals.workflow_started.send(subject.object_type, obj=obj, definition=definition)


def fire(
    user: User | None,
    obj: Any,
    transition_name: str,
    comment: str | None = None,
    expected_version: int | None = None,
    *,
    now: datetime | None = None,
    by_timer: bool = False,
) -> Any:
    """Fire one transition; return the refreshed object.

    Runs in the caller's unit of work when there is one (a nested
    ``write_transaction``), else as a transaction of its own.
    ``expected_version`` is the version the user saw (from the form); by
    default the version of ``obj`` as loaded.  ``by_timer`` is for the
    scheduler: no role check (timers act for the system), guards still hold.
    After the state change the definition's effects run in their order, then
    :data:`netzwerk.signals.workflow_transition` is sent, all in the same
    transaction: an exception from any of them undoes the transition.
    """
    subject = registry.subject_for(obj)
    # Snapshot before the transaction: write_transaction() may expire obj.
    object_id = obj.id
    from_state = obj.state
    version = obj.version if expected_version is None else expected_version
    definition = definition_of(obj)
    comment = (comment or "").strip() or None
    now = now or utcnow()

    conflict = WorkflowConflict(
        _(
            "Someone else has changed this item in the meantime. "
            "Please reload the page and check its current state."
        )
    )
    if version != obj.version:  # the user acted on a page that is out of date
        raise conflict

    transition = definition.transitions.get(transition_name)
    if transition is None or from_state not in transition.from_states:
        raise TransitionNotAllowed(_("This step is not possible in the current state."))
    if not by_timer and (user is None or not role_allows(transition, roles_of(user, obj, subject))):
        raise TransitionNotAllowed(_("You are not allowed to take this step."))
    if transition.comment_required and not comment:
        raise CommentRequired(_("Please give a reason in the comment field."))
    if not transition.takes_comment:
        comment = None

    model = subject.model
    with write_transaction():
        ctx = _context(
            obj, subject, definition, transition, user, from_state, comment, now, by_timer
        )
        if not _guard_holds(ctx):
            raise TransitionNotAllowed(guard_reason(transition.when))
        result = db.session.execute(
            update(model)
            .where(model.id == object_id, model.version == version, model.state == from_state)
            .values(state=transition.to, version=version + 1, state_entered_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise conflict
        db.session.expire(obj)
        for name in transition.effects:
            registry.EFFECTS[name](ctx)
        signals.workflow_transition.send(subject.object_type, obj=obj, ctx=ctx)
        record(
            TRANSITION_ACTION,
            subject.object_type,
            object_id,
            actor_id=user.id if user is not None else None,
            from_state=from_state,
            to_state=transition.to,
            comment=comment,
            data={
                "workflow": definition.name,
                "hash": definition.hash,
                "transition": transition.name,
                "label": transition.label,
                "timer": by_timer,
            },
        )
    return obj


def run_effect(obj: Any, effect_name: str, *, now: datetime | None = None) -> None:
    """Run one effect for a timer (inside the caller's transaction)."""
    subject = registry.subject_for(obj)
    definition = definition_of(obj)
    ctx = _context(
        obj, subject, definition, None, None, obj.state, None, now or utcnow(), by_timer=True
    )
    registry.EFFECTS[effect_name](ctx)
    record(
        "workflow.timer",
        subject.object_type,
        obj.id,
        from_state=obj.state,
        to_state=obj.state,
        data={"workflow": definition.name, "hash": definition.hash, "effect": effect_name},
    )


# --- history --------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    event: AuditEvent
    actor_name: str | None
    from_title: str | None
    to_title: str | None
    label: str | None


def history(obj: Any) -> list[HistoryEntry]:
    """The object's audit events with names and state titles (2 queries)."""
    import json

    subject = registry.subject_for(obj)
    definition = definition_of(obj)
    events = audit_history(subject.object_type, obj.id)
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    names: dict[int, str] = {}
    if actor_ids:
        from sqlalchemy.orm import joinedload

        users = db.session.scalars(
            select(User).options(joinedload(User.person)).where(User.id.in_(actor_ids))
        ).all()
        names = {u.id: u.display_name for u in users}
    entries = []
    for event in events:
        data = json.loads(event.data) if event.data else {}
        label = data.get("label") if isinstance(data, dict) else None
        entries.append(
            HistoryEntry(
                event=event,
                actor_name=names.get(event.actor_id) if event.actor_id else None,
                from_title=definition.state_title(event.from_state) if event.from_state else None,
                to_title=definition.state_title(event.to_state) if event.to_state else None,
                label=label,
            )
        )
    return entries


# --- per-body choice ------------------------------------------------------


def body_choices(bodies: Sequence[Any]) -> dict[int, dict[str, str]]:
    """{body_id: {slot: workflow name}} of the explicit choices."""
    rows = db.session.scalars(
        select(BodyWorkflow).where(BodyWorkflow.body_id.in_([b.id for b in bodies]))
    ).all()
    result: dict[int, dict[str, str]] = {}
    for row in rows:
        result.setdefault(row.body_id, {})[row.applies_to] = row.workflow_name
    return result


def set_body_workflows(
    body_id: int, choices: dict[str, str | None], actor: User | None = None
) -> None:
    """Store a body's choices; None or the empty string means "the default"."""
    catalog = get_catalog()
    slots = registry.slots()
    for slot, name in choices.items():
        if slot not in slots:
            raise WorkflowError(_("Unknown kind of object."))
        if name:
            definition = catalog.current.get(name)
            if definition is None or slot not in definition.slots:
                raise WorkflowError(
                    _(
                        "The workflow “%(workflow)s” is not made for “%(slot)s”.",
                        workflow=definition.title if definition else name,
                        slot=slots[slot],
                    )
                )
    try:
        _store_body_workflows(body_id, choices, actor)
    except IntegrityError:
        raise WorkflowError(
            _("Someone else has changed these choices in the meantime. Please try again.")
        ) from None


def _store_body_workflows(body_id: int, choices: dict[str, str | None], actor: User | None) -> None:
    with write_transaction():
        existing = {
            row.applies_to: row
            for row in db.session.scalars(
                select(BodyWorkflow).where(BodyWorkflow.body_id == body_id)
            )
        }
        for slot, name in choices.items():
            row = existing.get(slot)
            if not name:
                if row is not None:
                    db.session.delete(row)
                continue
            if row is None:
                db.session.add(BodyWorkflow(body_id=body_id, applies_to=slot, workflow_name=name))
            elif row.workflow_name != name:
                row.workflow_name = name
        db.session.flush()
        record(
            "workflow.body_choice",
            "body",
            body_id,
            actor_id=actor.id if actor is not None else None,
            data=dict(choices),
        )


# --- moving running objects to the current definition ----------------------


@dataclass(frozen=True)
class UpgradeResult:
    moved: int
    unchanged: int
    refused: list[tuple[int, str]]


def upgrade_to_current(object_type: str, workflow_name: str) -> UpgradeResult:
    """Move every object of an older version onto the current definition.

    A state the current definition still has stays; a removed state becomes
    what ``state_map`` names.  Objects in an unmapped removed state are
    refused and keep their old version.  Each move writes an audit event.
    """
    subject = registry.SUBJECTS[object_type]
    model = subject.model
    current = get_catalog().get(workflow_name)
    moved = unchanged = 0
    refused: list[tuple[int, str]] = []
    rows = db.session.execute(
        select(model.id, model.state, model.version, model.workflow_hash).where(
            model.workflow_name == workflow_name, model.workflow_hash != current.hash
        )
    ).all()
    if not rows:
        return UpgradeResult(0, 0, [])
    with write_transaction():
        store_version(current)
        for object_id, state, version, old_hash in rows:
            new_state = state if state in current.states else current.state_map.get(state)
            if new_state is None:
                refused.append((object_id, state))
                continue
            result = db.session.execute(
                update(model)
                .where(model.id == object_id, model.version == version)
                .values(workflow_hash=current.hash, state=new_state, version=version + 1)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                unchanged += 1
                continue
            record(
                "workflow.upgrade",
                object_type,
                object_id,
                from_state=state,
                to_state=new_state,
                data={"workflow": workflow_name, "from_hash": old_hash, "hash": current.hash},
            )
            moved += 1
    return UpgradeResult(moved, unchanged, refused)
