"""Two hosts on one database and one bucket (issue #25): what one host
stores, the other serves.  Each host is an application of its own, with an
instance folder of its own, started with NETZWERK_MULTI_HOST=1 and the
object store configured by environment, as production would start it."""

from __future__ import annotations

import email
import hashlib
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from pathlib import Path
from typing import Any

import pytest
from conftest import ROLE_EMAILS, login, make_test_app
from flask import Flask
from meetings.helpers import paper_for_decision
from minutes.helpers import approve
from sqlalchemy import select

from netzwerk.database import write_transaction
from netzwerk.extensions import db
from netzwerk.mail.services import queue_mail, send_pending
from netzwerk.minutes import services as minutes_services
from netzwerk.minutes.demo import draft_minutes, hold_demo_meeting
from netzwerk.papers.models import PaperAttachment
from netzwerk.storage import storages

from .conftest import s3_settings

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
COOKIE = "netzwerk_session"


@dataclass
class Hosts:
    a: Flask
    b: Flask
    s3: dict[str, str]
    folder: Path


@pytest.fixture(scope="module")
def hosts(app, database_url, s3_endpoint, s3_bucket, tmp_path_factory) -> Iterator[Hosts]:
    """Host A and host B: the same database, bucket and secret, each with an
    instance folder of its own; made once for the module (like
    ``extra_app``, which is made per test, they leave the shared rate
    limiter as they found it)."""
    from netzwerk.extensions import limiter

    saved = (limiter.enabled, getattr(limiter, "_storage", None), limiter.initialized)
    s3 = s3_settings(s3_endpoint, s3_bucket, prefix=f"hosts-{uuid.uuid4().hex[:12]}/")
    folder = tmp_path_factory.mktemp("hosts")
    made = []
    with pytest.MonkeyPatch.context() as env:
        for name, value in s3.items():
            env.setenv(name, value)
        env.setenv("NETZWERK_MULTI_HOST", "1")
        for name in ("a", "b"):
            env.setenv("NETZWERK_INSTANCE_PATH", str(folder / f"host-{name}"))
            made.append(make_test_app(database_url))
    try:
        yield Hosts(made[0], made[1], s3, folder)
    finally:
        limiter.enabled, limiter._storage, limiter.initialized = saved
        for host in made:
            with host.app_context():
                db.session.remove()
                db.engine.dispose()


def _key(config: dict[str, str], sha256: str) -> str:
    return f"{config['NETZWERK_S3_PREFIX']}uploads/{sha256}"


def _files_of(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_an_attachment_uploaded_on_host_a_downloads_on_host_b(hosts, demo, s3_admin):
    host_a, host_b, s3_config = hosts.a, hosts.b, hosts.s3
    with host_a.app_context():
        paper_id = paper_for_decision().id
    office_a = host_a.test_client()
    login(office_a, ROLE_EMAILS["office"])
    uploaded = office_a.post(
        f"/vorlagen/{paper_id}/anlagen",
        data={"file": (io.BytesIO(PDF), "antrag.pdf")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    with host_b.app_context():
        attachment = db.session.scalar(select(PaperAttachment))
        attachment_id, sha256 = attachment.id, attachment.sha256
    assert sha256 == hashlib.sha256(PDF).hexdigest()
    bucket = s3_config["NETZWERK_S3_BUCKET"]
    assert s3_admin.head_object(Bucket=bucket, Key=_key(s3_config, sha256))["ContentLength"] == len(
        PDF
    )
    # Nothing of it, and no secret key of its own, in either host's instance folder.
    assert _files_of(hosts.folder / "host-a") == [] and _files_of(hosts.folder / "host-b") == []

    # The login of host A is valid on host B: one secret, sessions in the database.
    office_b = host_b.test_client()
    office_b.set_cookie(COOKIE, office_a.get_cookie(COOKIE).value)
    url = f"/vorlagen/{paper_id}/anlagen/{attachment_id}"
    downloaded = office_b.get(url)
    assert downloaded.status_code == 200 and downloaded.data == PDF
    assert downloaded.headers["Content-Disposition"].startswith("attachment")
    assert downloaded.headers["X-Content-Type-Options"] == "nosniff"

    # An object lost from the store is a 404 on every host, never a 500.
    s3_admin.delete_object(Bucket=bucket, Key=_key(s3_config, sha256))
    assert office_b.get(url).status_code == 404
    assert office_a.get(url).status_code == 404

    # Removed on host B: the row and, once that has committed, the object.
    office_a.post(
        f"/vorlagen/{paper_id}/anlagen",
        data={"file": (io.BytesIO(PDF), "antrag.pdf")},
        content_type="multipart/form-data",
    )
    assert s3_admin.head_object(Bucket=bucket, Key=_key(s3_config, sha256))
    with host_b.app_context():
        attachment_id = db.session.scalar(select(PaperAttachment.id))
    removed = office_b.post(f"/vorlagen/{paper_id}/anlagen/{attachment_id}/entfernen")
    assert removed.status_code == 302
    listed = s3_admin.list_objects_v2(Bucket=bucket, Prefix=_key(s3_config, ""))
    assert listed.get("Contents", []) == []


def test_minutes_approved_on_host_a_are_served_by_host_b_with_the_same_sha256(
    hosts, demo, monkeypatch
):
    # What counts here is where the approved PDF lies (a row of the shared
    # database), not how it is drawn (tests/minutes): a stand-in renders it.
    from netzwerk.minutes import render

    def stand_in(snapshot: dict[str, Any], *, archival: bool = True) -> bytes:
        return b"%PDF-1.7\n" + render.fingerprint(snapshot, archival=archival).encode()

    monkeypatch.setattr(render, "minutes_pdf", stand_in)
    host_a, host_b = hosts.a, hosts.b
    with host_a.app_context():
        minutes = draft_minutes(hold_demo_meeting(items=1))
        minutes = approve(minutes)
        sha256 = minutes_services.documents(minutes)["full"].sha256
        minutes_id = minutes.id
    office_b = host_b.test_client()
    login(office_b, ROLE_EMAILS["office"])
    response = office_b.get(f"/protokolle/{minutes_id}/protokoll.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert hashlib.sha256(response.data).hexdigest() == sha256
    assert response.headers["X-Content-SHA256"] == sha256


def test_the_mail_folder_lies_in_the_object_store(hosts, monkeypatch):
    host_a, host_b = hosts.a, hosts.b
    # As the demo sets it with NETZWERK_STORAGE=s3: a key prefix in the bucket.
    monkeypatch.setitem(host_a.config, "NETZWERK_MAIL_DIR", "mail")
    with host_a.app_context():
        with write_transaction():
            queue_mail("a@osnabrueck.example", "Einladung zur Sitzung", "Guten Tag")
        assert send_pending() == 1
    with host_b.app_context():
        folder = storages().mail_folder("mail")
        (name,) = list(folder.keys())
        message = email.message_from_bytes(folder.read(name), policy=policy.default)
    assert name.endswith(".eml") and message["To"] == "a@osnabrueck.example"
    assert message["Subject"] == "Einladung zur Sitzung"
