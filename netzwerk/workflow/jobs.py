"""Workflow timers, run by the scheduler process only.

A timer fires once per object, state entry and timer: the entry is the
object's ``version`` when it entered the state, and ``workflow_timer_run``
has a unique constraint over (object, entry version, timer).  A timer whose
transition's guard does not hold yet is tried again at the next run.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import signals
from ..database import utcnow, write_transaction
from ..extensions import db
from ..scheduler import register_job, run_at
from . import registry, services
from .catalog import UnknownWorkflow, get_catalog
from .definition import DefinitionError, Timer, WorkflowDefinition
from .durations import CALENDAR_SLACK
from .models import WorkflowTimerRun

log = logging.getLogger(__name__)

TIMER_JOB = "workflow.timers"


def run_workflow_timers() -> int:
    return run_timers()


def schedule_timers(definition: WorkflowDefinition, state: str, entered_at: datetime) -> None:
    """Ask the scheduler to run the timers at the instant each of the state's
    timers is due (inside the caller's transaction): a timer fires on time,
    whoever leads then, not at the next five-minute round."""
    for timer in definition.timers:
        if timer.state == state:
            run_at(TIMER_JOB, timer.due_at(entered_at))


def _on_transition(sender: str, obj: Any, ctx: registry.TransitionContext) -> None:
    schedule_timers(ctx.definition, ctx.to_state, ctx.now)


def _on_start(sender: str, obj: Any, definition: WorkflowDefinition) -> None:
    schedule_timers(definition, definition.initial, obj.state_entered_at or utcnow())


def connect_timers() -> None:
    """From workflow.init_app: every state entry schedules its timers."""
    signals.workflow_transition.connect(_on_transition)
    signals.workflow_started.connect(_on_start)


def run_timers(now: datetime | None = None) -> int:
    """Fire every due timer once; return how many fired."""
    now = now or utcnow()
    catalog = get_catalog()
    fired = 0
    for subject in list(registry.SUBJECTS.values()):
        model = subject.model
        pairs = db.session.execute(
            select(model.workflow_name, model.workflow_hash).distinct()
        ).all()
        for name, hash_ in pairs:
            try:
                definition = catalog.version(name, hash_)
            except (UnknownWorkflow, DefinitionError) as exc:
                log.error("workflow %s@%s cannot be loaded: %s", name, hash_[:12], exc)
                continue
            for timer in definition.timers:
                fired += _run_timer(subject, definition, timer, now)
    return fired


def _run_timer(
    subject: registry.Subject, definition: WorkflowDefinition, timer: Timer, now: datetime
) -> int:
    model = subject.model
    # The database narrows by 24-hour days (give or take the hour a change
    # of daylight saving time moves a calendar day), the clock decides.
    due = [
        (object_id, version)
        for object_id, version, entered_at in db.session.execute(
            select(model.id, model.version, model.state_entered_at).where(
                model.workflow_name == definition.name,
                model.workflow_hash == definition.hash,
                model.state == timer.state,
                model.state_entered_at <= now - timer.after + CALENDAR_SLACK,
            )
        ).all()
        if timer.due_at(entered_at) <= now
    ]
    if not due:
        return 0
    done = set(
        db.session.execute(
            select(WorkflowTimerRun.object_id, WorkflowTimerRun.entry_version).where(
                WorkflowTimerRun.object_type == subject.object_type,
                WorkflowTimerRun.timer_key == timer.key,
                WorkflowTimerRun.object_id.in_([object_id for object_id, _version in due]),
            )
        ).all()
    )
    fired = 0
    for object_id, version in due:
        if (object_id, version) in done:
            continue
        if _fire_one(subject, definition, timer, object_id, version, now):
            fired += 1
    return fired


def _fire_one(
    subject: registry.Subject,
    definition: WorkflowDefinition,
    timer: Timer,
    object_id: int,
    version: int,
    now: datetime,
) -> bool:
    obj: Any = db.session.get(subject.model, object_id)
    if obj is None or obj.version != version or obj.state != timer.state:
        return False

    def mark() -> None:
        db.session.add(
            WorkflowTimerRun(
                object_type=subject.object_type,
                object_id=object_id,
                entry_version=version,
                timer_key=timer.key,
                fired_at=now,
            )
        )
        db.session.flush()

    try:
        with write_transaction():  # the mark and what the timer does, or neither
            mark()
            if timer.do in definition.transitions:
                services.fire(None, obj, timer.do, expected_version=version, now=now, by_timer=True)
            else:
                services.run_effect(obj, timer.do, now=now)
    except services.WorkflowError as exc:
        log.info(
            "timer %s on %s %s not applied: %s", timer.key, subject.object_type, object_id, exc
        )
        return False
    except IntegrityError:  # fired by a concurrent run (the block undid its part)
        return False
    return True


def register_jobs() -> None:
    """From workflow.init_app (never on import)."""
    register_job(TIMER_JOB, "interval", minutes=5)(run_workflow_timers)
