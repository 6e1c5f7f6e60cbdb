"""Correction requests: members send corrections while the minutes circulate.

While the minutes are in a state whose flag is ``open_for_corrections``
(the circulation of ``workflows/protokoll.yaml``; the code asks the flag,
never a state's name), whoever may read the minutes in full – the members
of the body, the office – sends the office a correction request from the
minutes page: the agenda item it concerns (or none) and the text.  The
office and the minute-taker see every request of the version; a member sees
their own.  The office takes a request over or declines it with a short
answer, and the sender is told (the notification centre).  Each request and
each answer is an audited event.

Once the minutes are approved (a final state) no request is accepted and
none is taken over; an open one can still be declined, so no sender waits
for an answer forever.  A correction of approved minutes is a new version
(:func:`.services.start_correction`), not a request.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import visibility
from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..mail.links import path_for
from ..meetings.models import AgendaItem
from ..notifications.services import notify
from ..notifications.workflow_effects import office_person_ids
from ..workflow import services as workflow
from . import services
from .models import OPEN_FOR_CORRECTIONS, CorrectionRequest, CorrectionRequestStatus, Minutes
from .text import MAX_ANSWER, MAX_CORRECTION, clean

# --- who may do what ------------------------------------------------------------------


def open_for_corrections(minutes: Minutes) -> bool:
    """The minutes' state takes correction requests (its flag)."""
    return workflow.has_flag(minutes, OPEN_FOR_CORRECTIONS)


def may_request(user: Any, minutes: Minutes) -> bool:
    """Whoever may read the minutes in full and has a person (members of the
    body, staff); whether the state takes requests is asked separately."""
    return (
        getattr(user, "is_authenticated", False)
        and getattr(user, "person_id", None) is not None
        and visibility.may_see_minutes_in_full(user, minutes)
    )


def may_answer(user: Any, minutes: Minutes) -> bool:
    """The body's office and staff."""
    return services.may_manage(user, minutes)


def sees_all(user: Any, minutes: Minutes) -> bool:
    """The office and the minute-taker see every request of the version."""
    return services.may_edit(user, minutes)


def visible_requests(user: Any, minutes: Minutes) -> list[CorrectionRequest]:
    """The version's requests this user sees, oldest first: all of them for
    the office and the minute-taker, a member's own for the member."""
    if not getattr(user, "is_authenticated", False):
        return []
    stmt = (
        select(CorrectionRequest)
        .options(joinedload(CorrectionRequest.sender))
        .where(CorrectionRequest.minutes_id == minutes.id)
        .order_by(CorrectionRequest.created_at, CorrectionRequest.id)
    )
    if not sees_all(user, minutes):
        if user.person_id is None:
            return []
        stmt = stmt.where(CorrectionRequest.sender_person_id == user.person_id)
    return list(db.session.scalars(stmt))


# --- sending a request -------------------------------------------------------------------


def not_open_message(minutes: Minutes) -> str:
    if services.is_approved(minutes):
        return _("These minutes are approved; corrections can no longer be sent.")
    return _("These minutes are not in circulation now; corrections cannot be sent.")


def request_correction(
    user: User, minutes: Minutes, agenda_item_id: int | None, text: str
) -> CorrectionRequest:
    """A member's correction request to the office (one transaction).

    ``agenda_item_id`` is optional and must be an item of the minutes'
    meeting; the text is required and at most :data:`MAX_CORRECTION` characters.
    Refused unless the minutes' state carries ``open_for_corrections``.
    """
    if not may_request(user, minutes):
        raise services.MinutesError(_("You cannot send corrections to these minutes."))
    value = clean(text)
    if not value:
        raise services.MinutesError(_("Please write what should be corrected."), "text")
    if len(value) > MAX_CORRECTION:
        raise services.MinutesError(
            _("A correction may have at most %(n)d characters.", n=MAX_CORRECTION), "text"
        )
    if agenda_item_id is not None:
        meeting_id = db.session.scalar(
            select(AgendaItem.meeting_id).where(AgendaItem.id == agenda_item_id)
        )
        if meeting_id != minutes.meeting_id:
            raise services.MinutesError(
                _("Please choose an item of this meeting's agenda."), "agenda_item_id"
            )
    if not open_for_corrections(minutes):
        raise services.MinutesError(not_open_message(minutes))
    minutes_id = minutes.id
    with write_transaction():
        current = db.session.get(Minutes, minutes_id, with_for_update=True, populate_existing=True)
        assert current is not None
        if not open_for_corrections(current):  # moved on meanwhile
            raise services.MinutesError(not_open_message(current))
        now = utcnow()
        request = CorrectionRequest(
            minutes_id=minutes_id,
            agenda_item_id=agenda_item_id,
            sender_person_id=user.person_id,
            sender_user_id=user.id,
            text=value,
            status=CorrectionRequestStatus.OPEN,
            created_at=now,
        )
        db.session.add(request)
        db.session.flush()
        record(
            "minutes.correction_request_sent",
            "minutes",
            minutes_id,
            actor_id=user.id,
            comment=value,
            data={"request_id": request.id, "agenda_item_id": agenda_item_id},
        )
        recipients = office_person_ids(current.meeting.body_id)
        if current.minute_taker_person_id is not None:
            recipients.add(current.minute_taker_person_id)
        recipients.discard(user.person_id)
        notify(
            recipients,
            kind="minutes_correction_request",
            object_type="minutes",
            object_id=minutes_id,
            message=_(
                "Correction request for “%(title)s” from %(name)s.",
                title=current.title,
                name=request.sender.full_name if request.sender else "?",
            ),
            url=_url(current),
            dedup_key=f"minutes-correction:{request.id}:sent",
            now=now,
        )
    return request


# --- answering it ------------------------------------------------------------------------


ANSWERS = (CorrectionRequestStatus.ACCEPTED, CorrectionRequestStatus.DECLINED)


def get_request(request_id: int) -> CorrectionRequest | None:
    return db.session.get(CorrectionRequest, request_id)


def answer_request(
    user: User, minutes: Minutes, request_id: int, status: str, answer: str | None
) -> CorrectionRequest:
    """The office takes a request over (``accepted``) or declines it with a
    short answer; the sender is told (one transaction).

    Taking over needs minutes that are not approved yet; declining works in
    every state, so an open request never stays without an answer.
    """
    if not may_answer(user, minutes):
        raise services.MinutesError(_("You cannot answer correction requests."))
    if status not in ANSWERS:
        raise services.MinutesError(_("Please choose an answer."), "status")
    value = clean(answer)
    if len(value) > MAX_ANSWER:
        raise services.MinutesError(
            _("An answer may have at most %(n)d characters.", n=MAX_ANSWER), "answer"
        )
    if status == CorrectionRequestStatus.DECLINED and not value:
        raise services.MinutesError(_("Please say briefly why it is declined."), "answer")
    minutes_id = minutes.id
    with write_transaction():
        current = db.session.get(Minutes, minutes_id, with_for_update=True, populate_existing=True)
        assert current is not None
        request = db.session.get(
            CorrectionRequest, request_id, with_for_update=True, populate_existing=True
        )
        if request is None or request.minutes_id != minutes_id:
            raise services.MinutesError(_("This correction request does not exist."))
        if not request.is_open:
            raise services.MinutesError(_("This correction request has been answered already."))
        if status == CorrectionRequestStatus.ACCEPTED and services.is_approved(current):
            raise services.MinutesError(
                _(
                    "These minutes are approved; a correction can no longer be taken over. "
                    "Decline the request or start a correction (new version)."
                ),
                "status",
            )
        now = utcnow()
        request.status = status
        request.answer = value or None
        request.answered_at = now
        request.answered_by_id = user.id
        db.session.flush()
        record(
            "minutes.correction_request_answered",
            "minutes",
            minutes_id,
            actor_id=user.id,
            comment=value or None,
            data={"request_id": request.id, "status": status},
        )
        title = current.title
        if status == CorrectionRequestStatus.ACCEPTED:
            message = _("Your correction to “%(title)s” was taken over.", title=title)
            if value:
                message += " " + _("Answer: %(answer)s", answer=value)
        else:
            message = _(
                "Your correction to “%(title)s” was declined: %(answer)s",
                title=title,
                answer=value,
            )
        if request.sender_person_id != user.person_id:
            notify(
                [request.sender_person_id],
                kind="minutes_correction_answered",
                object_type="minutes",
                object_id=minutes_id,
                message=message,
                url=_url(current),
                dedup_key=f"minutes-correction:{request.id}:answered",
                now=now,
            )
    return request


def _url(minutes: Minutes) -> str:
    return path_for("minutes.minutes_page", meeting_id=minutes.meeting_id)
