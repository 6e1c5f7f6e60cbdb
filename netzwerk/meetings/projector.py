"""The projector view (Beamer): a read-only page of a meeting for the wall
of the room, opened with a revocable secret link and no login.

* A link is a random token; only its SHA-256 is stored (``ProjectorLink``),
  so the link is shown once, when it is made.  The office or the chair makes
  and revokes links; a revoked or unknown link answers with a page saying so
  (410 / 404), never with the meeting.
* What the wall shows (:func:`live_state`): the current item, its speakers
  list with the speaking time, the vote or election on it in progress ("17
  of 23 have voted": how many, never how) and its result once closed, and the QR code
  of the self check-in.
* The page polls a small fragment every few seconds with ``If-None-Match``;
  the fragment's ETag is a hash of the state, so an unchanged state costs a
  few queries and a 304, no rendering (cheap under gunicorn sync workers).
* The public page of a public meeting shows the same view of its public
  part (the visibility policy decides: :func:`visibility.is_public_meeting`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from . import attendance, cockpit, hooks, speakers
from .access import MeetingError, get_meeting, has_flag, is_over
from .models import Meeting, ProjectorLink

TOKEN_BYTES = 24


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def may_manage_links(user: object, meeting: Meeting) -> bool:
    """The office (and staff) and the chair make and revoke projector links."""
    return speakers.may_chair(user, meeting)


def active_links(meeting: Meeting) -> list[ProjectorLink]:
    return list(
        db.session.scalars(
            select(ProjectorLink)
            .where(ProjectorLink.meeting_id == meeting.id, ProjectorLink.revoked_at.is_(None))
            .order_by(ProjectorLink.id)
        )
    )


def create_link(
    user: User, meeting: Meeting, now: datetime | None = None
) -> tuple[ProjectorLink, str]:
    """A new projector link; returns the row and the token (shown once)."""
    now = now or utcnow()
    if not may_manage_links(user, meeting):
        raise MeetingError(_("Only the chair and the office make projector links."))
    if is_over(meeting):
        raise MeetingError(_("This meeting is over."))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with write_transaction():
        link = ProjectorLink(
            meeting_id=meeting.id,
            token_hash=token_hash(token),
            created_at=now,
            created_by_id=user.id,
        )
        db.session.add(link)
        db.session.flush()
        record(
            "meeting.projector_link_created",
            "meeting",
            meeting.id,
            actor_id=user.id,
            data={"link_id": link.id},
        )
    return link, token


def revoke_link(user: User, meeting: Meeting, link_id: int, now: datetime | None = None) -> None:
    now = now or utcnow()
    if not may_manage_links(user, meeting):
        raise MeetingError(_("Only the chair and the office revoke projector links."))
    with write_transaction():
        link = db.session.get(ProjectorLink, link_id, with_for_update=True)
        if link is None or link.meeting_id != meeting.id:
            raise MeetingError(_("This projector link does not exist."))
        if link.revoked_at is not None:
            return
        link.revoked_at = now
        db.session.flush()
        record(
            "meeting.projector_link_revoked",
            "meeting",
            meeting.id,
            actor_id=user.id,
            data={"link_id": link.id},
        )


@dataclass(frozen=True)
class TokenLookup:
    meeting: Meeting | None
    revoked: bool = False


def meeting_for_token(token: str) -> TokenLookup:
    """The meeting of a projector link; ``revoked`` for a revoked link."""
    if not token or len(token) > 200:
        return TokenLookup(None)
    link = db.session.scalar(
        select(ProjectorLink).where(ProjectorLink.token_hash == token_hash(token))
    )
    if link is None:
        return TokenLookup(None)
    if link.revoked_at is not None:
        return TokenLookup(None, revoked=True)
    return TokenLookup(get_meeting(link.meeting_id))


# --- what the wall shows --------------------------------------------------------------------


@dataclass(frozen=True)
class LiveSpeaker:
    name: str
    speaking: bool
    point_of_order: bool


@dataclass(frozen=True)
class LiveVote:
    kind: str  # "vote" or "election"
    title: str
    is_open: bool
    voted: int | None
    eligible: int | None
    result_label: str
    yes: int | None
    no: int | None
    abstain: int | None


@dataclass(frozen=True)
class LiveState:
    meeting_title: str
    number: str
    in_session: bool
    over: bool
    item_number: str | None = None
    item_title: str | None = None
    item_hidden: bool = False  # a non-public item on the public view
    speakers_closed: bool = False
    speakers: list[LiveSpeaker] = field(default_factory=list)
    speaking_ends_at: str | None = None  # ISO instant the speaking time ends
    speaking_seconds: int | None = None
    vote: LiveVote | None = None
    present: int = 0
    voting_members: int = 0
    quorate: bool = False

    @property
    def etag(self) -> str:
        payload = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:32]


def live_state(meeting: Meeting, *, public_only: bool = False) -> LiveState:
    """The projector's state of the meeting now (few queries, nothing secret)."""
    in_session = has_flag(meeting, "in_session")
    base = {
        "meeting_title": meeting.display_title,
        "number": meeting.number,
        "in_session": in_session,
        "over": is_over(meeting),
    }
    if in_session:
        quorum = attendance.quorum(meeting)
        base.update(
            present=quorum.present, voting_members=quorum.voting_members, quorate=quorum.quorate
        )
    line = cockpit.current_line(meeting) if in_session else None
    if line is None:
        return LiveState(**base)  # type: ignore[arg-type]
    item = line.item
    if public_only and not item.public:
        return LiveState(**base, item_hidden=True)  # type: ignore[arg-type]
    queue = speakers.queue(item.id)
    ends = speakers.speaking_ends_at(item, queue)
    polls = hooks.polls_for_items([item.id]).get(item.id, [])
    poll = next((p for p in reversed(polls) if p.is_open), polls[-1] if polls else None)
    vote = None
    if poll is not None:
        vote = LiveVote(
            kind=poll.kind,
            title=poll.title,
            is_open=poll.is_open,
            voted=poll.voted,
            eligible=poll.eligible,
            result_label="" if poll.is_open else poll.result_label,
            yes=None if poll.is_open else poll.yes,
            no=None if poll.is_open else poll.no,
            abstain=None if poll.is_open else poll.abstain,
        )
    return LiveState(
        **base,  # type: ignore[arg-type]
        item_number=line.number,
        item_title=item.title,
        speakers_closed=item.speakers_closed,
        speakers=[
            LiveSpeaker(s.person.full_name, s.status == speakers.SPEAKING, s.point_of_order)
            for s in queue
        ],
        speaking_ends_at=ends.isoformat() if ends else None,
        speaking_seconds=item.speaking_seconds,
        vote=vote,
    )


# Each worker answers the projectors of a meeting from one state for up to
# ``NETZWERK_PROJECTOR_CACHE_SECONDS`` (default 1): five screens polling
# every second cost one computation per worker and second, not five.
_RECENT: dict[tuple[int, bool], tuple[datetime, LiveState]] = {}
DEFAULT_CACHE_SECONDS = 1.0


def recent_live_state(meeting: Meeting, *, public_only: bool = False) -> LiveState:
    """:func:`live_state`, computed at most once a second per worker."""
    from datetime import timedelta

    from flask import current_app

    seconds = float(
        current_app.config.get("NETZWERK_PROJECTOR_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)
    )
    now = utcnow()
    key = (meeting.id, public_only)
    found = _RECENT.get(key)
    if (
        seconds > 0
        and found is not None
        and timedelta(0) <= now - found[0] < timedelta(seconds=seconds)
    ):
        return found[1]
    state = live_state(meeting, public_only=public_only)
    if len(_RECENT) > 500:
        _RECENT.clear()
    _RECENT[key] = (now, state)
    return state
