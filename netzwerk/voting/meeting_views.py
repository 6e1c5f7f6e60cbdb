"""The page that opens a vote on an agenda item of a meeting (blueprint
``voting_meeting``); the rules are in :mod:`.meeting`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..meetings import access, attendance
from ..meetings.models import AgendaItem
from ..workflow import services as wf
from . import services
from .forms import MeetingPollForm
from .meeting import open_meeting_poll
from .models import PollKind, PollMode, PollOptions

bp = Blueprint("voting_meeting", __name__)


@bp.route("/sitzungen/<int:meeting_id>/top/<int:item_id>/abstimmung", methods=["GET", "POST"])
@login_required
def open_poll(meeting_id: int, item_id: int) -> Any:
    meeting = access.get_meeting(meeting_id)
    if meeting is None:
        abort(404)
    if not services.may_open(current_user, meeting.body_id, PollMode.MEETING.value):
        abort(403)
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        abort(404)
    form = MeetingPollForm()
    if request.method == "GET":
        form.title.data = item.title
    if form.validate_on_submit():
        try:
            poll = open_meeting_poll(
                current_user,
                meeting,
                item.id,
                title=form.title.data or "",
                question=form.question.data,
                kind=form.kind.data or PollKind.OPEN.value,
                options=form.options.data or PollOptions.YES_NO_ABSTAIN.value,
                majority_rule=form.majority_rule.data or None,
            )
        except services.VotingError as exc:
            target = getattr(form, exc.field, None) if exc.field else None
            if target is not None:
                target.errors = [*target.errors, str(exc)]
            else:
                flash(str(exc), "error")
        else:
            flash(_("The vote is open."), "success")
            return redirect(url_for("voting.poll", poll_id=poll.id))
    quorum = attendance.quorum(meeting)
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "voting/meeting_poll.html",
            form=form,
            meeting=meeting,
            item=item,
            quorum=quorum,
            # The button only while a vote can be opened (the meeting is in session).
            in_session=wf.has_flag(meeting, "in_session"),
        ),
        status,
    )
