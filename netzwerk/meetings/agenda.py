"""The agenda of a meeting: numbering, papers and free items, moving and
withdrawing, "My meetings", and the agenda's side of the workflow (the
effect ``freeze_agenda``, the provider ``schedule_on_agenda``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import joinedload

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..papers.models import Consultation, ConsultationRole, Paper
from ..rules import without_bidi_controls
from ..workflow import registry
from ..workflow import services as workflow
from .access import (
    MeetingError,
    is_over,
    list_query,
    lock_meeting,
    may_manage,
    my_body_ids,
    not_planned_condition,
    planned_condition,
    states_with,
    upcoming_meetings,
)
from .models import AgendaItem, Meeting

READY_FLAGS = frozenset({"ready_for_agenda", "open_for_voting"})
MAX_ITEMS = 200


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


def insert_item(
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
        meeting = lock_meeting(meeting_id)
        _check_agenda_open(user, meeting)
        paper = db.session.get(Paper, paper_id)
        if paper is None:
            raise MeetingError(_("Please choose a paper."), "paper_id")
        if require_ready and paper.id not in {p.id for p in ready_papers(meeting)}:
            raise MeetingError(_("This paper is not ready for the agenda."), "paper_id")
        title = f"{paper.number} – {paper.title}" if paper.number else paper.title
        item = insert_item(
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
    title = without_bidi_controls(title or "").strip()
    if not title:
        raise MeetingError(_("Please enter a title."), "title")
    if len(title) > 300:
        raise MeetingError(_("The title is too long (at most 300 characters)."), "title")
    meeting_id = meeting.id
    with write_transaction():
        meeting = lock_meeting(meeting_id)
        _check_agenda_open(user, meeting)
        item = insert_item(
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
        meeting = lock_meeting(meeting_id)
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
        meeting = lock_meeting(meeting_id)
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


# --- what the workflows name: the effect freeze_agenda, schedule_on_agenda -----------


def freeze_agenda(ctx: registry.TransitionContext) -> None:
    """Effect: from now on agenda changes are marked (late, changed, withdrawn)."""
    meeting = ctx.obj
    if meeting.agenda_frozen_at is None:
        meeting.agenda_frozen_at = ctx.now
        db.session.flush()


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
        insert_item(
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
    meeting = lock_meeting(meeting_id)
    _check_agenda_open(actor, meeting)
    title = f"{paper.number} – {paper.title}" if paper.number else paper.title
    return insert_item(
        meeting, title=title, text=None, public=public, paper=paper, parent_id=None, actor=actor
    )


def open_meetings_for_choice(body_id: int | None) -> list[Meeting]:
    """Planned or invited meetings ahead (of one body, or of all), for
    choosing an agenda."""
    stmt = list_query().where(
        Meeting.state.not_in(states_with("in_session", "closed", "cancelled")),
        Meeting.starts_at >= utcnow() - timedelta(hours=12),
    )
    if body_id is not None:
        stmt = stmt.where(Meeting.body_id == body_id)
    return list(db.session.scalars(stmt.order_by(Meeting.starts_at)))


# --- "My meetings" ------------------------------------------------------------------


@dataclass
class MyMeetings:
    upcoming: list[Meeting]
    past: list[Meeting]
    items: dict[int, list[AgendaLine]]


def my_meetings(user: Any, now: datetime | None = None) -> MyMeetings:
    """Upcoming meetings of my bodies with their agenda; past ones below."""
    now = now or utcnow()
    ids = my_body_ids(user) or {-1}
    base = list_query().where(Meeting.body_id.in_(ids), not_planned_condition())
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


def proposed_resolution(item: AgendaItem) -> str | None:
    """The proposed resolution (Beschlussvorschlag) a vote on the item starts
    with: its paper's text, else the item's own text."""
    if item.paper is not None and (item.paper.text or "").strip():
        return item.paper.text
    return (item.text or "").strip() or None
