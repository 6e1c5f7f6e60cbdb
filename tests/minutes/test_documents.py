"""Minutes as documents: the look of the fast layout, metadata, the seal and
signatures, approval in the background, the Sitzungsmappe, complete minutes."""

from __future__ import annotations

import gc
import hashlib
import io
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from netzwerk import jobqueue
from netzwerk import pdf as pdfmod
from netzwerk.database import utcnow, write_transaction
from netzwerk.extensions import db
from netzwerk.meetings import agenda
from netzwerk.minutes import bundle, jobs, render, services, signatures, signing
from netzwerk.minutes.models import MinutesDocument

from .certs import PASSWORD, asn1, make_ca, make_signer
from .helpers import (
    OFFICE,
    approve,
    fresh_meeting,
    fresh_minutes,
    held_meeting_with_minutes,
    open_approving_meeting,
    pdf_meta,
    pdf_text,
    user,
)

# --- the look: the fast margin boxes render as the running element did -------------------------


def _sample(draft: bool) -> dict:  # type: ignore[type-arg]
    person = {"name": "Dr. Claudia Ahlers", "detail": "Leiterin Fachbereich Bildung"}
    summary = "\n\n".join(
        ["Die Konferenz erörtert den Sachstand. **Festgehalten wird:** eine Übersicht folgt."] * 9
    )
    items = [
        {
            "id": n,
            "number": str(n),
            "depth": 0,
            "title": f"Tagesordnungspunkt {n}",
            "public": n < 3,
            "withdrawn": False,
            "late": False,
            "paper": None,
            "summary": summary + "\n- erstens\n- zweitens",
            "polls": [],
            "decisions": [],
        }
        for n in (1, 2, 3)
    ]
    return {
        "kind": "minutes",
        "lang": "de",
        "title": "Protokoll der Sitzung VK 1/2026",
        "public_only": False,
        "draft": draft,
        "state_title": "Entwurf" if draft else None,
        "approved_at": None if draft else "12.11.2026, 19:30",
        "approved_iso": None,
        "version": 1,
        "corrects": None,
        "body": "Vorstandskonferenz",
        "body_short": "VK",
        "number": "VK 1/2026",
        "meeting_title": "Sitzung der Vorstandskonferenz",
        "date": "12.11.2026",
        "time": "16:00 – 19:00",
        "actual_time": "16:02 – 18:55",
        "actual_start": None,
        "actual_end": None,
        "place": "Rathaus",
        "online": None,
        "public_meeting": False,
        "approval_meeting": None,
        "chair": "Markus Feldkamp",
        "minute_taker": "Sabine Kortmann",
        "quorum": {"present": 6, "members": 8, "required": 5, "quorate": True},
        "attendance": {
            "present": [person] * 6,
            "excused": [],
            "absent": [],
            "deputies": [],
            "guests": [],
        },
        "attendance_changes": [],
        "items": items,
        "decisions": [],
    }


LEGACY_PAGE = """@page {
  size: A4;
  margin: 24mm 18mm 22mm 20mm;
  @top-left { content: element(running-head); vertical-align: bottom; }
  @bottom-left { content: string(doc-number); font-size: 8pt; color: #555; }
  @bottom-right { content: "%s"; font-size: 8pt; color: #555; }
}
%s
.running-head { position: running(running-head); font-size: 8pt; color: #555; }
"""


def _legacy(html: str, snapshot: dict) -> str:  # type: ignore[type-arg]
    """The same document laid out as before: the running head an element()
    copied onto every page, the margin boxes sized by their content."""
    page = re.search(r"@page \{\n  size: A4;.*?\n\}\n", html, re.S)
    assert page is not None
    draft = re.search(r"@page \{ @top-right \{.*?\} \}", html)
    label = re.search(r'@bottom-right \{ content: "(.*?)";', html)
    assert label is not None
    legacy = LEGACY_PAGE % (
        label.group(1),
        draft.group(0).replace(" width: 25%;", "") if draft else "",
    )
    if draft:
        html = html.replace(draft.group(0), "")
    html = html.replace(page.group(0), legacy)
    head = f'<p class="running-head">{snapshot["body"]} · {snapshot["title"]}</p>'
    return re.sub(r"(<body>\n(?:<div class=\"draft-mark\"[^\n]*\n)?)", r"\1" + head + "\n", html)


def _pngs(data: bytes, pages: int = 2) -> list[bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-r", "40", "-gray", "-f", "1", "-l", str(pages), str(path), f"{tmp}/p"],
            check=True,
        )
        return [p.read_bytes() for p in sorted(Path(tmp).glob("p-*.pgm"))]


def _differing_pixels(a: bytes, b: bytes) -> int:
    header_a, pixels_a = a.split(b"\n255\n", 1)
    header_b, pixels_b = b.split(b"\n255\n", 1)
    assert header_a == header_b
    return sum(1 for x, y in zip(pixels_a, pixels_b, strict=True) if abs(x - y) > 48)


@pytest.mark.parametrize("draft", [True, False])
def test_fast_layout_looks_as_before(app_ctx, draft):
    snapshot = _sample(draft)
    html = render.minutes_html(snapshot)
    assert "element(running-head)" not in html and "running-head" not in html
    new = pdfmod.render(html, lang="de")
    old = pdfmod.render(_legacy(html, snapshot), lang="de")
    new_pages, old_pages = _pngs(new), _pngs(old)
    assert len(new_pages) == len(old_pages) == 2
    for a, b in zip(new_pages, old_pages, strict=True):
        assert _differing_pixels(a, b) <= 20  # 40 dpi: 331 × 468 pixels a page
    assert "Vorstandskonferenz · Protokoll der Sitzung VK 1/2026" in pdf_text(new)


def test_running_head_is_escaped_for_css(app_ctx):
    snapshot = _sample(False)
    snapshot["body"] = 'Rat "A" </style><script>x</script> \\'
    html = render.minutes_html(snapshot)
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "<script>" not in style and '\\"A\\"' in style
    assert "Rat" in pdf_text(pdfmod.render(html))


# --- metadata ------------------------------------------------------------------------------------


def test_xmp_has_one_rdf_with_language_and_af_lists_the_file_once(app_ctx):
    from pypdf import PdfReader

    data = pdfmod.render(
        '<html lang="de"><head><title>T</title></head><body><p>x</p></body></html>',
        pdf_variant="pdf/a-3b",
        pdf_tags=True,
        lang="de",
        attachments=[pdfmod.PdfAttachment("a.json", b"{}", "A")],
    )
    meta = pdf_meta(data)
    assert meta.count("<rdf:RDF") == 1 and 'pdfaid:part="3"' in meta
    rdf = meta.split("<rdf:RDF", 1)[1].split("</rdf:RDF>", 1)[0]
    assert "<dc:language><rdf:Bag><rdf:li>de</rdf:li>" in rdf and "dc:title" in rdf
    catalog = PdfReader(io.BytesIO(data)).trailer["/Root"]
    assert len(catalog["/AF"]) == 1


def test_object_streams_are_chunked(app_ctx):
    html = "<html lang='de'><body>" + "<p>Absatz</p>" * 400 + "</body></html>"
    data = pdfmod.render(html, pdf_tags=True)
    counts = [int(n) for n in re.findall(rb"/Type /ObjStm[^>]*?/N (\d+)", data)]
    counts += [int(n) for n in re.findall(rb"/N (\d+)[^>]*?/Type /ObjStm", data)]
    assert len(counts) > 1 and max(counts) <= pdfmod.OBJECTS_PER_STREAM


def test_file_identifier_is_the_md5_of_the_file_up_to_the_xref(app_ctx):
    html = render.minutes_html(_sample(False))
    data = pdfmod.render(html, pdf_variant="pdf/a-3b", pdf_tags=True, lang="de")
    xref = int(re.findall(rb"startxref\n(\d+)\n", data)[-1])
    digest = hashlib.md5(data[:xref]).hexdigest().encode()  # noqa: S324 - as the writer
    found = re.search(rb"/ID \[\((\w+)\) \((\w+)\)\]", data)
    assert found is not None and found.groups() == (digest, digest)
    given = pdfmod.render(html, pdf_variant="pdf/a-3b", identifier=b"netzwerk-1")
    found = re.search(rb"/ID \[\(([\w-]+)\) \((\w+)\)\]", given)
    assert found is not None and found.group(1) == b"netzwerk-1"


# --- speed and memory: less work, the same bytes -------------------------------------------------


def _archival(html: str) -> bytes:
    # No attachment: its /CreationDate is the clock's second, the rest is deterministic.
    return pdfmod.render(html, pdf_variant="pdf/a-3b", pdf_tags=True, lang="de")


@pytest.mark.parametrize("draft", [True, False])
def test_lean_stylesheet_changes_no_byte(app_ctx, monkeypatch, draft):
    from weasyprint import HTML

    html = render.minutes_html(_sample(draft))
    lean = pdfmod._lean_html_class()
    # None means WeasyPrint's html5_ua.css is no longer the one the lean copy
    # was made from: look at its pseudo-element rules again.
    assert lean is not None and issubclass(lean, HTML)
    assert pdfmod._html_class(html) is lean
    fast = _archival(html)
    monkeypatch.setattr(pdfmod, "_lean_html_class", lambda: None)
    assert pdfmod._html_class(html) is HTML
    assert _archival(html) == fast


def test_documents_that_may_need_the_full_stylesheet_get_it(app_ctx):
    from weasyprint import HTML

    html = (
        '<html lang="de"><head><style>.fn { float: footnote }</style></head><body>'
        '<p>Text<span class="fn">Die Fußnote</span> weiter</p></body></html>'
    )
    assert pdfmod._html_class(html) is HTML
    text = pdf_text(pdfmod.render(html))
    assert "Text1 weiter" in text and "1. Die Fußnote" in text
    with pytest.raises(TypeError):  # why: the lean one has no footnote styles
        pdfmod._lean_html_class()(string=html).write_pdf()
    for marker in ("display: list-item", "position: note()", '<link rel="stylesheet" href="x">'):
        assert pdfmod._html_class(f"<p style='{marker}'>x</p>") is HTML


def test_pages_are_packed_as_painted_and_change_no_byte(app_ctx, monkeypatch):
    html = render.minutes_html(_sample(True))
    packed: list[int] = []
    pack = pdfmod._pack_stream

    def spy(stream):  # type: ignore[no-untyped-def]
        packed.append(len(stream.stream))
        pack(stream)
        assert len(stream.stream) == 1 and isinstance(stream.stream[0], bytes)

    monkeypatch.setattr(pdfmod, "_pack_stream", spy)
    fast = _archival(html)
    from pypdf import PdfReader

    assert len(packed) == len(PdfReader(io.BytesIO(fast)).pages) and min(packed) > 100
    monkeypatch.setattr(pdfmod, "_pack_after_paint", lambda document: None)
    assert _archival(html) == fast


def test_render_leaves_the_garbage_collector_as_it_found_it(app_ctx, monkeypatch):
    html = render.minutes_html(_sample(False))
    frozen_while_painting: list[int] = []
    pack = pdfmod._pack_stream

    def spy(stream):  # type: ignore[no-untyped-def]
        frozen_while_painting.append(gc.get_freeze_count())
        pack(stream)

    monkeypatch.setattr(pdfmod, "_pack_stream", spy)
    assert gc.get_freeze_count() == 0
    pdfmod.render(html)
    assert frozen_while_painting and min(frozen_while_painting) > 0
    assert gc.get_freeze_count() == 0 and gc.isenabled()

    def broken(stream):  # type: ignore[no-untyped-def]
        raise RuntimeError("paint")

    monkeypatch.setattr(pdfmod, "_pack_stream", broken)
    with pytest.raises(RuntimeError):
        pdfmod.render(html)
    assert gc.get_freeze_count() == 0
    # A process that froze its objects itself (a pre-fork server) keeps them frozen.
    monkeypatch.setattr(pdfmod, "_pack_stream", pack)
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        pdfmod.render(html)
        # Not unfrozen, nothing frozen in addition (a few of the frozen
        # objects may be freed meanwhile: their count only falls by those).
        assert before * 0.99 < gc.get_freeze_count() <= before
    finally:
        gc.unfreeze()


# --- seal, signatures, verification -------------------------------------------------------------


@pytest.fixture
def pki(app, tmp_path, clock):
    now = utcnow()
    ca = make_ca(now)
    seal = make_signer(ca, now, "Bildungsbüro Osnabrück")
    path = tmp_path / "siegel.p12"
    path.write_bytes(seal.pkcs12(ca))
    app.config[signing.ENV_PKCS12] = str(path)
    app.config[signing.ENV_PASSWORD] = PASSWORD
    yield {"ca": ca, "now": now}
    app.config.pop(signing.ENV_PKCS12, None)
    app.config.pop(signing.ENV_PASSWORD, None)


def _validate(data: bytes, ca) -> list:  # type: ignore[no-untyped-def,type-arg]
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from netzwerk.minutes.signing import _outside_event_loop

    reader = PdfFileReader(io.BytesIO(data))
    # pyHanko validates with asyncio.run: not inside the loop a browser test left running.
    return [
        _outside_event_loop(
            lambda sig=sig: validate_pdf_signature(
                sig, ValidationContext(trust_roots=[asn1(ca.cert)])
            )
        )
        for sig in reader.embedded_signatures
    ]


def test_approved_minutes_are_sealed_signed_and_verified(app, demo, pki, client_as):
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    with app.app_context():
        meeting, minutes = held_meeting_with_minutes()
        minutes = approve(minutes)
        doc = services.documents(minutes)["full"]
        data, minutes_id, meeting_id = doc.data, minutes.id, meeting.id
        (status,) = _validate(data, pki["ca"])
        assert status.intact and status.valid and status.trusted
        assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        assert 'pdfaid:part="3"' in pdf_meta(data)
        text = pdf_text(data)
        approver = services.approval_meeting(minutes)
        assert f"durch die Sitzung {approver.number}" in text
        # The chair signs after the seal: an incremental update.
        chair = make_signer(pki["ca"], pki["now"], "Markus Feldkamp")
        signed = signing.sign(
            data,
            signing.load_signer(chair.pkcs12(pki["ca"]), PASSWORD),
            field_name=signing.FIELDS["chair"],
        )
        assert signed.startswith(data)  # an incremental update after the seal
        with pytest.raises(signatures.SignatureRefused):  # not an update of the stored file
            signatures.add_signature(minutes, b"%PDF-1.7 " + signed, role="chair")
        stored = signatures.add_signature(fresh_minutes(minutes_id), signed, role="chair")
        assert (
            stored.data == signed
            and stored.sha256 == services.documents(fresh_minutes(minutes_id))["full"].sha256
        )
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["netzwerk", "minutes", "verify", str(minutes_id)])
    assert ok.exit_code == 0, ok.output
    assert "full: intact" in ok.output and "Markus Feldkamp, intact" in ok.output
    page = client_as("office").get(f"/sitzungen/{meeting_id}/protokoll").get_data(as_text=True)
    assert 'data-signatures="intact"' in page
    assert "Bildungsbüro Osnabrück" in page and "Markus Feldkamp (" in page
    with app.app_context(), write_transaction():  # one changed byte in the stored file
        row = db.session.scalar(
            select(MinutesDocument).where(MinutesDocument.minutes_id == minutes_id)
        )
        changed = bytearray(row.data)
        at = len(changed) // 3
        changed[at] = (changed[at] + 1) % 256
        row.data = bytes(changed)
    broken = runner.invoke(args=["netzwerk", "minutes", "verify", str(minutes_id)])
    assert broken.exit_code == 1, broken.output
    page = client_as("office").get(f"/sitzungen/{meeting_id}/protokoll").get_data(as_text=True)
    assert 'data-signatures="broken"' in page


def test_unusable_key_stops_the_approval(app, app_ctx, tmp_path):
    from types import SimpleNamespace

    path = tmp_path / "kaputt.p12"
    path.write_bytes(b"not a pkcs12 file")
    app.config[signing.ENV_PKCS12] = str(path)
    try:
        with pytest.raises(signing.SealFailed):
            signing.seal_minutes(b"%PDF-1.7", SimpleNamespace(number="VK 1/2026"))
    finally:
        app.config.pop(signing.ENV_PKCS12, None)


# --- approval in the background -----------------------------------------------------------------


def test_approval_renders_in_the_background_with_progress(app, demo, client_as):
    with app.app_context():
        _meeting, minutes = held_meeting_with_minutes()
        office = user(OFFICE)
        services.fire_transition(office, minutes, "in_umlauf_geben", None, minutes.version)
        open_approving_meeting(fresh_minutes(minutes.id))
        minutes = fresh_minutes(minutes.id)
        minutes_id, meeting_id, version = minutes.id, minutes.meeting_id, minutes.version
    client = client_as("office")
    response = client.post(
        f"/protokolle/{minutes_id}/schritt/genehmigen",
        data={"version": str(version), "comment": "einstimmig"},
    )
    assert response.status_code == 302
    page = client.get(f"/sitzungen/{meeting_id}/protokoll").get_data(as_text=True)
    assert "data-job-status" in page and "<progress" in page and "Aktualisieren" in page
    with app.app_context():
        assert not services.is_approved(fresh_minutes(minutes_id))  # nothing rendered yet
        job = jobs.queue.open_job(f"approval:{minutes_id}")
        assert job is not None and job.state == jobqueue.QUEUED
        job_id = job.id
    status = client.get(f"/protokolle/aufgaben/{job_id}").json
    assert status["state"] == "queued" and not status["finished"]
    with app.app_context():
        assert jobs.queue.run_pending() == 1
        minutes = fresh_minutes(minutes_id)
        assert services.is_approved(minutes) and services.documents(minutes)["full"].size > 0
    status = client.get(f"/protokolle/aufgaben/{job_id}").json
    assert status == {**status, "state": "done", "progress": 100, "finished": True}
    page = client.get(f"/sitzungen/{meeting_id}/protokoll").get_data(as_text=True)
    assert "data-job-status" not in page and 'data-signatures="unsigned"' in page
    assert client_as("lead").get(f"/protokolle/aufgaben/{job_id}").status_code == 404


def test_approval_request_checks_the_step_at_once_and_queues_once(app, demo):
    from netzwerk.workflow.services import TransitionNotAllowed, WorkflowConflict

    with app.app_context():
        _meeting, minutes = held_meeting_with_minutes()
        office = user(OFFICE)
        with pytest.raises(TransitionNotAllowed):  # not circulating yet: refused in the request
            jobs.request_approval(office, minutes, "genehmigen", None, minutes.version)
        services.fire_transition(office, minutes, "in_umlauf_geben", None, minutes.version)
        open_approving_meeting(fresh_minutes(minutes.id))
        minutes = fresh_minutes(minutes.id)
        with pytest.raises(WorkflowConflict):  # someone changed it meanwhile
            jobs.request_approval(office, minutes, "genehmigen", None, minutes.version - 1)
        assert jobs.approval_job(minutes) is None
        first = jobs.request_approval(office, minutes, "genehmigen", None, None)
        again = jobs.request_approval(office, minutes, "genehmigen", None, minutes.version)
        shown = jobs.approval_job(minutes)
        assert again.id == first.id and shown is not None and shown.id == first.id
        assert first.parameters["expected_version"] == minutes.version


# --- the Sitzungsmappe ----------------------------------------------------------------------------


def test_meeting_bundle_per_reader(app, demo, client_as):
    from unittest import mock

    from pypdf import PdfReader

    from netzwerk.auth.models import User
    from netzwerk.papers import files

    with app.app_context():
        meeting, minutes = held_meeting_with_minutes()
        minutes_id = minutes.id
        with write_transaction():
            found = fresh_meeting(meeting.id)
            found.public = True
            found.body.public = True
        lines = [line for line in agenda.flatten(agenda.agenda(meeting)) if not line.item.withdrawn]
        paper = next(line.item.paper for line in lines if line.item.paper is not None)
        attachment = pdfmod.render("<html lang='de'><body><p>Anlage</p></body></html>")
        # Attached as before the meeting (its papers are decided now, and a
        # concluded paper's attachments are final).
        with mock.patch("netzwerk.papers.services.is_decided", return_value=False):
            files.add_attachment(user(OFFICE), paper, "anlage.pdf", attachment)
        meeting_id = meeting.id
        office, lead = (
            user(OFFICE),
            db.session.scalar(select(User).where(User.email == "projekt@osnabrueck.example")),
        )
        full = bundle.plan(office, fresh_meeting(meeting_id))
        public = bundle.plan(lead, fresh_meeting(meeting_id))
        assert full.edition == "full" and public.edition == "public"
        assert len(full.sections) == len(lines)
        assert len(public.sections) == len([line for line in lines if line.item.public])
    with app.app_context():  # a failed approval is shown on the minutes page
        job = jobs.queue.enqueue(
            jobs.APPROVAL, f"approval:{minutes_id}", meeting_id=meeting_id, minutes_id=minutes_id
        )
        jobs.queue.finish(job.id, jobqueue.FAILED, "Die Sitzung ist nicht beschlussfähig.")
    member = client_as("office")
    page = member.get(f"/sitzungen/{meeting_id}/protokoll").get_data(as_text=True)
    assert "Die Sitzung ist nicht beschlussfähig." in page
    waiting = member.get(f"/sitzungen/{meeting_id}/sitzungsmappe.pdf")
    assert waiting.status_code == 202 and "data-job-status" in waiting.get_data(as_text=True)
    outsider = client_as("lead")
    assert outsider.get(f"/sitzungen/{meeting_id}/sitzungsmappe.pdf").status_code == 202
    with app.app_context():
        assert jobs.queue.run_pending() == 2
    data = member.get(f"/sitzungen/{meeting_id}/sitzungsmappe.pdf").data
    reader = PdfReader(io.BytesIO(data))
    outline = [o for o in reader.outline if not isinstance(o, list)]
    assert [o.title for o in outline[1:]] == [s.title for s in full.sections]
    with app.app_context():  # the page count is the sum of the parts'
        plan = bundle.plan(user(OFFICE), fresh_meeting(meeting_id))
        parts = [plan.invitation] + [p for s in plan.sections for p in s.parts]
        expected = sum(len(PdfReader(io.BytesIO(p.load())).pages) for p in parts)
        number = fresh_meeting(meeting_id).number
    assert len(reader.pages) == expected
    text = pdf_text(data)
    assert "Anlage" in text and "Personalangelegenheit" in text
    assert f"Sitzungsmappe {number} – Seite 1 von {expected}" in text
    assert f"Seite {expected} von {expected}" in text
    public_data = outsider.get(f"/sitzungen/{meeting_id}/sitzungsmappe.pdf").data
    public_text = pdf_text(public_data)
    assert "Personalangelegenheit" not in public_text and "Sprachförderung" in public_text
    assert len(PdfReader(io.BytesIO(public_data)).pages) < len(reader.pages)


# --- complete minutes -----------------------------------------------------------------------------


def test_minutes_are_complete_and_match_their_agenda(app_ctx, demo):
    from netzwerk.minutes.demo import ITEMS, SUMMARIES

    meeting, minutes = held_meeting_with_minutes()
    snapshot = services.compose(meeting, minutes)
    assert snapshot["actual_time"] == "16:00 – 19:00"
    for item in snapshot["items"]:  # the summary of each item is the one written for it
        (index,) = [i for i, (title, *_r) in enumerate(ITEMS) if item["title"].endswith(title)]
        assert item["summary"] == SUMMARIES[index], item["title"]
    assert [i["number"] for i in snapshot["items"] if i["title"].startswith("Verschiedenes")] == [
        "10"
    ]
    named = [p for item in snapshot["items"] for p in item["polls"] if p["names"]]
    assert named and all(sum(len(g["names"]) for g in p["names"]) == 6 for p in named)
    unnamed = [p for item in snapshot["items"] for p in item["polls"] if not p["names"]]
    # The personnel matter was a secret vote; the Kita item was decided by
    # show of hands, with counts and no names.
    assert sorted(p["how"] for p in unnamed) == ["durch Handzeichen", "elektronisch, geheim"]
    (change,) = snapshot["attendance_changes"]
    assert change["time"] == "18:45" and not change["arrived"]
    html = render.minutes_html(snapshot)
    assert html.index("Öffentlicher Teil") < html.index("Nichtöffentlicher Teil")
    assert html.index("Nichtöffentlicher Teil") < html.rindex("Personalangelegenheit: Besetzung")
    assert "<ul><li>Aufbau der Gremien abgeschlossen</li>" in html
    assert f"18:45 – {change['name']} hat die Sitzung verlassen" in html
