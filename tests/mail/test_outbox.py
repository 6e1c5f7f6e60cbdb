"""The outbox keeps every mail; the job sends them to a real SMTP server."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

from conftest import free_port

from netzwerk.database import utcnow, write_transaction
from netzwerk.extensions import db
from netzwerk.mail.models import OutboxMail
from netzwerk.mail.services import Attachment, queue_mail, send_pending


def test_queued_mail_is_sent_with_attachment(app_ctx, smtp_server):
    with write_transaction():
        queue_mail(
            "member@osnabrueck.example",
            "Einladung",
            "Guten Tag",
            reason="test:1",
            attachments=[
                Attachment("sitzung.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
            ],
        )
    assert send_pending() == 1
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "member@osnabrueck.example"
    assert message["Subject"] == "Einladung"
    # Dated by the app's clock (frozen in the tests), to the second.
    assert abs(parsedate_to_datetime(message["Date"]) - utcnow()) < timedelta(minutes=1)
    parts = [p.get_filename() for p in message.walk() if p.get_filename()]
    assert parts == ["sitzung.ics"]
    mail = db.session.scalar(db.select(OutboxMail))
    assert mail.status == "sent" and mail.sent_at is not None
    # Sending again sends nothing more.
    assert send_pending() == 0
    assert len(smtp_server.messages) == 1


def test_same_reason_is_queued_once_per_recipient(app_ctx):
    with write_transaction():
        first = queue_mail("a@osnabrueck.example", "S", "B", reason="meeting:1:invitation")
        second = queue_mail("a@osnabrueck.example", "S", "B", reason="meeting:1:invitation")
        other = queue_mail("b@osnabrueck.example", "S", "B", reason="meeting:1:invitation")
    assert first is not None and second is None and other is not None
    assert db.session.query(OutboxMail).count() == 2


def test_unreachable_server_keeps_mail_queued_then_failed(app_ctx, app):
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = "127.0.0.1", free_port()
    try:
        with write_transaction():
            queue_mail("a@osnabrueck.example", "S", "B")
        for _ in range(5):
            assert send_pending() == 0
        mail = db.session.scalar(db.select(OutboxMail))
        db.session.refresh(mail)
        assert mail.status == "failed"
        assert mail.attempts == 5
        assert "SMTP connection failed" in (mail.last_error or "")
    finally:
        app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = "localhost", 25


def test_outbox_page_for_staff_only(app, client_as):
    with app.app_context():
        with write_transaction():
            mail = queue_mail("a@osnabrueck.example", "Protokoll <b>VK</b>", "Text")
        mail_id = mail.id
    office = client_as("office")
    html = office.get("/verwaltung/postausgang/").get_data(as_text=True)
    assert "Protokoll &lt;b&gt;VK&lt;/b&gt;" in html
    assert office.get(f"/verwaltung/postausgang/{mail_id}").status_code == 200
    member = client_as("member")
    assert member.get("/verwaltung/postausgang/").status_code == 403
    assert member.get(f"/verwaltung/postausgang/{mail_id}").status_code == 403
    assert member.post(f"/verwaltung/postausgang/{mail_id}/erneut").status_code == 403


def test_retry_requeues_failed_mail(app, client_as):
    with app.app_context():
        with write_transaction():
            mail = queue_mail("a@osnabrueck.example", "S", "B")
            mail.status = "failed"
            mail.attempts = 5
        mail_id = mail.id
    office = client_as("office")
    response = office.post(f"/verwaltung/postausgang/{mail_id}/erneut")
    assert response.status_code == 302
    with app.app_context():
        mail = db.session.get(OutboxMail, mail_id)
        assert mail.status == "queued" and mail.attempts == 0


def test_mail_directory_delivers_eml_files_instead_of_smtp(app_ctx, app, tmp_path):
    import email
    from email import policy

    app.config["NETZWERK_MAIL_DIR"] = str(tmp_path / "mail")
    try:
        with write_transaction():
            queue_mail(
                "a@osnabrueck.example",
                "Einladung zur Sitzung",
                "Guten Tag",
                attachments=[Attachment("sitzung.ics", "text/calendar", b"BEGIN:VCALENDAR\r\n")],
            )
            queue_mail("b@osnabrueck.example", "Zweite", "Hallo")
        assert send_pending() == 2
        files = sorted((tmp_path / "mail").glob("*.eml"))
        assert len(files) == 2 and not list((tmp_path / "mail").glob("*.part"))
        messages = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
        assert {m["To"] for m in messages} == {"a@osnabrueck.example", "b@osnabrueck.example"}
        invitation = next(m for m in messages if m["To"] == "a@osnabrueck.example")
        assert invitation["Subject"] == "Einladung zur Sitzung"
        assert [p.get_filename() for p in invitation.walk() if p.get_filename()] == ["sitzung.ics"]
        statuses = {m.status for m in db.session.scalars(db.select(OutboxMail))}
        assert statuses == {"sent"}
    finally:
        app.config["NETZWERK_MAIL_DIR"] = None


def test_demo_mode_without_mail_server_delivers_into_the_instance(monkeypatch, tmp_path):
    from netzwerk.config import build_config

    monkeypatch.setenv("NETZWERK_DEMO", "1")
    monkeypatch.delenv("NETZWERK_MAIL_SERVER", raising=False)
    monkeypatch.delenv("NETZWERK_MAIL_DIR", raising=False)
    assert build_config(tmp_path)["NETZWERK_MAIL_DIR"] == str(tmp_path / "mail")
    monkeypatch.setenv("NETZWERK_MAIL_SERVER", "smtp.osnabrueck.example")
    assert build_config(tmp_path)["NETZWERK_MAIL_DIR"] is None
    monkeypatch.delenv("NETZWERK_DEMO")
    monkeypatch.delenv("NETZWERK_MAIL_SERVER")
    assert build_config(tmp_path)["NETZWERK_MAIL_DIR"] is None
