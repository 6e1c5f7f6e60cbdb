"""Meetings: the meeting's state by its flags, who manages and sees a
meeting, and the lists of meetings (visible, upcoming, public).

The meeting's status runs through the workflow the body chose for the slot
"meeting" (by default workflows/sitzung.yaml).  The code never names a state
or a transition: it asks the state's flags (``invited``, ``in_session``,
``closed``, ``cancelled``; "planned" is none of them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from .. import visibility
from ..database import utcnow
from ..extensions import db
from ..governance.memberships import body_roles_of, current_filter
from ..governance.models import Body, Membership
from ..rules import RuleError
from ..timeutil import local_today
from ..workflow import services as workflow
from .models import MEETING_FLAGS, Meeting

SLOT = "meeting"


class MeetingError(RuleError):
    """A meeting rule was broken."""


# --- the meeting's state, by its flags -----------------------------------------------
#
# Every meeting workflow sets the flags of models.MEETING_FLAGS: ``invited``
# (the invitations are out, the agenda frozen), ``in_session``, ``closed`` and
# ``cancelled``.  A meeting whose state carries none of them is "planned"
# (a workflow may have several such states, e.g. one for releasing the agenda).


def meeting_flags(meeting: Meeting) -> frozenset[str]:
    """The flags of the meeting's state, plus "planned" when it has none of
    MEETING_FLAGS (for templates: ``"invited" in meeting_flags(meeting)``)."""
    state = workflow.definition_of(meeting).states.get(meeting.state)
    flags = state.flags if state is not None else frozenset()
    if not flags & MEETING_FLAGS:
        flags = flags | {"planned"}
    return frozenset(flags)


def has_flag(meeting: Meeting, flag: str) -> bool:
    return flag in meeting_flags(meeting)


def is_planned(meeting: Meeting) -> bool:
    return has_flag(meeting, "planned")


def is_awaiting(meeting: Meeting) -> bool:
    """Invited, not yet opened (nor closed or cancelled)."""
    flags = meeting_flags(meeting)
    return "invited" in flags and not flags & {"in_session", "closed", "cancelled"}


def is_over(meeting: Meeting) -> bool:
    """Closed or cancelled: nothing of it changes any more."""
    return bool(meeting_flags(meeting) & {"closed", "cancelled"})


def _states(*flags: str) -> set[str]:
    found: set[str] = set()
    for flag in flags:
        found |= set(workflow.states_with_flag(SLOT, flag))
    return found


def states_with(*flags: str) -> list[str]:
    """Every meeting state carrying one of ``flags`` (for SQL ``in_``)."""
    return sorted(_states(*flags))


def not_planned_condition() -> Any:
    """SQL: the meeting has left the planning (invited, held or cancelled)."""
    return Meeting.state.in_(states_with(*sorted(MEETING_FLAGS)))


def planned_condition() -> Any:
    return Meeting.state.not_in(states_with(*sorted(MEETING_FLAGS)))


def awaiting_condition() -> Any:
    """SQL: invited and not yet opened (nor closed or cancelled)."""
    return Meeting.state.in_(
        sorted(_states("invited") - _states("in_session", "closed", "cancelled"))
    )


def in_session_condition() -> Any:
    return Meeting.state.in_(states_with("in_session"))


def not_over_condition() -> Any:
    return Meeting.state.not_in(states_with("closed", "cancelled"))


def state_title(meeting: Meeting) -> str:
    """The title of the meeting's state in the definition it runs in."""
    return workflow.definition_of(meeting).state_title(meeting.state)


# --- access -------------------------------------------------------------------


def my_body_ids(user: Any) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            select(Membership.body_id).where(
                Membership.person_id == user.person_id, current_filter()
            )
        )
    )


def managed_body_ids(user: Any) -> set[int] | None:
    """None = every body (staff); else the bodies where the user holds the office role."""
    if user.is_staff:
        return None
    return set(
        db.session.scalars(
            select(Membership.body_id).where(
                Membership.person_id == user.person_id,
                Membership.role == "office",
                current_filter(),
            )
        )
    )


def may_manage(user: Any, body_id: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or "office" in body_roles_of(user.person_id, body_id))


def manageable_bodies(user: Any) -> Sequence[Body]:
    stmt = select(Body).where(Body.active).order_by(Body.name)
    ids = managed_body_ids(user)
    if ids is not None:
        stmt = stmt.where(Body.id.in_(ids))
    return db.session.scalars(stmt).all()


def may_view(user: Any, meeting: Meeting) -> bool:
    """The whole meeting (non-public part, attendance, planned meetings):
    staff and every current member (any role) of the body -- the visibility
    policy's rule."""
    return visibility.may_see_meeting_in_full(user, meeting)


def may_record_attendance(user: Any, meeting: Meeting) -> bool:
    """Who manages the meeting; while it is in session also its chair."""
    if may_manage(user, meeting.body_id):
        return True
    if not getattr(user, "is_authenticated", False) or not has_flag(meeting, "in_session"):
        return False
    return "chair" in body_roles_of(user.person_id, meeting.body_id)


def may_view_public(meeting: Meeting) -> bool:
    """The public page: a public meeting of a public body, once invited
    (the visibility policy's rule, as in OParl and the calendar feeds)."""
    return visibility.is_public_meeting(meeting)


# --- reading ------------------------------------------------------------------


def get_meeting(meeting_id: int) -> Meeting | None:
    return db.session.scalar(
        select(Meeting)
        .options(joinedload(Meeting.body), joinedload(Meeting.location))
        .where(Meeting.id == meeting_id)
    )


def list_query() -> Any:
    return select(Meeting).options(joinedload(Meeting.body), joinedload(Meeting.location))


def visible_meetings(user: Any, limit: int = 300) -> list[Meeting]:
    stmt = (
        list_query()
        .where(visibility.meeting_in_full_filter(user))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    )
    return list(db.session.scalars(stmt.limit(limit)))


def _upcoming_statement() -> Any:
    my_bodies = select(Membership.body_id).where(
        Membership.person_id == bindparam("person_id"), current_filter(bindparam("today"))
    )
    return (
        list_query()
        .where(Meeting.body_id.in_(my_bodies.scalar_subquery()))
        .where(Meeting.starts_at >= bindparam("since"))
        .where(Meeting.state.in_(bindparam("states", expanding=True)))
        .order_by(Meeting.starts_at)
        .limit(bindparam("limit"))
    )


# Built once: a reused statement keeps SQLAlchemy's cache key memoised.
_UPCOMING = _upcoming_statement()


# A meeting that began up to this long ago still counts as upcoming.
_UPCOMING_GRACE = timedelta(hours=12)


def upcoming_meetings(user: Any, limit: int, now: datetime | None = None) -> list[Meeting]:
    """The next meetings of my bodies that I am invited to (start page)."""
    params = {
        "person_id": user.person_id,
        "today": local_today(),
        "since": (now or utcnow()) - _UPCOMING_GRACE,
        "limit": limit,
        # invited, not (yet) closed or cancelled
        "states": sorted(_states("invited") - _states("closed", "cancelled")),
    }
    return list(db.session.scalars(_UPCOMING, params))


def public_meetings(limit: int = 200) -> list[Meeting]:
    return list(
        db.session.scalars(
            list_query()
            .where(visibility.meeting_filter(visibility.ANONYMOUS))
            .order_by(Meeting.starts_at.desc())
            .limit(limit)
        )
    )


def lock_meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id, with_for_update=True, populate_existing=True)
    if meeting is None:
        raise MeetingError(_("This meeting does not exist."))
    return meeting
