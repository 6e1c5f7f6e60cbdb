"""Invitations: the notice period, the invitation mails with their calendar
file and their rounds, the cancellation, and the meeting's steps (the status
buttons), with the guard and effects the meeting workflows name
(``notice_period_kept``; ``send_invitations``, ``send_cancellation``).

Sending the invitations is the step into an ``invited`` state, with the
agenda frozen and the mails queued in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.memberships import current_members
from ..governance.models import Person
from ..timeutil import format_local, to_local
from ..workflow import registry
from ..workflow import services as workflow
from ..workflow.definition import Transition
from .access import (
    MeetingError,
    has_flag,
    is_over,
    is_planned,
    lock_meeting,
    may_manage,
    state_title,
)
from .agenda import AgendaLine, agenda, flatten
from .models import Meeting

# What an invitation shows of the meeting (besides the agenda), in its order.
INVITATION_FIELDS = ("title", "starts_at", "ends_at", "location_id", "online_link")


def _changed_labels(fields: Sequence[str]) -> list[str]:
    """The labels of changed fields (INVITATION_FIELDS), once each, for the mail."""
    labels = {
        "title": _("Title"),
        "starts_at": _("Time"),
        "ends_at": _("Time"),
        "location_id": _("Place"),
        "online_link": _("Online link"),
    }
    return list(dict.fromkeys(labels[name] for name in fields))


# --- invitations ------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeCheck:
    notice_days: int
    days_left: int

    @property
    def short(self) -> bool:
        return self.days_left < self.notice_days


def notice_check(meeting: Meeting, now: datetime | None = None) -> NoticeCheck:
    """Whole days between today and the meeting day (Berlin) against the notice period."""
    now = now or utcnow()
    days = (to_local(meeting.starts_at).date() - to_local(now).date()).days
    return NoticeCheck(meeting.body.notice_days, days)


def invitees(meeting: Meeting) -> list[Person]:
    """Every current member (any role) of the body, once per person, with an e-mail."""
    seen: dict[int, Person] = {}
    for membership in current_members(meeting.body_id, to_local(meeting.starts_at).date()):
        if membership.person.active and membership.person.email:
            seen.setdefault(membership.person_id, membership.person)
    return sorted(seen.values(), key=lambda p: (p.last_name, p.first_name))


def invitation_reason(meeting_id: int, round_: int) -> str:
    base = f"meeting:{meeting_id}:invitation"
    return base if round_ <= 1 else f"{base}:{round_}"


def invitation_subject(meeting: Meeting, again: bool) -> str:
    """ "Einladung: …" or, for a later round, "Geänderte Einladung: …" (one
    prefix, never both)."""
    values = {"title": meeting.display_title, "when": format_local(meeting.starts_at)}
    if again:
        return _("Updated invitation: %(title)s on %(when)s", **values)
    return _("Invitation: %(title)s on %(when)s", **values)


def _link_or_none(endpoint: str, **values: Any) -> str | None:
    """The absolute link of a route, or None where the route does not exist
    (the Sitzungsmappe's belongs to the minutes package, above this one)."""
    from werkzeug.routing import BuildError

    from ..mail.links import absolute_url

    try:
        return absolute_url(endpoint, **values)
    except BuildError:
        return None


def _invitation_text(
    meeting: Meeting, lines: list[AgendaLine], again: bool, changed: list[str] | None = None
) -> tuple[str, str]:
    from ..mail.links import absolute_url

    place = meeting.location.label if meeting.location else ""
    subject = invitation_subject(meeting, again)
    parts = [
        _(
            "You are invited to the meeting %(number)s of the %(body)s.",
            number=meeting.number,
            body=meeting.body.name,
        ),
        "",
        _("When: %(when)s (Berlin time)", when=format_local(meeting.starts_at)),
    ]
    if changed:
        what = ", ".join(_changed_labels(changed))
        parts[1:1] = ["", _("Changed since the last invitation: %(what)s.", what=what)]
    if place:
        parts.append(_("Where: %(place)s", place=place))
    if meeting.online_link:
        parts.append(_("Online: %(link)s", link=meeting.online_link))
    if meeting.short_notice_reason:
        parts += ["", _("Short notice: %(reason)s", reason=meeting.short_notice_reason)]
    parts += ["", _("Agenda:")]
    for line in flatten(lines):
        if line.item.withdrawn:
            continue
        marker = " " + _("(late item)") if line.item.late else ""
        indent = "    " if line.depth else "  "
        section = "" if line.item.public else " " + _("(non-public)")
        parts.append(f"{indent}{line.number}. {line.item.title}{section}{marker}")
        paper = line.item.paper
        if paper is not None:
            parts.append(
                indent
                + "   "
                + _(
                    "Paper %(number)s: %(link)s",
                    number=paper.number or paper.title,
                    link=absolute_url("papers.paper", paper_id=paper.id),
                )
            )
    parts += [
        "",
        _(
            "The meeting in Netzwerk: %(link)s",
            link=absolute_url("meetings.meeting", meeting_id=meeting.id),
        ),
    ]
    bundle = _link_or_none("minutes.documents.meeting_bundle", meeting_id=meeting.id)
    if bundle is not None:
        parts.append(_("All papers in one PDF (Sitzungsmappe): %(link)s", link=bundle))
    return subject, "\n".join(parts)


def _queue_invitations(
    meeting: Meeting, round_: int, now: datetime, changed: list[str] | None = None
) -> int:
    lines = agenda(meeting)
    subject, body = _invitation_text(meeting, lines, again=round_ > 1, changed=changed)
    return _mail_invitees(
        meeting, subject, body, invitation_reason(meeting.id, round_), lines, round_ - 1, now
    )


def _mail_invitees(
    meeting: Meeting,
    subject: str,
    body: str,
    reason: str,
    lines: list[AgendaLine],
    sequence: int,
    now: datetime,
    method: str = "REQUEST",
) -> int:
    """Queue the mail with its calendar part for every invitee (once per
    reason and person), the invitee named as its ATTENDEE; returns how many
    were queued."""
    from ..mail.services import Attachment, queue_mail
    from .ics import content_type, meeting_ics, office_organizer

    organizer = office_organizer()
    queued = 0
    for person in invitees(meeting):
        assert person.email is not None
        ics = meeting_ics(
            meeting,
            lines,
            sequence=sequence,
            now=now,
            method=method,
            organizer=organizer,
            attendee=(person.email, person.full_name),
        )
        attachment = Attachment("sitzung.ics", content_type(method), ics)
        if queue_mail(person.email, subject, body, reason=reason, attachments=[attachment]):
            queued += 1
    return queued


def invitation_steps(user: User, meeting: Meeting) -> list[Transition]:
    """The steps from the meeting's state into an ``invited`` state that the
    user's roles allow (the definition's ``by:``)."""
    roles = workflow.roles_of(user, meeting)
    return [
        t
        for t in workflow.transitions_to_flag(meeting, "invited")
        if workflow.role_allows(t, roles)
    ]


def _check_notice(
    meeting: Meeting, transition: Transition, reason: str | None, now: datetime
) -> None:
    """A clear message before the guard ``notice_period_kept`` refuses an
    invitation below the notice period without a reason."""
    if not transition.takes_comment or reason:
        return
    if "invited" not in workflow.definition_of(meeting).states[transition.to].flags:
        return
    if has_flag(meeting, "invited"):  # a later step (opening) takes its own comment
        return
    check = notice_check(meeting, now)
    if check.short:
        raise MeetingError(
            _(
                "The notice period of %(days)d days is not kept. Please give a reason.",
                days=check.notice_days,
            ),
            "reason",
        )


def _mail_count(meeting_id: int) -> int:
    """Mails queued so far for the meeting (invitations, updates, cancellation)."""
    from ..mail.models import OutboxMail

    return int(
        db.session.scalar(
            select(func.count())
            .select_from(OutboxMail)
            .where(OutboxMail.reason.like(f"meeting:{meeting_id}:%"))
        )
        or 0
    )


def send_invitations(
    user: User,
    meeting: Meeting,
    *,
    reason: str | None = None,
    again: bool = False,
    now: datetime | None = None,
) -> int:
    """Send the invitations.  The first time fires the step into an
    ``invited`` state, whose effects (sitzung.yaml: ``freeze_agenda``,
    ``send_invitations``) freeze the agenda and queue the mails.

    Below the body's notice period a reason is required (the guard
    ``notice_period_kept``).  ``again`` sends a new round to everyone
    (explicitly; a second click without it sends nothing).
    Returns how many mails were queued.
    """
    now = now or utcnow()
    if not may_manage(user, meeting.body_id):
        raise MeetingError(_("You cannot invite to this meeting."))
    reason = (reason or "").strip() or None
    if not again:
        if not is_planned(meeting):
            raise MeetingError(
                _("The invitations have been sent already. Use “Send again” for a new round.")
            )
        steps = invitation_steps(user, meeting)
        if not steps:
            raise MeetingError(
                _(
                    "The invitations cannot be sent while the meeting is “%(state)s”.",
                    state=state_title(meeting),
                )
            )
        _check_notice(meeting, steps[0], reason, now)
        before = _mail_count(meeting.id)
        try:
            workflow.fire(user, meeting, steps[0].name, comment=reason, now=now)
        except workflow.WorkflowError as exc:
            raise MeetingError(str(exc)) from None
        return _mail_count(meeting.id) - before

    if not has_flag(meeting, "invited") or is_over(meeting):
        raise MeetingError(_("Invitations can be sent again only after the first round."))
    with write_transaction():
        return new_invitation_round(lock_meeting(meeting.id), user.id, now, reason=reason)


def new_invitation_round(
    current: Meeting,
    actor_id: int | None,
    now: datetime,
    *,
    reason: str | None = None,
    changed: list[str] | None = None,
) -> int:
    """Queue the next round of invitations of a locked meeting (inside the
    caller's write transaction); returns how many mails were queued."""
    current.invitation_rounds = (current.invitation_rounds or 1) + 1
    current.invitations_sent_at = now
    db.session.flush()
    # Read again what the mail shows: a changed place id leaves a loaded
    # ``location`` as it was.
    db.session.expire(current)
    queued = _queue_invitations(current, current.invitation_rounds, now, changed=changed)
    data: dict[str, Any] = {"round": current.invitation_rounds, "mails": queued, "reason": reason}
    if changed:
        data["changed"] = changed
    record("meeting.invitations_sent", "meeting", current.id, actor_id=actor_id, data=data)
    return queued


def _send_cancellation(current: Meeting, actor_id: int | None, reason: str, now: datetime) -> int:
    """Tell every invitee that the invited meeting is cancelled, with the
    reason and a calendar cancellation of the invitation's entry (the next
    SEQUENCE, METHOD:CANCEL); returns how many mails were queued."""
    from ..mail.links import absolute_url

    current.invitation_rounds = (current.invitation_rounds or 1) + 1
    db.session.flush()
    when = format_local(current.starts_at)
    subject = _("Cancelled: %(title)s on %(when)s", title=current.display_title, when=when)
    body = "\n".join(
        [
            _(
                "The meeting %(number)s of the %(body)s on %(when)s (Berlin time) is cancelled.",
                number=current.number,
                body=current.body.name,
                when=when,
            ),
            "",
            _("Reason: %(reason)s", reason=reason),
            "",
            _("The entry in your calendar is removed with the attached file."),
            "",
            _(
                "The meeting in Netzwerk: %(link)s",
                link=absolute_url("meetings.meeting", meeting_id=current.id),
            ),
        ]
    )
    reason = f"meeting:{current.id}:cancellation"
    queued = _mail_invitees(
        current,
        subject,
        body,
        reason,
        agenda(current),
        current.invitation_rounds - 1,
        now,
        method="CANCEL",
    )
    record(
        "meeting.cancellation_sent",
        "meeting",
        current.id,
        actor_id=actor_id,
        data={"round": current.invitation_rounds, "mails": queued},
    )
    return queued


def fire_status(
    user: User,
    meeting: Meeting,
    transition: str,
    comment: str | None,
    version: int | None,
    *,
    now: datetime | None = None,
) -> int | None:
    """Fire one step of the meeting's workflow (a button of the meeting page).

    Who may fire it is the definition's ``by:`` (the engine checks it); what
    it does are the definition's effects.  Returns how many mails the step
    queued (invitations, the cancellation to the invitees), None for none."""
    now = now or utcnow()
    definition = workflow.definition_of(meeting)
    step = definition.transitions.get(transition)
    if step is not None and meeting.state in step.from_states:
        _check_notice(meeting, step, (comment or "").strip() or None, now)
    before = _mail_count(meeting.id)
    try:
        workflow.fire(user, meeting, transition, comment=comment, expected_version=version, now=now)
    except workflow.WorkflowError as exc:
        raise MeetingError(
            str(exc), "comment" if isinstance(exc, workflow.CommentRequired) else None
        ) from None
    return (_mail_count(meeting.id) - before) or None


def status_buttons(user: User, meeting: Meeting) -> list[workflow.AvailableTransition]:
    """Exactly the steps the user may take now (roles and guards of the definition)."""
    return workflow.available_transitions(user, meeting)


def fire_to_flag(
    users: User | Sequence[User],
    obj: Any,
    flag: str,
    *,
    comment: str | None = None,
    now: datetime | None = None,
) -> Any:
    """Take the steps that lead into a state with ``flag`` (usually one;
    more when the workflow has steps before, such as releasing the agenda or
    reviewing a paper), each as the first of ``users`` allowed to, never
    through a cancelled meeting; see :func:`workflow.fire_to_flag`."""
    try:
        return workflow.fire_to_flag(
            users, obj, flag, comment=comment, now=now, avoid=frozenset({"cancelled"} - {flag})
        )
    except workflow.WorkflowError as exc:
        raise MeetingError(str(exc)) from None


# --- what the meeting workflows name: guards and effects ------------------------------


def notice_period_kept(ctx: registry.TransitionContext) -> bool:
    """Guard: the meeting is far enough ahead for the body's notice period,
    or the step gives a reason (its comment) for the short notice."""
    return not notice_check(ctx.obj, ctx.now).short or bool((ctx.comment or "").strip())


def send_invitations_effect(ctx: registry.TransitionContext) -> None:
    """Effect: queue the invitation (mail and calendar entry) to every member;
    the step's comment is the reason for a short notice.  When invitations
    went out before, this is a new round."""
    meeting = ctx.obj
    actor_id = ctx.actor.id if ctx.actor is not None else None
    if meeting.invitations_sent_at is not None:
        new_invitation_round(meeting, actor_id, ctx.now, reason=ctx.comment)
        return
    check = notice_check(meeting, ctx.now)
    meeting.invitations_sent_at = ctx.now
    meeting.invitation_rounds = 1
    meeting.short_notice_reason = ctx.comment if check.short else None
    db.session.flush()
    queued = _queue_invitations(meeting, 1, ctx.now)
    record(
        "meeting.invitations_sent",
        "meeting",
        meeting.id,
        actor_id=actor_id,
        data={
            "round": 1,
            "mails": queued,
            "short_notice": check.short,
            "reason": ctx.comment,
            "agenda_frozen": meeting.agenda_frozen,
        },
    )


def send_cancellation(ctx: registry.TransitionContext) -> None:
    """Effect: when invitations went out, tell every invitee, with the step's
    comment as the reason and a calendar cancellation."""
    meeting = ctx.obj
    if meeting.invitations_sent_at is not None:
        actor_id = ctx.actor.id if ctx.actor is not None else None
        _send_cancellation(meeting, actor_id, (ctx.comment or "").strip(), ctx.now)
