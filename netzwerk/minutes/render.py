"""Composing the minutes and the invitation as plain data, and rendering them.

:func:`compose_minutes` reads the meeting once (agenda, attendance, polls,
decisions, action items) into a JSON-able dict.  That dict is all the
templates see, so its SHA-256 – together with the templates' own hash and
the rendering options – is the fingerprint of the PDF: the same fingerprint
means the same document, and a cached render can be served as it is.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import pdf
from ..decisions.models import ActionItem, Decision
from ..extensions import db
from ..governance.models import MajorityRule
from ..meetings import access, agenda, attendance
from ..meetings.models import AttendanceStatus, Meeting
from ..meetings.speakers import spoken as spoken_on
from ..timeutil import format_date, format_local, to_local
from ..voting.models import MeetingPoll, Poll, PollState
from ..voting.rules import PollResult

ARCHIVAL_VARIANT = "pdf/a-3b"
JSON_NAME = "beschluesse.json"
JSON_FORMAT = "netzwerk-minutes-decisions/1"
TEMPLATE_DIR = "minutes/pdf"

_template_hash: str | None = None


def template_hash() -> str:
    """SHA-256 over the PDF templates (computed once per process)."""
    global _template_hash
    if _template_hash is None:
        root = Path(current_app.template_folder or "templates") / TEMPLATE_DIR
        digest = hashlib.sha256()
        for path in sorted(root.glob("*")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        _template_hash = digest.hexdigest()
    return _template_hash


def fingerprint(snapshot: dict[str, Any], *, archival: bool) -> str:
    """The content fingerprint: everything that goes into the PDF."""
    import weasyprint

    digest = hashlib.sha256()
    digest.update(json.dumps(snapshot, sort_keys=True, ensure_ascii=False).encode())
    digest.update(template_hash().encode())
    digest.update(json.dumps({k: str(v) for k, v in _labels().items()}).encode())
    digest.update(f"archival={archival};weasyprint={weasyprint.__version__}".encode())
    return digest.hexdigest()


def safe_filename(name: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe"})
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name.translate(table)).strip("-") or "dokument"


# --- the meeting's facts ----------------------------------------------------------------------


def _person(membership: Any) -> dict[str, Any]:
    person = membership.person
    detail = person.function or (membership.organisation.name if membership.organisation else None)
    return {"name": person.full_name, "detail": detail}


def _meeting_facts(meeting: Meeting) -> dict[str, Any]:
    start = to_local(meeting.starts_at)
    time_text = start.strftime("%H:%M")
    if meeting.ends_at:
        time_text += " – " + to_local(meeting.ends_at).strftime("%H:%M")
    return {
        "body": meeting.body.name,
        "body_short": meeting.body.short_name,
        "number": meeting.number,
        "meeting_title": meeting.display_title,
        "date": format_date(start.date()),
        "time": time_text,
        "place": meeting.location.label if meeting.location else None,
        "online": meeting.online_link,
        "public_meeting": bool(meeting.public),
    }


def _chair(roster: list[attendance.RosterLine]) -> str | None:
    """Who chaired: the chair if present, else a present vice chair, else the chair."""

    def present(line: attendance.RosterLine) -> bool:
        return line.status == AttendanceStatus.PRESENT.value

    for role in ("chair", "vice_chair"):
        for line in roster:
            if line.membership.role == role and present(line):
                return str(line.membership.person.full_name)
    for line in roster:
        if line.membership.role == "chair":
            return str(line.membership.person.full_name)
    return None


def _attendance(
    meeting: Meeting, roster: list[attendance.RosterLine]
) -> dict[str, list[dict[str, Any]]]:
    present, excused, absent, deputies = [], [], [], []
    for line in roster:
        membership = line.membership
        status = line.status or AttendanceStatus.ABSENT.value
        entry = _person(membership)
        if membership.deputy_of_id is not None:
            if status == AttendanceStatus.PRESENT.value:
                principal = membership.deputy_of.person.full_name if membership.deputy_of else ""
                deputies.append({**entry, "deputy_for": principal})
            continue
        if status == AttendanceStatus.PRESENT.value:
            present.append(entry)
        elif status == AttendanceStatus.EXCUSED.value:
            excused.append(entry)
        else:
            absent.append(entry)
    guests = [{"name": g.name, "detail": g.organisation} for g in attendance.guests(meeting)]
    return {
        "present": present,
        "excused": excused,
        "absent": absent,
        "deputies": deputies,
        "guests": guests,
    }


def _iso(value: datetime | None) -> str | None:
    return to_local(value).isoformat() if value else None


def _poll(poll: Poll) -> dict[str, Any]:
    closed = poll.state == PollState.CLOSED.value
    return {
        "id": poll.id,
        "title": poll.title,
        "question": poll.question,
        "kind": poll.kind_label,
        "how": poll.how_label,
        "amendment": poll.subject_type == "amendment",
        "quorum_at_opening": (
            {
                "present": poll.present_at_opening,
                "members": poll.voting_members,
                "required": poll.quorum_required,
                "quorate": poll.quorate_at_opening,
            }
            if poll.quorate_at_opening is not None
            else None
        ),
        "closed": closed,
        "state": poll.state_label,
        "yes": poll.yes_count,
        "no": poll.no_count,
        "abstain": poll.abstain_count,
        "voting_members": poll.voting_members,
        "present": poll.present_at_closing,
        "majority_rule": MajorityRule(poll.majority_rule).label,
        "result": poll.result_label if closed else None,
        "passed": poll.result == PollResult.PASSED.value if closed else None,
        "quorate": poll.quorate,
    }


def _election(election: Any) -> dict[str, Any]:
    from ..voting import elections as election_service

    return {
        "title": election.title,
        "seats": election.seats,
        "rule": election.rule_label,
        "closed": not election.is_open,
        "elected": [
            {"name": c.name, "round": c.elected_in_round, "by_lot": c.by_lot}
            for c in election.elected
        ],
        "rounds": [
            {
                "number": r.number,
                "runoff": r.runoff,
                "ballots": r.participants,
                "present": r.present_at_opening,
                "members": r.voting_members,
                "required": r.quorum_required,
                "quorate": r.quorate_at_opening,
                "votes": [
                    {"name": n, "votes": v} for n, v in election_service.round_rows(r, election)
                ],
                "lots": election_service.lot_texts(r, election),
            }
            for r in election.rounds
            if not r.is_open
        ],
    }


def _names_by_value(names: dict[str, list[str]] | None) -> list[dict[str, Any]] | None:
    """A named vote's voters per answer, in the order yes, no, abstain."""
    if not names:
        return None
    labels = {
        "yes": _("Yes"),
        "no": _("No"),
        "abstain": _("Abstentions"),
    }
    return [
        {"value": value, "label": labels.get(value, value), "names": names[value]}
        for value in ("yes", "no", "abstain")
        if names.get(value)
    ]


def _action(item: ActionItem) -> dict[str, Any]:
    return {
        "title": item.title,
        "responsible": item.responsible_label,
        "due_date": format_date(item.due_date) if item.due_date else None,
        "due_iso": item.due_date.isoformat() if item.due_date else None,
        "status": item.status_label,
    }


def _decision(decision: Decision) -> dict[str, Any]:
    return {
        "id": decision.id,
        "number": decision.number,
        "title": decision.title,
        "text": decision.text,
        "outcome": decision.outcome,
        "outcome_label": decision.outcome_label,
        "yes": decision.yes_count,
        "no": decision.no_count,
        "abstain": decision.abstain_count,
        "voting_members": decision.voting_members,
        "majority_rule": decision.majority_rule,
        "majority_rule_label": MajorityRule(decision.majority_rule).label,
        "how": decision.how_label,
        "election": decision.election_id is not None,
        "decided_at": _iso(decision.decided_at),
        "poll_id": decision.poll_id,
        "action_items": [_action(a) for a in decision.action_items],
    }


def _actual_times(meeting: Meeting, roster: list[attendance.RosterLine]) -> dict[str, Any]:
    """When the meeting really began and ended, from its workflow history.

    The start is the first step into a state with the flag ``in_session``,
    the end the step into ``closed`` (the time the meeting records for its
    state); a history dated before its own steps (a meeting entered
    afterwards) falls back to the first arrival.
    """
    from ..audit.models import AuditEvent
    from ..workflow import services as workflow
    from ..workflow.services import TRANSITION_ACTION

    definition = workflow.definition_of(meeting)

    def flags(state: str | None) -> frozenset[str]:
        found = definition.states.get(state or "")
        return found.flags if found else frozenset()

    opened: datetime | None = None
    closed: datetime | None = None
    for event in db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "meeting",
            AuditEvent.object_id == meeting.id,
            AuditEvent.action == TRANSITION_ACTION,
        )
        .order_by(AuditEvent.id)
    ):
        if opened is None and "in_session" in flags(event.to_state):
            opened = event.created_at
        if "closed" in flags(event.to_state):
            closed = event.created_at
    if "closed" in flags(meeting.state) and meeting.state_entered_at is not None:
        closed = meeting.state_entered_at
    arrivals = [
        line.attendance.arrived_at
        for line in roster
        if line.attendance is not None and line.attendance.arrived_at is not None
    ]
    if opened is not None and closed is not None and opened > closed:
        opened = None  # steps entered after the fact
    if opened is None and arrivals:
        opened = min(arrivals)
    text = None
    if opened is not None:
        text = to_local(opened).strftime("%H:%M")
        if closed is not None:
            text += " – " + to_local(closed).strftime("%H:%M")
    return {
        "actual_time": text,
        "actual_start": _iso(opened),
        "actual_end": _iso(closed),
    }


def _attendance_changes(meeting: Meeting, roster: list[attendance.RosterLine]) -> list[Any]:
    """Arrivals and departures during the meeting, with their times."""
    from ..audit.models import AuditEvent

    names = {line.membership.id: line.membership.person.full_name for line in roster}
    changes = []
    for event in db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "meeting",
            AuditEvent.object_id == meeting.id,
            AuditEvent.action.in_(("meeting.arrival", "meeting.departure")),
        )
        .order_by(AuditEvent.id)
    ):
        data = json.loads(event.data or "{}")
        at = datetime.fromisoformat(data["at"]) if data.get("at") else event.created_at
        changes.append(
            {
                "time": to_local(at).strftime("%H:%M"),
                "iso": _iso(at),
                "name": names.get(data.get("membership_id"), "?"),
                "arrived": event.action == "meeting.arrival",
            }
        )
    changes.sort(key=lambda c: c["iso"] or "")
    return changes


def _named_votes(poll_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """Who voted how in open (named) polls: {poll id: {value: [names]}}."""
    from ..governance.models import Person
    from ..voting.models import Ballot

    if not poll_ids:
        return {}
    result: dict[int, dict[str, list[str]]] = {}
    for poll_id, value, person in db.session.execute(
        select(Ballot.poll_id, Ballot.value, Person)
        .join(Person, Person.id == Ballot.cast_by_person_id)
        .where(Ballot.poll_id.in_(poll_ids))
        .order_by(Person.last_name, Person.first_name)
    ).all():
        result.setdefault(poll_id, {}).setdefault(value, []).append(person.full_name)
    return result


def compose_minutes(
    meeting: Meeting,
    *,
    summaries: dict[int, str],
    minute_taker: str | None,
    version_no: int,
    state_title: str | None,
    approved_at: datetime | None,
    corrects: dict[str, Any] | None,
    public_only: bool,
    approval_meeting: Meeting | None = None,
) -> dict[str, Any]:
    lines = agenda.flatten(agenda.agenda(meeting, public_only=public_only))
    polls: dict[int, list[Poll]] = {}
    for item_id, poll in db.session.execute(
        select(MeetingPoll.agenda_item_id, Poll)
        .join(Poll, Poll.id == MeetingPoll.poll_id)
        .where(MeetingPoll.meeting_id == meeting.id)
        .order_by(Poll.id)
    ).all():
        polls.setdefault(item_id, []).append(poll)
    decisions: dict[int, list[Decision]] = {}
    for decision in db.session.scalars(
        select(Decision)
        .options(
            selectinload(Decision.action_items).joinedload(ActionItem.responsible_person),
            selectinload(Decision.action_items).joinedload(ActionItem.responsible_organisation),
        )
        .where(Decision.meeting_id == meeting.id)
        .order_by(Decision.year, Decision.seq)
    ):
        decisions.setdefault(decision.agenda_item_id or 0, []).append(decision)
    roster = attendance.roster(meeting)
    quorum = attendance.quorum(meeting)
    named = _named_votes(
        [p.id for found in polls.values() for p in found if p.is_closed and not p.is_secret]
    )
    from ..voting import amendments as amendment_service
    from ..voting import elections as election_service
    from ..voting.hands import hand_names

    by_hand = hand_names([p.id for found in polls.values() for p in found if p.by_hand])
    for poll_id, hand in by_hand.items():
        merged = named.setdefault(poll_id, {})
        for value, people in hand.items():
            merged[value] = sorted(merged.get(value, []) + people)
    item_ids = [line.item.id for line in lines]
    item_amendments = amendment_service.amendments_of(item_ids)
    item_elections = election_service.elections_of(item_ids)
    item_speakers = spoken_on(item_ids)  # the speakers list (meetings.speakers)
    items = []
    all_decisions = []
    for line in lines:
        item = line.item
        item_decisions = [_decision(d) for d in decisions.get(item.id, [])]
        for d in item_decisions:
            all_decisions.append({**d, "agenda_number": line.number, "agenda_title": item.title})
        paper = item.paper
        items.append(
            {
                "id": item.id,
                "number": line.number,
                "depth": line.depth,
                "title": item.title,
                "public": bool(item.public),
                "withdrawn": bool(item.withdrawn),
                "late": bool(item.late),
                "paper": (f"{paper.number} – {paper.title}" if paper.number else paper.title)
                if paper is not None
                else None,
                "summary": summaries.get(item.id, ""),
                "polls": [
                    {**_poll(p), "names": _names_by_value(named.get(p.id))}
                    for p in polls.get(item.id, [])
                ],
                "decisions": item_decisions,
                "amendments": [
                    {"seq": a.seq, "text": a.text, "proposer": a.proposer, "outcome": a.state_label}
                    for a in item_amendments.get(item.id, [])
                ],
                "elections": [_election(e) for e in item_elections.get(item.id, [])],
                "speakers": [
                    {"name": sp.person.full_name, "point_of_order": sp.point_of_order}
                    for sp in item_speakers.get(item.id, [])
                ],
            }
        )
    facts = _meeting_facts(meeting)
    return {
        "kind": "minutes",
        "lang": "de",
        "title": _("Minutes of the meeting %(number)s", number=meeting.number),
        "public_only": public_only,
        "draft": approved_at is None,
        "state_title": state_title,
        "approved_at": format_local(approved_at) if approved_at else None,
        "approved_iso": _iso(approved_at),
        "version": version_no,
        "corrects": (
            {
                **corrects,
                "approved_at": format_local(corrects["approved_at"])
                if corrects.get("approved_at")
                else None,
            }
            if corrects
            else None
        ),
        **facts,
        **_actual_times(meeting, roster),
        "approval_meeting": (
            {
                "number": approval_meeting.number,
                "date": format_date(to_local(approval_meeting.starts_at).date()),
            }
            if approval_meeting is not None
            else None
        ),
        "chair": _chair(roster),
        "minute_taker": minute_taker,
        "quorum": {
            "present": quorum.present,
            "members": quorum.voting_members,
            "required": quorum.required,
            "quorate": quorum.quorate,
        },
        "attendance": _attendance(meeting, roster),
        "attendance_changes": _attendance_changes(meeting, roster),
        "items": items,
        "decisions": all_decisions,
    }


def compose_invitation(meeting: Meeting, *, public_only: bool = False) -> dict[str, Any]:
    lines = agenda.flatten(agenda.agenda(meeting, public_only=public_only))
    roster = attendance.roster(meeting)
    return {
        "kind": "invitation",
        "lang": "de",
        "title": _("Invitation to the meeting %(number)s", number=meeting.number),
        "public_only": public_only,
        "draft": access.is_planned(meeting),
        **_meeting_facts(meeting),
        "chair": _chair(roster),
        "invited_at": format_local(meeting.invitations_sent_at)
        if meeting.invitations_sent_at
        else None,
        "short_notice_reason": meeting.short_notice_reason,
        "members": [
            {**_person(line.membership), "role": line.membership.role}
            for line in roster
            if line.membership.deputy_of_id is None
        ],
        "items": [
            {
                "id": line.item.id,
                "number": line.number,
                "depth": line.depth,
                "title": line.item.title,
                "public": bool(line.item.public),
                "withdrawn": bool(line.item.withdrawn),
                "late": bool(line.item.late),
                "paper": (
                    f"{line.item.paper.number} – {line.item.paper.title}"
                    if line.item.paper.number
                    else line.item.paper.title
                )
                if line.item.paper is not None
                else None,
            }
            for line in lines
        ],
    }


# --- rendering ----------------------------------------------------------------------------------


def decisions_json(snapshot: dict[str, Any]) -> bytes:
    """The machine-readable decisions embedded in the PDF."""
    payload = {
        "format": JSON_FORMAT,
        "body": snapshot["body"],
        "meeting": snapshot["number"],
        "date": snapshot["date"],
        "minutes_version": snapshot["version"],
        "approved_at": snapshot["approved_iso"],
        "public_edition": snapshot["public_only"],
        "decisions": [
            {
                "number": d["number"],
                "title": d["title"],
                "text": d["text"],
                "outcome": d["outcome"],
                "votes": {"yes": d["yes"], "no": d["no"], "abstain": d["abstain"]},
                "voting_members": d["voting_members"],
                "majority_rule": d["majority_rule"],
                "taken": d.get("how"),
                "agenda_item": {"number": d["agenda_number"], "title": d["agenda_title"]},
                "decided_at": d["decided_at"],
                "action_items": [
                    {
                        "title": a["title"],
                        "responsible": a["responsible"],
                        "due_date": a["due_iso"],
                        "status": a["status"],
                    }
                    for a in d["action_items"]
                ],
            }
            for d in snapshot["decisions"]
        ],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")


def _css_string(text: str) -> str:
    """Text for a CSS string in a <style> element: quotes and backslashes
    escaped, and ``<``/``>`` as CSS escapes, so no ``</style>`` ends it."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return text.replace("\n", " ").replace("<", "\\3c ").replace(">", "\\3e ")


def _head_label(snapshot: dict[str, Any]) -> Any:
    """The running head of every page (a CSS string; see _style.css)."""
    from markupsafe import Markup

    head = f"{snapshot['body']} · {snapshot['title']}"
    if snapshot.get("public_only"):
        head += " · " + _("public edition")
    return Markup(_css_string(head))  # noqa: S704 - escaped for CSS above


def _labels() -> dict[str, Any]:
    """Labels that go into CSS strings (the page counter, the draft mark)."""
    from markupsafe import Markup

    page = _("Page %(page)s of %(pages)s", page="\x00page\x00", pages="\x00pages\x00")
    page = _css_string(page)
    page = page.replace("\x00page\x00", '" counter(page) "').replace(
        "\x00pages\x00", '" counter(pages) "'
    )
    return {
        "page_label": Markup(page),  # noqa: S704 - our catalogue, quoted for CSS
        "draft_label": Markup(_css_string(_("DRAFT"))),  # noqa: S704
    }


def minutes_html(snapshot: dict[str, Any]) -> str:
    from .text import render_summary

    return render_template(
        f"{TEMPLATE_DIR}/minutes.html",
        doc=snapshot,
        format_summary=render_summary,
        head_label=_head_label(snapshot),
        **_labels(),
    )


def minutes_pdf(snapshot: dict[str, Any], *, archival: bool = True) -> bytes:
    """The PDF: PDF/A-3b and tagged when archival, with the decisions as JSON."""
    html = minutes_html(snapshot)
    return pdf.render(
        html,
        pdf_variant=ARCHIVAL_VARIANT if archival else None,
        pdf_tags=True,
        lang=snapshot["lang"],
        attachments=[
            pdf.PdfAttachment(
                JSON_NAME,
                decisions_json(snapshot),
                _("Decisions of the meeting %(number)s (JSON)", number=snapshot["number"]),
            )
        ],
    )


def invitation_html(snapshot: dict[str, Any]) -> str:
    return render_template(
        f"{TEMPLATE_DIR}/invitation.html",
        doc=snapshot,
        head_label=_head_label(snapshot),
        **_labels(),
    )


def invitation_pdf(snapshot: dict[str, Any]) -> bytes:
    html = invitation_html(snapshot)
    return pdf.render(html, pdf_variant=ARCHIVAL_VARIANT, pdf_tags=True, lang=snapshot["lang"])
