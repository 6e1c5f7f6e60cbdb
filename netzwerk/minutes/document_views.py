"""Pages of the documents made in the background: job status, Sitzungsmappe.

A blueprint nested in the minutes' one (endpoints ``minutes.documents.*``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from .. import visibility
from ..meetings import access
from . import bundle, jobs

bp = Blueprint("documents", __name__)


@bp.route("/protokolle/aufgaben/<int:job_id>")
@login_required
def status(job_id: int) -> Response:
    """How far a background render is (polled by static/js/minutes-jobs.js)."""
    job = jobs.queue.get_job(job_id)
    if job is None:
        abort(404)
    meeting = access.get_meeting(job.meeting_id)
    if meeting is None or not visibility.may_see_meeting(current_user, meeting):
        abort(404)
    if job.kind == jobs.BUNDLE and job.requested_by_id != current_user.id:
        abort(404)
    response = jsonify(jobs.queue.status(job))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/sitzungen/<int:meeting_id>/sitzungsmappe.pdf")
@login_required
def meeting_bundle(meeting_id: int) -> Any:
    """The reader's Sitzungsmappe: the stored PDF, or a page that shows it being built."""
    meeting = access.get_meeting(meeting_id)
    if meeting is None:
        abort(404)
    try:
        _plan, found, job = bundle.request(current_user, meeting)
    except bundle.BundleRefused:
        abort(404)
    if found is not None:
        if request.if_none_match and request.if_none_match.contains(found.sha256):
            response = Response(status=304)
        else:
            response = Response(found.data, mimetype="application/pdf")
            response.headers["Content-Disposition"] = (
                f'attachment; filename="{bundle.filename(meeting)}"'
            )
        response.set_etag(found.sha256)
        response.headers["Cache-Control"] = "private, no-cache"
        return response
    assert job is not None
    return (
        render_template(
            "minutes/preparing.html",
            meeting=meeting,
            job=job,
            status=jobs.queue.status(job),
            title=_("Meeting documents %(number)s", number=meeting.number),
            back_url=url_for("meetings.meeting", meeting_id=meeting.id),
            refresh_url=url_for("minutes.documents.meeting_bundle", meeting_id=meeting.id),
        ),
        202,
    )
