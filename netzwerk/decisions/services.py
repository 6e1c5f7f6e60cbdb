"""The decisions register: numbering, visibility, export, action items.

Visibility is one rule used by the pages and the CSV export alike:

* anonymous visitors see a decision only when its body is public and its
  subject was public when it was decided;
* signed-in people see those plus the decisions of bodies they hold a
  current seat in (any role);
* the Bildungsbüro and administrators see every decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import inspect, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload, selectinload

from .. import signals, visibility
from ..auth.models import User
from ..csvutil import csv_safe, write_csv
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.models import Body, Organisation, Person
from ..meetings.attendance import meeting_moment
from ..notifications.services import notify
from ..rules import RuleError, without_bidi_controls
from ..timeutil import format_date, local_today, to_local
from ..voting.meeting import meeting_link
from ..voting.models import Poll
from ..voting.providers import resolve_subject
from ..voting.rules import PollResult
from ..workflow import services as workflow
from .models import (
    PENDING,
    ActionItem,
    Decision,
    DecisionCounter,
    DecisionOutcome,
    DecisionVersion,
)

# The slot whose workflow a body chose for its action items.
ACTION_ITEM_SLOT = "action_item"


class DecisionError(RuleError):
    """A rule of the decisions register or of action items was broken."""


# --- numbering and creation ---------------------------------------------------


# A decision's number carries a "B" (Beschluss) before its sequence:
# decision VK/2026/B005 is never mistaken for paper VK/2026/005, and neither
# number is a part of the other (a search for one does not find the other).
# Decisions numbered before keep their numbers (VK/2026/005).
DECISION_MARK = "B"


def format_number(short_name: str, year: int, seq: int) -> str:
    return f"{short_name}/{year}/{DECISION_MARK}{seq:03d}"


def allocate_number(body_id: int, year: int) -> int:
    """The next sequence number of the body in the year (caller's transaction).

    The counter row is created if missing (insert-or-ignore) and then locked
    ``FOR UPDATE``; concurrent closings wait for each other, so numbers are
    gap-free and unique (also guarded by the unique constraint).
    """
    dialect = db.session.get_bind().dialect.name
    insert_fn: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert_fn(DecisionCounter)
        .values(body_id=body_id, year=year, last_seq=0)
        .on_conflict_do_nothing(index_elements=["body_id", "year"])
    )
    counter = db.session.scalar(
        select(DecisionCounter)
        .where(DecisionCounter.body_id == body_id, DecisionCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert counter is not None
    counter.last_seq += 1
    db.session.flush()
    return counter.last_seq


def create_decision_for_poll(poll: Poll, now: datetime | None = None) -> Decision | None:
    """Write the decision of a closed poll (inside the closing transaction)."""
    if not poll.is_closed or not poll.result or not PollResult(poll.result).is_valid:
        return None
    if poll.subject_type == "amendment":
        return None  # shown with the main motion's decision and in the minutes
    now = now or poll.closed_at or utcnow()
    link = meeting_link(poll.id)
    if link is not None:  # a meeting's decision carries the meeting's real time
        now = meeting_moment(link[0], now)
    body = db.session.get(Body, poll.body_id)
    assert body is not None
    year = to_local(now).year
    seq = allocate_number(body.id, year)
    info = resolve_subject(poll.subject_type, poll.subject_id)
    decision = Decision(
        body_id=body.id,
        year=year,
        seq=seq,
        number=format_number(body.short_name, year, seq),
        poll_id=poll.id,
        subject_type=poll.subject_type,
        subject_id=poll.subject_id,
        subject_title=info.title[:300] if info else None,
        subject_public=bool(info and info.public),
        title=poll.title,
        text=poll.question,
        outcome=(
            DecisionOutcome.ADOPTED.value
            if poll.result == PollResult.PASSED.value
            else DecisionOutcome.REJECTED.value
        ),
        yes_count=poll.yes_count or 0,
        no_count=poll.no_count or 0,
        abstain_count=poll.abstain_count or 0,
        voting_members=poll.voting_members or 0,
        majority_rule=poll.majority_rule,
        decided_at=now,
        created_at=now,
    )
    if link is not None:
        decision.meeting_id, decision.agenda_item_id = link
    db.session.add(decision)
    db.session.flush()
    from ..audit.services import record

    record(
        "decision.created",
        "decision",
        decision.id,
        data={"number": decision.number, "poll_id": poll.id, "outcome": decision.outcome},
    )
    signals.decision_recorded.send(decision, now=now)
    return decision


def on_poll_closed(poll: Poll, **extra: Any) -> None:
    create_decision_for_poll(poll, extra.get("now"))


# --- visibility -------------------------------------------------------------------


# Who may see decisions and action items is the visibility policy's rule
# (netzwerk/visibility.py), the same for pages, exports, OParl and search.


def visible_condition(user: Any) -> Any:
    return visibility.decision_filter(user)


def may_view_decision(user: Any, decision: Decision) -> bool:
    return visibility.may_see_decision(user, decision)


def may_view_body_items(user: Any, body: Body) -> bool:
    return visibility.may_see_body_in_full(user, body)


def may_view_action_item(user: Any, item: ActionItem) -> bool:
    """Members of the body and staff see its items; the responsible person
    sees the item they answer for (and acts on it as ``responsible``)."""
    return visibility.may_see_action_item(user, item)


@dataclass(frozen=True)
class RegisterFilter:
    body_id: int | None = None
    year: int | None = None
    outcome: str | None = None
    q: str | None = None


def list_decisions(user: Any, flt: RegisterFilter, limit: int = 500) -> Sequence[Decision]:
    stmt = (
        select(Decision)
        .join(Body, Decision.body_id == Body.id)
        .options(joinedload(Decision.body), joinedload(Decision.poll))
        .where(visible_condition(user))
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
    )
    if flt.body_id:
        stmt = stmt.where(Decision.body_id == flt.body_id)
    if flt.year:
        stmt = stmt.where(Decision.year == flt.year)
    if flt.outcome:
        stmt = stmt.where(Decision.outcome == flt.outcome)
    if flt.q:
        pattern = "%" + flt.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                Decision.title.ilike(pattern, escape="\\"),
                Decision.number.ilike(pattern, escape="\\"),
                Decision.text.ilike(pattern, escape="\\"),
            )
        )
    return db.session.scalars(stmt.limit(limit)).all()


def visible_bodies(user: Any) -> Sequence[Body]:
    """Bodies that have at least one decision the user may see (for the filter)."""
    ids = (
        select(Decision.body_id)
        .join(Body, Decision.body_id == Body.id)
        .where(visible_condition(user))
    )
    return db.session.scalars(select(Body).where(Body.id.in_(ids)).order_by(Body.name)).all()


def get_decision(decision_id: int) -> Decision | None:
    return db.session.scalar(
        select(Decision)
        .options(
            joinedload(Decision.body),
            selectinload(Decision.action_items).joinedload(ActionItem.responsible_person),
            selectinload(Decision.action_items).joinedload(ActionItem.responsible_organisation),
        )
        .where(Decision.id == decision_id)
    )


CSV_COLUMNS = [
    "number",
    "body",
    "decided_at",
    "title",
    "outcome",
    "yes",
    "no",
    "abstain",
    "voting_members",
    "majority_rule",
    "subject",
    "text",
]


_csv_safe = csv_safe  # the shared formula-safe cell writer (netzwerk.csvutil)


def register_csv(decisions: Sequence[Decision]) -> str:
    return write_csv(
        CSV_COLUMNS,
        (
            (
                d.number,
                d.body.name,
                to_local(d.decided_at).strftime("%Y-%m-%d %H:%M"),
                d.title,
                d.outcome_label,
                d.yes_count,
                d.no_count,
                d.abstain_count,
                d.voting_members,
                d.majority_rule,
                d.subject_title or "",
                d.text or "",
            )
            for d in decisions
        ),
    )


# --- action items -------------------------------------------------------------------


def _check_item_values(
    title: str,
    responsible_person_id: int | None,
    responsible_organisation_id: int | None,
) -> str:
    title = without_bidi_controls(title or "").strip()
    if not title:
        raise DecisionError(_("Please give a title."), "title")
    if len(title) > 300:
        raise DecisionError(_("At most 300 characters."), "title")
    if responsible_person_id is None and responsible_organisation_id is None:
        raise DecisionError(
            _("Please name a responsible person or organisation."), "responsible_person_id"
        )
    if responsible_person_id is not None and db.session.get(Person, responsible_person_id) is None:
        raise DecisionError(_("Please choose a person from the list."), "responsible_person_id")
    if (
        responsible_organisation_id is not None
        and db.session.get(Organisation, responsible_organisation_id) is None
    ):
        raise DecisionError(
            _("Please choose an organisation from the list."), "responsible_organisation_id"
        )
    return title


def add_action_item(
    decision_id: int,
    *,
    title: str,
    responsible_person_id: int | None,
    responsible_organisation_id: int | None,
    due_date: date | None,
    notes: str | None = None,
    actor: User | None = None,
) -> ActionItem:
    """A new action item, started at the beginning of the workflow the
    decision's body chose for action items (else the shipped default)."""
    from ..audit.services import record

    with write_transaction():
        decision = db.session.get(Decision, decision_id)
        if decision is None:
            raise DecisionError(_("This decision does not exist."))
        title = _check_item_values(title, responsible_person_id, responsible_organisation_id)
        try:
            definition = workflow.workflow_for(decision.body_id, ACTION_ITEM_SLOT)
        except workflow.WorkflowError as exc:
            raise DecisionError(str(exc)) from None
        item = ActionItem(
            workflow_name=definition.name,
            workflow_hash=definition.hash,
            state=definition.initial,
            decision_id=decision_id,
            title=title,
            responsible_person_id=responsible_person_id,
            responsible_organisation_id=responsible_organisation_id,
            due_date=due_date,
            notes=(notes or "").strip() or None,
        )
        item.decision = decision
        db.session.add(item)
        db.session.flush()
        workflow.start(item, definition, actor)
        record(
            "decision.action_item_created",
            "decision",
            decision_id,
            actor_id=actor.id if actor else None,
            data={"item_id": item.id, "title": title},
        )
    return item


def update_action_item(
    item_id: int,
    *,
    title: str,
    responsible_person_id: int | None,
    responsible_organisation_id: int | None,
    due_date: date | None,
    notes: str | None,
    actor: User | None = None,
) -> ActionItem:
    """Change what an action item says; its state moves only by transitions
    (:func:`fire_action_item`)."""
    from ..audit.services import record

    with write_transaction():
        item = db.session.get(ActionItem, item_id, with_for_update=True)
        if item is None:
            raise DecisionError(_("This action item does not exist."))
        title = _check_item_values(title, responsible_person_id, responsible_organisation_id)
        item.title = title
        item.responsible_person_id = responsible_person_id
        item.responsible_organisation_id = responsible_organisation_id
        item.due_date = due_date
        item.notes = (notes or "").strip() or None
        db.session.flush()
        record(
            "decision.action_item_updated",
            "decision",
            item.decision_id,
            actor_id=actor.id if actor else None,
            data={"item_id": item.id},
        )
    return item


def get_action_item(item_id: int) -> ActionItem | None:
    return db.session.scalar(
        select(ActionItem)
        .options(
            joinedload(ActionItem.decision).joinedload(Decision.body),
            joinedload(ActionItem.responsible_person),
            joinedload(ActionItem.responsible_organisation),
        )
        .where(ActionItem.id == item_id)
    )


def fire_action_item(
    user: User,
    item_id: int,
    transition_name: str,
    *,
    comment: str | None = None,
    expected_version: int | None = None,
) -> ActionItem:
    """Take one step of an action item's workflow (the engine checks the
    step, the user's role from ``by:`` and the version the user saw).

    Raises :class:`netzwerk.workflow.services.WorkflowError` (German message).
    """
    item = db.session.get(ActionItem, item_id)
    if item is None:
        raise DecisionError(_("This action item does not exist."))
    workflow.fire(user, item, transition_name, comment=comment, expected_version=expected_version)
    return item


def step_to_flag(user: User, item_id: int, flag: str, *, comment: str | None = None) -> ActionItem:
    """Bring the item into a state with ``flag`` by the steps the user may
    take (for callers that know what they want, not how the workflow names
    it).  Raises :class:`netzwerk.workflow.services.WorkflowError`."""
    item = db.session.get(ActionItem, item_id)
    if item is None:
        raise DecisionError(_("This action item does not exist."))
    workflow.fire_to_flag(user, item, flag, comment=comment)
    return item


def _pending() -> Any:
    return workflow.flag_condition(ActionItem, PENDING)


def open_action_items(body_id: int | None = None) -> Sequence[ActionItem]:
    stmt = (
        select(ActionItem)
        .join(Decision, ActionItem.decision_id == Decision.id)
        .options(
            joinedload(ActionItem.decision),
            joinedload(ActionItem.responsible_person),
            joinedload(ActionItem.responsible_organisation),
        )
        .where(_pending())
        .order_by(ActionItem.due_date.is_(None), ActionItem.due_date, ActionItem.id)
    )
    if body_id is not None:
        stmt = stmt.where(Decision.body_id == body_id)
    return db.session.scalars(stmt).all()


def person_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Person.id, Person.first_name, Person.last_name)
        .where(Person.active)
        .order_by(Person.last_name, Person.first_name)
    ).all()
    return [(r.id, f"{r.last_name}, {r.first_name}") for r in rows]


def organisation_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.active)
        .order_by(Organisation.name)
    ).all()
    return [(r.id, r.name) for r in rows]


def remind_overdue(today: date | None = None, now: datetime | None = None) -> int:
    """Notify about overdue action items, once per item and due date.

    The responsible person is told; for an organisation without a person the
    Bildungsbüro accounts are.  Idempotent through the notification key.
    """
    today = today or local_today()
    now = now or utcnow()
    sent = 0
    with write_transaction():
        items = db.session.scalars(
            select(ActionItem)
            .options(joinedload(ActionItem.decision))
            .where(
                _pending(),
                ActionItem.due_date.is_not(None),
                ActionItem.due_date < today,
            )
        ).all()
        office_ids: list[int] | None = None
        for item in items:
            if item.responsible_person_id is not None:
                recipients = [item.responsible_person_id]
            else:
                if office_ids is None:
                    office_ids = list(
                        db.session.scalars(
                            select(User.person_id).where(User.is_office, User.active)
                        )
                    )
                recipients = office_ids
            for person_id in recipients:
                assert item.due_date is not None
                sent += len(
                    notify(
                        [person_id],
                        kind="action_item_overdue",
                        object_type="decision",
                        object_id=item.decision_id,
                        message=_(
                            "Overdue: the action “%(title)s” of decision %(number)s "
                            "was due on %(due)s.",
                            title=item.title,
                            number=item.decision.number,
                            due=format_date(item.due_date),
                        ),
                        url=f"/beschluesse/{item.decision_id}",
                        dedup_key=f"action-overdue:{item.id}:{item.due_date.isoformat()}",
                        now=now,
                    )
                )
    return sent


def years_with_decisions() -> list[int]:
    return list(db.session.scalars(select(Decision.year).distinct().order_by(Decision.year.desc())))


def create_decision_for_election(election: Any, now: datetime | None = None) -> Decision:
    """The register's entry of a closed election (in its closing transaction):
    the elected persons are its text; the rounds are on the election."""
    now = now or election.closed_at or utcnow()
    body = db.session.get(Body, election.body_id)
    assert body is not None
    year = to_local(now).year
    seq = allocate_number(body.id, year)
    elected = [c.name for c in election.elected]
    last = election.rounds[-1] if election.rounds else None
    item_public = _item_public(election.agenda_item_id, election.meeting_id)
    decision = Decision(
        body_id=body.id,
        year=year,
        seq=seq,
        number=format_number(body.short_name, year, seq),
        poll_id=None,
        election_id=election.id,
        subject_type="election",
        subject_id=election.id,
        subject_title=election.title[:300],
        subject_public=item_public,
        title=election.title,
        text=(
            _("Elected: %(names)s", names=", ".join(elected))
            if elected
            else _("Nobody was elected.")
        ),
        outcome=(DecisionOutcome.ADOPTED if elected else DecisionOutcome.REJECTED).value,
        yes_count=0,
        no_count=0,
        abstain_count=0,
        voting_members=last.voting_members if last else 0,
        majority_rule=body.majority_rule,
        decided_at=now,
        created_at=now,
        meeting_id=election.meeting_id,
        agenda_item_id=election.agenda_item_id,
    )
    db.session.add(decision)
    db.session.flush()
    from ..audit.services import record

    record(
        "decision.created",
        "decision",
        decision.id,
        data={"number": decision.number, "election_id": election.id, "elected": elected},
    )
    signals.decision_recorded.send(decision, now=now)
    return decision


def _item_public(agenda_item_id: int, meeting_id: int) -> bool:
    from ..meetings.models import AgendaItem, Meeting

    item = db.session.get(AgendaItem, agenda_item_id)
    meeting = db.session.get(Meeting, meeting_id)
    return bool(item and meeting and item.public and meeting.public)


def on_election_closed(election: Any, **extra: Any) -> None:
    create_decision_for_election(election, extra.get("now"))


# --- final is final: a decision never changes; a correction is a new version ------------

# session.info key: the ids of the decisions a correction is writing (their
# text may change in this flush, nothing else).
_CORRECTING = "decisions.correcting"
MAX_CORRECTION_TEXT = 20000
MAX_CORRECTION_NOTE = 2000


def final_message() -> str:
    return _(
        "A decision is final and cannot be changed. "
        "A correction (Berichtigung) adds a new version of its text with a note."
    )


def refuse_changed_decisions(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Before every flush: a stored decision is not changed or deleted, by
    any code path; only :func:`correct_decision` changes its text."""
    correcting: set[int] = session.info.get(_CORRECTING, set())
    for obj in session.deleted:
        if isinstance(obj, Decision | DecisionVersion):
            raise DecisionError(final_message())
    for obj in session.dirty:
        if isinstance(obj, DecisionVersion):
            if session.is_modified(obj, include_collections=False):
                raise DecisionError(final_message())
            continue
        if not isinstance(obj, Decision):
            continue
        state = inspect(obj)
        changed = {
            attr.key
            for attr in state.mapper.column_attrs
            if state.attrs[attr.key].history.has_changes()
        }
        allowed = {"text"} if obj.id in correcting else set()
        if changed - allowed:
            raise DecisionError(final_message())


def listen() -> None:
    """From ``decisions.init_app`` (once per process)."""
    from sqlalchemy import event

    if not event.contains(Session, "before_flush", refuse_changed_decisions):
        event.listen(Session, "before_flush", refuse_changed_decisions)


def may_correct(user: Any, decision: Decision) -> bool:
    """The Bildungsbüro and the body's office correct a decision's text."""
    from ..meetings.access import may_manage

    return may_manage(user, decision.body_id)


def text_versions(decision_id: int) -> list[DecisionVersion]:
    """The decision's texts, oldest first (empty while it was never corrected)."""
    return list(
        db.session.scalars(
            select(DecisionVersion)
            .where(DecisionVersion.decision_id == decision_id)
            .order_by(DecisionVersion.version_no)
        )
    )


def current_version_no(decision_id: int) -> int:
    found = text_versions(decision_id)
    return found[-1].version_no if found else 1


def correct_decision(
    user: User,
    decision_id: int,
    *,
    text: str,
    note: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> DecisionVersion:
    """A correction (Berichtigung): a new version of the decision's text with
    a note saying what was corrected and why.  The earlier texts stay
    (version 1 is the text as decided); the audit trail records who, when,
    the note and the versions.  Nothing else of the decision changes."""
    from ..audit.services import record

    decision = db.session.get(Decision, decision_id)
    if decision is None:
        raise DecisionError(_("This decision does not exist."))
    if not may_correct(user, decision):
        raise DecisionError(_("You cannot correct this decision."))
    new_text = without_bidi_controls(text or "").strip()
    note = without_bidi_controls(note or "").strip()
    if not new_text:
        raise DecisionError(_("Please give the corrected text."), "text")
    if len(new_text) > MAX_CORRECTION_TEXT:
        raise DecisionError(_("At most %(n)d characters.", n=MAX_CORRECTION_TEXT), "text")
    if not note:
        raise DecisionError(_("Please say what the correction is about."), "note")
    if len(note) > MAX_CORRECTION_NOTE:
        raise DecisionError(_("At most %(n)d characters.", n=MAX_CORRECTION_NOTE), "note")
    now = now or utcnow()
    with write_transaction():
        current = db.session.get(
            Decision, decision_id, with_for_update=True, populate_existing=True
        )
        assert current is not None
        versions = text_versions(decision_id)
        number = versions[-1].version_no if versions else 1
        if expected_version is not None and expected_version != number:
            raise DecisionError(
                _("Someone else corrected this decision in the meantime; please check its text.")
            )
        if new_text == (current.text or "").strip():
            raise DecisionError(_("The text is unchanged."), "text")
        if not versions:  # keep the text as decided as version 1
            db.session.add(
                DecisionVersion(
                    decision_id=decision_id,
                    version_no=1,
                    text=current.text,
                    note=None,
                    created_by_id=None,
                    created_at=current.created_at,
                )
            )
        version = DecisionVersion(
            decision_id=decision_id,
            version_no=number + 1,
            text=new_text,
            note=note,
            created_by_id=user.id,
            created_at=now,
        )
        db.session.add(version)
        correcting = db.session.info.setdefault(_CORRECTING, set())
        correcting.add(decision_id)
        try:
            current.text = new_text
            db.session.flush()
        finally:
            correcting.discard(decision_id)
        record(
            "decision.corrected",
            "decision",
            decision_id,
            actor_id=user.id,
            comment=note,
            data={"number": current.number, "version": version.version_no, "corrects": number},
        )
    return version
