"""Long renders in the scheduler, never in a web request.

Approving minutes renders the archival PDF/A (an 80-page document takes
seconds), seals it and stores it in the transaction of the approving step.
A request only queues a :class:`~.models.MinutesJob` (after the same checks
the step itself makes, so a refusal still answers at once) and asks the
scheduler to run :data:`JOB_ID` now; the page shows the job's progress until
the PDF is there (``/protokolle/aufgaben/<id>``: a small JSON poll, and a
refresh link without JavaScript).  The same queue builds long draft PDFs and
the Sitzungsmappe (:mod:`.bundle`).

The queue is the shared one (:mod:`netzwerk.jobqueue`); this module holds its
runners.  ``flask --app wsgi netzwerk run-job minutes.render`` runs what waits.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..auth.models import User
from ..database import unit_of_work, utcnow
from ..extensions import db
from ..jobqueue import JobQueue, JobRefused, requester, step_args, step_has_effect
from .models import Minutes, MinutesJob

JOB_ID = "minutes.render"
APPROVAL, DRAFT, BUNDLE = "approval", "draft", "bundle"
FREEZE_EFFECT = "freeze_minutes"

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


# --- approval -----------------------------------------------------------------------------------


def approval_key(minutes: Minutes) -> str:
    return f"approval:{minutes.id}"


def renders_in_background(transition_name: str, minutes: Minutes) -> bool:
    """Whether this step freezes the minutes (and so renders for seconds)."""
    return step_has_effect(minutes, transition_name, FREEZE_EFFECT)


def request_approval(
    user: User,
    minutes: Minutes,
    transition_name: str,
    comment: str | None,
    expected_version: int | None,
) -> MinutesJob:
    """Queue the approving step of ``minutes`` after the checks the step makes
    (state, role, comment, guard), so a refusal answers in the request."""
    return queue.request_step(  # type: ignore[no-any-return]
        user,
        minutes,
        transition_name,
        comment,
        expected_version,
        kind=APPROVAL,
        key=approval_key(minutes),
        params={"requested_at": utcnow().isoformat()},
        meeting_id=minutes.meeting_id,
        minutes_id=minutes.id,
    )


def approval_job(minutes: Minutes) -> MinutesJob | None:
    """The approval waiting or running in the background, or the last one
    that failed while the minutes are still not approved."""
    from . import services

    job = queue.shown_job(approval_key(minutes))
    return None if job is None or services.is_approved(minutes) else job


def _run_approval(job: MinutesJob) -> None:
    """Render every edition, then fire the step, which seals and stores them."""
    from . import services

    job_id = job.id
    minutes = services.get_minutes(job.minutes_id or 0)
    user = requester(job)
    if minutes is None or user is None:
        raise JobRefused(_("The minutes or the person who asked for the approval are gone."))
    now = datetime.fromisoformat(job.parameters["requested_at"])
    transition, comment, expected_version = step_args(job)
    meeting = minutes.meeting
    editions = services._editions(meeting)
    rendered = {}
    for index, edition in enumerate(editions):
        queue.progress(job_id, 10 + 70 * index // len(editions), f"render_{edition}")
        rendered[edition] = services._render_archival(meeting, minutes, edition, now)
    queue.progress(job_id, 85, "store")
    services._prepared()[minutes.id] = rendered
    with unit_of_work():
        services.fire_transition(
            user,
            services.get_minutes(minutes.id),  # type: ignore[arg-type]
            transition,
            comment,
            expected_version,
            now=now,
        )


# --- long drafts --------------------------------------------------------------------------------


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
    return queue.enqueue(  # type: ignore[no-any-return]
        DRAFT,
        draft_key(minutes, public_only),
        meeting_id=minutes.meeting_id,
        minutes_id=minutes.id,
        params={"public_only": public_only},
    )


def _run_draft(job: MinutesJob) -> None:
    from . import services

    minutes = services.get_minutes(job.minutes_id or 0)
    if minutes is None:
        raise JobRefused(_("The minutes are gone."))
    queue.progress(job.id, 20, "render")
    with unit_of_work():
        services.minutes_pdf(minutes, public_only=bool(job.parameters.get("public_only")))


def _run_bundle(job: MinutesJob) -> None:
    from . import bundle

    bundle.run_bundle_job(job)


queue = JobQueue(
    MinutesJob,
    JOB_ID,
    runners={APPROVAL: _run_approval, DRAFT: _run_draft, BUNDLE: _run_bundle},
    stages=STAGES,
)
