"""Pages of the vote kinds: the minute-taker's count form, amendments,
elections; German labels in the forms (issue #20)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.meetings import access, agenda
from netzwerk.voting import amendments
from netzwerk.voting.meeting import open_meeting_poll
from netzwerk.voting.models import Election, Poll

from .helpers import meeting_in_session, user


@pytest.fixture
def vk_item(app: Any, demo: Any) -> tuple[int, int]:
    with app.app_context():
        meeting = meeting_in_session("VK")
        item = agenda.add_free_item(user("office"), meeting, title="Lernorte")
        ids = (meeting.id, item.id)
        db.session.remove()
    return ids


def _hands_poll(app: Any, meeting_id: int, item_id: int) -> int:
    with app.app_context():
        poll = open_meeting_poll(
            user("chair"), access.get_meeting(meeting_id), item_id, title="Lernorte", method="hands"
        )
        poll_id = poll.id
        db.session.remove()
        return poll_id


def test_the_open_vote_form_speaks_german(client_as, vk_item):
    meeting_id, item_id = vk_item
    page = client_as("chair").get(f"/sitzungen/{meeting_id}/top/{item_id}/abstimmung")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    for german in (
        "Offene (namentliche) Abstimmung",
        "Geheime Abstimmung",
        "Ja / Nein / Enthaltung",
        "Einfache Mehrheit",
        "Durch Handzeichen",
        "Gemischt",
    ):
        assert german in text, german
    for english in ("Open (named) vote", "Secret vote", "Yes / No / Abstain", "Simple majority"):
        assert english not in text, english


def test_only_the_chair_or_office_enters_counts(app, client_as, vk_item):
    poll_id = _hands_poll(app, *vk_item)
    assert client_as("member").get(f"/abstimmungen/{poll_id}/handzeichen").status_code == 403
    chair = client_as("chair")
    assert chair.get(f"/abstimmungen/{poll_id}/handzeichen").status_code == 200
    poll_page = chair.get(f"/abstimmungen/{poll_id}").get_data(as_text=True)
    assert f"/abstimmungen/{poll_id}/handzeichen" in poll_page and "durch Handzeichen" in poll_page


def test_impossible_counts_reshow_the_form_with_the_message(app, client_as, vk_item):
    poll_id = _hands_poll(app, *vk_item)
    chair = client_as("chair")
    url = f"/abstimmungen/{poll_id}/handzeichen"
    response = chair.post(url, data={"yes": "40", "no": "0", "abstain": "0"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="yes-error"' in page and "anwesende Mitglieder sind stimmberechtigt" in page
    response = chair.post(url, data={"yes": "-1", "no": "x", "abstain": "0"})
    assert response.status_code == 422
    assert "ganze Zahl" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Poll.yes_count).where(Poll.id == poll_id)) is None
    response = chair.post(url, data={"yes": "3", "no": "1", "abstain": "1"})
    assert response.status_code == 302
    page = chair.get(f"/abstimmungen/{poll_id}").get_data(as_text=True)
    assert "Per Handzeichen gezählt: 3 Ja, 1 Nein, 1 Enthaltungen" in page


def test_amendments_page_and_the_main_vote_waits_for_them(app, client_as, vk_item):
    meeting_id, item_id = vk_item
    chair = client_as("chair")
    url = f"/sitzungen/{meeting_id}/top/{item_id}/aenderungsantraege"
    assert client_as("member").get(url).status_code == 403
    response = chair.post(url, data={"text": "   ", "proposer": ""})
    assert response.status_code == 422
    assert chair.post(url, data={"text": "Fünf Lernorte.", "proposer": "AG"}).status_code == 302
    page = chair.get(url).get_data(as_text=True)
    assert "Fünf Lernorte." in page and "Noch nicht entschieden" in page
    response = chair.post(
        f"/sitzungen/{meeting_id}/top/{item_id}/abstimmung",
        data={
            "title": "Hauptantrag",
            "kind": "open",
            "options": "yes_no_abstain",
            "method": "hands",
        },
    )
    assert response.status_code == 422
    assert "Zuerst wird über die Änderungsanträge" in response.get_data(as_text=True)
    with app.app_context():
        (amendment,) = amendments.pending_on(item_id)
        amendment_id = amendment.id
        db.session.remove()
    response = chair.post(
        f"/sitzungen/{meeting_id}/aenderungsantraege/{amendment_id}/abstimmung",
        data={"title": "Änderungsantrag 1", "kind": "open", "options": "yes_no", "method": "hands"},
    )
    assert response.status_code == 302


def test_an_election_is_opened_voted_and_counted_through_the_pages(app, client_as, vk_item):
    meeting_id, item_id = vk_item
    chair = client_as("chair")
    url = f"/sitzungen/{meeting_id}/top/{item_id}/wahl"
    assert chair.get(url).status_code == 200
    response = chair.post(url, data={"title": "Sprecher", "seats": "0", "rule": "relative"})
    assert response.status_code == 422
    response = chair.post(
        url, data={"title": "Sprecher", "seats": "1", "rule": "relative", "names": "Anna\nBernd"}
    )
    assert response.status_code == 302
    with app.app_context():
        election = db.session.scalar(select(Election))
        election_id, anna = election.id, election.candidates[0].id
        db.session.remove()
    member = client_as("member")
    page = member.get(f"/wahlen/{election_id}").get_data(as_text=True)
    assert "Anna" in page and "Geheime Wahl" in page
    assert (
        member.post(f"/wahlen/{election_id}/stimme", data={"choice": str(anna)}).status_code == 302
    )
    assert member.post(f"/wahlen/{election_id}/runde-schliessen", data={}).status_code == 403
    assert chair.post(f"/wahlen/{election_id}/runde-schliessen", data={}).status_code == 302
    page = chair.get(f"/wahlen/{election_id}").get_data(as_text=True)
    assert "Gewählt" in page and "Anna" in page
