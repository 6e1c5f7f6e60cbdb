"""Nothing English, nothing raw: every page of every demo role speaks German.

The test walks the application as each demo role does (tests/site_walk.py)
on the whole demo and fails on

* a string the application asked gettext for that no German catalogue
  translates (recorded while the pages render: the catalogue's look-ups are
  wrapped for the test);
* visible text that is an English msgid whose German translation exists but
  never reached it (a lazy label turned into a string at import time, a
  choice list built once): text nodes, options, buttons, titles and labels
  are compared with every translated msgid of the catalogues;
* visible text in the shape of an internal identifier: dotted event names
  (``minutes.started``), snake_case (``poll_passed``), ISO durations
  (``P14D``), role codes (``chair``, ``office``) and English words no German
  page uses (``count``, ``Yes``, ``vote``).

Pages in another language (the public feedback form in English), text in
``<code>``/``<pre>``, parts marked with another ``lang`` and a language's
own name are not checked.  ``test_the_checks_catch_each_leak_of_the_issue`` feeds the checks the
strings issue #20 found, so the walk could not pass while one of them is back.

The checks live in tests/german_check.py.  A role's walk happens once per
run: the bad-input walk of the role records the German checks as it goes
(tests/test_bad_input_everywhere.py), and this test walks a role itself only
when that did not happen.
"""

from __future__ import annotations

import re

import pytest
from german_check import (
    FOUND,
    GettextMisses,
    leaks,
    recording,
    translated_msgids,
    visible_texts,
)
from site_walk import walk_site

from netzwerk.extensions import db

ROLES = ["office", "chair", "member", "lead", "admin", "anonymous"]


def _demo_mail_problems() -> list[str]:
    """Every mail the demo queued, as it would go out: its links absolute
    from the base URL, each calendar part UTF-8 with METHOD, ORGANIZER and
    ATTENDEE (issue #20's acceptance: every .eml of the demo)."""
    import email
    import email.policy

    import icalendar
    from sqlalchemy import select

    from netzwerk.mail.links import base_url
    from netzwerk.mail.models import OutboxMail
    from netzwerk.mail.services import build_message

    url = re.compile(r"https?://[^\s<>\"»“”]+")
    bare = re.compile(r"(?<![\w/:.])/[A-Za-z0-9_][\w/.%-]*")
    base = base_url() + "/"
    problems = []
    mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
    if len(mails) < 10:
        problems.append(f"the demo queued only {len(mails)} mails")
    for mail in mails:
        raw = build_message(mail, "bildungsbuero@osnabrueck.example").as_bytes()
        message = email.message_from_bytes(raw, policy=email.policy.strict)
        for part in message.walk():
            if part.get_content_type() == "text/plain" and not part.get_filename():
                body = part.get_content()
                problems += [
                    f"{mail.subject}: {link}"
                    for link in url.findall(body)
                    if not link.startswith(base)
                ]
                problems += [f"{mail.subject}: bare {p}" for p in bare.findall(url.sub(" ", body))]
            elif part.get_content_type() == "text/calendar":
                text = part.get_payload(decode=True).decode(part.get_param("charset") or "ascii")
                calendar = icalendar.Calendar.from_ical(text)
                [event] = calendar.walk("VEVENT")
                missing = {"ORGANIZER", "ATTENDEE", "UID", "SEQUENCE"} - set(event.keys())
                if missing or "METHOD" not in calendar or not part.get_param("charset"):
                    problems.append(f"{mail.subject}: calendar without {sorted(missing)}")
    return problems


def test_every_mail_of_the_demo_works_outside_the_application(app, full_demo):
    with app.app_context():
        problems = _demo_mail_problems()
        db.session.remove()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_speaks_german(app, request, role):
    if role not in FOUND:  # no bad-input walk of this role recorded in this run
        client_as = request.getfixturevalue("client_as")  # the network first,
        request.getfixturevalue("full_demo")  # then the whole demo in its place
        client = app.test_client() if role == "anonymous" else client_as(role)
        with recording(app, role):
            walk_site(client)
    assert FOUND[role] == [], f"as {role}:\n" + "\n".join(FOUND[role])


# The strings issue #20 found on the pages, each as the page showed it.
ISSUE_LEAKS = [
    "Open (named) vote",
    "Secret vote",
    "Yes / No / Abstain",
    "Simple majority of the votes cast",
    "Adopted",
    "Rejected",
    "Open",
    "In progress",
    "chair",
    "vice_chair",
    "member",
    "office",
    "minutes.started",
    "project.partner_added",
    "author, office",
    "poll_passed",
    "assign_number, notify",
    "nach P14D: remind",
    "Gilt für: meeting",
    "count",
]


@pytest.mark.parametrize("text", ISSUE_LEAKS)
def test_the_checks_catch_each_leak_of_the_issue(text):
    html = f"<table><tr><th>Status</th><td><span>{text}</span></td></tr></table>"
    assert leaks(visible_texts(html), translated_msgids()) != []
    # Also when the catalogues did not know the string at all.
    assert leaks(visible_texts(html), {}) != []


def test_german_text_and_addresses_pass():
    html = (
        "<p>Einladung zur Sitzung am 3. Juli, nach 14 Tagen: Erinnerung</p>"
        "<p>buero@osnabrueck.example, protokoll.pdf, https://netzwerk.example/a_b</p>"
        "<p>Rückmeldung WEHH-PT4M-7VRE auswählen</p>"
        '<button title="Abstimmung öffnen">Öffnen</button><script>var a_b = x.y;</script>'
    )
    assert leaks(visible_texts(html), translated_msgids()) == []


def test_a_gettext_miss_is_recorded(app, monkeypatch):
    from flask_babel import gettext

    misses = GettextMisses({"Save"})
    misses.install(monkeypatch)
    with app.test_request_context("/"):
        gettext("Save")
        gettext("A string no catalogue has")
    assert list(misses.found) == ["A string no catalogue has"]
