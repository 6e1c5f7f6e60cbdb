"""The report's PDFs are rendered in the scheduler, never in a web request.

Through the shared queue (:mod:`netzwerk.jobqueue`, the mechanism of the
minutes' render jobs):

* **approval**: the approving step (its effect ``freeze_report`` renders the
  PDF/A and freezes the edition) is checked in the request and fired by the
  job; the report page shows the progress, or why it failed (asking again
  queues it again).
* **edition**: the PDF of a saved version (a draft, or an approved edition
  stored before its PDF) is rendered once into the version.
* **preview**: the PDF of the draft as it is now: its snapshot goes into the
  job, the PDF into the job's ``result`` (the newest one per report is kept),
  found again by the snapshot's fingerprint.

A request only queues (``pdf_or_job``) and answers with a page that shows the
progress and loads the PDF when it is there.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..auth.models import User
from ..database import unit_of_work, write_transaction
from ..extensions import db
from ..jobqueue import DONE, FAILED, JobQueue, JobRefused, requester, step_args, step_has_effect
from .models import APPROVED, EducationReport, ReportJob, ReportVersion

JOB_ID = "reports.render"
APPROVAL, EDITION, PREVIEW = "approval", "edition", "preview"
FREEZE_EFFECT = "freeze_report"

STAGES = {
    "queued": _l("Waiting for the background service"),
    "render": _l("Rendering the report"),
    "store": _l("Storing the PDF"),
    "done": _l("Ready"),
    "failed": _l("Failed"),
}


def _run_approval(job: ReportJob) -> None:
    from . import services

    report = services.get_report(job.report_id)
    user = requester(job)
    if report is None or user is None:
        raise JobRefused(_("The report or the person who asked for the approval are gone."))
    queue.progress(job.id, 20, "render")
    with unit_of_work():
        services.fire(user, report, *step_args(job))


def _render(job_id: int, data: dict[str, Any]) -> bytes:
    """The PDF of a snapshot, its progress shown (the store follows)."""
    from . import render

    queue.progress(job_id, 20, "render")
    body = render.pdf_edition(data)
    queue.progress(job_id, 90, "store")
    return body


def _run_edition(job: ReportJob) -> None:
    version = db.session.get(ReportVersion, job.version_id) if job.version_id else None
    if version is None:
        raise JobRefused(_("This version of the report is gone."))
    if version.pdf is not None:  # rendered already: an edition is never rendered again
        return
    version_id = version.id
    body = _render(job.id, json.loads(version.snapshot))
    with unit_of_work(), write_transaction():
        db.session.execute(
            update(ReportVersion)
            .where(ReportVersion.id == version_id, ReportVersion.pdf.is_(None))
            .values(pdf=body, sha256=hashlib.sha256(body).hexdigest())
        )


def _run_preview(job: ReportJob) -> None:
    job_id, report_id = job.id, job.report_id
    body = _render(job_id, job.parameters["snapshot"])
    with unit_of_work(), write_transaction():
        # Only the newest preview of a report is kept.
        db.session.execute(
            update(ReportJob)
            .where(
                ReportJob.report_id == report_id,
                ReportJob.kind == PREVIEW,
                ReportJob.result.is_not(None),
            )
            .values(result=None)
        )
        db.session.execute(update(ReportJob).where(ReportJob.id == job_id).values(result=body))


queue = JobQueue(
    ReportJob,
    JOB_ID,
    runners={APPROVAL: _run_approval, EDITION: _run_edition, PREVIEW: _run_preview},
    stages=STAGES,
)


# --- approval --------------------------------------------------------------------------------


def approval_key(report: EducationReport) -> str:
    return f"approval:{report.id}"


def renders_in_background(report: EducationReport, transition_name: str) -> bool:
    """Whether this step freezes the report (and so renders for seconds)."""
    return step_has_effect(report, transition_name, FREEZE_EFFECT)


def request_approval(
    user: User,
    report: EducationReport,
    transition_name: str,
    comment: str | None,
    expected_version: int | None,
) -> ReportJob:
    """Queue the approving step after the checks the step makes, so that a
    refusal answers in the request."""
    return queue.request_step(  # type: ignore[no-any-return]
        user,
        report,
        transition_name,
        comment,
        expected_version,
        kind=APPROVAL,
        key=approval_key(report),
        report_id=report.id,
    )


def approval_job(report: EducationReport) -> ReportJob | None:
    """The approval the report page shows: waiting, running or failed."""
    job = queue.shown_job(approval_key(report))
    return None if job is None or report.has_flag(APPROVED) else job


# --- PDFs --------------------------------------------------------------------------------------


def fingerprint(data: dict[str, Any]) -> str:
    """What a snapshot shows (not when it was taken)."""
    shown = {k: v for k, v in data.items() if k != "taken_at"}
    return hashlib.sha256(
        json.dumps(shown, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()


def _target(
    report: EducationReport, version: ReportVersion | None
) -> tuple[str, str, dict[str, Any]]:
    """The job that builds the PDF asked for: kind, key and its columns."""
    if version is not None:
        return EDITION, f"version:{version.id}", {"version_id": version.id}
    from . import services

    data = services.snapshot(report)
    key = f"preview:{report.id}:{fingerprint(data)}"
    return PREVIEW, key, {"params": {"snapshot": data}}


def pdf_or_job(
    user: User, report: EducationReport, version: ReportVersion | None, *, retry: bool = False
) -> tuple[bytes | None, ReportJob | None]:
    """The stored PDF of ``version`` (None: the draft as it is now), or the
    job that renders it: queued now, waiting, running, or failed (then only
    ``retry`` queues it again)."""
    if version is not None and version.pdf is not None:
        return version.pdf, None
    kind, key, columns = _target(report, version)
    latest = queue.latest_job(key)
    if latest is not None and latest.state == DONE and kind == PREVIEW:
        result = db.session.scalar(select(ReportJob.result).where(ReportJob.id == latest.id))
        if result is not None:
            return result, None
    if latest is not None and latest.state == FAILED and not retry:
        return None, latest
    params = columns.pop("params", None)
    job = queue.enqueue(kind, key, user=user, params=params, report_id=report.id, **columns)
    return None, job


def job_of(report: EducationReport, job_id: int) -> ReportJob | None:
    job = queue.get_job(job_id)
    return job if job is not None and job.report_id == report.id else None
