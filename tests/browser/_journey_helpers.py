"""Setup shared by the meeting and voting browser journeys."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.message import Message

from sqlalchemy import select

from netzwerk.auth.models import User
from netzwerk.auth.services import hash_password
from netzwerk.database import write_transaction
from netzwerk.demo import DEMO_PASSWORD
from netzwerk.extensions import db
from netzwerk.governance.models import Person

EXTRA_VOTER = "jugend@osnabrueck.example"


def add_login(last_name: str, email: str) -> None:
    """A login for a demo person without one (a third voting member)."""
    with write_transaction():
        person = db.session.scalar(select(Person).where(Person.last_name == last_name))
        assert person is not None
        db.session.add(
            User(person_id=person.id, email=email, password_hash=hash_password(DEMO_PASSWORD))
        )


class Collector:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def vote_yes(browser, base_url: str, login_browser, email: str, poll_id: int) -> None:
    """One member votes "yes" from a browser context of their own."""
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    context.set_default_timeout(15_000)
    try:
        member_page = context.new_page()
        login_browser(member_page, base_url, email)
        member_page.goto(base_url + "/abstimmungen/offen")
        form = member_page.locator(f"form[action='/abstimmungen/{poll_id}/abstimmen']")
        form.locator("input[type=radio][value=yes]").check()
        with member_page.expect_navigation():
            form.locator("[type=submit]").click()
        assert "abgestimmt=1" in member_page.url or "/abstimmungen/" in member_page.url
        assert member_page.locator(".badge-ok").count() >= 1
    finally:
        context.close()


def paper_before_the_vk(title: str) -> int:
    """A resolution paper of the VK submitted, checked and put before the VK."""
    from netzwerk.governance.models import Body
    from netzwerk.meetings import services as papers
    from netzwerk.meetings.models import Paper
    from netzwerk.workflow import services as workflow

    member = db.session.scalar(select(User).where(User.email == "mitglied@osnabrueck.example"))
    office = db.session.scalar(select(User).where(User.email == "buero@osnabrueck.example"))
    vk = db.session.scalar(select(Body).where(Body.short_name == "VK"))
    assert member is not None and office is not None and vk is not None
    paper = papers.create_paper(member, body_id=vk.id, kind="resolution", title=title, text="Text.")
    workflow.fire(member, paper, "einreichen")
    workflow.fire(office, db.session.get(Paper, paper.id), "direkt_pruefen", comment="geprüft")
    workflow.fire(office, db.session.get(Paper, paper.id), "zur_entscheidung_vorlegen")
    return paper.id
