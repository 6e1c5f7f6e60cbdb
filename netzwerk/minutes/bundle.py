"""The Sitzungsmappe: one PDF per meeting to take into the meeting.

In agenda order: the invitation with the agenda, then per agenda item its
paper (rendered like the minutes) and every PDF attachment of that paper.
One bookmark per agenda item (with the paper and its files below it), and
every page stamped with the bundle's own continuous page number ("Seite 5
von 42", at the top, where the documents' margins are empty).  Merged with
pypdf: pages are copied, never rasterised.

Each member gets the bundle they may read: the parts come from the
visibility policy (:mod:`netzwerk.visibility`: the meeting in full or its
public part, each agenda item, paper and file), so a member who is not
entitled to the non-public part gets a bundle without it.  What goes in is
hashed into a fingerprint; members who may read the same parts share one
stored bundle (``minutes_pdf_cache``, key ``bundle:<meeting>:<edition>:…``),
and it is built again only when a part changed.  It is always built in the
scheduler (:mod:`.jobs`); the page shows progress until it is ready.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import delete, select

from .. import pdf, visibility
from ..database import unit_of_work, utcnow, write_transaction
from ..extensions import db
from ..meetings import agenda
from ..meetings.models import Meeting
from ..papers.models import Paper, PaperAttachment
from ..timeutil import format_date, to_local
from . import render
from .models import MinutesJob, PdfCache

PDF_TYPE = "application/pdf"


@dataclass
class Part:
    """One document of the bundle."""

    title: str
    kind: str  # invitation, paper, attachment
    fingerprint: str
    load: Any  # () -> bytes
    pages: int = 0


@dataclass
class Section:
    title: str
    parts: list[Part] = field(default_factory=list)


@dataclass
class Plan:
    """What the bundle of one reader holds, and its fingerprint."""

    meeting: Meeting
    edition: str  # "full" or "public"
    invitation: Part
    sections: list[Section]

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        digest.update(f"bundle/1;{self.edition};{render.template_hash()}".encode())
        digest.update(self.invitation.fingerprint.encode())
        for section in self.sections:
            digest.update(b"\x00section\x00" + section.title.encode())
            for part in section.parts:
                digest.update(f"\x00{part.kind}\x00{part.title}\x00{part.fingerprint}".encode())
        return digest.hexdigest()

    @property
    def cache_key(self) -> str:
        return f"{self.key_prefix}{self.fingerprint[:32]}"

    @property
    def key_prefix(self) -> str:
        return f"bundle:{self.meeting.id}:{self.edition}:"


class BundleRefused(LookupError):
    """The reader may not see the meeting."""


def _paper_snapshot(meeting: Meeting, paper: Paper, number: str) -> dict[str, Any]:
    start = to_local(meeting.starts_at)
    return {
        "kind": "paper",
        "lang": "de",
        "title": paper.title,
        "paper_title": paper.title,
        "paper_number": paper.number,
        "kind_label": paper.kind_label,
        "body": paper.body.name if paper.body else meeting.body.name,
        "author": paper.author.full_name if paper.author else None,
        "agenda_number": _("Item %(number)s", number=number),
        "number": meeting.number,
        "date": format_date(start.date()),
        "text": paper.text or "",
        "draft": False,
        "public_only": False,
        "minute_taker": None,
    }


def _paper_pdf(snapshot: dict[str, Any]) -> bytes:
    from .text import render_summary

    html = render_template(
        f"{render.TEMPLATE_DIR}/paper.html",
        doc=snapshot,
        format_summary=render_summary,
        head_label=render._head_label(snapshot),
        **render._labels(),
    )
    return pdf.render(html, pdf_tags=True, lang="de")


def plan(user: Any, meeting: Meeting) -> Plan:
    """The parts ``user`` may read, in agenda order; BundleRefused if none."""
    from ..storage import uploads
    from . import services

    full = visibility.may_see_meeting_in_full(user, meeting)
    if not full and not visibility.may_see_meeting(user, meeting):
        raise BundleRefused(meeting.id)
    edition = "full" if full else "public"
    invitation_snapshot = render.compose_invitation(meeting, public_only=not full)
    invitation = Part(
        _("Invitation and agenda"),
        "invitation",
        render.fingerprint(invitation_snapshot, archival=False),
        lambda: services.invitation_pdf(meeting, public_only=not full).data,
    )
    lines = [
        line
        for line in agenda.flatten(agenda.agenda(meeting, public_only=not full))
        if not line.item.withdrawn and visibility.may_see_agenda_item(user, line.item)
    ]
    papers = {line.item.paper_id for line in lines if line.item.paper_id}
    files: dict[int, list[PaperAttachment]] = {}
    if papers:
        for attachment in db.session.scalars(
            select(PaperAttachment)
            .where(PaperAttachment.paper_id.in_(papers), PaperAttachment.content_type == PDF_TYPE)
            .order_by(PaperAttachment.uploaded_at, PaperAttachment.id)
        ):
            files.setdefault(attachment.paper_id, []).append(attachment)
    sections = []
    for line in lines:
        item = line.item
        section = Section(_("Item %(number)s: %(title)s", number=line.number, title=item.title))
        paper = item.paper
        if paper is not None and visibility.may_see_paper(user, paper):
            snapshot = _paper_snapshot(meeting, paper, line.number)
            section.parts.append(
                Part(
                    paper.number or paper.title,
                    "paper",
                    render.fingerprint(snapshot, archival=False),
                    lambda snapshot=snapshot: _paper_pdf(snapshot),
                )
            )
            for attachment in files.get(paper.id, []):
                section.parts.append(
                    Part(
                        attachment.filename,
                        "attachment",
                        attachment.sha256,
                        lambda sha=attachment.sha256: uploads().read(sha),
                    )
                )
        sections.append(section)
    return Plan(meeting, edition, invitation, sections)


def cached(plan_: Plan) -> PdfCache | None:
    """The stored bundle for exactly these parts, if it was built."""
    return db.session.scalar(select(PdfCache).where(PdfCache.cache_key == plan_.cache_key))


# --- building -----------------------------------------------------------------------------------


def _stamp(writer: Any, label: str) -> None:
    """Stamp ``label % (page, pages)`` at the top of every page (vector text)."""
    from pypdf.generic import (
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
    )

    total = len(writer.pages)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }
    )
    font_ref = writer._add_object(font)
    for number, page in enumerate(writer.pages, start=1):
        if page.get("/Rotate", 0) % 360:
            page.transfer_rotation_to_content()
        box = page.mediabox
        width, height = float(box.width), float(box.height)
        left, bottom = float(box.left), float(box.bottom)
        text = label.replace("{page}", str(number)).replace("{pages}", str(total))
        encoded = text.encode("cp1252", "replace")
        escaped = encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        size = 8.0
        text_width = 0.5 * size * len(encoded)  # Helvetica averages half an em
        x = left + width - 20 * 72 / 25.4 - text_width
        y = bottom + height - 9 * 72 / 25.4
        stream = DecodedStreamObject()
        stream.set_data(
            b"q 0.33 g BT /NwStamp %.1f Tf %.2f %.2f Td (%s) Tj ET Q\n" % (size, x, y, escaped)
        )
        resources = page.get("/Resources")
        resources = resources.get_object() if resources is not None else DictionaryObject()
        fonts = resources.get("/Font")
        fonts = fonts.get_object() if fonts is not None else DictionaryObject()
        fonts[NameObject("/NwStamp")] = font_ref
        resources[NameObject("/Font")] = fonts
        page[NameObject("/Resources")] = resources
        contents = page.get_contents()
        wrapped = DecodedStreamObject()
        wrapped.set_data(b"q\n" + (contents.get_data() if contents is not None else b"") + b"\nQ\n")
        both = DecodedStreamObject()
        both.set_data(wrapped.get_data() + stream.get_data())
        page.replace_contents(both)
        page.compress_content_streams()


def build(plan_: Plan, progress: Any = None) -> tuple[bytes, list[tuple[str, int]]]:
    """The merged, bookmarked and numbered PDF, and (bookmark, first page)
    of each agenda item."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    todo = 1 + sum(len(s.parts) for s in plan_.sections)
    done = 0

    def append(part: Part) -> int:
        nonlocal done
        start = len(writer.pages)
        reader = PdfReader(io.BytesIO(part.load()))
        for page in reader.pages:
            writer.add_page(page)
        part.pages = len(writer.pages) - start
        done += 1
        if progress is not None:
            progress(10 + 70 * done // todo, "collect")
        return start

    append(plan_.invitation)
    writer.add_outline_item(title=plan_.invitation.title, page_number=0)
    marks = []
    for section in plan_.sections:
        first = len(writer.pages) if section.parts else 0  # an item without papers: the agenda
        starts = [(part, append(part)) for part in section.parts]
        parent = writer.add_outline_item(title=section.title, page_number=first)
        marks.append((section.title, first))
        for part, start in starts:
            writer.add_outline_item(title=part.title, page_number=start, parent=parent)
    if progress is not None:
        progress(85, "merge")
    number = plan_.meeting.number
    label = _(
        "Meeting documents %(number)s – page %(page)s of %(pages)s",
        number=number,
        page="{page}",
        pages="{pages}",
    )
    _stamp(writer, label)
    writer.add_metadata(
        {
            "/Title": _("Meeting documents %(number)s", number=number),
            "/Producer": "Netzwerk (pypdf)",
        }
    )
    writer.page_mode = "/UseOutlines"
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), marks


def store(plan_: Plan, data: bytes) -> PdfCache:
    """Keep the bundle under its fingerprint; older bundles of this edition go."""
    key = plan_.cache_key
    digest = hashlib.sha256(data).hexdigest()
    with write_transaction():
        db.session.execute(
            delete(PdfCache).where(
                PdfCache.cache_key.startswith(plan_.key_prefix, autoescape=True),
                PdfCache.cache_key != key,
            )
        )
        row = db.session.scalar(select(PdfCache).where(PdfCache.cache_key == key))
        if row is None:
            row = PdfCache(cache_key=key, meeting_id=plan_.meeting.id)
            db.session.add(row)
        row.fingerprint, row.sha256, row.data, row.rendered_at = (
            plan_.fingerprint,
            digest,
            data,
            utcnow(),
        )
        db.session.flush()
    return row


def filename(meeting: Meeting) -> str:
    return (
        render.safe_filename(
            f"sitzungsmappe-{meeting.body.short_name}-{meeting.seq}-{meeting.year}"
        )
        + ".pdf"
    )


# --- the background job -------------------------------------------------------------------------


def request(user: Any, meeting: Meeting) -> tuple[Plan, PdfCache | None, MinutesJob | None]:
    """The reader's plan and its stored bundle; when none is stored, the job
    that builds it (queued now, or already waiting)."""
    from . import jobs

    plan_ = plan(user, meeting)
    found = cached(plan_)
    if found is not None:
        return plan_, found, None
    job = jobs.queue.enqueue(
        jobs.BUNDLE,
        plan_.cache_key,
        meeting_id=meeting.id,
        user=user,
        params={"fingerprint": plan_.fingerprint},
    )
    return plan_, None, job


def run_bundle_job(job: MinutesJob) -> None:
    """Build the bundle the job names, as the reader who asked may read it."""
    from ..auth.models import User
    from ..meetings import access
    from . import jobs

    job_id = job.id
    meeting = access.get_meeting(job.meeting_id)
    user = db.session.get(User, job.requested_by_id) if job.requested_by_id else None
    if meeting is None or user is None:
        raise jobs.JobRefused(_("The meeting or the person who asked for it is gone."))
    plan_ = plan(user, meeting)
    if cached(plan_) is not None:
        return
    data, _marks = build(plan_, lambda percent, stage: jobs.queue.progress(job_id, percent, stage))
    with unit_of_work():  # a part changed since the request: built as it is now
        store(plan_, data)
