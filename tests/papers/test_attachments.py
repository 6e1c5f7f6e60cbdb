"""Paper attachments: sniffing, size limit, access, storage by SHA-256."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

from meetings.helpers import paper_for_decision
from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.papers.models import PaperAttachment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _paper_id(app) -> int:
    with app.app_context():
        return paper_for_decision().id


def _upload(client, paper_id, name, content):
    return client.post(
        f"/vorlagen/{paper_id}/anlagen",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_pdf_is_stored_under_its_sha256_and_served_to_members(client_as, app):
    paper_id = _paper_id(app)
    office = client_as("office")
    assert _upload(office, paper_id, "antrag.pdf", PDF).status_code == 302
    digest = hashlib.sha256(PDF).hexdigest()
    with app.app_context():
        attachment = db.session.scalar(select(PaperAttachment))
        assert attachment.sha256 == digest and attachment.content_type == "application/pdf"
        path = os.path.join(app.config["NETZWERK_UPLOAD_DIR"], digest)
        assert Path(path).read_bytes() == PDF
        attachment_id = attachment.id
    member = client_as("member")  # member of the VK
    response = member.get(f"/vorlagen/{paper_id}/anlagen/{attachment_id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_renamed_executable_and_html_are_refused(client_as, app):
    paper_id = _paper_id(app)
    office = client_as("office")
    for name, content in [
        ("bericht.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),
        ("liste.txt", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("daten.csv", b"a;b\n<script>alert(1)</script>\n"),
        ("bild.png", PDF),  # content does not match the name
        ("programm.exe", b"\x7fELF\x02\x01\x01" + b"\x00" * 50),
    ]:
        response = _upload(office, paper_id, name, content)
        assert response.status_code == 422, name
        assert 'id="file-error"' in response.get_data(as_text=True), name
    with app.app_context():
        assert db.session.scalar(select(PaperAttachment.id)) is None


def test_office_documents_are_recognised_by_their_content(client_as, app):
    paper_id = _paper_id(app)
    office = client_as("office")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    assert _upload(office, paper_id, "vorlage.docx", buffer.getvalue()).status_code == 302
    assert _upload(office, paper_id, "tabelle.csv", b"Jahr;Zahl\n2026;3\n").status_code == 302
    with app.app_context():
        types = set(db.session.scalars(select(PaperAttachment.content_type)))
    assert "text/csv" in types and any("wordprocessingml" in t for t in types)


def test_too_large_upload_gets_413(client_as, app):
    paper_id = _paper_id(app)
    office = client_as("office")
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 2048
    try:
        response = _upload(office, paper_id, "gross.pdf", PDF + b"0" * 4096)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
    assert response.status_code == 413
    assert "<html" in response.get_data(as_text=True).lower()
    with app.app_context():
        assert db.session.scalar(select(PaperAttachment.id)) is None


def test_member_of_another_body_gets_403(client_as, app):
    paper_id = _paper_id(app)
    office = client_as("office")
    _upload(office, paper_id, "antrag.pdf", PDF)
    with app.app_context():
        attachment_id = db.session.scalar(select(PaperAttachment.id))
    lead = client_as("lead")  # not in the VK; the paper is not public
    assert lead.get(f"/vorlagen/{paper_id}/anlagen/{attachment_id}").status_code == 403
    anonymous = app.test_client()
    response = anonymous.get(f"/vorlagen/{paper_id}/anlagen/{attachment_id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_has_attachment_provider(app_ctx, demo):
    from netzwerk.papers.files import has_attachment_provider

    paper = paper_for_decision()
    assert has_attachment_provider("paper", paper) is False
    assert has_attachment_provider("project", paper) is None
