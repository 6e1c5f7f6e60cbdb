from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..auth.access import staff_required
from ..auth.services import claimed_login
from ..database import end_read_transaction, reset_write_intent, set_write_intent
from ..extensions import db, limiter
from ..forms import optional_id
from ..governance.models import Body
from ..timeutil import LOCAL_TZ
from ..workflow import services as wf
from ..workflow import ui
from ..workflow.forms import TransitionForm
from . import engine, services
from .forms import CircularResolutionForm, CloseForm, VoteForm
from .models import Poll, PollState

bp = Blueprint("voting", __name__, static_folder="static", static_url_path="/abstimmungen/static")

# The administration sections of this package (registered by its init_app).
ADMIN_PAGES = [
    ("voting.admin_polls", _l("Votes and circular resolutions")),
]


def _load_poll(poll_id: int) -> Poll:
    poll = services.get_poll(poll_id)
    if poll is None:
        abort(404)
    if not services.may_view(current_user, poll):
        abort(403)
    return poll


def _vote_forms(poll: Poll, seats: list[Any], voted: set[int]) -> list[tuple[Any, VoteForm]]:
    pending = [s for s in seats if s.membership_id not in voted]
    if len(pending) == 1 and len(seats) == 1:
        return [(pending[0], VoteForm.for_poll(poll))]
    return [(s, VoteForm.for_poll(poll, s.membership_id)) for s in pending]


@bp.route("/abstimmungen/offen")
@login_required
def open_polls() -> str:
    entries = services.open_polls_for(current_user.person_id)
    forms = {e.poll.id: _vote_forms(e.poll, e.seats, e.voted) for e in entries}
    return render_template("voting/open.html", entries=entries, forms=forms)


@bp.route("/abstimmungen/<int:poll_id>")
@login_required
def poll(poll_id: int) -> str:
    poll = _load_poll(poll_id)
    return _render_poll(poll, just_voted=request.args.get("abgestimmt") == "1")


def _render_poll(
    poll: Poll,
    failed_form: VoteForm | None = None,
    status: int = 200,
    just_voted: bool = False,
    failed_step: tuple[str, TransitionForm] | None = None,
) -> Any:
    process = engine.process_of(poll)
    is_open = engine.is_open(process)
    seats = services.seats_of(poll.id, current_user.person_id)
    voted = services.voted_seat_ids(poll, [s.membership_id for s in seats])
    forms = _vote_forms(poll, seats, voted) if is_open and poll.is_open else []
    # Exactly the steps this user may take now (role in by: and guard).
    panel = ui.panel(
        current_user,
        process,
        lambda name: url_for("voting.step", poll_id=poll.id, transition=name),
        failed=failed_step,
    )
    if failed_form is not None:
        forms = [
            (seat, failed_form if form._prefix == failed_form._prefix else form)
            for seat, form in forms
        ]
    return (
        render_template(
            "voting/poll.html",
            poll=poll,
            progress=services.progress(poll),
            seats=seats,
            voted=voted,
            forms=forms,
            ballots=services.named_ballots(poll),
            panel=panel,
            is_open=is_open,
            is_closed=engine.is_closed(process),
            may_close=is_open and engine.may_close(current_user, process),
            subject=_subject(poll),
            # Thanks only someone whose ballot is really stored.
            thanks=just_voted and bool(voted),
            hand=_hand_count(poll),
            hand_names=_hand_names(poll),
        ),
        status,
    )


def _hand_count(poll: Poll) -> Any:
    if not poll.by_hand:
        return None
    from .hands import hand_count

    return hand_count(poll.id)


def _hand_names(poll: Poll) -> dict[str, list[str]]:
    if not poll.by_hand or not poll.is_closed:
        return {}
    from .hands import hand_names

    return hand_names([poll.id]).get(poll.id, {})


def _subject(poll: Poll) -> Any:
    from .providers import resolve_subject

    return resolve_subject(poll.subject_type, poll.subject_id)


@bp.route("/abstimmungen/<int:poll_id>/stand")
@login_required
def poll_status(poll_id: int) -> dict[str, Any]:
    """The live count for the progressive-enhancement script (JSON)."""
    poll = _load_poll(poll_id)
    progress = services.progress(poll)
    return {"voted": progress.voted, "eligible": progress.eligible, "state": poll.state}


def _posted_seat(poll_id: int) -> int | None:
    """The seat a vote form was for: its prefix is ``poll<id>`` or ``poll<id>-seat<m>``."""
    for key in request.form:
        match = re.fullmatch(rf"poll{poll_id}(?:-seat(\d{{1,12}}))?-seat", key)
        if match:
            return int(match.group(1)) if match.group(1) else None
    return None


@limiter.request_filter
def _ballots_are_not_rate_limited() -> bool:
    # No limit applies to a ballot (a seat votes once: the database refuses
    # a second), so Flask-Limiter need not look for one on every ballot.
    return request.endpoint == "voting.vote"


@bp.route("/abstimmungen/<int:poll_id>/abstimmen", methods=["POST"])
def vote(poll_id: int) -> Any:
    # CSRFProtect has checked the token for the whole app.  The common case
    # – a logged-in member votes in an open named poll – is one statement
    # that also checks the login (cast_session_ballot); everything else goes
    # the ordinary way below, with the login check of login_required.
    seat_id = _posted_seat(poll_id)
    value = request.form.get(_value_field(poll_id, seat_id), "")
    login = claimed_login()
    if login is not None:
        token, user_id = login
        try:
            seat = services.cast_session_ballot(
                poll_id,
                token,
                user_id,
                value,
                seat_membership_id=seat_id,
                secret_hint=bool(request.form.get(_field(poll_id, seat_id, "secret"))),
            )
        except services.VotingError as exc:
            return _the_ordinary_way(_ballot_refused, poll_id, seat_id, exc)
        if seat is not None:
            return _voted(poll_id)
    return _the_ordinary_way(_vote, poll_id, seat_id, value)


def _the_ordinary_way(view: Any, *args: Any) -> Any:
    """Answer as a view behind login_required (the login page otherwise).

    The login check ran as its own short read (auth.services); should a read
    transaction still be open on SQLite, it ends here, and the view reads
    without the write lock: a ballot takes it in its own short write
    transaction (cast_ballot)."""

    @login_required
    def answer() -> Any:
        end_read_transaction()
        token = set_write_intent(False)
        try:
            return view(*args)
        finally:
            reset_write_intent(token)

    return answer()


def _field(poll_id: int, seat_id: int | None, name: str) -> str:
    return f"poll{poll_id}" + (f"-seat{seat_id}" if seat_id else "") + f"-{name}"


def _value_field(poll_id: int, seat_id: int | None) -> str:
    return _field(poll_id, seat_id, "value")


def _voted(poll_id: int) -> Any:
    # The poll page thanks the voter (?abgestimmt=1, once the ballot is
    # stored): no flash message, so the session cookie stays as it is.
    return redirect(url_for("voting.poll", poll_id=poll_id, abgestimmt=1))


def _vote(poll_id: int, seat_id: int | None, value: str) -> Any:
    # cast_ballot checks in its write transaction everything a ballot needs
    # (the poll is open and before its deadline, the option exists, the
    # person holds the seat, no second ballot).  Only a refused ballot loads
    # the poll and the form.
    try:
        services.cast_ballot(
            poll_id,
            current_user.person_id,
            value,
            seat_membership_id=seat_id,
            actor_id=current_user.id,
        )
    except services.VotingError as exc:
        return _ballot_refused(poll_id, seat_id, exc)
    return _voted(poll_id)


def _ballot_refused(poll_id: int, seat_id: int | None, exc: services.VotingError) -> Any:
    """The answer to a refused ballot: 404/403 for a poll the user may not
    see, the form with its errors for a bad choice, else a message."""
    poll, visible = services.poll_for_ballot(poll_id, current_user)
    if poll is None:
        abort(404)
    if not visible or isinstance(exc, services.NotEligible):
        abort(403)
    if isinstance(exc, services.AlreadyVoted):
        flash(str(exc), "warning")
        return redirect(url_for("voting.poll", poll_id=poll_id))
    if exc.field == "value":
        form = VoteForm.for_poll(poll, seat_id)
        if form.validate_on_submit():
            form.value.errors = [*form.value.errors, str(exc)]
        return _render_poll(services.get_poll(poll_id) or poll, form, 422)
    flash(str(exc), "error")
    return redirect(url_for("voting.poll", poll_id=poll_id))


@bp.route("/abstimmungen/<int:poll_id>/schritt/<transition>", methods=["POST"])
@login_required
def step(poll_id: int, transition: str) -> Any:
    """One step of the poll's workflow (a button of the panel): open, close, ..."""
    poll = _load_poll(poll_id)
    process = engine.process_of(poll)
    definition = wf.definition_of(process)
    found = definition.transitions.get(transition)
    if found is None or not wf.role_allows(found, wf.roles_of(current_user, process)):
        abort(403)
    form = ui.transition_form(transition)
    if not form.validate_on_submit():
        return _render_poll(poll, status=422, failed_step=(transition, form))
    try:
        ui.fire_from_form(current_user, process, transition, form)
    except wf.CommentRequired as exc:
        form.comment.errors = [str(exc)]
        return _render_poll(poll, status=422, failed_step=(transition, form))
    except (wf.WorkflowError, services.VotingError) as exc:
        flash(str(exc), "error")
        return redirect(url_for("voting.poll", poll_id=poll_id))
    process = engine.process_of(services.get_poll(poll_id) or poll)
    if engine.is_closed(process):
        flash(_("The vote is closed and the result has been recorded."), "success")
    else:
        flash(
            _("Done: the vote is now in the state “%(state)s”.", state=ui.state_title(process)),
            "success",
        )
    return redirect(url_for("voting.poll", poll_id=poll_id))


@bp.route("/abstimmungen/<int:poll_id>/schliessen", methods=["POST"])
@login_required
def close(poll_id: int) -> Response:
    """Close the vote: the closing step of its workflow the user may take."""
    poll = _load_poll(poll_id)
    if not services.may_close(current_user, poll):
        abort(403)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            services.close_poll(poll.id, current_user)
        except (services.VotingError, wf.WorkflowError) as exc:
            flash(str(exc), "error")
        else:
            flash(_("The vote is closed and the result has been recorded."), "success")
    return redirect(url_for("voting.poll", poll_id=poll.id))


# --- staff --------------------------------------------------------------------------


@bp.route("/verwaltung/abstimmungen/")
@staff_required
def admin_polls() -> str:
    state = request.args.get("state") or None
    if state not in {s.value for s in PollState}:
        state = None
    polls = services.list_polls(state=state)
    counts = {p.id: services.progress(p) for p in polls if p.is_open}
    return render_template(
        "voting/admin_list.html", polls=polls, counts=counts, state=state, states=list(PollState)
    )


def _paper_choices() -> list[tuple[int, str]]:
    """Papers whose workflow waits for a poll result in their current state."""
    from ..workflow import registry as wf_registry
    from ..workflow import services as wf_services

    subject = wf_registry.SUBJECTS.get("paper")
    if subject is None:
        return []
    choices = []
    for obj in db.session.scalars(
        select(subject.model).order_by(subject.model.id.desc()).limit(300)
    ):
        try:
            definition = wf_services.definition_of(obj)
        except LookupError:
            continue
        if any(t.when in services.POLL_GUARDS for t in definition.transitions_from(obj.state)):
            number = getattr(obj, "number", None)
            label = f"{number} – {subject.title_of(obj)}" if number else subject.title_of(obj)
            choices.append((obj.id, label))
    return choices


@bp.route("/verwaltung/abstimmungen/umlauf/neu", methods=["GET", "POST"])
@staff_required
def start_circular() -> Any:
    form = CircularResolutionForm()
    bodies = db.session.scalars(select(Body).where(Body.active).order_by(Body.name)).all()
    form.body_id.choices = [(b.id, b.name) for b in bodies]
    form.subject_id.choices = _paper_choices()
    if request.method == "GET":
        paper_id = request.args.get("paper", type=optional_id)
        if paper_id and paper_id in {c[0] for c in form.subject_id.choices}:
            form.subject_id.data = paper_id
            from .providers import resolve_subject

            info = resolve_subject("paper", paper_id)
            if info is not None:
                form.title.data = info.title
                if info.body_id:
                    form.body_id.data = info.body_id
    if form.validate_on_submit():
        assert form.closes_at.data is not None
        closes_at = form.closes_at.data.replace(tzinfo=LOCAL_TZ).astimezone(UTC)
        try:
            poll = services.start_circular_resolution(
                body_id=form.body_id.data,
                subject_type="paper",
                subject_id=form.subject_id.data,
                title=form.title.data or "",
                question=form.question.data,
                closes_at=closes_at,
                kind=form.kind.data or "open",
                options=form.options.data or "yes_no_abstain",
                majority_rule=form.majority_rule.data or None,
                actor=current_user,
            )
        except services.VotingError as exc:
            target = getattr(form, exc.field, None) if exc.field else None
            if target is not None:
                target.errors = [*target.errors, str(exc)]
            else:
                flash(str(exc), "error")
        else:
            flash(_("The circular resolution has started."), "success")
            return redirect(url_for("voting.poll", poll_id=poll.id))
    status = 422 if request.method == "POST" else 200
    return render_template("voting/start.html", form=form), status
