"""Queue mails in the caller's transaction; send them from the scheduler."""

from __future__ import annotations

import logging
import secrets
import smtplib
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app
from sqlalchemy import insert, select

from ..database import unit_of_work, utcnow, write_transaction
from ..extensions import db
from ..storage import mail_folder
from .models import OutboxAttachment, OutboxMail
from .subjects import shorten

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class QueuedMail:
    recipient: str
    subject: str
    body: str
    reason: str | None = None


def queue_mail(
    recipient: str,
    subject: str,
    body: str,
    *,
    reason: str | None = None,
    attachments: Iterable[Attachment] = (),
) -> OutboxMail | None:
    """Put a mail into the outbox (inside the caller's transaction).

    With a ``reason``, the same reason is queued once per recipient: calling
    again returns None instead of a second mail.
    """
    if reason is not None:
        existing = db.session.scalar(
            select(OutboxMail.id).where(
                OutboxMail.reason == reason, OutboxMail.recipient == recipient
            )
        )
        if existing is not None:
            return None
    mail = OutboxMail(recipient=recipient, subject=shorten(subject), body=body, reason=reason)
    for item in attachments:
        mail.attachments.append(
            OutboxAttachment(
                filename=item.filename, content_type=item.content_type, content=item.content
            )
        )
    db.session.add(mail)
    db.session.flush()
    return mail


_REASON_CHUNK = 500


def _queued_before(reasons: Sequence[str]) -> set[tuple[str, str]]:
    """(reason, recipient) of the mails already queued for these reasons."""
    wanted = sorted(set(reasons))
    found: set[tuple[str, str]] = set()
    for start in range(0, len(wanted), _REASON_CHUNK):
        found.update(
            (reason, recipient)
            for reason, recipient in db.session.execute(
                select(OutboxMail.reason, OutboxMail.recipient).where(
                    OutboxMail.reason.in_(wanted[start : start + _REASON_CHUNK])
                )
            )
        )
    return found


def queue_mails(mails: Sequence[QueuedMail]) -> int:
    """:func:`queue_mail` for many mails without attachments: one look for
    the reasons already queued, one insert per few hundred mails (a body of
    2,000 members told at once); returns how many were queued."""
    queued = _queued_before([m.reason for m in mails if m.reason is not None])
    rows = []
    for item in mails:
        if item.reason is not None:
            if (item.reason, item.recipient) in queued:
                continue
            queued.add((item.reason, item.recipient))
        rows.append(
            {
                "recipient": item.recipient,
                "subject": shorten(item.subject),
                "body": item.body,
                "reason": item.reason,
            }
        )
    for start in range(0, len(rows), _REASON_CHUNK):
        db.session.execute(insert(OutboxMail), rows[start : start + _REASON_CHUNK])
    return len(rows)


def build_message(mail: OutboxMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(utcnow())  # the one clock (formatdate reads its own)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(mail.body)
    for attachment in mail.attachments:
        maintype, subtype, params = content_type_parts(attachment.content_type)
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
            params=params,
        )
    return message


def content_type_parts(content_type: str) -> tuple[str, str, dict[str, str]]:
    """``text/calendar; charset=UTF-8; method=REQUEST`` as
    ("text", "calendar", {"charset": "UTF-8", "method": "REQUEST"})."""
    kind, *rest = content_type.split(";")
    maintype, _sep, subtype = kind.strip().partition("/")
    params = {}
    for part in rest:
        name, sep, value = part.partition("=")
        if sep and name.strip():
            params[name.strip().lower()] = value.strip().strip('"')
    return maintype or "application", subtype or "octet-stream", params


def _smtp_connection() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=20)
    if config.get("MAIL_USE_TLS"):
        smtp.starttls(context=ssl.create_default_context())
    if config.get("MAIL_USERNAME"):
        smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    return smtp


class MailDirectory:
    """Delivers into a folder, one ``.eml`` file per mail, instead of SMTP
    (``NETZWERK_MAIL_DIR``; the demo's default when no mail server is
    configured, so its invitations can be opened with any mail program).
    The folder lies in the application's storage (``netzwerk.storage``): a
    folder of this host, or with the object store a key prefix every host
    sees."""

    def __init__(self, directory: str) -> None:
        self.storage = mail_folder(directory)

    def send_message(self, message: EmailMessage) -> None:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{secrets.token_hex(4)}.eml"
        # Stored whole (a temporary name, then renamed): a reader never sees half a mail.
        self.storage.put(name, message.as_bytes())

    def quit(self) -> None:
        return None

    def close(self) -> None:
        return None


def _transport() -> smtplib.SMTP | MailDirectory:
    directory = current_app.config.get("NETZWERK_MAIL_DIR")
    return MailDirectory(directory) if directory else _smtp_connection()


def send_pending(limit: int = 200) -> int:
    """Send queued mails; return how many went out.  Failures stay queued
    until MAX_ATTEMPTS, then are marked failed (and stay visible).

    Each mail is a unit of work of its own (the job is registered with
    ``own_units``): a mail that went out stays marked sent when a later one
    fails or the process dies."""
    with unit_of_work():
        ids: Sequence[int] = db.session.scalars(
            select(OutboxMail.id)
            .where(OutboxMail.status == "queued")
            .order_by(OutboxMail.id)
            .limit(limit)
        ).all()
    if not ids:
        return 0
    sender = current_app.config["MAIL_SENDER"]
    sent = 0
    try:
        smtp = _transport()
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("SMTP server not reachable: %s", exc)
        with unit_of_work(), write_transaction():
            for mail in db.session.scalars(select(OutboxMail).where(OutboxMail.id.in_(ids))):
                _note_failure(mail, f"SMTP connection failed: {exc}")
        return 0
    try:
        for mail_id in ids:
            with unit_of_work(), write_transaction():
                pending = db.session.get(OutboxMail, mail_id, with_for_update=True)
                if pending is None or pending.status != "queued":
                    continue
                mail = pending
                try:
                    smtp.send_message(build_message(mail, sender))
                except (OSError, smtplib.SMTPException) as exc:
                    _note_failure(mail, str(exc))
                else:
                    mail.status = "sent"
                    mail.sent_at = utcnow()
                    mail.attempts += 1
                    mail.last_error = None
                    sent += 1
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return sent


def _note_failure(mail: OutboxMail, error: str) -> None:
    mail.attempts += 1
    mail.last_error = error[:2000]
    if mail.attempts >= MAX_ATTEMPTS:
        mail.status = "failed"


def retry(mail: OutboxMail) -> None:
    with write_transaction():
        mail.status = "queued"
        mail.attempts = 0
        mail.last_error = None
