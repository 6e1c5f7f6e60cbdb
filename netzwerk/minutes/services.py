"""Minutes: access, composing from the meeting, editing, approval, corrections.

The minutes are composed from what the meeting recorded – attendance,
guests, deputies, agenda, polls, decisions, action items – and only the
summaries per agenda item are written by the minute-taker.  Nothing of the
meeting's data is typed twice.

Approval runs through the workflow the body chose for minutes (by default
workflows/protokoll.yaml).  The definition names what this package
registers: the guard ``meeting_closed`` (the minutes leave the draft only
after the meeting closed) and the effect ``freeze_minutes`` (the approval
freezes the version: its PDF/A is rendered once, stored with its SHA-256 in
the same transaction as the state change, and never rendered again).  A
correction is a new version that names the one it corrects.  Drafts are
rendered on demand and cached under a fingerprint of everything that goes
into the PDF (:mod:`.render`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import visibility
from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.memberships import current_members
from ..governance.models import Person
from ..meetings import access, agenda, attendance
from ..meetings.models import AgendaItem, Meeting
from ..rules import RuleError
from ..timeutil import to_local
from ..workflow import registry
from ..workflow import services as workflow
from . import render
from .models import Minutes, MinutesDocument, MinutesEntry, PdfCache
from .signing import seal_minutes
from .text import MAX_SUMMARY, clean

SLOT = "minutes"
FULL, PUBLIC = "full", "public"


class MinutesError(RuleError):
    """A minutes rule was broken."""


def approved_are_final() -> str:
    """Approved minutes never change (their minute-taker included): a
    correction is a new version (:func:`start_correction`)."""
    return _(
        "These minutes are approved and can no longer be changed; "
        "a correction starts a new version."
    )


def meeting_writable(meeting: Meeting) -> bool:
    """Minutes are written once the meeting is in session or closed."""
    flags = access.meeting_flags(meeting)
    return "in_session" in flags or "closed" in flags


# --- reading and access -----------------------------------------------------------


def get_minutes(minutes_id: int) -> Minutes | None:
    return db.session.scalar(
        select(Minutes)
        .options(joinedload(Minutes.meeting).joinedload(Meeting.body))
        .where(Minutes.id == minutes_id)
    )


def versions(meeting_id: int) -> list[Minutes]:
    return list(
        db.session.scalars(
            select(Minutes)
            .options(joinedload(Minutes.minute_taker))
            .where(Minutes.meeting_id == meeting_id)
            .order_by(Minutes.version_no)
        )
    )


def latest(meeting_id: int) -> Minutes | None:
    found = versions(meeting_id)
    return found[-1] if found else None


def is_approved(minutes: Minutes) -> bool:
    return workflow.definition_of(minutes).is_final(minutes.state)


def is_editable(minutes: Minutes) -> bool:
    """Summaries change only in the workflow's first state (the draft)."""
    return minutes.state == workflow.definition_of(minutes).initial


def may_manage(user: Any, minutes_or_meeting: Minutes | Meeting) -> bool:
    meeting = (
        minutes_or_meeting.meeting
        if isinstance(minutes_or_meeting, Minutes)
        else minutes_or_meeting
    )
    return access.may_manage(user, meeting.body_id)


def may_edit(user: Any, minutes: Minutes) -> bool:
    """Staff, the body's office, or the person designated as minute-taker."""
    if not getattr(user, "is_authenticated", False):
        return False
    if may_manage(user, minutes):
        return True
    return minutes.minute_taker_person_id is not None and (
        minutes.minute_taker_person_id == user.person_id
    )


def may_read(user: Any, meeting: Meeting) -> bool:
    """Members of the body (any role) and staff; the meeting page's own rule."""
    return access.may_view(user, meeting)


def publicly_readable(minutes: Minutes) -> bool:
    """Approved minutes of a meeting anybody may see are readable without
    login (the visibility policy's rule)."""
    return visibility.is_public_minutes(minutes)


def entries(minutes: Minutes) -> dict[int, MinutesEntry]:
    return {
        e.agenda_item_id: e
        for e in db.session.scalars(
            select(MinutesEntry).where(MinutesEntry.minutes_id == minutes.id)
        )
    }


def documents(minutes: Minutes) -> dict[str, MinutesDocument]:
    return {
        d.edition: d
        for d in db.session.scalars(
            select(MinutesDocument).where(MinutesDocument.minutes_id == minutes.id)
        )
    }


def minute_taker_choices(meeting: Meeting) -> list[tuple[int, str]]:
    """Members of the body on the meeting day and the Bildungsbüro's accounts."""
    people: dict[int, Person] = {}
    for membership in current_members(meeting.body_id, to_local(meeting.starts_at).date()):
        people.setdefault(membership.person_id, membership.person)
    for person in db.session.scalars(
        select(Person).join(User, User.person_id == Person.id).where(User.is_office, User.active)
    ):
        people.setdefault(person.id, person)
    ordered = sorted(people.values(), key=lambda p: (p.last_name, p.first_name))
    return [(p.id, p.full_name) for p in ordered]


# --- starting the minutes and naming the minute-taker -----------------------------------


def start_minutes(
    user: User, meeting: Meeting, minute_taker_person_id: int | None = None
) -> Minutes:
    """Version 1 of a meeting's minutes, in the workflow the body chose."""
    if not access.may_manage(user, meeting.body_id):
        raise MinutesError(_("You cannot start the minutes of this meeting."))
    if not meeting_writable(meeting):
        raise MinutesError(_("Minutes can be written once the meeting has been opened."))
    taker = minute_taker_person_id or user.person_id
    if taker not in {pid for pid, _name in minute_taker_choices(meeting)}:
        raise MinutesError(_("Please choose a member of the body or of the office."), "person_id")
    definition = workflow.workflow_for(meeting.body_id, SLOT)
    meeting_id = meeting.id
    try:
        with write_transaction():
            minutes = Minutes(
                meeting_id=meeting_id,
                version_no=1,
                minute_taker_person_id=taker,
                created_by_id=user.id,
                workflow_name=definition.name,
                workflow_hash=definition.hash,
                state=definition.initial,
            )
            db.session.add(minutes)
            db.session.flush()
            workflow.start(minutes, definition, user)
            record(
                "minutes.started",
                "minutes",
                minutes.id,
                actor_id=user.id,
                data={"meeting_id": meeting_id, "minute_taker": taker},
            )
    except IntegrityError:
        raise MinutesError(_("The minutes of this meeting exist already.")) from None
    return minutes


def set_minute_taker(user: User, minutes: Minutes, person_id: int) -> None:
    if not may_manage(user, minutes):
        raise MinutesError(_("You cannot change the minute-taker."))
    if is_approved(minutes):
        raise MinutesError(approved_are_final())
    if person_id not in {pid for pid, _name in minute_taker_choices(minutes.meeting)}:
        raise MinutesError(_("Please choose a member of the body or of the office."), "person_id")
    minutes_id = minutes.id
    with write_transaction():
        current = db.session.get(Minutes, minutes_id, with_for_update=True, populate_existing=True)
        assert current is not None
        if is_approved(current):  # approved meanwhile
            raise MinutesError(approved_are_final())
        if current.minute_taker_person_id == person_id:
            return
        current.minute_taker_person_id = person_id
        record(
            "minutes.minute_taker",
            "minutes",
            minutes_id,
            actor_id=user.id,
            data={"person_id": person_id},
        )


# --- editing the summaries (optimistic per item) ---------------------------------------


@dataclass
class Conflict:
    """Someone saved the item since the editor loaded it: both texts are kept."""

    item_id: int
    mine: str
    theirs: str
    revision: int


@dataclass
class SaveResult:
    saved: list[int] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    revisions: dict[int, int] = field(default_factory=dict)


def save_summaries(
    user: User, minutes: Minutes, submitted: dict[int, tuple[str, int]]
) -> SaveResult:
    """Store the summaries ``{item id: (text, revision seen)}``.

    An item saved by someone else since ``revision`` is not overwritten: it
    comes back as a :class:`Conflict` with both texts (unless both typed the
    same).  Items without a change are left alone.  One transaction.
    """
    if not may_edit(user, minutes):
        raise MinutesError(_("You cannot edit these minutes."))
    item_ids = set(
        db.session.scalars(select(AgendaItem.id).where(AgendaItem.meeting_id == minutes.meeting_id))
    )
    cleaned: dict[int, tuple[str, int]] = {}
    for item_id, (text, revision) in submitted.items():
        if item_id not in item_ids:
            raise MinutesError(_("This agenda item does not belong to the meeting."))
        value = clean(text)
        if len(value) > MAX_SUMMARY:
            raise MinutesError(
                _("A summary may have at most %(n)d characters.", n=MAX_SUMMARY), f"item-{item_id}"
            )
        cleaned[item_id] = (value, max(int(revision), 0))
    result = SaveResult()
    minutes_id = minutes.id
    with write_transaction():
        current = db.session.get(Minutes, minutes_id, with_for_update=True, populate_existing=True)
        if current is None or not is_editable(current):
            raise MinutesError(
                _("These minutes are no longer a draft; summaries cannot be changed now.")
            )
        rows = {
            e.agenda_item_id: e
            for e in db.session.scalars(
                select(MinutesEntry)
                .where(MinutesEntry.minutes_id == minutes_id)
                .execution_options(populate_existing=True)
            )
        }
        now = utcnow()
        for item_id, (value, seen) in sorted(cleaned.items()):
            row = rows.get(item_id)
            stored_revision = row.revision if row else 0
            stored_text = row.summary if row else ""
            if value == stored_text:
                result.revisions[item_id] = stored_revision
                continue
            if seen != stored_revision:
                result.conflicts.append(Conflict(item_id, value, stored_text, stored_revision))
                result.revisions[item_id] = stored_revision
                continue
            if row is None:
                row = MinutesEntry(
                    minutes_id=minutes_id, agenda_item_id=item_id, summary=value, revision=1
                )
                db.session.add(row)
            else:
                row.summary = value
                row.revision = stored_revision + 1
            row.updated_at = now
            row.updated_by_id = user.id
            result.saved.append(item_id)
            result.revisions[item_id] = row.revision
        if result.saved:
            db.session.flush()
            record(
                "minutes.summaries_saved",
                "minutes",
                minutes_id,
                actor_id=user.id,
                data={"items": result.saved, "conflicts": [c.item_id for c in result.conflicts]},
            )
    return result


# --- composing: everything that goes into the PDF ----------------------------------------


def compose(
    meeting: Meeting,
    minutes: Minutes | None = None,
    *,
    public_only: bool = False,
    approved_at: datetime | None = None,
) -> dict[str, Any]:
    """The minutes document as plain data (see :func:`.render.compose_minutes`)."""
    summaries = {}
    taker = None
    corrects = None
    version_no = 1
    state_title = None
    if minutes is not None:
        summaries = {k: e.summary for k, e in entries(minutes).items()}
        taker = minutes.minute_taker.full_name if minutes.minute_taker else None
        version_no = minutes.version_no
        approved_at = approved_at or minutes.approved_at
        if approved_at is None:
            state_title = workflow.definition_of(minutes).state_title(minutes.state)
        if minutes.corrects is not None:
            previous = minutes.corrects
            full = documents(previous).get(FULL)
            corrects = {
                "version": previous.version_no,
                "approved_at": previous.approved_at,
                "sha256": full.sha256 if full else None,
                "reason": minutes.correction_reason,
            }
    return render.compose_minutes(
        meeting,
        summaries=summaries,
        minute_taker=taker,
        version_no=version_no,
        state_title=state_title,
        approved_at=approved_at,
        corrects=corrects,
        public_only=public_only,
        approval_meeting=approval_meeting(minutes) if minutes is not None else None,
    )


def _has_non_public_items(meeting_id: int) -> bool:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(AgendaItem)
            .where(AgendaItem.meeting_id == meeting_id, AgendaItem.public.is_(False))
        )
        or 0
    ) > 0


# --- PDFs: frozen, or cached under their fingerprint ----------------------------------------


@dataclass(frozen=True)
class PdfFile:
    data: bytes
    sha256: str
    filename: str
    frozen: bool
    fingerprint: str


def _cached(key: str, meeting_id: int, fingerprint: str, make: Any) -> tuple[bytes, str]:
    """The cached render for ``key`` when its fingerprint matches; else render and store."""
    row = db.session.scalar(select(PdfCache).where(PdfCache.cache_key == key))
    if row is not None and row.fingerprint == fingerprint:
        return row.data, row.sha256
    data: bytes = make()
    digest = hashlib.sha256(data).hexdigest()
    try:
        with write_transaction():
            row = db.session.scalar(
                select(PdfCache).where(PdfCache.cache_key == key).with_for_update()
            )
            if row is None:
                db.session.add(
                    PdfCache(
                        cache_key=key,
                        meeting_id=meeting_id,
                        fingerprint=fingerprint,
                        sha256=digest,
                        data=data,
                        rendered_at=utcnow(),
                    )
                )
            else:
                row.fingerprint, row.sha256, row.data = fingerprint, digest, data
                row.rendered_at = utcnow()
    except IntegrityError:  # another request stored the same render first
        pass  # the block undid its part
    return data, digest


def minutes_pdf(minutes: Minutes, *, public_only: bool = False) -> PdfFile:
    """The PDF of a version: the stored one once approved, else the (cached) draft."""
    meeting = minutes.meeting
    name = f"protokoll-{meeting.body.short_name}-{meeting.seq}-{meeting.year}-v{minutes.version_no}"
    name = render.safe_filename(name)
    if is_approved(minutes):
        docs = documents(minutes)
        doc = docs.get(PUBLIC) if public_only and PUBLIC in docs else docs.get(FULL)
        if doc is None:  # pragma: no cover - approval always stores the full edition
            raise MinutesError(_("The approved document is missing."))
        return PdfFile(doc.data, doc.sha256, f"{name}.pdf", True, doc.fingerprint)
    snapshot = compose(meeting, minutes, public_only=public_only)
    fingerprint = render.fingerprint(snapshot, archival=False)
    key = f"minutes:{minutes.id}:{PUBLIC if public_only else FULL}"
    data, digest = _cached(
        key, meeting.id, fingerprint, lambda: render.minutes_pdf(snapshot, archival=False)
    )
    return PdfFile(data, digest, f"{name}-entwurf.pdf", False, fingerprint)


def invitation_pdf(meeting: Meeting, *, public_only: bool = False) -> PdfFile:
    snapshot = render.compose_invitation(meeting, public_only=public_only)
    fingerprint = render.fingerprint(snapshot, archival=False)
    key = f"invitation:{meeting.id}:{PUBLIC if public_only else FULL}"
    data, digest = _cached(key, meeting.id, fingerprint, lambda: render.invitation_pdf(snapshot))
    name = render.safe_filename(f"einladung-{meeting.body.short_name}-{meeting.seq}-{meeting.year}")
    return PdfFile(data, digest, f"{name}.pdf", False, fingerprint)


# --- the workflow: circulating, approving (freezing), corrections ---------------------------------


def fire_transition(
    user: User,
    minutes: Minutes,
    transition_name: str,
    comment: str | None,
    expected_version: int | None,
    *,
    now: datetime | None = None,
) -> Minutes:
    """Fire a workflow step of the minutes.

    What may fire and what happens is in the definition: the guard
    ``meeting_closed`` keeps the minutes in the draft until the meeting is
    closed; the effect ``freeze_minutes`` stores the archival PDF.  For such
    a step the PDF (and a public edition for public meetings with
    non-public items) is rendered here, before the transaction, and the
    effect stores it when the meeting's data is still the same (else it
    renders again inside the transaction).
    """
    definition = workflow.definition_of(minutes)
    transition = definition.transitions.get(transition_name)
    if transition is None or minutes.state not in transition.from_states:
        raise workflow.TransitionNotAllowed(_("This step is not possible in the current state."))
    meeting = minutes.meeting
    if transition.when == "meeting_closed" and not access.has_flag(meeting, "closed"):
        raise MinutesError(_("The meeting must be closed before the minutes leave the draft."))
    now = now or utcnow()
    prepared = _prepared()
    if "freeze_minutes" in transition.effects and minutes.id not in prepared:  # see .jobs
        prepared[minutes.id] = {
            edition: _render_archival(meeting, minutes, edition, now)
            for edition in _editions(meeting)
        }
    try:
        workflow.fire(
            user,
            minutes,
            transition_name,
            comment=comment,
            expected_version=expected_version,
            now=now,
        )
    finally:
        prepared.pop(minutes.id, None)
    return minutes


def _editions(meeting: Meeting) -> list[str]:
    editions = [FULL]
    if meeting.public and _has_non_public_items(meeting.id):
        editions.append(PUBLIC)
    return editions


def _render_archival(
    meeting: Meeting, minutes: Minutes, edition: str, approved_at: datetime
) -> tuple[str, bytes]:
    snapshot = compose(meeting, minutes, public_only=edition == PUBLIC, approved_at=approved_at)
    return render.fingerprint(snapshot, archival=True), render.minutes_pdf(snapshot, archival=True)


def _prepared() -> dict[int, dict[str, tuple[str, bytes]]]:
    """PDFs rendered before the transaction, per minutes id (this request)."""
    from flask import g

    if not hasattr(g, "minutes_prerendered"):
        g.minutes_prerendered = {}
    return g.minutes_prerendered  # type: ignore[no-any-return]


# --- what the minutes workflows name: guards and effects ------------------------------------


def meeting_closed(ctx: registry.TransitionContext) -> bool:
    """Guard: the meeting of the minutes is closed."""
    return access.has_flag(ctx.obj.meeting, "closed")


def freeze_minutes(ctx: registry.TransitionContext) -> None:
    """Effect: store the archival PDF/A (and the public edition) with its
    SHA-256 and set ``approved_at``; the version never changes again."""
    minutes = ctx.obj
    meeting = minutes.meeting
    now = ctx.now
    ready = _prepared().get(minutes.id, {})
    stored: dict[str, str] = {}
    for edition in _editions(meeting):
        snapshot = compose(meeting, minutes, public_only=edition == PUBLIC, approved_at=now)
        fingerprint = render.fingerprint(snapshot, archival=True)
        found = ready.get(edition)
        if found is not None and found[0] == fingerprint:
            data = found[1]
        else:  # not rendered before, or the meeting's data changed since
            data = render.minutes_pdf(snapshot, archival=True)
        data = seal_minutes(data, meeting)  # PAdES seal of the Bildungsbüro, when configured
        sha = hashlib.sha256(data).hexdigest()
        db.session.add(
            MinutesDocument(
                minutes_id=minutes.id,
                edition=edition,
                sha256=sha,
                size=len(data),
                fingerprint=fingerprint,
                data=data,
                created_at=now,
            )
        )
        stored[edition] = sha
    minutes.approved_at = now
    db.session.flush()
    record(
        "minutes.frozen",
        "minutes",
        minutes.id,
        actor_id=ctx.actor.id if ctx.actor is not None else None,
        data=stored,
    )


def start_correction(user: User, minutes: Minutes, reason: str) -> Minutes:
    """A new version (draft) that corrects an approved one; its summaries are copied."""
    if not may_manage(user, minutes):
        raise MinutesError(_("You cannot correct these minutes."))
    reason = clean(reason)
    if not reason:
        raise MinutesError(_("Please say what the correction is about."), "reason")
    if not is_approved(minutes):
        raise MinutesError(_("Only approved minutes can be corrected."))
    newest = latest(minutes.meeting_id)
    if newest is None or newest.id != minutes.id:
        raise MinutesError(_("There is a newer version already; please correct that one."))
    meeting = minutes.meeting
    definition = workflow.workflow_for(meeting.body_id, SLOT)
    old_entries = entries(minutes)
    try:
        with write_transaction():
            correction = Minutes(
                meeting_id=meeting.id,
                version_no=minutes.version_no + 1,
                corrects_id=minutes.id,
                correction_reason=reason[:2000],
                minute_taker_person_id=minutes.minute_taker_person_id,
                created_by_id=user.id,
                workflow_name=definition.name,
                workflow_hash=definition.hash,
                state=definition.initial,
            )
            db.session.add(correction)
            db.session.flush()
            for item_id, entry in old_entries.items():
                db.session.add(
                    MinutesEntry(
                        minutes_id=correction.id,
                        agenda_item_id=item_id,
                        summary=entry.summary,
                        revision=1,
                        updated_by_id=user.id,
                    )
                )
            workflow.start(correction, definition, user)
            record(
                "minutes.correction_started",
                "minutes",
                correction.id,
                actor_id=user.id,
                comment=reason,
                data={"corrects": minutes.id, "version": correction.version_no},
            )
    except IntegrityError:
        raise MinutesError(_("Someone else has started a correction already.")) from None
    return correction


# --- "Genehmigung des Protokolls" on the next meeting's agenda ------------------------------


def approval_meeting_choices(minutes: Minutes) -> list[Meeting]:
    return [
        m
        for m in agenda.open_meetings_for_choice(minutes.meeting.body_id)
        if m.id != minutes.meeting_id
    ]


def schedule_approval(user: User, minutes: Minutes, meeting_id: int) -> AgendaItem:
    """Put "Approval of the minutes of …" on a later meeting of the body."""
    if not may_manage(user, minutes):
        raise MinutesError(_("You cannot change the agenda of this body."))
    if is_approved(minutes):
        raise MinutesError(_("These minutes are approved already."))
    if minutes.approval_item_id is not None:
        raise MinutesError(_("The approval is on an agenda already."))
    target = next((m for m in approval_meeting_choices(minutes) if m.id == meeting_id), None)
    if target is None:
        raise MinutesError(_("Please choose a later meeting of the body."), "meeting_id")
    title = _("Approval of the minutes of %(number)s", number=minutes.meeting.number)
    if minutes.version_no > 1:
        title = _(
            "Approval of the minutes of %(number)s (version %(version)d)",
            number=minutes.meeting.number,
            version=minutes.version_no,
        )
    try:
        item = agenda.add_free_item(user, target, title=title, public=target.public)
    except access.MeetingError as exc:
        raise MinutesError(str(exc)) from None
    minutes_id = minutes.id
    with write_transaction():
        current = db.session.get(Minutes, minutes_id, with_for_update=True)
        assert current is not None
        current.approval_item_id = item.id
        record(
            "minutes.approval_scheduled",
            "minutes",
            minutes_id,
            actor_id=user.id,
            data={"meeting_id": target.id, "agenda_item_id": item.id},
        )
    return item


def approval_meeting(minutes: Minutes) -> Meeting | None:
    """The meeting where the approval is on the agenda, if it is scheduled."""
    if minutes.approval_item_id is None:
        return None
    item = db.session.get(AgendaItem, minutes.approval_item_id)
    return access.get_meeting(item.meeting_id) if item is not None else None


def quorum_provider(object_type: str, obj: Any) -> bool | None:
    """quorum_present for minutes: the body's open meeting that approves them.

    The meeting with the approval item if it is open, else any other open
    meeting of the body; None while no such meeting is open.
    """
    if object_type != "minutes":
        return None
    candidates: list[Meeting] = []
    scheduled = approval_meeting(obj)
    if scheduled is not None and access.has_flag(scheduled, "in_session"):
        candidates.append(scheduled)
    candidates += list(
        db.session.scalars(
            select(Meeting)
            .options(joinedload(Meeting.body))
            .where(
                Meeting.body_id == obj.meeting.body_id,
                access.in_session_condition(),
                Meeting.id != obj.meeting_id,
            )
            .order_by(Meeting.starts_at.desc())
        )
    )
    if not candidates:
        return None
    return attendance.quorum(candidates[0]).quorate


def minutes_for_meetings(meeting_ids: Sequence[int]) -> dict[int, Minutes]:
    """The newest version per meeting (for lists)."""
    result: dict[int, Minutes] = {}
    if not meeting_ids:
        return result
    for minutes in db.session.scalars(
        select(Minutes)
        .where(Minutes.meeting_id.in_(list(meeting_ids)))
        .order_by(Minutes.version_no)
    ):
        result[minutes.meeting_id] = minutes
    return result


def state_title(minutes: Minutes) -> str:
    return workflow.definition_of(minutes).state_title(minutes.state)


def public_minutes(limit: int = 200) -> list[Minutes]:
    """Approved versions of public meetings, newest meeting first."""
    rows = db.session.scalars(
        select(Minutes)
        .join(Meeting, Meeting.id == Minutes.meeting_id)
        .options(joinedload(Minutes.meeting).joinedload(Meeting.body))
        .where(visibility.minutes_filter(visibility.ANONYMOUS))
        .order_by(Meeting.starts_at.desc(), Minutes.version_no.desc())
        .limit(limit)
    )
    return list(rows)


def register_workflow_providers() -> None:
    """The quorum provider, the guard and the effect (from ``init_app``)."""
    registry.add_provider(registry.quorum_providers, quorum_provider)
    registry.register_guards({"meeting_closed": meeting_closed})
    registry.register_effects({"freeze_minutes": freeze_minutes})
