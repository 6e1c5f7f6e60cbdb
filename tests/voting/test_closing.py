"""Who may close a vote: the roles the poll's workflow names in ``by:`` of
its closing transition (workflows/abstimmung.yaml: the body's chair and
office, staff; umlaufverfahren.yaml: the office, staff), when its guard
holds (can_close)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from netzwerk.audit.models import AuditEvent
from netzwerk.database import write_transaction
from netzwerk.extensions import db
from netzwerk.governance.models import Membership
from netzwerk.meetings import access, agenda
from netzwerk.voting import services
from netzwerk.voting.meeting import open_meeting_poll
from netzwerk.voting.models import Poll

from .helpers import body, meeting_in_session, start_poll, user

# The demo's project lead: a member of BK, no staff; in these tests also the
# office of the VK (a membership with the role "office", no vote).
VK_OFFICE = "lead"
# Every step of the poll's workflow is a form posting to .../schritt/<transition>.
CLOSE_BUTTON = "/schritt/"


def _make_vk_office() -> None:
    with write_transaction():
        db.session.add(
            Membership(
                person_id=user(VK_OFFICE).person_id,
                body_id=body("VK").id,
                role="office",
                voting_right=False,
                start_date=date(2020, 1, 1),
            )
        )


def _meeting_poll(short_name: str, opener: str = "office") -> int:
    """An open vote on a free item of a meeting in session, everyone present."""
    meeting = meeting_in_session(short_name)
    item = agenda.add_free_item(user("office"), meeting, title="Lernorte")
    poll = open_meeting_poll(
        user(opener), access.get_meeting(meeting.id), item.id, title="Lernorte"
    )
    poll_id = poll.id
    db.session.remove()
    return poll_id


@pytest.fixture
def vk_office(app, demo):  # type: ignore[no-untyped-def]
    with app.app_context():
        _make_vk_office()
        db.session.remove()


def _state(app, poll_id: int) -> tuple[str, int | None]:  # type: ignore[no-untyped-def]
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        assert poll is not None
        result = (poll.state, poll.closed_by_id)
        db.session.remove()
        return result


def test_body_office_closes_a_meeting_poll_of_its_body_and_the_trail_says_who(
    app, client_as, vk_office
):
    with app.app_context():
        # The office opens the vote (the opening rule) ...
        poll_id = _meeting_poll("VK", opener="lead")
        closer_id = user(VK_OFFICE).id
    office = client_as(VK_OFFICE)
    page = office.get(f"/abstimmungen/{poll_id}").get_data(as_text=True)
    assert CLOSE_BUTTON in page
    # ... and closes it (the same rule).
    response = office.post(f"/abstimmungen/{poll_id}/schliessen")
    assert response.status_code == 302
    assert _state(app, poll_id) == ("closed", closer_id)
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "poll.closed",
                AuditEvent.object_type == "poll",
                AuditEvent.object_id == poll_id,
            )
        )
        assert event is not None and event.actor_id == closer_id


def test_body_office_cannot_close_a_poll_of_another_body(app, client_as, vk_office):
    with app.app_context():
        poll_id = _meeting_poll("BK")  # the lead sits in BK as a plain member
    office = client_as(VK_OFFICE)
    page = office.get(f"/abstimmungen/{poll_id}")
    assert page.status_code == 200 and CLOSE_BUTTON not in page.get_data(as_text=True)
    assert office.post(f"/abstimmungen/{poll_id}/schliessen").status_code == 403
    assert _state(app, poll_id) == ("open", None)


def test_plain_member_cannot_close(app, client_as):
    with app.app_context():
        poll_id = _meeting_poll("BK")
    member = client_as("lead")  # a plain member of the BK
    page = member.get(f"/abstimmungen/{poll_id}")
    assert page.status_code == 200 and CLOSE_BUTTON not in page.get_data(as_text=True)
    assert member.post(f"/abstimmungen/{poll_id}/schliessen").status_code == 403
    assert _state(app, poll_id) == ("open", None)


def test_staff_still_close_a_meeting_poll(app, client_as):
    with app.app_context():
        poll_id = _meeting_poll("VK")
        staff_id = user("office").id
    staff = client_as("office")
    assert CLOSE_BUTTON in staff.get(f"/abstimmungen/{poll_id}").get_data(as_text=True)
    assert staff.post(f"/abstimmungen/{poll_id}/schliessen").status_code == 302
    assert _state(app, poll_id) == ("closed", staff_id)


def test_a_circular_resolution_is_closed_early_only_when_everyone_has_voted(
    app, client_as, vk_office
):
    """umlaufverfahren.yaml: the body's office (and chair, staff) may close
    early, guarded by poll_closable; a plain member never."""
    with app.app_context():
        poll = start_poll(body("VK").id)
        poll_id = poll.id
        voters = list(
            db.session.scalars(
                select(Membership.person_id).where(
                    Membership.body_id == body("VK").id, Membership.voting_right
                )
            )
        )
        for person_id in voters[:-1]:
            services.cast_ballot(poll_id, person_id, "yes")
        db.session.remove()
    office = client_as(VK_OFFICE)
    assert CLOSE_BUTTON not in office.get(f"/abstimmungen/{poll_id}").get_data(as_text=True)
    office.post(f"/abstimmungen/{poll_id}/schliessen")  # refused: not everyone has voted
    assert _state(app, poll_id) == ("open", None)
    with app.app_context():
        services.cast_ballot(poll_id, voters[-1], "no")
        db.session.remove()
    member = client_as("member")
    assert CLOSE_BUTTON not in member.get(f"/abstimmungen/{poll_id}").get_data(as_text=True)
    assert member.post(f"/abstimmungen/{poll_id}/schliessen").status_code == 403
    # Everyone has voted: the body's office may close it early.
    assert CLOSE_BUTTON in office.get(f"/abstimmungen/{poll_id}").get_data(as_text=True)
    assert office.post(f"/abstimmungen/{poll_id}/schliessen").status_code == 302
    with app.app_context():
        assert _state(app, poll_id) == ("closed", user(VK_OFFICE).id)


def test_close_poll_service_refuses_an_actor_who_may_not_open(app_ctx, demo):
    _make_vk_office()
    bk_poll = _meeting_poll("BK")
    with pytest.raises(services.VotingError):
        services.close_poll(bk_poll, user(VK_OFFICE))  # a plain member of the BK
    assert db.session.get(Poll, bk_poll).state == "open"  # type: ignore[union-attr]
    vk_poll = _meeting_poll("VK")
    assert services.close_poll(vk_poll, user(VK_OFFICE)).closed_by_id == user(VK_OFFICE).id


def test_may_close_follows_may_open(app_ctx, demo):
    _make_vk_office()
    vk, bk = body("VK").id, body("BK").id
    office, member, staff = user(VK_OFFICE), user("member"), user("office")
    assert services.may_open(office, vk, "meeting") and not services.may_open(office, bk, "meeting")
    assert services.may_open(office, vk, "circular")  # umlaufverfahren.yaml: by office
    assert not services.may_open(office, bk, "circular")
    assert not services.may_open(member, vk, "circular")  # the deputy chair: not by: there
    assert services.may_open(staff, vk, "meeting") and services.may_open(staff, vk, "circular")
