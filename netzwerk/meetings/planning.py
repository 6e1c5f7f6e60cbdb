"""Planning a meeting: creating it with the next number of its body and
year, and editing its details (with the updated invitation once invited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.models import Body
from ..rules import without_bidi_controls
from ..timeutil import format_local, to_local
from ..workflow import registry
from ..workflow import services as workflow
from ..workflow.definition import Transition
from .access import SLOT, MeetingError, is_awaiting, is_over, may_manage
from .invitations import INVITATION_FIELDS, new_invitation_round
from .models import Location, Meeting

# --- creating and editing meetings ------------------------------------------------


def _check_times(starts_at: datetime, ends_at: datetime | None) -> None:
    if starts_at.tzinfo is None:
        raise MeetingError(_("Please give a valid date and time."), "date")
    if ends_at is not None and ends_at <= starts_at:
        raise MeetingError(_("The end must be after the start."), "end_time")
    if not 2000 <= to_local(starts_at).year <= 2100:
        raise MeetingError(_("Please give a valid date and time."), "date")


def _check_place(location_id: int | None, online_link: str | None) -> str | None:
    link = (online_link or "").strip() or None
    if link is not None and not link.lower().startswith(("https://", "http://")):
        raise MeetingError(_("The online link must start with https://."), "online_link")
    if location_id is not None:
        location = db.session.get(Location, location_id)
        if location is None or not location.active:
            raise MeetingError(_("Please choose a place."), "location_id")
    if location_id is None and link is None:
        raise MeetingError(_("Please choose a place or give an online link."), "location_id")
    return link


def create_meeting(
    user: User,
    *,
    body_id: int,
    starts_at: datetime,
    ends_at: datetime | None = None,
    location_id: int | None = None,
    online_link: str | None = None,
    public: bool = False,
    title: str | None = None,
) -> Meeting:
    """Create a planned meeting with the next number of its body and year."""
    body = db.session.get(Body, body_id)
    if body is None or not body.active or not may_manage(user, body_id):
        raise MeetingError(_("You cannot plan meetings of this body."), "body_id")
    _check_times(starts_at, ends_at)
    link = _check_place(location_id, online_link)
    definition = workflow.workflow_for(body_id, SLOT)
    year = to_local(starts_at).year
    for _attempt in range(5):
        try:
            with write_transaction():
                seq = (
                    db.session.scalar(
                        select(func.max(Meeting.seq)).where(
                            Meeting.body_id == body_id, Meeting.year == year
                        )
                    )
                    or 0
                ) + 1
                meeting = Meeting(
                    body_id=body_id,
                    year=year,
                    seq=seq,
                    title=without_bidi_controls(title or "").strip()[:300] or None,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    location_id=location_id,
                    online_link=link,
                    public=bool(public),
                    created_by_id=user.id,
                    workflow_name=definition.name,
                    workflow_hash=definition.hash,
                    state=definition.initial,
                )
                db.session.add(meeting)
                db.session.flush()
                workflow.start(meeting, definition, user)
        except IntegrityError:
            db.session.rollback()
            continue  # someone took the number first: take the next one
        return meeting
    raise MeetingError(_("The meeting could not be numbered; please try again."))


def update_meeting(
    user: User,
    meeting: Meeting,
    *,
    starts_at: datetime,
    ends_at: datetime | None,
    location_id: int | None,
    online_link: str | None,
    public: bool,
    title: str | None,
    send_update: bool = False,
    now: datetime | None = None,
) -> MeetingUpdate:
    """Save the meeting's details.  After the invitations went out (and
    before the meeting opens), ``send_update`` sends the changed invitation
    to every invitee in the same transaction – only when something the
    invitation shows changed (time, place, online link, title)."""
    now = now or utcnow()
    if not may_manage(user, meeting.body_id):
        raise MeetingError(_("You cannot change this meeting."))
    if is_over(meeting):
        raise MeetingError(_("A closed or cancelled meeting cannot be changed."))
    _check_times(starts_at, ends_at)
    link = _check_place(location_id, online_link)
    meeting_id, version = meeting.id, meeting.version
    with write_transaction():
        current = db.session.get(Meeting, meeting_id, with_for_update=True)
        if current is None or current.version != version:
            raise MeetingError(_("The meeting has changed in the meantime. Please reload."))
        changes = {}
        for name, value in (
            ("starts_at", starts_at),
            ("ends_at", ends_at),
            ("location_id", location_id),
            ("online_link", link),
            ("public", bool(public)),
            ("title", without_bidi_controls(title or "").strip()[:300] or None),
        ):
            if getattr(current, name) != value:
                changes[name] = str(value)
                setattr(current, name, value)
        invitations = None
        if changes:
            record(
                "meeting.updated",
                "meeting",
                meeting_id,
                actor_id=user.id,
                data={"changes": changes, "after_invitation": current.agenda_frozen},
            )
            shown = [name for name in INVITATION_FIELDS if name in changes]
            if send_update and is_awaiting(current) and shown:
                invitations = new_invitation_round(current, user.id, now, changed=shown)
    return MeetingUpdate(current, sorted(changes), invitations)


@dataclass(frozen=True)
class MeetingUpdate:
    meeting: Meeting
    changed: list[str]  # the meeting's changed fields
    invitations: int | None  # mails of the updated invitation; None: none sent


# --- opening: not long before the start, unless the office says why ------------------

DEFAULT_OPEN_EARLY_MINUTES = 60


def open_early_minutes() -> int:
    """How long before its start a meeting may be opened (config
    ``NETZWERK_MEETING_OPEN_EARLY``, minutes)."""
    from flask import current_app

    try:
        value = current_app.config.get("NETZWERK_MEETING_OPEN_EARLY")
    except RuntimeError:
        value = None
    return DEFAULT_OPEN_EARLY_MINUTES if value is None else int(value)


def opens_too_early(meeting: Meeting, now: datetime | None = None) -> bool:
    """Whether opening now would be more than the allowed time before the start."""
    now = now or utcnow()
    return now < meeting.starts_at - timedelta(minutes=open_early_minutes())


def _is_office(user: User | None, meeting: Meeting) -> bool:
    return user is not None and bool(workflow.roles_of(user, meeting) & {"office", "admin"})


def opening_time_plausible(ctx: registry.TransitionContext) -> bool:
    """Guard: the meeting is opened at most NETZWERK_MEETING_OPEN_EARLY
    minutes before its start, or the office gives a reason (the step's
    comment, audited with the transition)."""
    if not opens_too_early(ctx.obj, ctx.now):
        return True
    return bool((ctx.comment or "").strip()) and _is_office(ctx.actor, ctx.obj)


OPENING_REASON = _l(
    "It is too early to open the meeting: it can be opened at most "
    "the configured time before its start. The office can open it earlier with a reason."
)


def opening_steps(user: User, meeting: Meeting) -> list[Transition]:
    """The steps from the meeting's state into an ``in_session`` state that
    the user's roles allow (the definition's ``by:``)."""
    roles = workflow.roles_of(user, meeting)
    return [
        t
        for t in workflow.transitions_to_flag(meeting, "in_session")
        if workflow.role_allows(t, roles)
    ]


def open_meeting(
    user: User, meeting: Meeting, *, reason: str | None = None, now: datetime | None = None
) -> Meeting:
    """Open the meeting (the step into ``in_session`` the user may take).
    Too early, only the office can, and only with a reason, which the
    transition's audit event keeps."""
    now = now or utcnow()
    reason = without_bidi_controls(reason or "").strip() or None
    steps = opening_steps(user, meeting)
    if not steps:
        raise MeetingError(_("You cannot open this meeting now."))
    step = steps[0]
    if opens_too_early(meeting, now):
        earliest = format_local(meeting.starts_at - timedelta(minutes=open_early_minutes()))
        if not _is_office(user, meeting):
            raise MeetingError(
                _(
                    "The meeting can be opened from %(time)s. Only the office can open it "
                    "earlier, with a reason.",
                    time=earliest,
                )
            )
        if not reason:
            raise MeetingError(
                _(
                    "The meeting can be opened from %(time)s. To open it now, "
                    "please give a reason.",
                    time=earliest,
                ),
                "reason",
            )
        if not step.takes_comment:
            raise MeetingError(_("This meeting's workflow takes no reason for its opening."))
    try:
        return workflow.fire(  # type: ignore[no-any-return]
            user, meeting, step.name, comment=reason if step.takes_comment else None, now=now
        )
    except workflow.WorkflowError as exc:
        raise MeetingError(str(exc), "reason") from None
