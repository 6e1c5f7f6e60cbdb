"""The meeting as it is held (blueprint ``meeting_live``): the chair's
cockpit and its live fragment, the speakers list for members, the self
check-in, and the projector view with its live fragment (both with an
ETag: 304 when nothing changed).

Each view loads, checks access, calls one service, and renders or
redirects; the rules are in ``cockpit``, ``attendance``, ``speakers``,
``checkin``, ``projector`` and ``planning``.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..auth.access import public
from ..database import utcnow
from ..forms import show_error
from ..mail.links import absolute_url
from ..timeutil import to_local
from . import access, attendance, checkin, planning, projector, speakers
from . import cockpit as board
from .forms import (
    ButtonForm,
    DeputyForm,
    MomentForm,
    OpenMeetingForm,
    SpeakerForm,
    SpeakingTimeForm,
)
from .models import Meeting

bp = Blueprint("meeting_live", __name__)

# How often the projector and the cockpit ask for changes (milliseconds).
POLL_INTERVAL_MS = 2000


def _load(meeting_id: int) -> Meeting:
    meeting = access.get_meeting(meeting_id)
    if meeting is None:
        abort(404)
    if not access.may_view(current_user, meeting):
        abort(403)
    return meeting


def _load_chair(meeting_id: int) -> Meeting:
    """The chair, the vice chair and who manages the meeting (office, staff)."""
    meeting = _load(meeting_id)
    if not speakers.may_chair(current_user, meeting):
        abort(403)
    return meeting


def _back(meeting_id: int, anchor: str = "") -> Response:
    return redirect(url_for("meeting_live.cockpit", meeting_id=meeting_id) + anchor)


# --- the cockpit --------------------------------------------------------------------------------


def _deputy_form(state: board.Cockpit, form: DeputyForm | None = None) -> DeputyForm:
    form = form or DeputyForm(prefix="deputy", formdata=None)
    with_deputies = [p for p in state.presence if p.deputies]
    form.member_id.choices = [(None, _("– choose –"))] + [
        (p.line.membership.id, p.line.membership.person.full_name) for p in with_deputies
    ]
    form.deputy_id.choices = [(None, _("– choose –"))] + [
        (
            d.id,
            _(
                "%(deputy)s (for %(member)s)",
                deputy=d.person.full_name,
                member=p.line.membership.person.full_name,
            ),
        )
        for p in with_deputies
        for d in p.deputies
    ]
    return form


def _speaker_form(meeting: Meeting, form: SpeakerForm | None = None) -> SpeakerForm:
    form = form or SpeakerForm(prefix="speaker", formdata=None)
    seen: dict[int, str] = {}
    for line in attendance.roster(meeting):
        seen.setdefault(line.membership.person_id, line.membership.person.full_name)
    form.person_id.choices = [(None, _("– choose –"))] + sorted(
        seen.items(), key=lambda pair: pair[1]
    )
    return form


def _live_context(meeting: Meeting, state: board.Cockpit) -> dict[str, Any]:
    """What the live regions of the cockpit read (the page and its fragment)."""
    flags = access.meeting_flags(meeting)
    may_open_poll = (
        access.has_flag(meeting, "in_session") and bool(state.current) and _may_open_poll(meeting)
    )
    digests = board.live_digests(state, flags, may_open_poll)
    return {
        "meeting": meeting,
        "state": state,
        "flags": flags,
        "digests": digests,
        "etag": board.live_etag(digests),
        "button_form": ButtonForm(),
        "moment_errors": {},
        "may_open_poll": may_open_poll,
        "poll_endpoint": _poll_endpoint(),
        "now_local": to_local(utcnow()).strftime("%H:%M"),
    }


def _render_cockpit(
    meeting: Meeting,
    *,
    status: int = 200,
    deputy_form: DeputyForm | None = None,
    speaker_form: SpeakerForm | None = None,
    open_form: OpenMeetingForm | None = None,
    time_form: SpeakingTimeForm | None = None,
    moment_errors: dict[int, str] | None = None,
    new_link: str | None = None,
) -> tuple[str, int]:
    state = board.cockpit(meeting)
    context = _live_context(meeting, state)
    flags = context["flags"]
    if time_form is None:
        time_form = SpeakingTimeForm(prefix="time", formdata=None)
        if state.current and state.current.item.speaking_seconds:
            time_form.minutes.data = state.current.item.speaking_seconds // 60
    context.update(
        moment_form=MomentForm(formdata=None),
        moment_errors=moment_errors or {},
        deputy_form=_deputy_form(state, deputy_form),
        speaker_form=_speaker_form(meeting, speaker_form),
        time_form=time_form,
        open_form=open_form or OpenMeetingForm(prefix="open", formdata=None),
        opening_steps=planning.opening_steps(current_user, meeting)
        if "in_session" not in flags
        else [],
        too_early=planning.opens_too_early(meeting),
        new_link=new_link,
        interval=POLL_INTERVAL_MS,
    )
    return render_template("meetings/cockpit.html", **context), status


def _may_open_poll(meeting: Meeting) -> bool:
    from . import hooks

    return hooks.may_open_poll(current_user, meeting)


def _poll_endpoint() -> str | None:
    from . import hooks

    return hooks.open_endpoint()


@bp.route("/sitzungen/<int:meeting_id>/cockpit")
@login_required
def cockpit(meeting_id: int) -> tuple[str, int]:
    return _render_cockpit(_load_chair(meeting_id))


@bp.route("/sitzungen/<int:meeting_id>/cockpit/stand")
@login_required
def cockpit_fragment(meeting_id: int) -> Response:
    """The live regions of the cockpit, polled by its script: 304 when
    nothing the regions show has changed (no rendering)."""
    meeting = _load_chair(meeting_id)
    context = _live_context(meeting, board.cockpit(meeting))
    etag = context["etag"]
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = make_response(render_template("meetings/_cockpit_live_regions.html", **context))
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/sitzungen/<int:meeting_id>/cockpit/eroeffnen", methods=["POST"])
@login_required
def open_meeting(meeting_id: int) -> Any:
    meeting = _load_chair(meeting_id)
    form = OpenMeetingForm(prefix="open")
    if not form.validate_on_submit():
        return _render_cockpit(meeting, open_form=form, status=422)
    try:
        planning.open_meeting(current_user, meeting, reason=form.reason.data)
    except access.MeetingError as exc:
        show_error(form, exc)
        return _render_cockpit(meeting, open_form=form, status=422)
    flash(_("The meeting is open."), "success")
    return _back(meeting_id)


@bp.route("/sitzungen/<int:meeting_id>/cockpit/aufrufen", methods=["POST"])
@bp.route("/sitzungen/<int:meeting_id>/cockpit/top/<int:item_id>/aufrufen", methods=["POST"])
@login_required
def call_item(meeting_id: int, item_id: int | None = None) -> Response:
    meeting = _load_chair(meeting_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        item = board.call_item(current_user, meeting, item_id)
    except access.MeetingError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Now: %(title)s", title=item.title), "success")
    return _back(meeting_id)


@bp.route(
    "/sitzungen/<int:meeting_id>/cockpit/anwesenheit/<int:membership_id>/<any(kommt, geht):action>",
    methods=["POST"],
)
@login_required
def moment(meeting_id: int, membership_id: int, action: str) -> Any:
    meeting = _load_chair(meeting_id)
    if not access.may_record_attendance(current_user, meeting):
        abort(403)
    form = MomentForm()
    if not form.validate_on_submit():
        return _render_cockpit(
            meeting,
            moment_errors={membership_id: _("Please give the time as HH:MM.")},
            status=422,
        )
    try:
        at = board.moment_from_form(meeting, form.at.data)
        attendance.arrive_or_leave(current_user, meeting, membership_id, action == "kommt", at=at)
    except access.MeetingError as exc:
        return _render_cockpit(meeting, moment_errors={membership_id: str(exc)}, status=422)
    flash(_("Saved."), "success")
    return _back(meeting_id, "#presence")


@bp.route("/sitzungen/<int:meeting_id>/cockpit/vertretung", methods=["POST"])
@login_required
def deputy(meeting_id: int) -> Any:
    meeting = _load_chair(meeting_id)
    if not access.may_record_attendance(current_user, meeting):
        abort(403)
    form = _deputy_form(board.cockpit(meeting), DeputyForm(prefix="deputy"))
    if form.validate_on_submit():
        if form.member_id.data is None:
            form.member_id.errors = [_("Please choose a member.")]
        elif form.deputy_id.data is None:
            form.deputy_id.errors = [_("Please choose a deputy.")]
        else:
            try:
                at = board.moment_from_form(meeting, form.at.data)
                attendance.deputy_arrives(
                    current_user, meeting, form.member_id.data, form.deputy_id.data, at=at
                )
            except access.MeetingError as exc:
                show_error(form, exc)
            else:
                flash(_("The deputy is recorded as present."), "success")
                return _back(meeting_id, "#presence")
    return _render_cockpit(meeting, deputy_form=form, status=422)


@bp.route("/sitzungen/<int:meeting_id>/cockpit/anmeldungen/<int:checkin_id>", methods=["POST"])
@login_required
def confirm_checkin(meeting_id: int, checkin_id: int) -> Response:
    meeting = _load_chair(meeting_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        checkin.confirm(current_user, meeting, checkin_id)
    except access.MeetingError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The check-in is confirmed."), "success")
    return _back(meeting_id, "#presence")


# --- the speakers list: the chair ----------------------------------------------------------------


@bp.route("/sitzungen/<int:meeting_id>/top/<int:item_id>/redeliste/hinzufuegen", methods=["POST"])
@login_required
def add_speaker(meeting_id: int, item_id: int) -> Any:
    meeting = _load_chair(meeting_id)
    form = _speaker_form(meeting, SpeakerForm(prefix="speaker"))
    if form.validate_on_submit():
        if form.person_id.data is None:
            form.person_id.errors = [_("Please choose a member of the body.")]
        else:
            try:
                speakers.add_speaker(
                    current_user,
                    meeting,
                    item_id,
                    form.person_id.data,
                    point_of_order=bool(form.point_of_order.data),
                )
            except access.MeetingError as exc:
                show_error(form, exc)
            else:
                return _back(meeting_id, "#speakers")
    return _render_cockpit(meeting, speaker_form=form, status=422)


@bp.route(
    "/sitzungen/<int:meeting_id>/redeliste/<int:speaker_id>"
    "/<any(hoch, runter, aufrufen, fertig):action>",
    methods=["POST"],
)
@login_required
def speaker_action(meeting_id: int, speaker_id: int, action: str) -> Response:
    meeting = _load_chair(meeting_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        if action == "aufrufen":
            speakers.give_floor(current_user, meeting, speaker_id)
        elif action == "fertig":
            speakers.finish(current_user, meeting, speaker_id)
        else:
            speakers.move(current_user, meeting, speaker_id, 1 if action == "runter" else -1)
    except access.MeetingError as exc:
        flash(str(exc), "error")
    return _back(meeting_id, "#speakers")


@bp.route(
    "/sitzungen/<int:meeting_id>/top/<int:item_id>/redeliste/<any(zu, auf):action>",
    methods=["POST"],
)
@login_required
def speakers_closed(meeting_id: int, item_id: int, action: str) -> Response:
    meeting = _load_chair(meeting_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        speakers.set_closed(current_user, meeting, item_id, action == "zu")
    except access.MeetingError as exc:
        flash(str(exc), "error")
    return _back(meeting_id, "#speakers")


@bp.route("/sitzungen/<int:meeting_id>/top/<int:item_id>/redezeit", methods=["POST"])
@login_required
def speaking_time(meeting_id: int, item_id: int) -> Any:
    meeting = _load_chair(meeting_id)
    form = SpeakingTimeForm(prefix="time")
    if form.validate_on_submit():
        try:
            speakers.set_speaking_time(current_user, meeting, item_id, form.minutes.data)
        except access.MeetingError as exc:
            show_error(form, exc)
        else:
            return _back(meeting_id, "#speakers")
    return _render_cockpit(meeting, time_form=form, status=422)


# --- the speakers list: members ------------------------------------------------------------------


@bp.route("/sitzungen/<int:meeting_id>/redeliste")
@login_required
def speakers_page(meeting_id: int) -> str:
    meeting = _load(meeting_id)
    line = board.current_line(meeting) if access.has_flag(meeting, "in_session") else None
    queue = speakers.queue(line.item.id) if line else []
    return render_template(
        "meetings/speakers.html",
        meeting=meeting,
        line=line,
        queue=queue,
        mine=[s for s in queue if s.person_id == current_user.person_id],
        is_member=current_user.person_id in speakers.member_ids(meeting),
        form=ButtonForm(),
    )


@bp.route(
    "/sitzungen/<int:meeting_id>/top/<int:item_id>/redeliste/<any(melden, geschaeftsordnung):kind>",
    methods=["POST"],
)
@login_required
def ask_to_speak(meeting_id: int, item_id: int, kind: str) -> Response:
    meeting = _load(meeting_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        speakers.ask_to_speak(
            current_user, meeting, item_id, point_of_order=kind == "geschaeftsordnung"
        )
    except access.MeetingError as exc:
        flash(str(exc), "error")
    else:
        flash(_("You are on the speakers list."), "success")
    return redirect(url_for("meeting_live.speakers_page", meeting_id=meeting_id))


@bp.route("/sitzungen/<int:meeting_id>/redeliste/<int:speaker_id>/zurueckziehen", methods=["POST"])
@login_required
def withdraw(meeting_id: int, speaker_id: int) -> Response:
    meeting = _load(meeting_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        speakers.withdraw(current_user, meeting, speaker_id)
    except access.MeetingError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Your request to speak is withdrawn."), "success")
    return redirect(url_for("meeting_live.speakers_page", meeting_id=meeting_id))


# --- self check-in -------------------------------------------------------------------------------


@bp.route("/sitzungen/<int:meeting_id>/anmelden", methods=["GET", "POST"])
@login_required
def check_in(meeting_id: int) -> Any:
    meeting = _load(meeting_id)
    form = ButtonForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            checkin.check_in(current_user, meeting)
        except access.MeetingError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Thank you. The minute-taker will confirm your presence."), "success")
        return redirect(url_for("meeting_live.check_in", meeting_id=meeting_id))
    membership = checkin.my_membership(current_user, meeting)
    return render_template(
        "meetings/checkin.html",
        meeting=meeting,
        form=form,
        membership=membership,
        mine=checkin.my_check_in(current_user, meeting),
        present=membership is not None and checkin.is_present(meeting, membership.id),
        in_session=access.has_flag(meeting, "in_session"),
    )


# --- projector links ------------------------------------------------------------------------------


@bp.route("/sitzungen/<int:meeting_id>/cockpit/beamer", methods=["POST"])
@login_required
def create_projector_link(meeting_id: int) -> Any:
    meeting = _load_chair(meeting_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        _link, token = projector.create_link(current_user, meeting)
    except access.MeetingError as exc:
        flash(str(exc), "error")
        return _back(meeting_id, "#projector")
    # Shown once, in this answer only (the database keeps its hash).
    url = absolute_url("meeting_live.projector_page", token=token)
    return _render_cockpit(meeting, new_link=url)


@bp.route("/sitzungen/<int:meeting_id>/cockpit/beamer/<int:link_id>/widerrufen", methods=["POST"])
@login_required
def revoke_projector_link(meeting_id: int, link_id: int) -> Response:
    meeting = _load_chair(meeting_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        projector.revoke_link(current_user, meeting, link_id)
    except access.MeetingError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The projector link is revoked."), "success")
    return _back(meeting_id, "#projector")


# --- the projector view (no login) ---------------------------------------------------------------


def _by_token(token: str) -> Meeting | Response:
    found = projector.meeting_for_token(token)
    if found.meeting is None:
        code = 410 if found.revoked else 404
        response = make_response(
            render_template("meetings/projector_gone.html", revoked=found.revoked), code
        )
        return response
    return found.meeting


def _checkin_qr(meeting: Meeting) -> str | None:
    if not access.has_flag(meeting, "in_session"):
        return None
    from ..auth.twofactor import qr_svg

    url = absolute_url("meeting_live.check_in", meeting_id=meeting.id)
    return qr_svg(url, _("Check in: %(url)s", url=url))


def _projector(meeting: Meeting, fragment_url: str, public_only: bool) -> Response:
    state = projector.live_state(meeting, public_only=public_only)
    response = make_response(
        render_template(
            "meetings/projector.html",
            meeting=meeting,
            state=state,
            fragment_url=fragment_url,
            interval=POLL_INTERVAL_MS,
            qr=None if public_only else _checkin_qr(meeting),
            checkin_url=None
            if public_only
            else absolute_url("meeting_live.check_in", meeting_id=meeting.id),
        )
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _fragment(meeting: Meeting, public_only: bool) -> Response:
    """The live part of the projector; 304 when the state has not changed."""
    state = projector.recent_live_state(meeting, public_only=public_only)
    etag = state.etag
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = make_response(render_template("meetings/_projector_live.html", state=state))
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/beamer/<token>")
@public
def projector_page(token: str) -> Response:
    found = _by_token(token)
    if isinstance(found, Response):
        return found
    return _projector(
        found, url_for("meeting_live.projector_fragment", token=token), public_only=False
    )


@bp.route("/beamer/<token>/stand")
@public
def projector_fragment(token: str) -> Response:
    found = _by_token(token)
    if isinstance(found, Response):
        return found
    return _fragment(found, public_only=False)


def _public_meeting(meeting_id: int) -> Meeting:
    meeting = access.get_meeting(meeting_id)
    if meeting is None or not access.may_view_public(meeting):
        abort(404)
    return meeting


@bp.route("/sitzungen/oeffentlich/<int:meeting_id>/beamer")
@public
def public_projector(meeting_id: int) -> Response:
    meeting = _public_meeting(meeting_id)
    return _projector(
        meeting,
        url_for("meeting_live.public_projector_fragment", meeting_id=meeting_id),
        public_only=True,
    )


@bp.route("/sitzungen/oeffentlich/<int:meeting_id>/beamer/stand")
@public
def public_projector_fragment(meeting_id: int) -> Response:
    return _fragment(_public_meeting(meeting_id), public_only=True)
