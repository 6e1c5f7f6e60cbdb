"""Mails that work outside the application: absolute links from the
configured base URL in every kind of mail, subjects neither doubled nor cut
inside a word, and calendar parts that are valid iTIP (RFC 5546)."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from typing import Any

import icalendar
import pytest
from conftest import demo_user
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from netzwerk.config import ConfigError, check_settings
from netzwerk.database import write_transaction
from netzwerk.extensions import db
from netzwerk.mail.models import OutboxMail
from netzwerk.mail.services import build_message
from netzwerk.mail.subjects import ELLIPSIS, shorten

BASE = "https://netzwerk.stadt.example"
URL = re.compile(r"https?://[^\s<>\"»“”]+")
BARE_PATH = re.compile(r"(?<![\w/:.])/[A-Za-z0-9_][\w/.%-]*")

OFFICE = "buero@osnabrueck.example"
MEMBER = "mitglied@osnabrueck.example"


@pytest.fixture
def base_url(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "NETZWERK_BASE_URL", BASE)
    return BASE


def link_problems(text: str) -> list[str]:
    """Every link that does not start with the base URL, and every bare path."""
    problems = [
        f"not from the base URL: {url}"
        for url in URL.findall(text)
        if not url.startswith(BASE + "/")
    ]
    without_urls = URL.sub(" ", text)
    problems += [f"a bare path: {path}" for path in BARE_PATH.findall(without_urls)]
    return problems


def mails_since(first_id: int) -> list[OutboxMail]:
    return list(
        db.session.scalars(
            select(OutboxMail).where(OutboxMail.id > first_id).order_by(OutboxMail.id)
        )
    )


def last_mail_id() -> int:
    return db.session.scalar(select(db.func.max(OutboxMail.id))) or 0


def test_the_link_check_finds_relative_and_foreign_links():
    assert link_problems("Öffnen: /benachrichtigungen") != []
    assert link_problems("Öffnen: http://localhost/vorlagen/3") != []
    assert link_problems(f"Öffnen: {BASE}/vorlagen/3 und 14/15 Stimmen") == []


# --- every kind of mail -------------------------------------------------------


def _invitation_mails(clock: Any) -> dict[str, list[OutboxMail]]:
    """Invitation, updated invitation and cancellation of a meeting with a paper."""
    from meetings.helpers import meeting, paper_for_decision

    from netzwerk.meetings import agenda, invitations

    office = demo_user(OFFICE)
    m = meeting("VK", days=20, title="Übergänge gestalten")
    paper = paper_for_decision()
    agenda.add_paper_item(office, m, paper.id)
    first = last_mail_id()
    invitations.send_invitations(office, m)
    sent = {"invitation": mails_since(first)}
    first = last_mail_id()
    invitations.send_invitations(office, m, again=True)
    sent["updated invitation"] = mails_since(first)
    first = last_mail_id()
    cancel = planning_cancel_steps(office, m)
    invitations.fire_status(office, m, cancel[0], "Erkrankung des Vorsitzes", None)
    sent["cancellation"] = mails_since(first)
    return sent


def planning_cancel_steps(user: Any, m: Any) -> list[str]:
    from netzwerk.workflow import services as workflow

    return [
        t.name
        for t in workflow.transitions_to_flag(m, "cancelled")
        if workflow.role_allows(t, workflow.roles_of(user, m))
    ]


def test_every_kind_of_mail_links_absolutely_from_the_base_url(app_ctx, demo, base_url, clock):
    from netzwerk.auth import recovery
    from netzwerk.notifications import services as notifications

    kinds = _invitation_mails(clock)
    first = last_mail_id()
    member = demo_user(MEMBER)
    with write_transaction():
        notifications.notify(
            [member.person_id],
            kind="workflow_state",
            object_type="paper",
            object_id=1,
            message="„Sprachförderung“: eingereicht",
            url="/vorlagen/1",
        )
    kinds["notification"] = mails_since(first)
    first = last_mail_id()
    token = recovery.issue_reset(member)
    kinds["reset link"] = mails_since(first)
    first = last_mail_id()
    recovery.complete_reset(token, "ein-neues-passwort-2026")
    kinds["password changed"] = mails_since(first)

    problems = []
    for kind, mails in kinds.items():
        assert mails, f"no {kind} mail"
        for mail in mails:
            problems += [f"{kind}: {p}" for p in link_problems(mail.subject + "\n" + mail.body)]
    assert problems == []
    invitation = kinds["invitation"][0].body
    assert f"{BASE}/sitzungen/" in invitation
    assert f"{BASE}/vorlagen/" in invitation  # the paper on the agenda, with its link
    assert "/sitzungsmappe.pdf" in invitation
    assert f"{BASE}/passwort-zuruecksetzen/{token}" in kinds["reset link"][0].body
    assert f"{BASE}/vorlagen/1" in kinds["notification"][0].body
    assert f"{BASE}/benachrichtigungen" in kinds["notification"][0].body


def test_the_partner_portal_link_is_absolute_with_and_without_a_request(app, base_url):
    from netzwerk.projects.partner_portal import _link

    with app.app_context():
        assert _link("abc") == f"{BASE}/partner/abc"
    with app.test_request_context("/", base_url="http://localhost"):
        assert _link("abc") == f"{BASE}/partner/abc"


def test_a_reset_link_ignores_the_host_a_request_names(app, client, demo, base_url):
    from netzwerk.auth import recovery

    with app.test_request_context("/", base_url="http://evil.example"):
        token = recovery.issue_reset(demo_user(MEMBER))
        mail = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc())).first()
        assert token in mail.body and "evil.example" not in mail.body
        assert f"{BASE}/" in mail.body


# --- subjects -----------------------------------------------------------------------


def test_an_updated_invitation_says_invitation_once(app_ctx, demo, base_url, clock):
    kinds = _invitation_mails(clock)
    first, updated = kinds["invitation"][0].subject, kinds["updated invitation"][0].subject
    assert first.startswith("Einladung: Übergänge gestalten am ")
    assert updated.startswith("Geänderte Einladung: Übergänge gestalten am ")
    assert updated.count("Einladung") == 1
    assert kinds["cancellation"][0].subject.startswith("Abgesagt: Übergänge gestalten")


def test_a_long_notification_subject_ends_at_a_word(app_ctx, demo):
    from netzwerk.notifications import services as notifications

    words = "Bildungsberichterstattung " * 12
    with write_transaction():
        notifications.notify(
            [demo_user(MEMBER).person_id],
            kind="test",
            object_type="paper",
            object_id=1,
            message=words.strip(),
            url=None,
        )
    subject = db.session.scalars(select(OutboxMail)).one().subject
    assert len(subject) <= notifications.SUBJECT_LENGTH
    assert subject.endswith("Bildungsberichterstattung" + ELLIPSIS)


WORDS = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüßÄÖÜ:–-,", min_size=1, max_size=15),
    min_size=1,
    max_size=30,
)


@settings(max_examples=25, deadline=None)
@given(words=WORDS, limit=st.integers(min_value=5, max_value=120))
def test_shorten_never_cuts_inside_a_word(words, limit):
    text = " ".join(words)
    short = shorten(text, limit)
    assert len(short) <= limit
    if len(text) <= limit:
        assert short == text
        return
    assert short.endswith(ELLIPSIS)
    kept = short[: -len(ELLIPSIS)]
    assert text.startswith(kept)
    if len(words[0]) <= limit - len(ELLIPSIS):
        # Cut where a word ends: what follows in the original is a space
        # (or the punctuation before it), never the rest of a word.
        assert text[len(kept)] in " ,;:–-"


# --- calendar parts: iTIP (RFC 5546) ---------------------------------------------------------

# RFC 5546, 3.2.2 (REQUEST) and 3.2.5 (CANCEL): properties that MUST be present.
REQUIRED = {
    "REQUEST": {
        "VCALENDAR": {"METHOD", "PRODID", "VERSION"},
        "VEVENT": {"ATTENDEE", "DTSTAMP", "DTSTART", "ORGANIZER", "SUMMARY", "UID"},
    },
    "CANCEL": {
        "VCALENDAR": {"METHOD", "PRODID", "VERSION"},
        "VEVENT": {"ATTENDEE", "DTSTAMP", "ORGANIZER", "SEQUENCE", "UID"},
    },
}


def calendar_part(mail: OutboxMail) -> tuple[Any, icalendar.Calendar]:
    """The mail as it goes out, parsed again by a strict e-mail parser; its
    calendar part decoded as strict UTF-8 and parsed by icalendar."""
    raw = build_message(mail, "bildungsbuero@osnabrueck.example").as_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.strict)
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    part = parts[0]
    text = part.get_payload(decode=True).decode("utf-8", errors="strict")
    calendar = icalendar.Calendar.from_ical(text)
    assert not calendar.errors
    for component in calendar.walk():
        assert not component.errors, component.errors
    return part, calendar


def test_invitations_and_cancellations_are_valid_itip(app_ctx, demo, base_url, clock):
    kinds = _invitation_mails(clock)
    for kind, method, sequence in (
        ("invitation", "REQUEST", 0),
        ("updated invitation", "REQUEST", 1),
        ("cancellation", "CANCEL", 2),
    ):
        for mail in kinds[kind]:
            part, calendar = calendar_part(mail)
            assert part.get_content_type() == "text/calendar"
            assert part.get_param("charset").upper() == "UTF-8"
            assert part.get_param("method") == method
            assert str(calendar["METHOD"]) == method
            assert REQUIRED[method]["VCALENDAR"] <= set(calendar.keys())
            [event] = calendar.walk("VEVENT")
            assert REQUIRED[method]["VEVENT"] <= set(event.keys()), kind
            assert int(event["SEQUENCE"]) == sequence
            attendees = event.get("ATTENDEE")
            attendees = attendees if isinstance(attendees, list) else [attendees]
            assert [str(a) for a in attendees] == [f"mailto:{mail.recipient}"]
            assert str(event["ORGANIZER"]).startswith("mailto:")
            assert "Übergänge gestalten" in str(event["SUMMARY"])  # umlauts survived
            assert "Osnabrück" in str(event["ORGANIZER"].params.get("CN", ""))
    first = kinds["invitation"][0]
    _part, calendar = calendar_part(first)
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") - event.decoded("DTSTAMP") > timedelta(days=1)


def test_every_invitee_is_the_attendee_of_their_own_calendar(app_ctx, demo, base_url, clock):
    mails = _invitation_mails(clock)["invitation"]
    assert len(mails) > 1
    seen = set()
    for mail in mails:
        _part, calendar = calendar_part(mail)
        [event] = calendar.walk("VEVENT")
        seen.add(str(event["ATTENDEE"]))
    assert seen == {f"mailto:{m.recipient}" for m in mails}


# --- the setting ------------------------------------------------------------------------


PRODUCTION = {
    "SECRET_KEY": "x",
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://netzwerk@db/netzwerk",
    "NETZWERK_STORAGE": "local",
}


def test_production_requires_the_base_url(tmp_path):
    with pytest.raises(ConfigError, match="NETZWERK_BASE_URL"):
        check_settings(PRODUCTION, tmp_path)
    check_settings({**PRODUCTION, "NETZWERK_BASE_URL": BASE}, tmp_path)
    # SQLite on one host (development, the demo) and tests go without.
    check_settings({**PRODUCTION, "SQLALCHEMY_DATABASE_URI": "sqlite:///x"}, tmp_path)
    check_settings({**PRODUCTION, "TESTING": True}, tmp_path)


@pytest.mark.parametrize(
    "bad", ["netzwerk.stadt.example", "ftp://netzwerk.example", "https://x.example/?a=1"]
)
def test_a_malformed_base_url_is_refused(tmp_path, bad):
    with pytest.raises(ConfigError, match="NETZWERK_BASE_URL"):
        check_settings({**PRODUCTION, "NETZWERK_BASE_URL": bad}, tmp_path)


def test_a_base_url_with_a_path_keeps_it(app, monkeypatch):
    from netzwerk.mail.links import absolute, absolute_url

    monkeypatch.setitem(app.config, "NETZWERK_BASE_URL", "https://stadt.example/netzwerk/")
    with app.app_context():
        assert (
            absolute_url("notifications.index")
            == "https://stadt.example/netzwerk/benachrichtigungen"
        )
        assert absolute("/vorlagen/3") == "https://stadt.example/netzwerk/vorlagen/3"
        assert absolute("https://anders.example/x") == "https://anders.example/x"


def test_the_downloaded_calendar_file_publishes_with_its_organizer(app, client_as):
    from meetings.helpers import meeting

    with app.app_context():
        meeting_id = meeting("VK", days=20, title="Übergänge gestalten").id
        db.session.remove()
    response = client_as("office").get(f"/sitzungen/{meeting_id}/sitzung.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.mimetype_params["charset"].lower() == "utf-8"
    calendar = icalendar.Calendar.from_ical(response.get_data().decode("utf-8"))
    assert str(calendar["METHOD"]) == "PUBLISH"
    [event] = calendar.walk("VEVENT")
    # RFC 5546, 3.2.1: PUBLISH needs DTSTAMP, DTSTART, ORGANIZER, SUMMARY, UID; no ATTENDEE.
    assert {"DTSTAMP", "DTSTART", "ORGANIZER", "SUMMARY", "UID"} <= set(event.keys())
    assert "ATTENDEE" not in event
    assert "Übergänge gestalten" in str(event["SUMMARY"])
