"""Polls on the workflow engine: circular resolutions and votes in a meeting.

Every poll has a process (:class:`~.models.PollProcess`, 1:1) that carries
its workflow: ``workflows/umlaufverfahren.yaml`` for a circular resolution
(slot ``circular_resolution``), ``workflows/abstimmung.yaml`` for a vote in a
meeting (slot ``meeting_vote``); a body may choose another definition per
slot.  The definition decides who may open and close (``by:``), when
(``when:`` guards) and what happens (``effects:``):

* effect ``open_poll`` fixes the seats and opens the poll (draft -> open);
* effect ``close_poll`` counts, stores the result and sends
  :data:`netzwerk.signals.poll_closed` (the decision is written in the same
  transaction), then gives the poll's subject its next step: the subject's
  transition guarded by ``poll_passed`` / ``poll_failed`` fires; a circular
  resolution that missed its quorum sends its paper back (see
  :func:`_after_no_quorum`) and tells the office and the members;
* effect ``remind_voters`` reminds the seats that have not voted yet.

The poll's ``PollState`` is set only by those effects.  Code outside asks
the process's flags: ``open`` (ballots are being cast) and ``closed`` (the
result is final); every definition for a poll must set both.

Deadlines: the engine's timers count ``after`` from the moment a state was
entered, but a circular resolution's deadline is its own (``closes_at``).
The definition therefore has timers that look early and often (``PT1M``)
and transitions guarded by ``deadline_passed`` and ``reminder_due``, which
read the poll's deadline: the poll's deadline is authoritative, the timer
says which transition runs then.  The engine's timer job
(``workflow.timers``) runs every five minutes, so a circular resolution
closes within five minutes after its deadline; ballots are refused from the
deadline on.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit.services import history as audit_history
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..notifications.services import notify
from ..notifications.workflow_effects import office_person_ids
from ..scheduler import run_at
from ..workflow import registry
from ..workflow import services as wf
from ..workflow.definition import Transition, WorkflowDefinition
from ..workflow.jobs import TIMER_JOB
from ..workflow.registry import TransitionContext
from . import services
from .models import (
    CircularResolution,
    MeetingVote,
    Poll,
    PollEligibility,
    PollMode,
    PollProcess,
    PollState,
)
from .rules import PollResult

log = logging.getLogger(__name__)

# What the application asks of a poll's process.
OPEN = "open"
CLOSED = "closed"
POLL_FLAGS = frozenset({OPEN, CLOSED})

CIRCULAR_TYPE = "circular_resolution"
MEETING_TYPE = "meeting_vote"
# Poll mode -> (object type = slot, model)
KINDS: dict[str, tuple[str, type[PollProcess]]] = {
    PollMode.CIRCULAR.value: (CIRCULAR_TYPE, CircularResolution),
    PollMode.MEETING.value: (MEETING_TYPE, MeetingVote),
}


# --- the process of a poll ----------------------------------------------------------


def process_of(poll: Poll) -> PollProcess:
    """The poll's process; a poll from before the engine is adopted (see :func:`adopt`)."""
    process = db.session.scalar(select(PollProcess).where(PollProcess.poll_id == poll.id))
    if process is None:
        with write_transaction():
            process = adopt(poll)
    return process


def definition_for(body_id: int, mode: str) -> WorkflowDefinition:
    return wf.workflow_for(body_id, KINDS[mode][0])


def new_process(poll: Poll, actor: User | None) -> PollProcess:
    """Start the poll's process in the initial state of the body's definition."""
    model = KINDS[poll.mode][1]
    definition = definition_for(poll.body_id, poll.mode)
    process = model(
        poll=poll,
        workflow_name=definition.name,
        workflow_hash=definition.hash,
        state=definition.initial,
        version=0,
    )
    db.session.add(process)
    db.session.flush()
    wf.start(process, definition, actor)
    return process


def adopt(poll: Poll) -> PollProcess:
    """A process for a poll that has none (created before the engine ran polls).

    It starts in the body's current definition and is put, without running
    any effect, into the state that matches the poll: the initial state for
    a draft, the first state flagged ``open`` for an open poll, the first
    final state flagged ``closed`` for a closed one.
    """
    process = new_process(poll, None)
    if poll.state == PollState.DRAFT.value:
        return process
    definition = wf.definition_of(process)
    wanted = OPEN if poll.state == PollState.OPEN.value else CLOSED
    for state in definition.states.values():
        if wanted in state.flags and state.final == (wanted == CLOSED):
            process.state = state.name
            process.state_entered_at = poll.opened_at or utcnow()
            break
    db.session.flush()
    return process


def adopt_polls_without_process() -> int:
    """Give every poll without a process its process (job ``voting.adopt_polls``)."""
    ids = list(
        db.session.scalars(
            select(Poll.id)
            .where(~select(PollProcess.id).where(PollProcess.poll_id == Poll.id).exists())
            .order_by(Poll.id)
        )
    )
    for poll_id in ids:
        with write_transaction():
            poll = db.session.get(Poll, poll_id)
            if poll is not None:
                process_of(poll)
    return len(ids)


def is_open(process: PollProcess) -> bool:
    return wf.has_flag(process, OPEN)


def is_closed(process: PollProcess) -> bool:
    return wf.has_flag(process, CLOSED)


# --- who may do what (asked of the definition) ------------------------------------------


def _probe(body_id: int, mode: str) -> PollProcess:
    """An unsaved process in the initial state, to ask the definition about roles."""
    definition = definition_for(body_id, mode)
    model = KINDS[mode][1]
    probe = model(poll=Poll(body_id=body_id, mode=mode))
    probe.workflow_name = definition.name
    probe.workflow_hash = definition.hash
    probe.state = definition.initial
    probe.version = 0
    return probe


def opening_transitions(definition: WorkflowDefinition, state: str) -> list[Transition]:
    return [
        t
        for t in definition.transitions_from(state)
        if OPEN in definition.states[t.to].flags and OPEN not in definition.states[state].flags
    ]


def may_open(user: Any, body_id: int, mode: str) -> bool:
    """Whether the body's definition lets the user open a poll of this mode
    (a role in ``by:`` of a transition that opens it; guards not asked)."""
    if not getattr(user, "is_authenticated", False):
        return False
    probe = _probe(body_id, mode)  # never added to the session
    definition = wf.definition_of(probe)
    roles = wf.roles_of(user, probe)
    return any(wf.role_allows(t, roles) for t in opening_transitions(definition, probe.state))


def may_close(user: Any, process: PollProcess) -> bool:
    """Whether the user holds a role that may fire a closing transition now
    (guards not asked: see :func:`services.can_close` for the timing)."""
    if not getattr(user, "is_authenticated", False):
        return False
    roles = wf.roles_of(user, process)
    return any(wf.role_allows(t, roles) for t in wf.transitions_to_flag(process, CLOSED))


# --- opening and closing through the engine ----------------------------------------------


def open_process(process: PollProcess, actor: User | None, now: datetime) -> None:
    """Fire the transition that opens the poll (as ``actor``; without one, as
    the system).  Its effect ``open_poll`` opens the poll."""
    candidates = wf.transitions_to_flag(process, OPEN)
    if not candidates:
        raise services.PollNotOpen(_("Only a draft poll can be opened."))
    refusal: wf.WorkflowError | None = None
    for transition in candidates:
        if actor is not None and not wf.role_allows(transition, wf.roles_of(actor, process)):
            refusal = wf.TransitionNotAllowed(_("You cannot open this vote."))
            continue
        try:
            wf.fire(actor, process, transition.name, now=now, by_timer=actor is None)
        except wf.TransitionNotAllowed as exc:
            refusal = exc
            continue
        return
    raise services.VotingError(str(refusal))


def close_process(
    process: PollProcess, actor: User | None, now: datetime, *, by_scheduler: bool = False
) -> None:
    """Fire a transition that closes the poll; its effect ``close_poll`` counts.

    With an actor (and not ``by_scheduler``) only the transitions the actor's
    roles allow; without one, as the system (guards still hold).
    """
    candidates = wf.transitions_to_flag(process, CLOSED)
    as_system = actor is None or by_scheduler
    if not as_system:
        roles = wf.roles_of(actor, process)
        candidates = [t for t in candidates if wf.role_allows(t, roles)]
        if not candidates:
            raise services.VotingError(_("You cannot close this vote."))
    for transition in candidates:
        try:
            wf.fire(
                None if as_system else actor,
                process,
                transition.name,
                now=now,
                by_timer=as_system,
            )
        except wf.TransitionNotAllowed:
            continue  # its guard does not hold: the next one may
        return
    if process.kind == PollMode.CIRCULAR.value:
        raise services.VotingError(
            _("A circular resolution can only be closed early when everyone has voted.")
        )
    raise services.VotingError(_("The conditions for this step are not met."))


# --- guards ---------------------------------------------------------------------------


def _poll(ctx: TransitionContext) -> Poll:
    return ctx.obj.poll  # type: ignore[no-any-return]


def deadline_passed(ctx: TransitionContext) -> bool:
    """The poll's own deadline (``closes_at``) has passed."""
    poll = _poll(ctx)
    return poll.closes_at is not None and ctx.now >= poll.closes_at


def poll_closable(ctx: TransitionContext) -> bool:
    """Closing by hand is allowed now (:func:`services.can_close`)."""
    return services.can_close(_poll(ctx), ctx.now)


def reminder_due(ctx: TransitionContext) -> bool:
    """Less than a day before the poll's deadline, and not reminded yet."""
    poll = _poll(ctx)
    return (
        poll.is_open
        and poll.closes_at is not None
        and poll.reminder_sent_at is None
        and poll.closes_at - services.REMINDER_BEFORE <= ctx.now < poll.closes_at
    )


# --- effects --------------------------------------------------------------------------


def open_poll_effect(ctx: TransitionContext) -> None:
    """Fix the seats and open the poll (draft -> open)."""
    poll = db.session.get(Poll, ctx.obj.poll_id, with_for_update=True)
    assert poll is not None
    services._open(poll, ctx.actor, ctx.now)
    if poll.closes_at is not None:
        # The timers run at the deadline and at the reminder, whoever leads
        # the scheduler then (not only at its next five-minute round).
        run_at(TIMER_JOB, poll.closes_at)
        if poll.closes_at - services.REMINDER_BEFORE > ctx.now:
            run_at(TIMER_JOB, poll.closes_at - services.REMINDER_BEFORE)


def close_poll_effect(ctx: TransitionContext) -> None:
    """Count, store the result, write the decision; then the subject's next step."""
    poll = db.session.get(Poll, ctx.obj.poll_id, with_for_update=True, populate_existing=True)
    assert poll is not None
    services._close(poll, ctx.actor, ctx.now, by_scheduler=ctx.by_timer)
    if poll.result == PollResult.NOT_QUORATE.value:
        if poll.mode == PollMode.CIRCULAR.value:
            _after_no_quorum(poll, ctx.now)
    else:
        services.advance_subject(poll)


def remind_voters_effect(ctx: TransitionContext) -> None:
    """Remind every seat that has not voted yet (once per seat)."""
    services.remind(_poll(ctx), ctx.now)


# --- a circular resolution without quorum ----------------------------------------------


def _came_from(object_type: str, obj: Any) -> str | None:
    """The state the object was in before its current one (audit trail)."""
    for event in reversed(audit_history(object_type, obj.id)):
        if event.to_state == obj.state and event.from_state and event.from_state != obj.state:
            return str(event.from_state)
    return None


def way_back(object_type: str, obj: Any) -> Transition | None:
    """The step that gives a subject without a decision back for more work.

    Among the transitions from its state into a non-final state: the one to
    the state it came from, else one to a state flagged
    ``editable_by_author``.  None when the definition has neither.
    """
    definition = wf.definition_of(obj)
    candidates = [
        t
        for t in definition.transitions_from(obj.state)
        if t.to != obj.state and not definition.is_final(t.to)
    ]
    came_from = _came_from(object_type, obj)
    for transition in candidates:
        if came_from is not None and transition.to == came_from:
            return transition
    for transition in candidates:
        if "editable_by_author" in definition.states[transition.to].flags:
            return transition
    return None


def _after_no_quorum(poll: Poll, now: datetime) -> None:
    """No decision: move the paper on its way back, tell the office and members.

    The paper's transition (see :func:`way_back`) fires as the system inside
    a savepoint: should it be refused, the poll stays closed and the message
    asks the office for a new vote.
    """
    moved_to: str | None = None
    subject_title: str | None = None
    subject = registry.SUBJECTS.get(poll.subject_type) if poll.subject_id else None
    obj = db.session.get(subject.model, poll.subject_id) if subject is not None else None
    if subject is not None and obj is not None and getattr(obj, "workflow_name", None):
        subject_title = subject.title_of(obj)
        transition = way_back(subject.object_type, obj)
        if transition is not None:
            try:
                with write_transaction():
                    wf.fire(
                        None,
                        obj,
                        transition.name,
                        comment=_(
                            "The circular resolution “%(title)s” missed its quorum.",
                            title=poll.title,
                        ),
                        now=now,
                        by_timer=True,
                    )
                moved_to = wf.definition_of(obj).state_title(obj.state)
            except wf.WorkflowError:
                log.exception(
                    "poll %s: sending %s %s back failed", poll.id, subject.object_type, obj.id
                )
    message = _(
        "The circular resolution “%(title)s” missed its quorum: %(n)d of %(m)d members "
        "took part, %(q)d were needed. No decision has been made.",
        title=poll.title,
        n=poll.participants or 0,
        m=poll.voting_members or 0,
        q=poll.quorum_required or 0,
    )
    if moved_to is not None:
        message += " " + _(
            "“%(subject)s” is now in the state “%(state)s”.",
            subject=subject_title,
            state=moved_to,
        )
    else:
        message += " " + _("Please put the matter to a new vote.")
    members = set(
        db.session.scalars(
            select(PollEligibility.person_id).where(PollEligibility.poll_id == poll.id)
        )
    )
    notify(
        members | office_person_ids(poll.body_id, also_bildungsbuero=True),
        kind="poll_no_quorum",
        object_type="poll",
        object_id=poll.id,
        message=message,
        url=f"/abstimmungen/{poll.id}",
        dedup_key=f"poll-no-quorum:{poll.id}",
        now=now,
    )


# --- registration (from voting.init_app) ------------------------------------------------


def _url(process: PollProcess) -> str:
    return f"/abstimmungen/{process.poll_id}"


def register() -> None:
    for mode, (object_type, model) in KINDS.items():
        label, slot_label = (
            (_l("Circular resolutions"), _l("Circular resolution"))
            if mode == PollMode.CIRCULAR.value
            else (_l("Votes in meetings"), _l("Vote in a meeting"))
        )
        registry.register_subject(
            registry.Subject(
                object_type=object_type,
                model=model,
                body_id_of=lambda p: p.poll.body_id,
                relations_of=lambda p, person_id: set(),
                title_of=lambda p: p.poll.title,
                url_of=_url,
                label=label,
                slots={object_type: slot_label},
                required_flags=POLL_FLAGS,
            )
        )
    registry.register_guards(
        {
            "deadline_passed": deadline_passed,
            "poll_closable": poll_closable,
            "reminder_due": reminder_due,
        }
    )
    registry.register_effects(
        {
            "open_poll": open_poll_effect,
            "close_poll": close_poll_effect,
            "remind_voters": remind_voters_effect,
        }
    )
