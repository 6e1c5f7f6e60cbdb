"""The page that opens a vote on an agenda item of a meeting (blueprint
``voting_meeting``); the rules are in :mod:`.meeting`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..forms import show_error
from ..meetings import access, attendance
from ..meetings.agenda import proposed_resolution
from ..meetings.models import AgendaItem
from ..workflow import services as wf
from . import amendments, elections, hands, services
from .forms import (
    AmendmentForm,
    ConfirmForm,
    ElectionBallotForm,
    ElectionForm,
    HandCountForm,
    MeetingPollForm,
)
from .meeting import meeting_link, open_meeting_poll
from .models import PollKind, PollMethod, PollMode, PollOptions

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
        form.question.data = proposed_resolution(item)  # the paper's text (meetings.agenda)
        carried = amendments.carried_text(item.id)  # an adopted amendment replaces it
        if carried is not None:
            form.question.data = carried
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
                method=form.method.data or PollMethod.ELECTRONIC.value,
            )
        except services.VotingError as exc:
            _field_error(form, exc)
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
            amendment=None,
            pending=amendments.pending_on(item.id),
            carried=amendments.carried_text(item.id),
            elections=elections.elections_of([item.id]).get(item.id, []),
        ),
        status,
    )


def _field_error(form: Any, exc: services.VotingError) -> None:
    """The service's message next to the field it names, else as a flash."""
    show_error(form, exc)


def _meeting_and_item(meeting_id: int, item_id: int) -> tuple[Any, AgendaItem]:
    meeting = access.get_meeting(meeting_id)
    if meeting is None:
        abort(404)
    if not services.may_open(current_user, meeting.body_id, PollMode.MEETING.value):
        abort(403)
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        abort(404)
    return meeting, item


# --- show of hands ------------------------------------------------------------------


@bp.route("/abstimmungen/<int:poll_id>/handzeichen", methods=["GET", "POST"])
@login_required
def hand_count(poll_id: int) -> Any:
    """The minute-taker enters the counts of a show of hands (or mixed vote)."""
    poll = services.get_poll(poll_id)
    if poll is None or meeting_link(poll.id) is None:
        abort(404)
    if not services.may_close(current_user, poll):
        abort(403)
    if not poll.by_hand:
        abort(404)
    form = HandCountForm()
    seats = hands.present_seats(poll) if poll.is_open else []
    choices = [
        (
            s.membership_id,
            s.name + (" " + _("(voted electronically)") if s.voted_electronically else ""),
        )
        for s in seats
    ]
    for field in (form.names_yes, form.names_no, form.names_abstain):
        field.choices = choices
    existing = hands.hand_count(poll.id)
    if request.method == "GET" and existing is not None:
        form.yes.data, form.no.data = existing.yes_count, existing.no_count
        form.abstain.data = existing.abstain_count
    if form.validate_on_submit():
        names = {
            "yes": form.names_yes.data or [],
            "no": form.names_no.data or [],
            "abstain": form.names_abstain.data or [],
        }
        try:
            hands.enter_counts(
                current_user,
                poll.id,
                yes=form.yes.data or 0,
                no=form.no.data or 0,
                abstain=form.abstain.data or 0,
                names=names if any(names.values()) else None,
            )
        except services.VotingError as exc:
            _field_error(form, exc)
        else:
            flash(_("The counts are recorded."), "success")
            return redirect(url_for("voting.poll", poll_id=poll.id))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "voting/hand_count.html",
            form=form,
            poll=poll,
            entitled=hands.entitled(poll) if poll.is_open else None,
            electronic=services.vote_count(poll) if poll.electronic else 0,
            named=not poll.is_secret,
        ),
        status,
    )


# --- amendments ---------------------------------------------------------------------


@bp.route(
    "/sitzungen/<int:meeting_id>/top/<int:item_id>/aenderungsantraege", methods=["GET", "POST"]
)
@login_required
def item_amendments(meeting_id: int, item_id: int) -> Any:
    meeting, item = _meeting_and_item(meeting_id, item_id)
    form = AmendmentForm()
    if form.validate_on_submit():
        try:
            amendments.create_amendment(
                current_user,
                meeting,
                item.id,
                text=form.text.data or "",
                proposer=form.proposer.data,
            )
        except services.VotingError as exc:
            _field_error(form, exc)
        else:
            flash(_("The amendment is recorded."), "success")
            return redirect(url_for(".item_amendments", meeting_id=meeting.id, item_id=item.id))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "voting/amendments.html",
            form=form,
            meeting=meeting,
            item=item,
            amendments=amendments.amendments_of([item.id]).get(item.id, []),
            may_propose=amendments.may_propose(current_user, meeting),
            in_session=wf.has_flag(meeting, "in_session"),
            confirm=ConfirmForm(),
        ),
        status,
    )


@bp.route(
    "/sitzungen/<int:meeting_id>/aenderungsantraege/<int:amendment_id>/abstimmung",
    methods=["GET", "POST"],
)
@login_required
def amendment_vote(meeting_id: int, amendment_id: int) -> Any:
    amendment = amendments.get_amendment(amendment_id)
    if amendment is None or amendment.meeting_id != meeting_id:
        abort(404)
    meeting, item = _meeting_and_item(meeting_id, amendment.agenda_item_id)
    form = MeetingPollForm()
    if request.method == "GET":
        form.title.data = _("Amendment %(seq)d", seq=amendment.seq)
        form.question.data = amendment.text
    if form.validate_on_submit():
        try:
            poll = amendments.open_amendment_vote(
                current_user,
                meeting,
                amendment.id,
                title=form.title.data or "",
                kind=form.kind.data or PollKind.OPEN.value,
                options=form.options.data or PollOptions.YES_NO_ABSTAIN.value,
                majority_rule=form.majority_rule.data or None,
                method=form.method.data or PollMethod.ELECTRONIC.value,
            )
        except services.VotingError as exc:
            _field_error(form, exc)
        else:
            flash(_("The vote is open."), "success")
            return redirect(url_for("voting.poll", poll_id=poll.id))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "voting/meeting_poll.html",
            form=form,
            meeting=meeting,
            item=item,
            quorum=attendance.quorum(meeting),
            in_session=wf.has_flag(meeting, "in_session"),
            amendment=amendment,
            pending=[],
            elections=[],
        ),
        status,
    )


@bp.route(
    "/sitzungen/<int:meeting_id>/aenderungsantraege/<int:amendment_id>/zurueckziehen",
    methods=["POST"],
)
@login_required
def withdraw_amendment(meeting_id: int, amendment_id: int) -> Any:
    amendment = amendments.get_amendment(amendment_id)
    if amendment is None or amendment.meeting_id != meeting_id:
        abort(404)
    meeting, item = _meeting_and_item(meeting_id, amendment.agenda_item_id)
    if ConfirmForm().validate_on_submit():
        try:
            amendments.withdraw_amendment(current_user, amendment.id)
        except services.VotingError as exc:
            flash(str(exc), "error")
        else:
            flash(_("The amendment is withdrawn."), "success")
    return redirect(url_for(".item_amendments", meeting_id=meeting.id, item_id=item.id))


# --- elections ------------------------------------------------------------------------


@bp.route("/sitzungen/<int:meeting_id>/top/<int:item_id>/wahl", methods=["GET", "POST"])
@login_required
def new_election(meeting_id: int, item_id: int) -> Any:
    meeting, item = _meeting_and_item(meeting_id, item_id)
    form = ElectionForm()
    form.members.choices = elections.present_members(meeting)
    if request.method == "GET":
        form.title.data = item.title
    if form.validate_on_submit():
        try:
            election = elections.create_election(
                current_user,
                meeting,
                item.id,
                title=form.title.data or "",
                seats=form.seats.data or 1,
                rule=form.rule.data or "",
                member_person_ids=list(form.members.data or []),
                names=(form.names.data or "").splitlines(),
            )
        except services.VotingError as exc:
            _field_error(form, exc)
        else:
            flash(_("The election is open."), "success")
            return redirect(url_for(".election", election_id=election.id))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "voting/election_new.html",
            form=form,
            meeting=meeting,
            item=item,
            in_session=wf.has_flag(meeting, "in_session"),
        ),
        status,
    )


def _load_election(election_id: int) -> Any:
    election = elections.get_election(election_id)
    if election is None:
        abort(404)
    meeting = access.get_meeting(election.meeting_id)
    if meeting is None:
        abort(404)
    if not (
        current_user.is_staff or services.has_current_seat(current_user.person_id, election.body_id)
    ):
        abort(403)
    return election, meeting


def _render_election(election: Any, meeting: Any, form: Any = None, status: int = 200) -> Any:
    rnd = elections.current_round(election)
    seats = elections.seat_of(rnd, current_user.person_id) if rnd is not None else []
    voted = rnd is not None and elections.has_voted(rnd, seats)
    if form is None and rnd is not None and seats and not voted:
        form = ElectionBallotForm()
    if form is not None and rnd is not None:
        names = {c.id: c.name for c in election.candidates}
        form.choice.choices = [(c, names.get(c, "?")) for c in rnd.standing]
    return (
        render_template(
            "voting/election.html",
            election=election,
            meeting=meeting,
            current=rnd,
            form=form if seats and not voted else None,
            voted=voted,
            has_seat=bool(seats),
            cast=elections.votes_cast(rnd) if rnd is not None else 0,
            may_run=elections.may_run(current_user, meeting),
            close_form=ConfirmForm(),
            rows=elections.round_rows,
            lots=elections.lot_texts,
        ),
        status,
    )


@bp.route("/wahlen/<int:election_id>")
@login_required
def election(election_id: int) -> Any:
    found, meeting = _load_election(election_id)
    return _render_election(found, meeting)


@bp.route("/wahlen/<int:election_id>/stimme", methods=["POST"])
@login_required
def election_vote(election_id: int) -> Any:
    found, meeting = _load_election(election_id)
    form = ElectionBallotForm()
    rnd = elections.current_round(found)
    if rnd is not None:
        form.choice.choices = [(c, str(c)) for c in rnd.standing]
    if form.validate_on_submit():
        try:
            elections.cast_election_ballot(
                found.id,
                current_user.person_id,
                list(form.choice.data or []),
                actor_id=current_user.id,
            )
        except services.NotEligible:
            abort(403)
        except services.VotingError as exc:
            if exc.field == "choice":
                form.choice.errors = [*form.choice.errors, str(exc)]
                return _render_election(found, meeting, form, 422)
            flash(str(exc), "warning")
        else:
            flash(_("Thank you – your vote has been counted."), "success")
        return redirect(url_for(".election", election_id=found.id))
    return _render_election(found, meeting, form, 422)


@bp.route("/wahlen/<int:election_id>/runde-schliessen", methods=["POST"])
@login_required
def election_close_round(election_id: int) -> Any:
    found, meeting = _load_election(election_id)
    if not elections.may_run(current_user, meeting):
        abort(403)
    if ConfirmForm().validate_on_submit():
        try:
            elections.close_round(current_user, found.id)
        except services.VotingError as exc:
            flash(str(exc), "error")
        else:
            flash(_("The round is counted."), "success")
    return redirect(url_for(".election", election_id=found.id))
