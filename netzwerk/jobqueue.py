"""A queue of long renders that the scheduler runs, never a web request.

For every package that renders documents for seconds (the minutes'
approval, drafts and Sitzungsmappe in :mod:`netzwerk.minutes.jobs`, the
education report in :mod:`netzwerk.reports.jobs`): a request only *queues* a
job row (after the checks the work itself makes, so a refusal still answers
at once; :meth:`JobQueue.request_step` for a workflow step) and asks the
scheduler to run the queue now; the page shows the job's stage and progress
until the result is there (``templates/_job_status.html``: a small JSON poll
by ``static/js/minutes-jobs.js``, and a refresh link without JavaScript).  A
failed job keeps its message, the page shows it, and asking again queues a
new job.

A package declares its job model with :class:`JobColumns` (its own table, so
its rows can reference what they build with real foreign keys and cascade
with them) and one :class:`JobQueue` over it, whose runners do the work, and
registers the queue with the scheduler from its ``init_app``
(:meth:`JobQueue.register`).

A job runs in units of work of its own: its progress commits as it goes, so
the page sees it; the work commits with its result or not at all.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ForeignKey, Integer, String, Text, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .database import UTCDateTime, unit_of_work, utcnow, write_transaction
from .extensions import db
from .rules import RuleError

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATE_CHECK = "state IN ('queued', 'running', 'done', 'failed')"
PROGRESS_CHECK = "progress >= 0 AND progress <= 100"


class JobRefused(RuleError):
    """The job cannot run (what it should build is gone, or the step is not possible)."""


class JobColumns:
    """The columns of a job row.  While a job waits or runs, ``open_key`` names
    what it builds; the model's unique constraint on it keeps a second request
    for the same thing from queuing twice.  A finished job keeps its row (with
    ``open_key`` cleared) so the page can say what happened."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(120), index=True)
    open_key: Mapped[str | None] = mapped_column(String(120))
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    state: Mapped[str] = mapped_column(String(10), default=QUEUED)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[str] = mapped_column(String(40), default=QUEUED)
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(json.loads(self.params or "{}"))

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)


@dataclass
class JobQueue:
    """The queue of one job model: queue, claim, run, report progress."""

    model: Any
    job_id: str  # the scheduler's name of the job that runs the queue
    runners: Mapping[str, Callable[[Any], None]]
    stages: Mapping[str, Any] = field(default_factory=dict)

    # --- queuing ---------------------------------------------------------------------------------

    def enqueue(
        self,
        kind: str,
        key: str,
        *,
        user: Any = None,
        params: dict[str, Any] | None = None,
        **columns: Any,
    ) -> Any:
        """Queue a job, or return the one that already waits or runs for ``key``."""
        try:
            with write_transaction():
                job = self.model(
                    kind=kind,
                    key=key,
                    open_key=key,
                    requested_by_id=getattr(user, "id", None),
                    params=json.dumps(params or {}, sort_keys=True, ensure_ascii=False),
                    state=QUEUED,
                    progress=0,
                    stage=QUEUED,
                    created_at=utcnow(),
                    **columns,
                )
                db.session.add(job)
                db.session.flush()
        except IntegrityError:  # one waits or runs already: that one answers
            found = self.open_job(key)
            if found is None:  # it ended between the insert and this read
                return self.enqueue(kind, key, user=user, params=params, **columns)
            return found
        self.wake()
        return job

    def wake(self) -> None:
        """Ask the leading scheduler to run the queue now (within a heartbeat)."""
        from . import scheduler

        try:
            scheduler.run_at(self.job_id, utcnow())
        except Exception as exc:  # no job store yet: the interval run picks it up
            log.warning("could not wake the scheduler: %s", exc)

    def open_job(self, key: str) -> Any:
        return db.session.scalar(select(self.model).where(self.model.open_key == key))

    def latest_job(self, key: str) -> Any:
        model = self.model
        return db.session.scalar(
            select(model).where(model.key == key).order_by(model.id.desc()).limit(1)
        )

    def get_job(self, job_id: int) -> Any:
        return db.session.get(self.model, job_id)

    def request_step(
        self,
        user: Any,
        obj: Any,
        transition_name: str,
        comment: str | None,
        expected_version: int | None,
        *,
        kind: str,
        key: str,
        params: dict[str, Any] | None = None,
        **columns: Any,
    ) -> Any:
        """Queue a workflow step of ``obj`` that renders for seconds, after the
        checks the step makes (:func:`check_step`), so a refusal answers in the
        request; its runner fires it with :func:`step_args`."""
        check_step(user, obj, transition_name, comment, expected_version)
        return self.enqueue(
            kind,
            key,
            user=user,
            params={
                "transition": transition_name,
                "comment": comment,
                "expected_version": obj.version if expected_version is None else expected_version,
                **(params or {}),
            },
            **columns,
        )

    def shown_job(self, key: str) -> Any:
        """The job a page shows for ``key``: waiting, running or failed (a done
        one has nothing more to say)."""
        job = self.latest_job(key)
        return None if job is None or job.state == DONE else job

    # --- running ---------------------------------------------------------------------------------

    def progress(self, job_id: int, percent: int, stage: str) -> None:
        """Record how far a job is (its own small commit, so the page sees it)."""
        with unit_of_work(), write_transaction():
            db.session.execute(
                update(self.model)
                .where(self.model.id == job_id)
                .values(progress=max(0, min(100, int(percent))), stage=stage)
            )

    def _claim(self) -> int | None:
        """Take the oldest waiting job (a conditional update: one runner gets it)."""
        model = self.model
        with unit_of_work(), write_transaction():
            for job_id in db.session.scalars(
                select(model.id).where(model.state == QUEUED).order_by(model.id)
            ):
                claimed = db.session.execute(
                    update(model)
                    .where(model.id == job_id, model.state == QUEUED)
                    .values(state=RUNNING, started_at=utcnow(), progress=5, stage="render")
                )
                if claimed.rowcount == 1:  # type: ignore[attr-defined]
                    return int(job_id)
        return None

    def finish(self, job_id: int, state: str, message: str | None = None) -> None:
        model = self.model
        with unit_of_work(), write_transaction():
            db.session.execute(
                update(model)
                .where(model.id == job_id)
                .values(
                    state=state,
                    open_key=None,
                    progress=100 if state == DONE else model.progress,
                    stage=state,
                    message=message,
                    finished_at=utcnow(),
                )
            )

    def run_one(self, job_id: int) -> None:
        from .workflow.services import WorkflowError

        job = self.get_job(job_id)
        assert job is not None
        runner = self.runners.get(job.kind)
        key = job.key
        try:
            if runner is None:
                raise RuntimeError(f"no runner for {job.kind}")
            runner(job)
        except (RuleError, WorkflowError) as exc:  # a refusal the user must read
            db.session.rollback()
            self.finish(job_id, FAILED, str(exc))
        except Exception as exc:
            db.session.rollback()
            log.exception("job %s (%s) failed", job_id, key)
            self.finish(
                job_id,
                FAILED,
                _("The document could not be made (%(error)s).", error=type(exc).__name__),
            )
        else:
            self.finish(job_id, DONE)

    def run_pending(self, limit: int | None = None) -> int:
        """Run waiting jobs, oldest first (the scheduler job); how many ran."""
        ran = 0
        while limit is None or ran < limit:
            job_id = self._claim()
            if job_id is None:
                break
            self.run_one(job_id)
            db.session.expire_all()
            ran += 1
        return ran

    def register(self) -> None:
        """From the package's init_app: the queue runs every minute, and at once
        when a request asks for it (``scheduler.run_at``)."""
        from .scheduler import register_job

        register_job(self.job_id, "interval", minutes=1, own_units=True)(self.run_pending)

    # --- showing ---------------------------------------------------------------------------------

    def stage_label(self, job: Any) -> str:
        return str(self.stages.get(job.stage, job.stage))

    def status(self, job: Any) -> dict[str, Any]:
        """What the page polls (and shows without JavaScript)."""
        return {
            "id": job.id,
            "state": job.state,
            "progress": job.progress,
            "stage": self.stage_label(job),
            "message": job.message,
            "finished": job.state in (DONE, FAILED),
        }


def check_step(
    user: Any, obj: Any, transition_name: str, comment: str | None, expected_version: int | None
) -> None:
    """The checks :func:`netzwerk.workflow.services.fire` makes before it
    writes (state, version, role, guard, comment), for a step that is queued
    to run in the background: a refusal answers in the request."""
    from .workflow import services as workflow

    definition = workflow.definition_of(obj)
    transition = definition.transitions.get(transition_name)
    if transition is None or obj.state not in transition.from_states:
        raise workflow.TransitionNotAllowed(_("This step is not possible in the current state."))
    if expected_version is not None and expected_version != obj.version:
        raise workflow.WorkflowConflict(
            _(
                "Someone else has changed this item in the meantime. "
                "Please reload the page and check its current state."
            )
        )
    possible = {t.transition.name: t for t in workflow.possible_transitions(user, obj)}
    if transition_name not in possible:
        raise workflow.TransitionNotAllowed(_("You are not allowed to take this step."))
    if possible[transition_name].refused:
        raise workflow.TransitionNotAllowed(str(possible[transition_name].refused))
    if transition.comment_required and not (comment or "").strip():
        raise workflow.CommentRequired(_("Please give a reason in the comment field."))


def requester(job: Any) -> Any:
    """The person who asked for the job (None when gone)."""
    from .auth.models import User

    return db.session.get(User, job.requested_by_id) if job.requested_by_id else None


def step_args(job: Any) -> tuple[str, str | None, int | None]:
    """The queued step's transition, comment and expected version
    (:meth:`JobQueue.request_step`), for the runner to fire it."""
    params = job.parameters
    return params["transition"], params.get("comment"), params.get("expected_version")


def step_has_effect(obj: Any, transition_name: str, effect: str) -> bool:
    """Whether a step runs ``effect`` (one that renders for seconds, say)."""
    from .workflow import services as workflow

    transition = workflow.definition_of(obj).transitions.get(transition_name)
    return transition is not None and effect in transition.effects
