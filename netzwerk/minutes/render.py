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
from ..meetings import meeting_services as ms
from ..meetings.models import AttendanceStatus, Meeting
from ..timeutil import format_date, format_local, to_local
from ..voting.meeting import MeetingPoll
from ..voting.models import Poll, PollState
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


def _chair(roster: list[ms.RosterLine]) -> str | None:
    """Who chaired: the chair if present, else a present vice chair, else the chair."""

    def present(line: ms.RosterLine) -> bool:
        return line.status == AttendanceStatus.PRESENT.value

    for role in ("chair", "vice_chair"):
        for line in roster:
            if line.membership.role == role and present(line):
                return str(line.membership.person.full_name)
    for line in roster:
        if line.membership.role == "chair":
            return str(line.membership.person.full_name)
    return None


def _attendance(meeting: Meeting, roster: list[ms.RosterLine]) -> dict[str, list[dict[str, Any]]]:
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
    guests = [{"name": g.name, "detail": g.organisation} for g in ms.guests(meeting)]
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
        "decided_at": _iso(decision.decided_at),
        "poll_id": decision.poll_id,
        "action_items": [_action(a) for a in decision.action_items],
    }


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
) -> dict[str, Any]:
    lines = ms.flatten(ms.agenda(meeting, public_only=public_only))
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
    roster = ms.roster(meeting)
    quorum = ms.quorum(meeting)
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
                "polls": [_poll(p) for p in polls.get(item.id, [])],
                "decisions": item_decisions,
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
        "chair": _chair(roster),
        "minute_taker": minute_taker,
        "quorum": {
            "present": quorum.present,
            "members": quorum.voting_members,
            "required": quorum.required,
            "quorate": quorum.quorate,
        },
        "attendance": _attendance(meeting, roster),
        "items": items,
        "decisions": all_decisions,
    }


def compose_invitation(meeting: Meeting, *, public_only: bool = False) -> dict[str, Any]:
    lines = ms.flatten(ms.agenda(meeting, public_only=public_only))
    roster = ms.roster(meeting)
    return {
        "kind": "invitation",
        "lang": "de",
        "title": _("Invitation to the meeting %(number)s", number=meeting.number),
        "public_only": public_only,
        "draft": ms.is_planned(meeting),
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
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


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
        f"{TEMPLATE_DIR}/minutes.html", doc=snapshot, format_summary=render_summary, **_labels()
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


def invitation_pdf(snapshot: dict[str, Any]) -> bytes:
    html = render_template(f"{TEMPLATE_DIR}/invitation.html", doc=snapshot, **_labels())
    return pdf.render(html, pdf_variant=ARCHIVAL_VARIANT, pdf_tags=True, lang=snapshot["lang"])
