"""The partner portal: a partner's contact person reports without an account.

A project lead invites the contact person of a partner organisation with a
personal link (:func:`invite`).  The link is single-purpose (reporting to
one project for one partner organisation), expires after
``PROJECTS_PARTNER_LINK_DAYS`` days and can be revoked; only the SHA-256 of
its token is stored.  Whoever opens it asks for a confirmation code, which
goes to the contact person's address; the code is valid for 15 minutes,
once, and after ``MAX_CODE_ATTEMPTS`` wrong entries it is void (the view
also rate-limits its entry).  The confirmed browser keeps a random session
key whose hash is stored on the invitation: one browser at a time.

Then the partner confirms the milestones their organisation owns, enters
participant numbers for a report period, uploads evidence (the same file
checks as papers' attachments: ``papers.files.sniff``) and countersigns the
cooperation agreement (an audit event).  Nothing they enter changes the
project by itself: the project lead accepts entries into a status report
(:func:`accept_entries`), which is when progress and reach change.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..governance.models import Person
from ..mail.services import queue_mail
from ..timeutil import format_date, local_today
from .models import (
    Milestone,
    PartnerEntry,
    PartnerInvitation,
    Project,
    ProjectPartner,
    ReportValue,
    StatusReport,
)
from .services import MAX_INDICATOR_VALUE, ProjectError, is_final, may_manage
from .vocab import REACH_CODE

PURPOSE = "partner_report"
DEFAULT_LINK_DAYS = 30
CODE_MINUTES = 15
CODE_LENGTH = 6
MAX_CODE_ATTEMPTS = 5
DEFAULT_EVIDENCE_MB = 10
MAX_NOTE = 2000


class PortalError(ProjectError):
    """A partner's input broke a rule (shown next to the field)."""


class LinkRefused(Exception):
    """The link cannot be used: ``reason`` is unknown, expired or revoked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _code_hash(invitation_id: int, code: str) -> str:
    """A keyed hash: six digits alone would be found from a plain hash at once."""
    key = str(current_app.secret_key or "").encode()
    return hmac.new(key, f"partner-code:{invitation_id}:{code}".encode(), "sha256").hexdigest()


def link_days() -> int:
    try:
        days = int(current_app.config.get("PROJECTS_PARTNER_LINK_DAYS", DEFAULT_LINK_DAYS))
    except (TypeError, ValueError):
        days = DEFAULT_LINK_DAYS
    return min(max(days, 1), 365)


def evidence_limit() -> int:
    """The largest evidence file in bytes (at most the request limit)."""
    try:
        mb = float(current_app.config.get("PROJECTS_EVIDENCE_MAX_MB", DEFAULT_EVIDENCE_MB))
    except (TypeError, ValueError):
        mb = DEFAULT_EVIDENCE_MB
    limit = int(mb * 1024 * 1024)
    request_limit = current_app.config.get("MAX_CONTENT_LENGTH")
    return min(limit, int(request_limit)) if request_limit else limit


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- the project lead: invitations ----------------------------------------------------


def contact_choices(partner: ProjectPartner) -> list[tuple[int, str]]:
    """Active persons of the partner organisation who have an e-mail address."""
    rows = db.session.execute(
        select(Person.id, Person.first_name, Person.last_name, Person.email)
        .where(
            Person.organisation_id == partner.organisation_id,
            Person.active,
            Person.email.is_not(None),
            Person.email != "",
        )
        .order_by(Person.last_name, Person.first_name)
    ).all()
    return [(r.id, f"{r.last_name}, {r.first_name} <{r.email}>") for r in rows]


def _link(token: str) -> str:
    from ..mail.links import absolute_url  # from NETZWERK_BASE_URL, with or without a request

    return absolute_url("partner_portal.portal", token=token)


def invite(
    user: User,
    project: Project,
    *,
    partner_id: int | None,
    contact_person_id: int | None,
    days: int | None = None,
    now: datetime | None = None,
) -> tuple[PartnerInvitation, str]:
    """A personal link for a partner's contact person, mailed to them.

    Returns the invitation and the token (only its hash is stored; the
    token is in the mail and nowhere else)."""
    if not may_manage(user, project):
        raise ProjectError(_("You cannot change this project."))
    partner = db.session.get(ProjectPartner, partner_id) if partner_id else None
    if partner is None or partner.project_id != project.id:
        raise ProjectError(_("Please choose a partner of this project."), "partner_id")
    allowed = {pid for pid, _label in contact_choices(partner)}
    if contact_person_id is None or contact_person_id not in allowed:
        raise ProjectError(
            _("Please choose a contact person of this organisation with an e-mail address."),
            "contact_person_id",
        )
    person = db.session.get(Person, contact_person_id)
    assert person is not None and person.email
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    lifetime = timedelta(days=days if days else link_days())
    project_id, project_title = project.id, project.title
    with write_transaction():
        invitation = PartnerInvitation(
            project_id=project_id,
            partner_id=partner.id,
            contact_person_id=person.id,
            email=person.email,
            purpose=PURPOSE,
            token_hash=_sha256(token),
            created_at=now,
            created_by_id=user.id,
            expires_at=now + lifetime,
        )
        db.session.add(invitation)
        db.session.flush()
        queue_mail(
            person.email,
            _("Partner portal: %(project)s", project=project_title),
            _(
                "Hello %(name)s,\n\n"
                "%(lead)s invites you to report for %(organisation)s on the project "
                "“%(project)s”: confirm milestones, enter participant numbers, upload "
                "evidence and countersign the cooperation agreement. You do not need "
                "an account.\n\n"
                "Your personal link (valid until %(until)s):\n%(link)s\n\n"
                "When you open it, we send a confirmation code to this address. "
                "Please do not pass the link on.",
                name=person.full_name,
                lead=user.person.full_name if user.person else user.email,
                organisation=partner.organisation.name,
                project=project_title,
                until=format_date(invitation.expires_at),
                link=_link(token),
            ),
        )
        record(
            "project.partner_invited",
            "project",
            project_id,
            actor_id=user.id,
            data={
                "invitation_id": invitation.id,
                "partner_id": partner.id,
                "person_id": person.id,
                "expires_at": invitation.expires_at.isoformat(),
            },
        )
    return invitation, token


def revoke(user: User, project: Project, invitation_id: int, now: datetime | None = None) -> None:
    if not may_manage(user, project):
        raise ProjectError(_("You cannot change this project."))
    if not 0 < invitation_id < 2**31:
        raise ProjectError(_("This link does not exist."))
    with write_transaction():
        invitation = db.session.get(PartnerInvitation, invitation_id, with_for_update=True)
        if invitation is None or invitation.project_id != project.id:
            raise ProjectError(_("This link does not exist."))
        if invitation.revoked_at is not None:
            return
        invitation.revoked_at = now or utcnow()
        invitation.session_hash = None
        invitation.code_hash = None
        record(
            "project.partner_link_revoked",
            "project",
            project.id,
            actor_id=user.id,
            data={"invitation_id": invitation.id},
        )


def invitations_of(project_id: int) -> Sequence[PartnerInvitation]:
    return db.session.scalars(
        select(PartnerInvitation)
        .options(
            joinedload(PartnerInvitation.partner).joinedload(ProjectPartner.organisation),
            joinedload(PartnerInvitation.contact_person),
        )
        .where(PartnerInvitation.project_id == project_id)
        .order_by(PartnerInvitation.created_at.desc(), PartnerInvitation.id.desc())
    ).all()


def invitation_status(invitation: PartnerInvitation, now: datetime | None = None) -> str:
    """revoked | expired | confirmed | open"""
    now = now or utcnow()
    if invitation.revoked_at is not None:
        return "revoked"
    if _aware(invitation.expires_at) <= now:
        return "expired"
    return "confirmed" if invitation.confirmed_at else "open"


# --- the partner: the link, the code, the browser session --------------------------------


def open_link(token: str, now: datetime | None = None) -> PartnerInvitation:
    """The invitation of a link; LinkRefused with the reason otherwise."""
    if not token or len(token) > 100:
        raise LinkRefused("unknown")
    invitation = db.session.scalar(
        select(PartnerInvitation)
        .options(
            joinedload(PartnerInvitation.project),
            joinedload(PartnerInvitation.partner).joinedload(ProjectPartner.organisation),
        )
        .where(PartnerInvitation.token_hash == _sha256(token))
    )
    if invitation is None or invitation.purpose != PURPOSE:
        raise LinkRefused("unknown")
    if invitation.revoked_at is not None:
        raise LinkRefused("revoked")
    if _aware(invitation.expires_at) <= (now or utcnow()):
        raise LinkRefused("expired")
    if is_final(invitation.project):
        raise LinkRefused("closed")
    return invitation


def masked_email(address: str) -> str:
    name, _sep, domain = address.partition("@")
    return f"{name[:1]}…@{domain}" if domain else "…"


def send_code(invitation: PartnerInvitation, now: datetime | None = None) -> str:
    """A new confirmation code to the contact person's address (the earlier
    one is void).  Returns the code (for tests; it is stored only hashed)."""
    now = now or utcnow()
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))
    invitation_id = invitation.id
    with write_transaction():
        current = db.session.get(PartnerInvitation, invitation_id, with_for_update=True)
        assert current is not None
        current.code_hash = _code_hash(invitation_id, code)
        current.code_expires_at = now + timedelta(minutes=CODE_MINUTES)
        current.code_attempts = 0
        queue_mail(
            current.email,
            _("Your confirmation code: %(code)s", code=code),
            _(
                "Your confirmation code for the partner portal of “%(project)s” is\n\n"
                "    %(code)s\n\n"
                "It is valid for %(minutes)s minutes and can be used once. If you did not "
                "open the link, you can ignore this mail.",
                project=current.project.title,
                code=code,
                minutes=CODE_MINUTES,
            ),
        )
    return code


def normalise_code(value: Any) -> str:
    """Digits only; '' when it cannot be a code."""
    text = "".join(ch for ch in str(value or "") if not ch.isspace() and ch != "-")
    if len(text) != CODE_LENGTH or not text.isascii() or not text.isdigit():
        return ""
    return text


def confirm_code(invitation: PartnerInvitation, value: Any, now: datetime | None = None) -> str:
    """Check the code; returns the new browser session key.

    A wrong code counts an attempt (written even though the entry fails);
    after MAX_CODE_ATTEMPTS the code is void.  A used or expired code is
    refused with its own message."""
    now = now or utcnow()
    code = normalise_code(value)
    invitation_id = invitation.id
    problem: str | None = None
    session_key = ""
    with write_transaction():
        current = db.session.get(
            PartnerInvitation, invitation_id, with_for_update=True, populate_existing=True
        )
        assert current is not None
        if current.code_hash is None:
            problem = _(
                "This code is no longer valid: it was used already or replaced. "
                "Please ask for a new code."
            )
        elif current.code_expires_at is None or _aware(current.code_expires_at) <= now:
            current.code_hash = None
            problem = _("This code has expired. Please ask for a new code.")
        elif not code or not hmac.compare_digest(
            current.code_hash, _code_hash(invitation_id, code)
        ):
            current.code_attempts += 1
            if current.code_attempts >= MAX_CODE_ATTEMPTS:
                current.code_hash = None
                problem = _("Too many wrong codes. Please ask for a new code.")
            else:
                problem = _("The code is not correct. Please check it.")
        else:
            session_key = secrets.token_urlsafe(32)
            current.code_hash = None
            current.code_expires_at = None
            current.code_attempts = 0
            current.session_hash = _sha256(session_key)
            if current.confirmed_at is None:
                current.confirmed_at = now
            current.last_used_at = now
            record(
                "project.partner_portal_opened",
                "project",
                current.project_id,
                data={"invitation_id": invitation_id, "partner_id": current.partner_id},
            )
    if problem is not None:
        raise PortalError(problem, "code")
    return session_key


def has_session(invitation: PartnerInvitation, session_key: str | None) -> bool:
    if not session_key or invitation.session_hash is None:
        return False
    return hmac.compare_digest(invitation.session_hash, _sha256(session_key))


def code_pending(invitation: PartnerInvitation, now: datetime | None = None) -> bool:
    return bool(
        invitation.code_hash
        and invitation.code_expires_at
        and _aware(invitation.code_expires_at) > (now or utcnow())
    )


# --- the partner's entries -------------------------------------------------------------


def own_milestones(invitation: PartnerInvitation) -> list[Milestone]:
    """The project's milestones owned by the invitation's organisation."""
    return list(
        db.session.scalars(
            select(Milestone)
            .where(
                Milestone.project_id == invitation.project_id,
                Milestone.partner_organisation_id == invitation.partner.organisation_id,
            )
            .order_by(Milestone.due_date, Milestone.id)
        )
    )


def entries_of_invitation(invitation: PartnerInvitation) -> list[PartnerEntry]:
    return list(
        db.session.scalars(
            select(PartnerEntry)
            .options(joinedload(PartnerEntry.milestone))
            .where(PartnerEntry.partner_id == invitation.partner_id)
            .order_by(PartnerEntry.created_at.desc(), PartnerEntry.id.desc())
        )
    )


def _note(value: Any) -> str:
    from ..rules import checked_text

    return checked_text(value, "note", MAX_NOTE, error=PortalError)


def _touch(invitation_id: int, now: datetime) -> PartnerInvitation:
    current = db.session.get(PartnerInvitation, invitation_id)
    assert current is not None
    current.last_used_at = now
    return current


def record_participants(
    invitation: PartnerInvitation,
    *,
    period_start: Any,
    period_end: Any,
    participants: Any,
    note: Any = "",
    now: datetime | None = None,
) -> PartnerEntry:
    """Participant numbers of one report period (waiting for the lead)."""
    for name, value in (("period_start", period_start), ("period_end", period_end)):
        if not isinstance(value, date) or isinstance(value, datetime):
            raise PortalError(_("Please enter a date."), name)
        if not date(1990, 1, 1) <= value <= date(2100, 12, 31):
            raise PortalError(_("Please enter a date between 1990 and 2100."), name)
    if period_end < period_start:
        raise PortalError(_("The end must not be before the start."), "period_end")
    if period_start > local_today():
        raise PortalError(_("The period must not start in the future."), "period_start")
    if (
        not isinstance(participants, int)
        or isinstance(participants, bool)
        or not 0 <= participants <= MAX_INDICATOR_VALUE
    ):
        raise PortalError(_("Please enter a whole number from 0 to 10,000,000."), "participants")
    text = _note(note)
    now = now or utcnow()
    with write_transaction():
        current = _touch(invitation.id, now)
        entry = PartnerEntry(
            project_id=current.project_id,
            partner_id=current.partner_id,
            invitation_id=current.id,
            kind="participants",
            period_start=period_start,
            period_end=period_end,
            value=participants,
            note=text,
            created_at=now,
        )
        db.session.add(entry)
        db.session.flush()
        record(
            "project.partner_entry",
            "project",
            current.project_id,
            data={"entry_id": entry.id, "kind": "participants", "value": participants},
        )
    return entry


def confirm_milestone(
    invitation: PartnerInvitation,
    milestone_id: Any,
    *,
    note: Any = "",
    now: datetime | None = None,
) -> PartnerEntry:
    """The partner says a milestone of their organisation is reached."""
    milestone = (
        db.session.get(Milestone, milestone_id)
        if isinstance(milestone_id, int) and 0 < milestone_id < 2**31
        else None
    )
    if (
        milestone is None
        or milestone.project_id != invitation.project_id
        or milestone.partner_organisation_id != invitation.partner.organisation_id
    ):
        raise PortalError(
            _("This milestone is not one of your organisation's in this project."),
            "milestone_id",
        )
    if milestone.progress >= 100:
        raise PortalError(_("This milestone is reached already."), "milestone_id")
    waiting = db.session.scalar(
        select(PartnerEntry.id).where(
            PartnerEntry.milestone_id == milestone.id, PartnerEntry.accepted_at.is_(None)
        )
    )
    if waiting is not None:
        raise PortalError(
            _("You confirmed this milestone already; the project lead has not accepted it yet."),
            "milestone_id",
        )
    text = _note(note)
    now = now or utcnow()
    with write_transaction():
        current = _touch(invitation.id, now)
        entry = PartnerEntry(
            project_id=current.project_id,
            partner_id=current.partner_id,
            invitation_id=current.id,
            kind="milestone",
            milestone_id=milestone.id,
            note=text,
            created_at=now,
        )
        db.session.add(entry)
        db.session.flush()
        record(
            "project.partner_entry",
            "project",
            current.project_id,
            data={"entry_id": entry.id, "kind": "milestone", "milestone_id": milestone.id},
        )
    return entry


def upload_evidence(
    invitation: PartnerInvitation,
    filename: str,
    content: bytes,
    *,
    note: Any = "",
    now: datetime | None = None,
) -> PartnerEntry:
    """A photo, an attendance list...: the checks of papers' attachments."""
    from ..papers.files import AttachmentError, clean_filename, sniff
    from ..storage import uploads

    name = clean_filename(filename)
    if not content:
        raise PortalError(_("The file is empty."), "file")
    limit = evidence_limit()
    if len(content) > limit:
        raise PortalError(
            _("The file is too large (at most %(mb)s MB).", mb=round(limit / 1024 / 1024, 1)),
            "file",
        )
    try:
        file_type = sniff(content, name)
    except AttachmentError as exc:
        raise PortalError(str(exc), "file") from None
    text = _note(note)
    sha256 = hashlib.sha256(content).hexdigest()
    store = uploads()
    if not store.exists(sha256):
        store.put(sha256, content)
    now = now or utcnow()
    with write_transaction():
        current = _touch(invitation.id, now)
        entry = PartnerEntry(
            project_id=current.project_id,
            partner_id=current.partner_id,
            invitation_id=current.id,
            kind="evidence",
            filename=name,
            content_type=file_type.content_type,
            size=len(content),
            sha256=sha256,
            note=text,
            created_at=now,
        )
        db.session.add(entry)
        db.session.flush()
        record(
            "project.partner_entry",
            "project",
            current.project_id,
            data={"entry_id": entry.id, "kind": "evidence", "sha256": sha256, "filename": name},
        )
    return entry


def agreement_text(invitation: PartnerInvitation) -> str:
    """What the partner countersigns (shown on the page, hashed into the audit event)."""
    partner, project = invitation.partner, invitation.project
    return _(
        "%(organisation)s takes part in the project “%(project)s” as %(role)s and supports "
        "its goals: %(goals)s",
        organisation=partner.organisation.name,
        project=project.title,
        role=partner.role,
        goals=project.goals or "–",
    )


def countersign(
    invitation: PartnerInvitation, *, confirmed: bool, now: datetime | None = None
) -> ProjectPartner:
    """The partner countersigns the cooperation agreement (audited)."""
    if not confirmed:
        raise PortalError(_("Please confirm the agreement."), "confirm")
    text = agreement_text(invitation)
    now = now or utcnow()
    with write_transaction():
        current = _touch(invitation.id, now)
        partner = db.session.get(ProjectPartner, current.partner_id, with_for_update=True)
        assert partner is not None
        if partner.agreement_signed_at is not None:
            raise PortalError(_("The agreement is countersigned already."), "confirm")
        person = current.contact_person
        partner.agreement_signed_at = now
        partner.agreement_signed_by = (person.full_name if person else current.email)[:200]
        record(
            "project.agreement_countersigned",
            "project",
            current.project_id,
            data={
                "invitation_id": current.id,
                "partner_id": partner.id,
                "organisation_id": partner.organisation_id,
                "signed_by": partner.agreement_signed_by,
                "agreement_sha256": _sha256(text),
            },
        )
    return partner


# --- the project lead: what partners entered --------------------------------------------


def pending_entries(project_id: int) -> list[PartnerEntry]:
    return list(
        db.session.scalars(
            select(PartnerEntry)
            .options(
                joinedload(PartnerEntry.partner).joinedload(ProjectPartner.organisation),
                joinedload(PartnerEntry.milestone),
            )
            .where(PartnerEntry.project_id == project_id, PartnerEntry.accepted_at.is_(None))
            .order_by(PartnerEntry.created_at, PartnerEntry.id)
        ).unique()
    )


def get_entry(entry_id: int) -> PartnerEntry | None:
    return db.session.get(PartnerEntry, entry_id) if 0 < entry_id < 2**31 else None


@dataclass(frozen=True)
class Accepted:
    report: StatusReport
    participants_added: int
    milestones_reached: int


def accept_entries(
    user: User,
    project: Project,
    entry_ids: Sequence[int],
    *,
    text: str = "",
    now: datetime | None = None,
) -> Accepted:
    """Accept partners' entries into a new status report dated today.

    Participant numbers are added to the project's reach (report values are
    totals up to their date); confirmed milestones are set to 100 %; the
    report names the evidence.  All in one transaction."""
    from .portfolio import latest_values

    if not may_manage(user, project):
        raise ProjectError(_("You cannot change this project."))
    ids = sorted({int(i) for i in entry_ids if 0 < int(i) < 2**31})
    if not ids:
        raise ProjectError(_("Please choose at least one entry."), "entry_ids")
    from ..rules import checked_text

    intro = checked_text(text, "text", 50000, error=ProjectError)
    now = now or utcnow()
    project_id = project.id
    with write_transaction():
        entries = list(
            db.session.scalars(
                select(PartnerEntry)
                .where(PartnerEntry.id.in_(ids))
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )
        if len(entries) != len(ids) or any(
            e.project_id != project_id or e.accepted_at is not None for e in entries
        ):
            raise ProjectError(
                _("These entries are not waiting for this project (any more)."), "entry_ids"
            )
        values = dict(latest_values([project_id]).get(project_id, {}))
        added = sum(e.value or 0 for e in entries if e.kind == "participants")
        values[REACH_CODE] = min(values.get(REACH_CODE, 0) + added, MAX_INDICATOR_VALUE)
        lines = [intro] if intro else []
        lines.append(_("Accepted from the partners:"))
        reached = 0
        for entry in entries:
            organisation = entry.partner.organisation.name
            if entry.kind == "participants":
                lines.append(
                    _(
                        "– %(organisation)s: %(n)s participants from %(start)s to %(end)s",
                        organisation=organisation,
                        n=entry.value,
                        start=format_date(entry.period_start),
                        end=format_date(entry.period_end),
                    )
                )
            elif entry.kind == "milestone" and entry.milestone is not None:
                milestone = db.session.get(Milestone, entry.milestone_id, with_for_update=True)
                if milestone is not None and milestone.progress < 100:
                    milestone.progress = 100
                    reached += 1
                lines.append(
                    _(
                        "– %(organisation)s: milestone “%(title)s” reached",
                        organisation=organisation,
                        title=entry.milestone.title,
                    )
                )
            else:
                lines.append(
                    _(
                        "– %(organisation)s: evidence “%(name)s”",
                        organisation=organisation,
                        name=entry.filename,
                    )
                )
            if entry.note:
                lines.append("  " + entry.note)
        report = StatusReport(
            project_id=project_id,
            report_date=local_today(),
            text="\n".join(lines),
            author_person_id=user.person_id,
            created_at=now,
        )
        report.values = [ReportValue(code=c, value=v) for c, v in sorted(values.items())]
        db.session.add(report)
        db.session.flush()
        for entry in entries:
            entry.accepted_at = now
            entry.accepted_by_id = user.id
            entry.report_id = report.id
        record(
            "project.partner_entries_accepted",
            "project",
            project_id,
            actor_id=user.id,
            data={"report_id": report.id, "entry_ids": ids, "participants_added": added},
        )
    return Accepted(report, added, reached)
