"""Meetings: who manages and sees them, numbering, agenda, invitations,
attendance and the live quorum.

Every write is one ``write_transaction()``; the meeting's status runs through
the workflow the body chose for the slot "meeting" (by default
workflows/sitzung.yaml).  The code never names a state or a transition: it
asks the state's flags (``invited``, ``in_session``, ``closed``,
``cancelled``; "planned" is none of them), and what a step does is named in
the definition as effects registered here (:func:`register_workflow_providers`):
sending the invitations is the step into an ``invited`` state, with the
agenda frozen and the mails queued in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, value_taken, write_transaction
from ..extensions import db
from ..governance.models import Body, Membership, Person
from ..governance.services import body_roles_of, current_filter, current_members
from ..rules import RuleError, checked_text
from ..timeutil import format_local, local_today, to_local
from ..workflow import registry
from ..workflow import services as workflow
from ..workflow.definition import Transition
from .models import (
    MEETING_FLAGS,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Consultation,
    ConsultationRole,
    Location,
    Meeting,
    MeetingGuest,
    Paper,
)

SLOT = "meeting"
READY_FLAGS = frozenset({"ready_for_agenda", "open_for_voting"})
MAX_ITEMS = 200


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
    """Staff and every current member (any role) of the body."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or meeting.body_id in my_body_ids(user))


def may_record_attendance(user: Any, meeting: Meeting) -> bool:
    """Who manages the meeting; while it is in session also its chair."""
    if may_manage(user, meeting.body_id):
        return True
    if not getattr(user, "is_authenticated", False) or not has_flag(meeting, "in_session"):
        return False
    return "chair" in body_roles_of(user.person_id, meeting.body_id)


def may_view_public(meeting: Meeting) -> bool:
    return bool(meeting.public and not is_planned(meeting))


# --- reading ------------------------------------------------------------------


def get_meeting(meeting_id: int) -> Meeting | None:
    return db.session.scalar(
        select(Meeting)
        .options(joinedload(Meeting.body), joinedload(Meeting.location))
        .where(Meeting.id == meeting_id)
    )


def _list_query() -> Any:
    return select(Meeting).options(joinedload(Meeting.body), joinedload(Meeting.location))


def visible_meetings(user: Any, limit: int = 300) -> list[Meeting]:
    stmt = _list_query().order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    if not user.is_staff:
        stmt = stmt.where(Meeting.body_id.in_(my_body_ids(user) or {-1}))
    return list(db.session.scalars(stmt.limit(limit)))


@dataclass
class MyMeetings:
    upcoming: list[Meeting]
    past: list[Meeting]
    items: dict[int, list[AgendaLine]]


def _upcoming_statement() -> Any:
    my_bodies = select(Membership.body_id).where(
        Membership.person_id == bindparam("person_id"), current_filter(bindparam("today"))
    )
    return (
        _list_query()
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


def my_meetings(user: Any, now: datetime | None = None) -> MyMeetings:
    """Upcoming meetings of my bodies with their agenda; past ones below."""
    now = now or utcnow()
    ids = my_body_ids(user) or {-1}
    base = _list_query().where(Meeting.body_id.in_(ids), not_planned_condition())
    upcoming = upcoming_meetings(user, 50, now)
    upcoming_ids = {m.id for m in upcoming}
    past = [
        m
        for m in db.session.scalars(
            base.order_by(Meeting.starts_at.desc()).limit(50 + len(upcoming_ids))
        )
        if m.id not in upcoming_ids
    ][:50]
    return MyMeetings(upcoming, past, agenda_lines_for([m.id for m in upcoming]))


def public_meetings(limit: int = 200) -> list[Meeting]:
    return list(
        db.session.scalars(
            _list_query()
            .where(Meeting.public, not_planned_condition())
            .order_by(Meeting.starts_at.desc())
            .limit(limit)
        )
    )


# --- locations ----------------------------------------------------------------


def locations(include_inactive: bool = False) -> Sequence[Location]:
    stmt = select(Location).order_by(Location.name)
    if not include_inactive:
        stmt = stmt.where(Location.active)
    return db.session.scalars(stmt).all()


def get_location(location_id: int) -> Location | None:
    return db.session.get(Location, location_id)


def _location_values(
    name: str | None, address: str | None, room: str | None, *, exclude_id: int | None = None
) -> dict[str, str | None]:
    """The rules for a place, the same for adding and editing: a name not yet
    taken by another place (ignoring case), room and address optional, each
    within its column and without NUL bytes.  Run inside the write
    transaction; the unique constraint on the name is the last word."""
    values: dict[str, str | None] = {}
    for field_name, value, max_length in (
        ("name", name, 200),
        ("room", room, 100),
        ("address", address, 300),
    ):
        text = checked_text(value, field_name, max_length, error=MeetingError)
        values[field_name] = text or None
    if values["name"] is None:
        raise MeetingError(_("Please enter a name."), "name")
    if value_taken(Location.name, values["name"], exclude_id):
        raise MeetingError(_("A place with this name exists already."), "name")
    return values


def create_location(user: User, *, name: str, address: str, room: str) -> Location:
    try:
        with write_transaction():
            location = Location(**_location_values(name, address, room))
            db.session.add(location)
            db.session.flush()
            record("meeting.location_created", "meeting_location", location.id, actor_id=user.id)
    except IntegrityError:
        raise MeetingError(_("A place with this name exists already."), "name") from None
    return location


def update_location(
    user: User,
    location_id: int,
    *,
    name: str,
    address: str,
    room: str,
    send_updates: bool = False,
    now: datetime | None = None,
) -> LocationUpdate:
    """Change a place's name, room and address (staff).  Meetings reference
    the place, so every meeting that uses it shows the new data at once.

    ``send_updates`` sends, in the same transaction, the changed invitation
    for every upcoming meeting at the place whose invitations went out and
    that has not opened yet – only when something changed."""
    now = now or utcnow()
    if not getattr(user, "is_staff", False):
        raise MeetingError(_("You cannot change meeting places."))
    try:
        with write_transaction():
            location = db.session.get(
                Location, location_id, with_for_update=True, populate_existing=True
            )
            if location is None:
                raise MeetingError(_("This place does not exist."))
            values = _location_values(name, address, room, exclude_id=location.id)
            changes = {}
            for key, value in values.items():
                if getattr(location, key) != value:
                    changes[key] = {"from": getattr(location, key), "to": value}
                    setattr(location, key, value)
            meetings = mails = 0
            if changes:
                db.session.flush()
                record(
                    "meeting.location_updated",
                    "meeting_location",
                    location.id,
                    actor_id=user.id,
                    data={"changes": changes},
                )
                if send_updates:
                    for meeting in invited_meetings_at(location.id, now):
                        current = _lock_meeting(meeting.id)
                        mails += _new_invitation_round(
                            current, user.id, now, changed=["location_id"]
                        )
                        meetings += 1
    except IntegrityError:
        raise MeetingError(_("A place with this name exists already."), "name") from None
    return LocationUpdate(location, bool(changes), meetings, mails)


@dataclass(frozen=True)
class LocationUpdate:
    location: Location
    changed: bool
    meetings: int  # meetings whose updated invitation was sent
    invitations: int  # mails queued for them


def invited_meetings_at(location_id: int, now: datetime | None = None) -> Sequence[Meeting]:
    """Upcoming meetings at the place whose invitations went out and that
    have not opened: those an updated invitation can go to."""
    return db.session.scalars(
        select(Meeting)
        .where(
            Meeting.location_id == location_id,
            Meeting.starts_at >= (now or utcnow()),
            awaiting_condition(),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    ).all()


def upcoming_meetings_at(location_id: int, limit: int = 50) -> Sequence[Meeting]:
    """The meetings still to come (not cancelled) that use the place, soonest first."""
    return (
        db.session.scalars(
            select(Meeting)
            .options(joinedload(Meeting.body))
            .where(
                Meeting.location_id == location_id,
                Meeting.starts_at >= utcnow(),
                not_over_condition(),
            )
            .order_by(Meeting.starts_at)
            .limit(limit)
        )
        .unique()
        .all()
    )


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
                    title=(title or "").strip()[:300] or None,
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
            ("title", (title or "").strip()[:300] or None),
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
                invitations = _new_invitation_round(current, user.id, now, changed=shown)
    return MeetingUpdate(current, sorted(changes), invitations)


@dataclass(frozen=True)
class MeetingUpdate:
    meeting: Meeting
    changed: list[str]  # the meeting's changed fields
    invitations: int | None  # mails of the updated invitation; None: none sent


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


# --- the agenda ---------------------------------------------------------------------


@dataclass
class AgendaLine:
    item: AgendaItem
    number: str
    depth: int
    children: list[AgendaLine] = field(default_factory=list)


def _ordered(items: list[AgendaItem]) -> list[AgendaLine]:
    """Number the items: public part first, then the non-public part; 1, 1.1, ..."""
    top = sorted(
        (i for i in items if i.parent_id is None), key=lambda i: (not i.public, i.position, i.id)
    )
    by_parent: dict[int, list[AgendaItem]] = {}
    for item in items:
        if item.parent_id is not None:
            by_parent.setdefault(item.parent_id, []).append(item)
    lines = []
    number = 0
    for item in top:
        if not item.withdrawn:
            number += 1
        line = AgendaLine(item, str(number) if not item.withdrawn else "–", 0)
        sub = 0
        for child in sorted(by_parent.get(item.id, []), key=lambda i: (i.position, i.id)):
            if not child.withdrawn:
                sub += 1
            line.children.append(
                AgendaLine(
                    child,
                    f"{line.number}.{sub}" if not child.withdrawn and not item.withdrawn else "–",
                    1,
                )
            )
        lines.append(line)
    return lines


def flatten(lines: list[AgendaLine]) -> list[AgendaLine]:
    result = []
    for line in lines:
        result.append(line)
        result.extend(line.children)
    return result


def _items_query(meeting_ids: list[int]) -> Any:
    return (
        select(AgendaItem)
        .options(joinedload(AgendaItem.paper))
        .where(AgendaItem.meeting_id.in_(meeting_ids))
    )


def agenda(meeting: Meeting, *, public_only: bool = False) -> list[AgendaLine]:
    items = list(db.session.scalars(_items_query([meeting.id])))
    lines = _ordered(items)
    if public_only:
        lines = [line for line in lines if line.item.public]
        for line in lines:
            line.children = [c for c in line.children if c.item.public]
    return lines


def agenda_lines_for(meeting_ids: list[int]) -> dict[int, list[AgendaLine]]:
    if not meeting_ids:
        return {}
    grouped: dict[int, list[AgendaItem]] = {mid: [] for mid in meeting_ids}
    for item in db.session.scalars(_items_query(meeting_ids)):
        grouped[item.meeting_id].append(item)
    return {mid: _ordered(items) for mid, items in grouped.items()}


def _lock_meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id, with_for_update=True, populate_existing=True)
    if meeting is None:
        raise MeetingError(_("This meeting does not exist."))
    return meeting


def _check_agenda_open(user: User | None, meeting: Meeting) -> None:
    if user is not None and not may_manage(user, meeting.body_id):
        raise MeetingError(_("You cannot change the agenda of this meeting."))
    if is_over(meeting):
        raise MeetingError(_("The agenda of a closed or cancelled meeting cannot be changed."))


def _next_position(meeting_id: int, parent_id: int | None) -> int:
    parent_cond = (
        AgendaItem.parent_id.is_(None) if parent_id is None else AgendaItem.parent_id == parent_id
    )
    current = db.session.scalar(
        select(func.max(AgendaItem.position)).where(
            AgendaItem.meeting_id == meeting_id, parent_cond
        )
    )
    return (current if current is not None else -1) + 1


def _parent(meeting: Meeting, parent_id: int | None) -> AgendaItem | None:
    if parent_id is None:
        return None
    parent = db.session.get(AgendaItem, parent_id)
    if parent is None or parent.meeting_id != meeting.id or parent.parent_id is not None:
        raise MeetingError(_("Please choose a main item."), "parent_id")
    if parent.withdrawn:
        raise MeetingError(_("Please choose a main item."), "parent_id")
    return parent


def _count_items(meeting_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count()).select_from(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
        )
        or 0
    )


def _insert_item(
    meeting: Meeting,
    *,
    title: str,
    text: str | None,
    public: bool,
    paper: Paper | None,
    parent_id: int | None,
    actor: User | None,
) -> AgendaItem:
    """Add an item inside the caller's transaction (meeting row locked)."""
    if _count_items(meeting.id) >= MAX_ITEMS:
        raise MeetingError(_("The agenda is full."))
    parent = _parent(meeting, parent_id)
    if parent is not None and not parent.public:
        public = False  # a sub-item of the non-public part stays non-public
    late = meeting.agenda_frozen
    item = AgendaItem(
        meeting_id=meeting.id,
        parent_id=parent.id if parent else None,
        position=_next_position(meeting.id, parent.id if parent else None),
        title=title[:300],
        text=text,
        paper_id=paper.id if paper else None,
        public=bool(public),
        late=late,
    )
    db.session.add(item)
    db.session.flush()
    if paper is not None:
        _consult(paper, meeting)
    record(
        "agenda.item_added",
        "meeting",
        meeting.id,
        actor_id=actor.id if actor else None,
        data={
            "item_id": item.id,
            "title": item.title,
            "paper_id": item.paper_id,
            "late": late,
            "after_invitation": late,
        },
    )
    return item


def _consult(paper: Paper, meeting: Meeting) -> None:
    role = (
        ConsultationRole.DECIDING.value
        if paper.body_id == meeting.body_id
        else ConsultationRole.PRELIMINARY.value
    )
    existing = db.session.scalar(
        select(Consultation).where(
            Consultation.paper_id == paper.id,
            Consultation.body_id == meeting.body_id,
            Consultation.role == role,
        )
    )
    if existing is None:
        db.session.add(
            Consultation(
                paper_id=paper.id, body_id=meeting.body_id, role=role, meeting_id=meeting.id
            )
        )
    elif existing.result is None:
        existing.meeting_id = meeting.id
    db.session.flush()


def is_ready(paper: Paper) -> bool:
    """The paper's state is flagged as ready for an agenda (and not final)."""
    state = workflow.definition_of(paper).states.get(paper.state)
    return bool(state and not state.final and READY_FLAGS & state.flags)


def ready_papers(meeting: Meeting) -> list[Paper]:
    """Papers of the body (or consulted by it) that are ready and not on this agenda."""
    on_agenda = select(AgendaItem.paper_id).where(
        AgendaItem.meeting_id == meeting.id,
        AgendaItem.paper_id.is_not(None),
        AgendaItem.withdrawn.is_(False),
    )
    consulted = select(Consultation.paper_id).where(
        Consultation.body_id == meeting.body_id, Consultation.result.is_(None)
    )
    papers = db.session.scalars(
        select(Paper)
        .where(
            or_(Paper.body_id == meeting.body_id, Paper.id.in_(consulted)),
            Paper.id.not_in(on_agenda),
        )
        .order_by(Paper.number, Paper.id)
        .limit(300)
    ).all()
    return [p for p in papers if is_ready(p)]


def add_paper_item(
    user: User,
    meeting: Meeting,
    paper_id: int,
    *,
    public: bool | None = None,
    parent_id: int | None = None,
    require_ready: bool = True,
) -> AgendaItem:
    meeting_id = meeting.id
    with write_transaction():
        meeting = _lock_meeting(meeting_id)
        _check_agenda_open(user, meeting)
        paper = db.session.get(Paper, paper_id)
        if paper is None:
            raise MeetingError(_("Please choose a paper."), "paper_id")
        if require_ready and paper.id not in {p.id for p in ready_papers(meeting)}:
            raise MeetingError(_("This paper is not ready for the agenda."), "paper_id")
        title = f"{paper.number} – {paper.title}" if paper.number else paper.title
        item = _insert_item(
            meeting,
            title=title,
            text=None,
            public=paper.public if public is None else public,
            paper=paper,
            parent_id=parent_id,
            actor=user,
        )
    return item


def add_free_item(
    user: User,
    meeting: Meeting,
    *,
    title: str,
    text: str | None = None,
    public: bool = True,
    parent_id: int | None = None,
) -> AgendaItem:
    title = (title or "").strip()
    if not title:
        raise MeetingError(_("Please enter a title."), "title")
    if len(title) > 300:
        raise MeetingError(_("The title is too long (at most 300 characters)."), "title")
    meeting_id = meeting.id
    with write_transaction():
        meeting = _lock_meeting(meeting_id)
        _check_agenda_open(user, meeting)
        item = _insert_item(
            meeting,
            title=title,
            text=(text or "").strip() or None,
            public=public,
            paper=None,
            parent_id=parent_id,
            actor=user,
        )
    return item


def _load_item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise MeetingError(_("This agenda item does not exist."))
    return item


def move_item(user: User, meeting: Meeting, item_id: int, direction: int) -> None:
    """Swap the item with its neighbour in the same part and level."""
    meeting_id = meeting.id
    with write_transaction():
        meeting = _lock_meeting(meeting_id)
        _check_agenda_open(user, meeting)
        item = _load_item(meeting, item_id)
        parent_cond = (
            AgendaItem.parent_id.is_(None)
            if item.parent_id is None
            else AgendaItem.parent_id == item.parent_id
        )
        siblings = list(
            db.session.scalars(
                select(AgendaItem)
                .where(
                    AgendaItem.meeting_id == meeting.id,
                    parent_cond,
                    AgendaItem.public == item.public,
                )
                .order_by(AgendaItem.position, AgendaItem.id)
            )
        )
        for position, sibling in enumerate(siblings):
            sibling.position = position
        index = siblings.index(item)
        other_index = index + (1 if direction > 0 else -1)
        if not 0 <= other_index < len(siblings):
            return
        other = siblings[other_index]
        item.position, other.position = other.position, item.position
        if meeting.agenda_frozen:
            item.changed = True
            other.changed = True
        db.session.flush()
        record(
            "agenda.item_moved",
            "meeting",
            meeting.id,
            actor_id=user.id,
            data={
                "item_id": item.id,
                "direction": "down" if direction > 0 else "up",
                "after_invitation": meeting.agenda_frozen,
            },
        )


def remove_item(user: User, meeting: Meeting, item_id: int) -> None:
    """Before the invitations: delete; afterwards: mark as withdrawn (kept, marked)."""
    meeting_id = meeting.id
    with write_transaction():
        meeting = _lock_meeting(meeting_id)
        _check_agenda_open(user, meeting)
        item = _load_item(meeting, item_id)
        data = {"item_id": item.id, "title": item.title, "after_invitation": meeting.agenda_frozen}
        if meeting.agenda_frozen:
            item.withdrawn = True
            item.changed = True
            db.session.execute(
                update(AgendaItem)
                .where(AgendaItem.parent_id == item.id)
                .values(withdrawn=True, changed=True)
            )
        else:
            for child in db.session.scalars(
                select(AgendaItem).where(AgendaItem.parent_id == item.id)
            ):
                db.session.delete(child)
            db.session.delete(item)
        db.session.flush()
        record("agenda.item_removed", "meeting", meeting.id, actor_id=user.id, data=data)


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


def _invitation_text(
    meeting: Meeting, lines: list[AgendaLine], again: bool, changed: list[str] | None = None
) -> tuple[str, str]:
    place = meeting.location.label if meeting.location else ""
    subject = _(
        "Invitation: %(title)s on %(when)s",
        title=meeting.display_title,
        when=format_local(meeting.starts_at),
    )
    if again:
        subject = _("Updated invitation: %(subject)s", subject=subject)
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
    parts += ["", _("The papers are in Netzwerk under “My meetings”.")]
    return subject, "\n".join(parts)


def _queue_invitations(
    meeting: Meeting, round_: int, now: datetime, changed: list[str] | None = None
) -> int:
    from .ics import meeting_ics

    lines = agenda(meeting)
    subject, body = _invitation_text(meeting, lines, again=round_ > 1, changed=changed)
    ics = meeting_ics(meeting, lines, sequence=round_ - 1, now=now)
    return _mail_invitees(meeting, subject, body, invitation_reason(meeting.id, round_), ics)


def _mail_invitees(
    meeting: Meeting, subject: str, body: str, reason: str, ics: bytes, method: str = "REQUEST"
) -> int:
    """Queue the mail with its calendar file for every invitee (once per
    reason and person); returns how many were queued."""
    from ..mail.services import Attachment, queue_mail

    attachment = Attachment("sitzung.ics", f"text/calendar; method={method}", ics)
    queued = 0
    for person in invitees(meeting):
        assert person.email is not None
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
        return _new_invitation_round(_lock_meeting(meeting.id), user.id, now, reason=reason)


def _new_invitation_round(
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
    from .ics import meeting_ics

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
        ]
    )
    ics = meeting_ics(
        current,
        agenda(current),
        sequence=current.invitation_rounds - 1,
        now=now,
        method="CANCEL",
    )
    reason = f"meeting:{current.id}:cancellation"
    queued = _mail_invitees(current, subject, body, reason, ics, method="CANCEL")
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


def freeze_agenda(ctx: registry.TransitionContext) -> None:
    """Effect: from now on agenda changes are marked (late, changed, withdrawn)."""
    meeting = ctx.obj
    if meeting.agenda_frozen_at is None:
        meeting.agenda_frozen_at = ctx.now
        db.session.flush()


def send_invitations_effect(ctx: registry.TransitionContext) -> None:
    """Effect: queue the invitation (mail and calendar entry) to every member;
    the step's comment is the reason for a short notice.  When invitations
    went out before, this is a new round."""
    meeting = ctx.obj
    actor_id = ctx.actor.id if ctx.actor is not None else None
    if meeting.invitations_sent_at is not None:
        _new_invitation_round(meeting, actor_id, ctx.now, reason=ctx.comment)
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


# --- attendance and quorum ----------------------------------------------------------


@dataclass
class RosterLine:
    membership: Membership
    attendance: Attendance | None

    @property
    def status(self) -> str | None:
        return self.attendance.status if self.attendance else None


def roster(meeting: Meeting) -> list[RosterLine]:
    """The body's members on the meeting day with their attendance."""
    members = current_members(meeting.body_id, to_local(meeting.starts_at).date())
    rows = {
        a.membership_id: a
        for a in db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    return [RosterLine(m, rows.get(m.id)) for m in members]


def set_attendance(
    user: User, meeting: Meeting, statuses: dict[int, str], now: datetime | None = None
) -> int:
    """Store present / excused / absent per seat; present sets the arrival time."""
    now = now or utcnow()
    if not may_record_attendance(user, meeting):
        raise MeetingError(_("You cannot record the attendance of this meeting."))
    if not has_flag(meeting, "invited") or has_flag(meeting, "cancelled"):
        raise MeetingError(_("Attendance can be recorded once the invitations are out."))
    allowed = {m.membership.id for m in roster(meeting)}
    for membership_id, status in statuses.items():
        if membership_id not in allowed:
            raise MeetingError(_("This person is not a member of the body."))
        if status not in {s.value for s in AttendanceStatus}:
            raise MeetingError(_("Please choose present, excused or absent."))
    meeting_id = meeting.id
    changed = 0
    with write_transaction():
        _lock_meeting(meeting_id)
        rows = {
            a.membership_id: a
            for a in db.session.scalars(
                select(Attendance).where(Attendance.meeting_id == meeting_id)
            )
        }
        for membership_id, status in sorted(statuses.items()):
            row = rows.get(membership_id)
            if row is None:
                row = Attendance(meeting_id=meeting_id, membership_id=membership_id, status=status)
                db.session.add(row)
            elif row.status == status:
                continue
            row.status = status
            if status == AttendanceStatus.PRESENT.value:
                row.arrived_at = row.arrived_at or now
                row.left_at = None
            changed += 1
        db.session.flush()
        if changed:
            record(
                "meeting.attendance",
                "meeting",
                meeting_id,
                actor_id=user.id,
                data={str(k): v for k, v in sorted(statuses.items())},
            )
    return changed


def arrive_or_leave(
    user: User, meeting: Meeting, membership_id: int, arrive: bool, now: datetime | None = None
) -> Attendance:
    """An arrival or a departure during the meeting (with its time)."""
    now = now or utcnow()
    if not may_record_attendance(user, meeting):
        raise MeetingError(_("You cannot record the attendance of this meeting."))
    if not has_flag(meeting, "in_session"):
        raise MeetingError(_("Arrivals and departures are recorded while the meeting is open."))
    if membership_id not in {m.membership.id for m in roster(meeting)}:
        raise MeetingError(_("This person is not a member of the body."))
    meeting_id = meeting.id
    with write_transaction():
        _lock_meeting(meeting_id)
        row = db.session.scalar(
            select(Attendance).where(
                Attendance.meeting_id == meeting_id, Attendance.membership_id == membership_id
            )
        )
        if row is None:
            row = Attendance(
                meeting_id=meeting_id,
                membership_id=membership_id,
                status=AttendanceStatus.ABSENT.value,
            )
            db.session.add(row)
        if arrive:
            row.status = AttendanceStatus.PRESENT.value
            row.arrived_at = now
            row.left_at = None
        else:
            if not row.present_now:
                raise MeetingError(_("This person is not present."))
            row.left_at = now
        db.session.flush()
        record(
            "meeting.arrival" if arrive else "meeting.departure",
            "meeting",
            meeting_id,
            actor_id=user.id,
            data={"membership_id": membership_id, "at": now.isoformat()},
        )
    return row


def add_guest(user: User, meeting: Meeting, name: str, organisation: str | None) -> MeetingGuest:
    if not may_record_attendance(user, meeting):
        raise MeetingError(_("You cannot record the attendance of this meeting."))
    name = (name or "").strip()
    if not name:
        raise MeetingError(_("Please enter a name."), "name")
    meeting_id = meeting.id
    with write_transaction():
        guest = MeetingGuest(
            meeting_id=meeting_id,
            name=name[:200],
            organisation=(organisation or "").strip()[:200] or None,
        )
        db.session.add(guest)
        db.session.flush()
        record(
            "meeting.guest_added",
            "meeting",
            meeting_id,
            actor_id=user.id,
            data={"name": guest.name},
        )
    return guest


def guests(meeting: Meeting) -> Sequence[MeetingGuest]:
    return db.session.scalars(
        select(MeetingGuest).where(MeetingGuest.meeting_id == meeting.id).order_by(MeetingGuest.id)
    ).all()


@dataclass(frozen=True)
class Seat:
    """A voting seat and who votes for it now (the member or a deputy), if anyone."""

    membership_id: int
    holder_person_id: int
    voter_person_id: int | None
    by_deputy: bool


def seats(meeting: Meeting) -> list[Seat]:
    """Every seat with a voting right and who represents it now.

    The member votes when present now; otherwise a deputy of the seat who is
    present now (Membership.deputy_of_id) takes the vote.
    """
    members = current_members(meeting.body_id, to_local(meeting.starts_at).date())
    present = {
        a.membership_id
        for a in db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
        if a.present_now
    }
    deputies: dict[int, list[Membership]] = {}
    for m in members:
        if m.deputy_of_id is not None:
            deputies.setdefault(m.deputy_of_id, []).append(m)
    result = []
    for m in members:
        if not m.voting_right or m.deputy_of_id is not None:
            continue
        if m.id in present:
            result.append(Seat(m.id, m.person_id, m.person_id, False))
            continue
        deputy = next((d for d in deputies.get(m.id, []) if d.id in present), None)
        result.append(
            Seat(m.id, m.person_id, deputy.person_id if deputy else None, deputy is not None)
        )
    return result


@dataclass(frozen=True)
class QuorumStatus:
    rule: str
    voting_members: int
    present: int
    required: int

    @property
    def quorate(self) -> bool:
        return self.voting_members > 0 and self.present >= self.required


def quorum_required(rule: str, voting_members: int) -> int:
    """Members with a voting right that must be present (same rule as voting.rules)."""
    if rule == "more_than_half":
        return voting_members // 2 + 1
    if rule == "at_least_half":
        return (voting_members + 1) // 2
    if rule == "one_third":
        return (voting_members + 2) // 3
    return 0


def quorum(meeting: Meeting) -> QuorumStatus:
    """The live quorum: seats represented now (member or deputy present)."""
    all_seats = seats(meeting)
    rule = meeting.body.quorum_rule
    present = sum(1 for s in all_seats if s.voter_person_id is not None)
    return QuorumStatus(rule, len(all_seats), present, quorum_required(rule, len(all_seats)))


# --- providers for the workflow engine --------------------------------------------------


def _open_meeting_with_paper(paper_id: int) -> Meeting | None:
    return db.session.scalar(
        select(Meeting)
        .join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
        .options(joinedload(Meeting.body))
        .where(
            AgendaItem.paper_id == paper_id,
            AgendaItem.withdrawn.is_(False),
            in_session_condition(),
        )
        .order_by(Meeting.starts_at.desc())
        .limit(1)
    )


def quorum_provider(object_type: str, obj: Any) -> bool | None:
    """quorum_present for papers and agenda items: the open meeting dealing with it."""
    meeting: Meeting | None = None
    if object_type == "paper":
        meeting = _open_meeting_with_paper(obj.id)
    elif object_type == "agenda_item":
        meeting = get_meeting(obj.meeting_id)
        if meeting is not None and not has_flag(meeting, "in_session"):
            meeting = None
    elif object_type == "meeting":
        meeting = obj if has_flag(obj, "in_session") else None
    if meeting is None:
        return None
    return quorum(meeting).quorate


def agenda_scheduler(object_type: str, obj: Any) -> bool:
    """schedule_on_agenda: put a paper on the next planned meeting of its body."""
    if object_type != "paper":
        return False
    meeting = db.session.scalar(
        select(Meeting)
        .options(joinedload(Meeting.body))
        .where(
            Meeting.body_id == obj.body_id,
            planned_condition(),
            Meeting.starts_at > utcnow(),
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    )
    if meeting is None:
        return False
    already = db.session.scalar(
        select(AgendaItem.id).where(
            AgendaItem.meeting_id == meeting.id,
            AgendaItem.paper_id == obj.id,
            AgendaItem.withdrawn.is_(False),
        )
    )
    if already is None:
        title = f"{obj.number} – {obj.title}" if obj.number else obj.title
        _insert_item(
            meeting,
            title=title,
            text=None,
            public=obj.public,
            paper=obj,
            parent_id=None,
            actor=None,
        )
    return True


def put_paper_on_agenda_in_transaction(
    meeting_id: int, paper: Paper, actor: User | None, *, public: bool = False
) -> AgendaItem:
    """For other packages (feedback): add a paper item inside their transaction."""
    meeting = _lock_meeting(meeting_id)
    _check_agenda_open(actor, meeting)
    title = f"{paper.number} – {paper.title}" if paper.number else paper.title
    return _insert_item(
        meeting, title=title, text=None, public=public, paper=paper, parent_id=None, actor=actor
    )


def open_meetings_for_choice(body_id: int | None) -> list[Meeting]:
    """Planned or invited meetings ahead (of one body, or of all), for
    choosing an agenda."""
    stmt = _list_query().where(
        Meeting.state.not_in(states_with("in_session", "closed", "cancelled")),
        Meeting.starts_at >= utcnow() - timedelta(hours=12),
    )
    if body_id is not None:
        stmt = stmt.where(Meeting.body_id == body_id)
    return list(db.session.scalars(stmt.order_by(Meeting.starts_at)))


def today_local() -> Any:
    return local_today()


def register_workflow_providers() -> None:
    """Providers, guards and effects (called from the package's ``init_app``)."""
    registry.add_provider(registry.quorum_providers, quorum_provider)
    registry.add_provider(registry.agenda_schedulers, agenda_scheduler)
    registry.register_guards({"notice_period_kept": notice_period_kept})
    registry.register_effects(
        {
            "freeze_agenda": freeze_agenda,
            "send_invitations": send_invitations_effect,
            "send_cancellation": send_cancellation,
        }
    )
