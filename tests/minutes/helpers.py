"""Shared steps of the minutes tests (inside an app context)."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import zlib
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from netzwerk.auth.models import User
from netzwerk.database import utcnow
from netzwerk.extensions import db
from netzwerk.governance.models import Body
from netzwerk.meetings import access, attendance, invitations, places, planning
from netzwerk.meetings.models import Meeting
from netzwerk.minutes import services
from netzwerk.minutes.demo import draft_minutes, hold_demo_meeting
from netzwerk.minutes.models import Minutes

OFFICE = "buero@osnabrueck.example"
CHAIR = "ob@osnabrueck.example"


def user(email: str) -> User:
    found = db.session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def fresh_minutes(minutes_id: int) -> Minutes:
    db.session.expire_all()
    found = services.get_minutes(minutes_id)
    assert found is not None
    return found


def fresh_meeting(meeting_id: int) -> Meeting:
    db.session.expire_all()
    found = access.get_meeting(meeting_id)
    assert found is not None
    return found


def berlin_meeting(starts: datetime, ends: datetime | None = None) -> Meeting:
    """A planned meeting of the VK at the Rathaus."""
    office = user(OFFICE)
    place = next(iter(places.locations()), None) or places.create_location(
        office, name="Rathaus", address="Markt 1", room="Friedenssaal"
    )
    vk = db.session.scalar(select(Body).where(Body.short_name == "VK"))
    assert vk is not None
    return planning.create_meeting(
        office, body_id=vk.id, starts_at=starts, ends_at=ends, location_id=place.id
    )


def held_meeting_with_minutes() -> tuple[Meeting, Minutes]:
    meeting = hold_demo_meeting()
    assert meeting is not None
    minutes = draft_minutes(meeting)
    assert minutes is not None
    return fresh_meeting(meeting.id), fresh_minutes(minutes.id)


def open_approving_meeting(minutes: Minutes) -> Meeting:
    """A later meeting of the body, with the approval on its agenda, open and quorate."""
    office = user(OFFICE)
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    location = places.locations()[0]
    nxt = planning.create_meeting(
        office, body_id=minutes.meeting.body_id, starts_at=start, location_id=location.id
    )
    services.schedule_approval(office, fresh_minutes(minutes.id), nxt.id)
    invitations.send_invitations(office, fresh_meeting(nxt.id), reason="kurzfristig")
    invitations.fire_to_flag(office, fresh_meeting(nxt.id), "in_session")
    nxt = fresh_meeting(nxt.id)
    seats = [line.membership for line in attendance.roster(nxt) if line.membership.voting_right]
    attendance.set_attendance(office, nxt, {m.id: "present" for m in seats[:5]})
    return fresh_meeting(nxt.id)


def approve(minutes: Minutes, actor_email: str = OFFICE) -> Minutes:
    office = user(OFFICE)
    minutes = fresh_minutes(minutes.id)
    if services.is_editable(minutes):  # the draft
        services.fire_transition(office, minutes, "in_umlauf_geben", None, minutes.version)
        minutes = fresh_minutes(minutes.id)
    if services.approval_meeting(minutes) is None:
        open_approving_meeting(minutes)
        minutes = fresh_minutes(minutes.id)
    services.fire_transition(
        user(actor_email), minutes, "genehmigen", "einstimmig", minutes.version
    )
    return fresh_minutes(minutes.id)


def pdf_text(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        out = subprocess.run(
            ["/usr/bin/pdftotext", "-enc", "UTF-8", str(path), "-"],
            check=True,
            capture_output=True,
        )
    return " ".join(out.stdout.decode("utf-8").split())


def pdf_meta(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        out = subprocess.run(
            ["/usr/bin/pdfinfo", "-meta", str(path)], check=True, capture_output=True
        )
    return out.stdout.decode("utf-8", "replace")


def pdf_attachments(data: bytes) -> dict[str, bytes]:
    """Every embedded file, extracted with pdfdetach (poppler-utils)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        out_dir = Path(tmp) / "files"
        out_dir.mkdir()
        subprocess.run(
            ["/usr/bin/pdfdetach", "-saveall", "-o", str(out_dir), str(path)],
            check=True,
            capture_output=True,
        )
        return {p.name: p.read_bytes() for p in out_dir.iterdir()}


def pdf_objects(data: bytes) -> bytes:
    """The PDF's plain and inflated streams (the catalogue sits in an object stream)."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


def decisions_json(data: bytes) -> dict:  # type: ignore[type-arg]
    return json.loads(pdf_attachments(data)["beschluesse.json"])
