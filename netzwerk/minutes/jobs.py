"""Long renders in the scheduler, never in a web request.

Approving minutes renders the archival PDF/A (an 80-page document takes
seconds), seals it and stores it in the transaction of the approving step.
A request only queues a :class:`~.models.MinutesJob` (after the same checks
the step itself makes, so a refusal still answers at once) and asks the
scheduler to run :data:`JOB_ID` now; the page shows the job's progress until
the PDF is there (``/protokolle/aufgaben/<id>``: a small JSON poll, and a
refresh link without JavaScript).  The same queue builds long draft PDFs and
the Sitzungsmappe (:mod:`.bundle`).

A job runs in units of work of its own: its progress commits as it goes, so
the page sees it; the approving step commits with its PDF or not at all.
``flask --app wsgi netzwerk run-job minutes.render`` runs what waits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..database import unit_of_work, utcnow, write_transaction
from ..extensions import db
from ..rules import RuleError
from ..workflow.services import WorkflowError
from .models import Minutes, MinutesJob

log = logging.getLogger(__name__)

JOB_ID = "minutes.render"
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
APPROVAL, DRAFT, BUNDLE = "approval", "draft", "bundle"

STAGES = {
    "queued": _l("Waiting for the background service"),
    "render_full": _l("Rendering the minutes"),
    "render_public": _l("Rendering the public edition"),
    "store": _l("Sealing and storing the approved PDF"),
    "render": _l("Rendering"),
    "collect": _l("Collecting the papers"),
    "merge": _l("Merging and numbering the pages"),
    "done": _l("Ready"),
    "failed": _l("Failed"),
}


class JobRefused(RuleError):
    """The job cannot be queued (the step is not possible now)."""


# --- queuing ------------------------------------------------------------------------------------


def _wake() -> None:
    """Ask the leading scheduler to run the queue now (within a heartbeat)."""
    from .. import scheduler

    try:
        scheduler.run_at(JOB_ID, utcnow())
    except Exception as exc:  # no job store yet: the interval run picks it up
        log.warning("could not wake the scheduler: %s", exc)


def enqueue(
    kind: str,
    key: str,
    *,
    meeting_id: int,
    minutes_id: int | None = None,
    user: Any = None,
    params: dict[str, Any] | None = None,
) -> MinutesJob:
    """Queue a job, or return the one that already waits or runs for ``key``."""
    try:
        with write_transaction():
            job = MinutesJob(
                kind=kind,
                key=key,
                open_key=key,
                meeting_id=meeting_id,
                minutes_id=minutes_id,
                requested_by_id=getattr(user, "id", None),
                params=json.dumps(params or {}, sort_keys=True),
                state=QUEUED,
                progress=0,
                stage="queued",
                created_at=utcnow(),
            )
            db.session.add(job)
            db.session.flush()
    except IntegrityError:  # one waits or runs already: that one answers
        found = open_job(key)
        if found is None:  # it ended between the insert and this read
            return enqueue(
                kind, key, meeting_id=meeting_id, minutes_id=minutes_id, user=user, params=params
            )
        return found
    _wake()
    return job


def open_job(key: str) -> MinutesJob | None:
    return db.session.scalar(select(MinutesJob).where(MinutesJob.open_key == key))


def latest_job(key: str) -> MinutesJob | None:
    return db.session.scalar(
        select(MinutesJob).where(MinutesJob.key == key).order_by(MinutesJob.id.desc()).limit(1)
    )


def get_job(job_id: int) -> MinutesJob | None:
    return db.session.get(MinutesJob, job_id)


def approval_key(minutes: Minutes) -> str:
    return f"approval:{minutes.id}"


def request_approval(
    user: User,
    minutes: Minutes,
    transition_name: str,
    comment: str | None,
    expected_version: int | None,
) -> MinutesJob:
    """Queue the approving step of ``minutes`` after the checks the step makes
    (state, role, comment, guard), so a refusal answers in the request."""
    from ..workflow import services as workflow

    definition = workflow.definition_of(minutes)
    transition = definition.transitions.get(transition_name)
    if transition is None or minutes.state not in transition.from_states:
        raise workflow.TransitionNotAllowed(_("This step is not possible in the current state."))
    if expected_version is not None and expected_version != minutes.version:
        raise workflow.WorkflowConflict(
            _(
                "Someone else has changed this item in the meantime. "
                "Please reload the page and check its current state."
            )
        )
    possible = {t.transition.name: t for t in workflow.possible_transitions(user, minutes)}
    if transition_name not in possible:
        raise workflow.TransitionNotAllowed(_("You are not allowed to take this step."))
    if possible[transition_name].refused:
        raise workflow.TransitionNotAllowed(str(possible[transition_name].refused))
    if transition.comment_required and not (comment or "").strip():
        raise workflow.CommentRequired(_("Please give a reason in the comment field."))
    return enqueue(
        APPROVAL,
        approval_key(minutes),
        meeting_id=minutes.meeting_id,
        minutes_id=minutes.id,
        user=user,
        params={
            "transition": transition_name,
            "comment": comment,
            "expected_version": minutes.version if expected_version is None else expected_version,
            "requested_at": utcnow().isoformat(),
        },
    )


def renders_in_background(transition_name: str, minutes: Minutes) -> bool:
    """Whether this step freezes the minutes (and so renders for seconds)."""
    from ..workflow import services as workflow

    transition = workflow.definition_of(minutes).transitions.get(transition_name)
    return transition is not None and "freeze_minutes" in transition.effects


# --- running ------------------------------------------------------------------------------------


def progress(job_id: int, percent: int, stage: str) -> None:
    """Record how far a job is (its own small commit, so the page sees it)."""
    with unit_of_work(), write_transaction():
        db.session.execute(
            update(MinutesJob)
            .where(MinutesJob.id == job_id)
            .values(progress=max(0, min(100, int(percent))), stage=stage)
        )


def _claim() -> int | None:
    """Take the oldest waiting job (a conditional update: one runner gets it)."""
    with unit_of_work(), write_transaction():
        for job_id in db.session.scalars(
            select(MinutesJob.id).where(MinutesJob.state == QUEUED).order_by(MinutesJob.id)
        ):
            claimed = db.session.execute(
                update(MinutesJob)
                .where(MinutesJob.id == job_id, MinutesJob.state == QUEUED)
                .values(state=RUNNING, started_at=utcnow(), progress=5, stage="render")
            )
            if claimed.rowcount == 1:  # type: ignore[attr-defined]
                return int(job_id)
    return None


def _finish(job_id: int, state: str, message: str | None = None) -> None:
    with unit_of_work(), write_transaction():
        db.session.execute(
            update(MinutesJob)
            .where(MinutesJob.id == job_id)
            .values(
                state=state,
                open_key=None,
                progress=100 if state == DONE else MinutesJob.progress,
                stage=state,
                message=message,
                finished_at=utcnow(),
            )
        )


RUNNERS: dict[str, Callable[[MinutesJob], None]] = {}


def run_one(job_id: int) -> None:
    job = get_job(job_id)
    assert job is not None
    runner = RUNNERS.get(job.kind) or {APPROVAL: _run_approval, DRAFT: _run_draft}.get(job.kind)
    if runner is None and job.kind == BUNDLE:
        from . import bundle

        runner = bundle.run_bundle_job
    try:
        if runner is None:
            raise RuntimeError(f"no runner for {job.kind}")
        runner(job)
    except (RuleError, WorkflowError) as exc:  # a refusal the user must read
        db.session.rollback()
        _finish(job_id, FAILED, str(exc))
    except Exception as exc:
        db.session.rollback()
        log.exception("minutes job %s (%s) failed", job_id, job.key)
        _finish(
            job_id,
            FAILED,
            _("The document could not be made (%(error)s).", error=type(exc).__name__),
        )
    else:
        _finish(job_id, DONE)


def run_pending(limit: int | None = None) -> int:
    """Run waiting jobs, oldest first (the scheduler job); how many ran."""
    ran = 0
    while limit is None or ran < limit:
        job_id = _claim()
        if job_id is None:
            break
        run_one(job_id)
        db.session.expire_all()
        ran += 1
    return ran


def _run_approval(job: MinutesJob) -> None:
    """Render every edition, then fire the step, which seals and stores them."""
    from datetime import datetime

    from . import services

    params = json.loads(job.params)
    job_id = job.id
    minutes = services.get_minutes(job.minutes_id or 0)
    user = db.session.get(User, job.requested_by_id) if job.requested_by_id else None
    if minutes is None or user is None:
        raise JobRefused(_("The minutes or the person who asked for the approval are gone."))
    now = datetime.fromisoformat(params["requested_at"])
    meeting = minutes.meeting
    editions = services._editions(meeting)
    rendered = {}
    for index, edition in enumerate(editions):
        progress(job_id, 10 + 70 * index // len(editions), f"render_{edition}")
        rendered[edition] = services._render_archival(meeting, minutes, edition, now)
    progress(job_id, 85, "store")
    services._prepared()[minutes.id] = rendered
    with unit_of_work():
        services.fire_transition(
            user,
            services.get_minutes(minutes.id),  # type: ignore[arg-type]
            params["transition"],
            params.get("comment"),
            params.get("expected_version"),
            now=now,
        )


def draft_key(minutes: Minutes, public_only: bool) -> str:
    return f"draft:{minutes.id}:{'public' if public_only else 'full'}"


DRAFT_INLINE_CHARS = 40_000  # about ten pages: rendered in the request (well under 2 s)


def draft_in_background(minutes: Minutes, *, public_only: bool = False) -> MinutesJob | None:
    """For a long draft whose cached render is out of date: the job that
    renders it (queued now or waiting); None when the request may answer
    (approved, cached, or short enough to render at once)."""
    from . import render, services
    from .models import PdfCache

    if services.is_approved(minutes):
        return None
    snapshot = services.compose(minutes.meeting, minutes, public_only=public_only)
    fingerprint = render.fingerprint(snapshot, archival=False)
    key = f"minutes:{minutes.id}:{'public' if public_only else 'full'}"
    cached_fingerprint = db.session.scalar(
        select(PdfCache.fingerprint).where(PdfCache.cache_key == key)
    )
    size = sum(len(item["summary"]) + 300 for item in snapshot["items"])
    if cached_fingerprint == fingerprint or size <= DRAFT_INLINE_CHARS:
        return None
    return enqueue(
        DRAFT,
        draft_key(minutes, public_only),
        meeting_id=minutes.meeting_id,
        minutes_id=minutes.id,
        params={"public_only": public_only},
    )


def _run_draft(job: MinutesJob) -> None:
    from . import services

    params = json.loads(job.params)
    minutes = services.get_minutes(job.minutes_id or 0)
    if minutes is None:
        raise JobRefused(_("The minutes are gone."))
    progress(job.id, 20, "render")
    with unit_of_work():
        services.minutes_pdf(minutes, public_only=bool(params.get("public_only")))


def register_jobs() -> None:
    """From the minutes' init_app: the queue runs every minute, and at once
    when a request asks for it (``scheduler.run_at``)."""
    from ..scheduler import register_job

    register_job(JOB_ID, "interval", minutes=1, own_units=True)(run_pending)


def stage_label(job: MinutesJob) -> str:
    return str(STAGES.get(job.stage, job.stage))
