"""Paper attachments: type sniffing, storage under the SHA-256, access.

The browser's content type and the file name are never trusted: the type is
taken from the content (magic bytes, the inside of ZIP containers, plain text
without markup) and must fit the file name's extension; the name loses
control and bidi characters (no "Bericht\u202efdp.exe" that shows as
"Berichtexe.pdf").  Files live outside the web root in the application's
storage (``netzwerk.storage``: the folder ``NETZWERK_UPLOAD_DIR``, or the
object store every host reads) named by their SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from dataclasses import dataclass

from flask import Response, current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..auth.models import User
from ..database import write_transaction
from ..extensions import db
from ..rules import without_bidi_controls
from ..storage import delete_after_commit, uploads
from .models import Paper, PaperAttachment

HASH_RE = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class FileType:
    content_type: str
    extensions: tuple[str, ...]


PDF = FileType("application/pdf", (".pdf",))
ODT = FileType("application/vnd.oasis.opendocument.text", (".odt",))
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)
)
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
PNG = FileType("image/png", (".png",))
JPEG = FileType("image/jpeg", (".jpg", ".jpeg"))
CSV = FileType("text/csv", (".csv",))
TXT = FileType("text/plain", (".txt",))

ALLOWED_EXTENSIONS = ".pdf, .odt, .docx, .xlsx, .png, .jpg, .csv, .txt"

_MARKUP = re.compile(rb"^\s*<\s*(!doctype|html|head|body|script|svg|\?xml|iframe|meta)", re.I)
_EMBEDDED = re.compile(rb"<\s*(script|html|iframe|body)[\s>]", re.I)


class AttachmentError(ValueError):
    def __init__(self, message: str, field: str | None = "file") -> None:
        super().__init__(message)
        self.field = field


def _sniff_zip(content: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100].strip()
                if mimetype == ODT.content_type.encode():
                    return ODT
                return None
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return DOCX
                if "xl/workbook.xml" in names:
                    return XLSX
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, RuntimeError):
        return None
    return None


def _is_plain_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            return False
        if any(ord(c) < 32 and c not in "\t\r\n\f" for c in text):
            return False
    return not (_MARKUP.match(content) or _EMBEDDED.search(content[:65536]))


def sniff(content: bytes, filename: str) -> FileType:
    """The file's real type; AttachmentError if not allowed or not its name's type."""
    extension = os.path.splitext(filename.lower())[1]
    detected: FileType | None = None
    if content.startswith(b"%PDF-"):
        detected = PDF
    elif content.startswith(b"\x89PNG\r\n\x1a\n"):
        detected = PNG
    elif content.startswith(b"\xff\xd8\xff"):
        detected = JPEG
    elif content.startswith(b"PK\x03\x04"):
        detected = _sniff_zip(content)
    elif content and _is_plain_text(content):
        detected = CSV if extension == ".csv" else TXT
    if detected is None:
        raise AttachmentError(
            _(
                "This kind of file is not allowed. Allowed are: %(types)s.",
                types=ALLOWED_EXTENSIONS,
            )
        )
    if extension not in detected.extensions:
        raise AttachmentError(
            _("The file's content does not match its name (%(ext)s).", ext=extension or "–")
        )
    return detected


def clean_filename(filename: str) -> str:
    """The name without folders, control characters, bidi controls and marks,
    and characters no file system takes; "datei" when nothing is left."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = without_bidi_controls(name, marks=True).strip()
    name = re.sub(r"[\x00-\x1f\x7f\"<>:|?*]", "", name)
    return name[:200] or "datei"


def _key(sha256: str) -> str:
    if not HASH_RE.fullmatch(sha256):
        raise ValueError("not a SHA-256")
    return sha256


def _store(content: bytes, sha256: str) -> None:
    store = uploads()
    if not store.exists(_key(sha256)):
        store.put(sha256, content)


def is_stored(attachment: PaperAttachment) -> bool:
    return uploads().exists(_key(attachment.sha256))


def send_attachment(attachment: PaperAttachment, *, as_attachment: bool = True) -> Response:
    """The file as a download streamed from the storage, under its cleaned
    name and checked type; NotFound (404) when the stored file is missing."""
    return uploads().send(
        _key(attachment.sha256),
        mimetype=attachment.content_type,
        download_name=clean_filename(attachment.filename),
        as_attachment=as_attachment,
    )


def _refuse_if_decided(paper_id: int) -> None:
    """Inside the write: a concluded paper's attachments are final (the row
    is locked, so a paper decided meanwhile is seen as decided)."""
    from .services import decided_message, is_decided

    paper = db.session.get(Paper, paper_id, with_for_update=True, populate_existing=True)
    if paper is None:
        raise AttachmentError(_("This paper does not exist."), None)
    if is_decided(paper):
        raise AttachmentError(decided_message(paper), None)


def add_attachment(user: User, paper: Paper, filename: str, content: bytes) -> PaperAttachment:
    """Check, store and register one file of a paper (not of a concluded one)."""
    from .services import decided_message, is_decided

    if is_decided(paper):
        raise AttachmentError(decided_message(paper), None)
    name = clean_filename(filename)
    if not content:
        raise AttachmentError(_("The file is empty."))
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and len(content) > limit:
        raise AttachmentError(_("The file is too large."))
    file_type = sniff(content, name)
    sha256 = hashlib.sha256(content).hexdigest()
    _store(content, sha256)
    paper_id = paper.id
    try:
        with write_transaction():
            _refuse_if_decided(paper_id)
            attachment = PaperAttachment(
                paper_id=paper_id,
                filename=name,
                content_type=file_type.content_type,
                size=len(content),
                sha256=sha256,
                uploaded_by_id=user.id,
            )
            db.session.add(attachment)
            db.session.flush()
            record(
                "paper.attachment_added",
                "paper",
                paper_id,
                actor_id=user.id,
                data={"attachment_id": attachment.id, "sha256": sha256, "filename": name},
            )
    except IntegrityError:
        raise AttachmentError(_("This file is already attached to the paper.")) from None
    return attachment


def attachments_of(paper_id: int) -> list[PaperAttachment]:
    return list(
        db.session.scalars(
            select(PaperAttachment)
            .where(PaperAttachment.paper_id == paper_id)
            .order_by(PaperAttachment.uploaded_at, PaperAttachment.id)
        )
    )


def attachment_counts(paper_ids: list[int]) -> dict[int, int]:
    from sqlalchemy import func

    if not paper_ids:
        return {}
    rows = db.session.execute(
        select(PaperAttachment.paper_id, func.count())
        .where(PaperAttachment.paper_id.in_(paper_ids))
        .group_by(PaperAttachment.paper_id)
    ).all()
    return {int(pid): int(n) for pid, n in rows}


def remove_attachment(user: User, attachment: PaperAttachment) -> None:
    """Unregister a file (the stored file stays while another paper uses it);
    never from a concluded paper."""
    attachment_id, paper_id, sha256 = attachment.id, attachment.paper_id, attachment.sha256
    with write_transaction():
        _refuse_if_decided(paper_id)
        row = db.session.get(PaperAttachment, attachment_id)
        if row is not None:
            db.session.delete(row)
        still_used = db.session.scalar(
            select(PaperAttachment.id).where(
                PaperAttachment.sha256 == sha256, PaperAttachment.id != attachment_id
            )
        )
        record(
            "paper.attachment_removed",
            "paper",
            paper_id,
            actor_id=user.id,
            data={"attachment_id": attachment_id, "sha256": sha256},
        )
    if still_used is None:  # once the removal has committed
        delete_after_commit(uploads(), _key(sha256))


def has_attachment_provider(object_type: str, obj: object) -> bool | None:
    """For the workflow guard has_attachment (papers only)."""
    if object_type != "paper":
        return None
    return (
        db.session.scalar(
            select(PaperAttachment.id).where(PaperAttachment.paper_id == obj.id).limit(1)  # type: ignore[attr-defined]
        )
        is not None
    )


def register_workflow_providers() -> None:
    from ..workflow import registry

    if has_attachment_provider not in registry.attachment_providers:
        registry.attachment_providers.append(has_attachment_provider)
