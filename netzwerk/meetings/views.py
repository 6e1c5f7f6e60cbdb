"""Meeting pages: list, create, edit, the meeting with its agenda, invitations,
attendance, "My meetings", public meetings and the places."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..auth.access import public, staff_required
from ..forms import optional_id, show_error
from ..papers.files import attachment_counts
from . import access, agenda, hooks, invitations, places, planning, speakers
from . import attendance as meeting_attendance
from .forms import (
    ButtonForm,
    FreeItemForm,
    GuestForm,
    InvitationForm,
    LocationEditForm,
    LocationForm,
    MeetingForm,
    PaperItemForm,
    ResendForm,
    StatusForm,
)
from .models import AttendanceStatus, Meeting

bp = Blueprint("meetings", __name__)

# The administration sections of this package (registered by its init_app).
ADMIN_PAGES = [
    ("meetings.locations", _l("Meeting places")),
]


def _load(meeting_id: int) -> Meeting:
    meeting = access.get_meeting(meeting_id)
    if meeting is None:
        abort(404)
    if not access.may_view(current_user, meeting):
        abort(403)
    return meeting


def _load_managed(meeting_id: int) -> Meeting:
    meeting = _load(meeting_id)
    if not access.may_manage(current_user, meeting.body_id):
        abort(403)
    return meeting


def _load_attendance(meeting_id: int) -> Meeting:
    """Who manages the meeting, and its chair while it is in session."""
    meeting = _load(meeting_id)
    if not access.may_record_attendance(current_user, meeting):
        abort(403)
    return meeting


# --- list, create, edit ---------------------------------------------------------------


@bp.route("/sitzungen/")
@login_required
def meetings() -> str:
    return render_template(
        "meetings/meetings.html",
        meetings=access.visible_meetings(current_user),
        may_create=bool(access.manageable_bodies(current_user)),
    )


def _meeting_form(meeting: Meeting | None = None) -> MeetingForm:
    if meeting is not None and request.method == "GET":
        from ..timeutil import to_local

        form = MeetingForm(obj=meeting)
        start = to_local(meeting.starts_at)
        form.date.data = start.date()
        form.start_time.data = start.time().replace(second=0, microsecond=0)
        if meeting.ends_at:
            form.end_time.data = to_local(meeting.ends_at).time().replace(second=0, microsecond=0)
    else:
        form = MeetingForm()
    bodies = access.manageable_bodies(current_user)
    form.body_id.choices = [(b.id, b.name) for b in bodies]
    if meeting is not None:
        form.body_id.choices = [(meeting.body_id, meeting.body.name)]
        form.body_id.data = meeting.body_id
    online_only: list[tuple[Any, str]] = [(None, _("– no place (online only) –"))]
    form.location_id.choices = online_only + [(p.id, p.label) for p in places.locations()]
    if meeting is None or not access.is_awaiting(meeting):
        del form.send_update  # nothing sent yet, or the meeting has begun
    return form


@bp.route("/sitzungen/neu", methods=["GET", "POST"])
@login_required
def meeting_new() -> Any:
    if not access.manageable_bodies(current_user):
        abort(403)
    form = _meeting_form()
    if request.method == "GET":
        body_id = request.args.get("body", type=optional_id)
        if body_id in {c[0] for c in form.body_id.choices}:  # type: ignore[union-attr]
            form.body_id.data = body_id
    if form.validate_on_submit():
        starts_at, ends_at = form.times()
        try:
            meeting = planning.create_meeting(
                current_user,
                body_id=form.body_id.data,
                starts_at=starts_at,
                ends_at=ends_at,
                location_id=form.location_id.data,
                online_link=form.online_link.data,
                public=form.public.data,
                title=form.title.data,
            )
        except access.MeetingError as exc:
            show_error(form, exc)
        else:
            flash(_("The meeting %(number)s was planned.", number=meeting.number), "success")
            return redirect(url_for("meetings.meeting", meeting_id=meeting.id))
    status = 422 if request.method == "POST" else 200
    return render_template("meetings/meeting_form.html", form=form, meeting=None), status


@bp.route("/sitzungen/<int:meeting_id>/bearbeiten", methods=["GET", "POST"])
@login_required
def meeting_edit(meeting_id: int) -> Any:
    meeting = _load_managed(meeting_id)
    form = _meeting_form(meeting)
    if form.validate_on_submit():
        starts_at, ends_at = form.times()
        send_update = "send_update" in form and bool(form.send_update.data)
        try:
            update = planning.update_meeting(
                current_user,
                meeting,
                starts_at=starts_at,
                ends_at=ends_at,
                location_id=form.location_id.data,
                online_link=form.online_link.data,
                public=form.public.data,
                title=form.title.data,
                send_update=send_update,
            )
        except access.MeetingError as exc:
            show_error(form, exc)
        else:
            if update.invitations is not None:
                flash(
                    _(
                        "The meeting was saved; %(count)d updated invitations are in the outbox.",
                        count=update.invitations,
                    ),
                    "success",
                )
            elif send_update and update.changed:
                flash(
                    _(
                        "The meeting was saved. Nothing the invitation shows has changed, "
                        "so no updated invitation was sent."
                    ),
                    "success",
                )
            else:
                flash(_("The meeting was saved."), "success")
            return redirect(url_for("meetings.meeting", meeting_id=meeting_id))
    status = 422 if request.method == "POST" else 200
    return render_template("meetings/meeting_form.html", form=form, meeting=meeting), status


# --- the meeting page ----------------------------------------------------------------


def _agenda_forms(
    meeting: Meeting, lines: list[agenda.AgendaLine]
) -> tuple[PaperItemForm, FreeItemForm]:
    parents: list[tuple[Any, str]] = [(None, _("– main item –"))] + [
        (line.item.id, f"{line.number}. {line.item.title}")
        for line in lines
        if not line.item.withdrawn
    ]
    paper_form = PaperItemForm(prefix="paper", formdata=None)
    paper_form.paper_id.choices = [
        (p.id, f"{p.number} – {p.title}" if p.number else p.title)
        for p in agenda.ready_papers(meeting)
    ]
    paper_form.parent_id.choices = parents
    free_form = FreeItemForm(prefix="free", formdata=None)
    free_form.parent_id.choices = parents
    return paper_form, free_form


def _render_meeting(
    meeting: Meeting,
    *,
    paper_form: PaperItemForm | None = None,
    free_form: FreeItemForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    lines = agenda.agenda(meeting)
    manage = access.may_manage(current_user, meeting.body_id)
    flags = access.meeting_flags(meeting)
    default_paper, default_free = _agenda_forms(meeting, lines) if manage else (None, None)
    flat = agenda.flatten(lines)
    return (
        render_template(
            "meetings/meeting.html",
            meeting=meeting,
            lines=lines,
            flat=flat,
            manage=manage,
            paper_form=paper_form or default_paper,
            free_form=free_form or default_free,
            button_form=ButtonForm(),
            status_form=StatusForm(formdata=None),
            status_buttons=invitations.status_buttons(current_user, meeting),
            state_title=access.state_title(meeting),
            flags=flags,
            attendance=access.may_record_attendance(current_user, meeting),
            chair=speakers.may_chair(current_user, meeting),
            member=current_user.person_id in speakers.member_ids(meeting),
            quorum=meeting_attendance.quorum(meeting)
            if "invited" in flags and "cancelled" not in flags
            else None,
            roster=meeting_attendance.roster(meeting) if flags & {"in_session", "closed"} else [],
            guests=meeting_attendance.guests(meeting),
            polls=hooks.polls_for_items([line.item.id for line in flat]),
            poll_endpoint=hooks.open_endpoint(),
            may_open_poll=hooks.may_open_poll(current_user, meeting),
            notice=invitations.notice_check(meeting),
            attachment_counts=_attachment_counts(flat),
        ),
        status,
    )


def _attachment_counts(flat: list[agenda.AgendaLine]) -> dict[int, int]:
    return attachment_counts([line.item.paper_id for line in flat if line.item.paper_id])


@bp.route("/sitzungen/<int:meeting_id>")
@login_required
def meeting(meeting_id: int) -> tuple[str, int]:
    return _render_meeting(_load(meeting_id))


@bp.route("/sitzungen/<int:meeting_id>/tagesordnung/vorlage", methods=["POST"])
@login_required
def agenda_add_paper(meeting_id: int) -> Any:
    meeting = _load_managed(meeting_id)
    lines = agenda.agenda(meeting)
    form = PaperItemForm(prefix="paper")
    default_paper, _free = _agenda_forms(meeting, lines)
    form.paper_id.choices = default_paper.paper_id.choices
    form.parent_id.choices = default_paper.parent_id.choices
    if form.validate_on_submit():
        try:
            agenda.add_paper_item(
                current_user,
                meeting,
                form.paper_id.data,
                public=form.public.data,
                parent_id=form.parent_id.data,
            )
        except access.MeetingError as exc:
            show_error(form, exc)
        else:
            flash(_("The paper was put on the agenda."), "success")
            return redirect(url_for("meetings.meeting", meeting_id=meeting_id) + "#agenda")
    return _render_meeting(meeting, paper_form=form, status=422)


@bp.route("/sitzungen/<int:meeting_id>/tagesordnung/frei", methods=["POST"])
@login_required
def agenda_add_free(meeting_id: int) -> Any:
    meeting = _load_managed(meeting_id)
    lines = agenda.agenda(meeting)
    form = FreeItemForm(prefix="free")
    _paper, default_free = _agenda_forms(meeting, lines)
    form.parent_id.choices = default_free.parent_id.choices
    if form.validate_on_submit():
        try:
            agenda.add_free_item(
                current_user,
                meeting,
                title=form.title.data or "",
                text=form.text.data,
                public=form.public.data,
                parent_id=form.parent_id.data,
            )
        except access.MeetingError as exc:
            show_error(form, exc)
        else:
            flash(_("The item was added to the agenda."), "success")
            return redirect(url_for("meetings.meeting", meeting_id=meeting_id) + "#agenda")
    return _render_meeting(meeting, free_form=form, status=422)


@bp.route(
    "/sitzungen/<int:meeting_id>/tagesordnung/<int:item_id>/<any(hoch, runter, entfernen):action>",
    methods=["POST"],
)
@login_required
def agenda_item_action(meeting_id: int, item_id: int, action: str) -> Response:
    meeting = _load_managed(meeting_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        if action == "entfernen":
            agenda.remove_item(current_user, meeting, item_id)
            flash(_("The item was removed from the agenda."), "success")
        else:
            agenda.move_item(current_user, meeting, item_id, 1 if action == "runter" else -1)
    except access.MeetingError as exc:
        flash(str(exc), "error")
    return redirect(url_for("meetings.meeting", meeting_id=meeting_id) + f"#item-{item_id}")


def _version(value: str | None) -> int | None:
    """The version the page showed (0 for a new meeting; None when the form
    carries none); -1 (nobody's version, refused as stale) for anything that
    is not a plain number."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    return -1


@bp.route("/sitzungen/<int:meeting_id>/status/<transition>", methods=["POST"])
@login_required
def meeting_status(meeting_id: int, transition: str) -> Response:
    """Fire the named step; the engine checks the roles the definition names."""
    meeting = _load(meeting_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = _version(form.version.data)
        told = invitations.fire_status(
            current_user, meeting, transition, form.comment.data, version
        )
    except access.MeetingError as exc:
        flash(str(exc), "error")
    else:
        meeting = _load(meeting_id)
        flash(
            _("Done: the meeting is now “%(state)s”.", state=access.state_title(meeting)),
            "success",
        )
        if told is not None and access.has_flag(meeting, "cancelled"):
            flash(
                _(
                    "%(count)d invitees are told, with the reason; the mails are in the outbox.",
                    count=told,
                ),
                "info",
            )
        elif told is not None:
            flash(_("%(count)d invitations are in the outbox.", count=told), "info")
    return redirect(url_for("meetings.meeting", meeting_id=meeting_id))


# --- invitations ------------------------------------------------------------------------


@bp.route("/sitzungen/<int:meeting_id>/einladung", methods=["GET", "POST"])
@login_required
def invitation(meeting_id: int) -> Any:
    meeting = _load_managed(meeting_id)
    form = InvitationForm(prefix="invite")
    resend = ResendForm(prefix="again")
    if request.method == "POST":
        again = "again-submit" in request.form
        active = resend if again else form
        if active.validate_on_submit():
            try:
                count = invitations.send_invitations(
                    current_user, meeting, reason=active.reason.data, again=again
                )
            except access.MeetingError as exc:
                show_error(active, exc)
            else:
                flash(
                    _("%(count)d invitations are in the outbox.", count=count),
                    "success",
                )
                return redirect(url_for("meetings.meeting", meeting_id=meeting_id))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "meetings/invitation.html",
            meeting=meeting,
            form=form,
            resend=resend,
            notice=invitations.notice_check(meeting),
            flags=access.meeting_flags(meeting),
            steps=invitations.invitation_steps(current_user, meeting),
            invitees=invitations.invitees(meeting),
            lines=agenda.agenda(meeting),
        ),
        status,
    )


@bp.route("/sitzungen/<int:meeting_id>/sitzung.ics")
@login_required
def meeting_ics(meeting_id: int) -> Response:
    from ..database import utcnow
    from .ics import published_ics as build

    meeting = _load(meeting_id)
    body = build(
        meeting,
        agenda.agenda(meeting),
        sequence=max(meeting.invitation_rounds - 1, 0),
        now=utcnow(),
    )
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="sitzung-{meeting.id}.ics"'},
    )


# --- attendance ----------------------------------------------------------------------------


def _attendance_statuses(
    roster: list[meeting_attendance.RosterLine],
) -> tuple[dict[int, str], list[str]]:
    statuses: dict[int, str] = {}
    errors = []
    allowed = {s.value for s in AttendanceStatus}
    for line in roster:
        value = request.form.get(f"status-{line.membership.id}", "")
        if value == "":
            continue
        if value not in allowed:
            errors.append(str(line.membership.id))
            continue
        statuses[line.membership.id] = value
    return statuses, errors


@bp.route("/sitzungen/<int:meeting_id>/anwesenheit", methods=["GET", "POST"])
@login_required
def attendance(meeting_id: int) -> Any:
    meeting = _load_attendance(meeting_id)
    roster = meeting_attendance.roster(meeting)
    form = ButtonForm()
    guest_form = GuestForm(prefix="guest")
    errors: list[str] = []
    if request.method == "POST" and "guest-submit" in request.form:
        if guest_form.validate_on_submit():
            try:
                meeting_attendance.add_guest(
                    current_user, meeting, guest_form.name.data or "", guest_form.organisation.data
                )
            except access.MeetingError as exc:
                show_error(guest_form, exc)
            else:
                flash(_("The guest was added."), "success")
                return redirect(url_for("meetings.attendance", meeting_id=meeting_id))
    elif request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        statuses, errors = _attendance_statuses(roster)
        if not errors:
            try:
                meeting_attendance.set_attendance(current_user, meeting, statuses)
            except access.MeetingError as exc:
                flash(str(exc), "error")
            else:
                flash(_("The attendance was saved."), "success")
                return redirect(url_for("meetings.attendance", meeting_id=meeting_id))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "meetings/attendance.html",
            meeting=meeting,
            roster=roster,
            form=form,
            guest_form=guest_form,
            guests=meeting_attendance.guests(meeting),
            errors=set(errors),
            statuses=list(AttendanceStatus),
            quorum=meeting_attendance.quorum(meeting),
            posted=request.form if request.method == "POST" else {},
        ),
        status,
    )


@bp.route(
    "/sitzungen/<int:meeting_id>/anwesenheit/<int:membership_id>/<any(kommt, geht):action>",
    methods=["POST"],
)
@login_required
def arrival(meeting_id: int, membership_id: int, action: str) -> Response:
    meeting = _load_attendance(meeting_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        meeting_attendance.arrive_or_leave(current_user, meeting, membership_id, action == "kommt")
    except access.MeetingError as exc:
        flash(str(exc), "error")
    return redirect(url_for("meetings.attendance", meeting_id=meeting_id))


# --- members and the public ---------------------------------------------------------------


@bp.route("/sitzungen/meine")
@login_required
def my_meetings() -> str:
    mine = agenda.my_meetings(current_user)
    return render_template("meetings/my_meetings.html", mine=mine)


@bp.route("/sitzungen/oeffentlich/")
@public
def public_meetings() -> str:
    return render_template(
        "meetings/public_meetings.html",
        meetings=access.public_meetings(),
    )


@bp.route("/sitzungen/oeffentlich/<int:meeting_id>")
@public
def public_meeting(meeting_id: int) -> str:
    meeting = access.get_meeting(meeting_id)
    if meeting is None or not access.may_view_public(meeting):
        abort(404)
    return render_template(
        "meetings/public_meeting.html",
        meeting=meeting,
        lines=agenda.agenda(meeting, public_only=True),
        state_title=access.state_title(meeting),
        flags=access.meeting_flags(meeting),
    )


# --- places ---------------------------------------------------------------------------------


def _location_fields(form: LocationForm) -> dict[str, str]:
    return {
        "name": form.name.data or "",
        "address": form.address.data or "",
        "room": form.room.data or "",
    }


@bp.route("/verwaltung/orte/", methods=["GET", "POST"])
@staff_required
def locations() -> Any:
    form = LocationForm()
    if form.validate_on_submit():
        try:
            places.create_location(
                current_user,
                **_location_fields(form),
            )
        except access.MeetingError as exc:
            show_error(form, exc)
        else:
            flash(_("The place was added."), "success")
            return redirect(url_for("meetings.locations"))
    status = 422 if request.method == "POST" else 200
    return (
        render_template("meetings/locations.html", form=form, locations=places.locations(True)),
        status,
    )


@bp.route("/verwaltung/orte/<int:location_id>/bearbeiten", methods=["GET", "POST"])
@staff_required
def location_edit(location_id: int) -> Any:
    location = places.get_location(location_id)
    if location is None:
        abort(404)
    form = LocationEditForm(obj=location) if request.method == "GET" else LocationEditForm()
    if not places.invited_meetings_at(location.id):
        del form.send_updates
    if form.validate_on_submit():
        fields = _location_fields(form)
        try:
            update = places.update_location(
                current_user,
                location.id,
                name=fields["name"],
                address=fields["address"],
                room=fields["room"],
                send_updates="send_updates" in form and bool(form.send_updates.data),
            )
        except access.MeetingError as exc:
            show_error(form, exc)
        else:
            if update.meetings:
                flash(
                    _(
                        "The place was saved; updated invitations for %(meetings)d meetings "
                        "(%(count)d mails) are in the outbox.",
                        meetings=update.meetings,
                        count=update.invitations,
                    ),
                    "success",
                )
            else:
                flash(_("The place was saved."), "success")
            return redirect(url_for("meetings.locations"))
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "meetings/location_form.html",
            form=form,
            location=location,
            meetings=places.upcoming_meetings_at(location.id),
        ),
        status,
    )
