"""Correction requests while the minutes circulate (issue #20, "no dead ends").

A member of the body sends the office a correction from the minutes page;
the office and the minute-taker see every request, the member their own;
the office takes it over or declines it with a short answer and the sender
is told.  Requests and answers are audited.  Approved minutes take no new
request.  The tests ask the workflow's flags, never its state names.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from netzwerk.audit.models import AuditEvent
from netzwerk.extensions import db
from netzwerk.meetings import agenda
from netzwerk.minutes import corrections, services
from netzwerk.minutes.demo import draft_minutes, hold_demo_meeting
from netzwerk.minutes.models import (
    OPEN_FOR_CORRECTIONS,
    CorrectionRequest,
    CorrectionRequestStatus,
    Minutes,
)
from netzwerk.notifications.models import Notification
from netzwerk.workflow import services as wf

from .helpers import OFFICE, approve, fresh_minutes, user

MEMBER = "mitglied@osnabrueck.example"  # Vorstandskonferenz
CHAIR = "ob@osnabrueck.example"  # Vorstandskonferenz
OUTSIDER = "projekt@osnabrueck.example"  # not a member of the Vorstandskonferenz


def _circulating() -> Minutes:
    """Draft minutes of a held (closed) VK meeting, sent into circulation by
    the step that leads into a state flagged ``open_for_corrections``."""
    meeting = hold_demo_meeting(items=3)
    assert meeting is not None
    minutes = draft_minutes(meeting)
    assert minutes is not None
    minutes = fresh_minutes(minutes.id)
    assert not corrections.open_for_corrections(minutes)
    (step,) = wf.transitions_to_flag(minutes, OPEN_FOR_CORRECTIONS)
    services.fire_transition(user(OFFICE), minutes, step.name, None, minutes.version)
    minutes = fresh_minutes(minutes.id)
    assert corrections.open_for_corrections(minutes)
    return minutes


def _item_ids(minutes: Minutes) -> list[int]:
    return [line.item.id for line in agenda.flatten(agenda.agenda(minutes.meeting))]


def _events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def _notes(kind: str) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.kind == kind)))


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(CorrectionRequest)) or 0


# --- the service ---------------------------------------------------------------------------


def test_a_member_sends_a_correction_and_the_office_answers(app_ctx, demo):
    minutes = _circulating()
    item_id = _item_ids(minutes)[0]
    member, chair, office = user(MEMBER), user(CHAIR), user(OFFICE)

    sent = corrections.request_correction(
        member, minutes, item_id, "  Frau Ahlers war ab 16:30 Uhr anwesend.\r\n"
    )
    other = corrections.request_correction(chair, fresh_minutes(minutes.id), None, "Tippfehler")
    assert sent.status == CorrectionRequestStatus.OPEN
    assert sent.text == "Frau Ahlers war ab 16:30 Uhr anwesend."
    assert sent.agenda_item_id == item_id and other.agenda_item_id is None

    # Audited, and the office (not the sender) is told.
    (event, _chair_event) = _events("minutes.correction_request_sent")
    assert event.actor_id == member.id and event.object_id == minutes.id
    assert json.loads(event.data)["request_id"] == sent.id
    told = {n.person_id for n in _notes("minutes_correction_request")}
    assert office.person_id in told and member.person_id not in told

    # The office and the minute-taker see all; a member sees their own.
    minutes = fresh_minutes(minutes.id)
    assert [r.id for r in corrections.visible_requests(office, minutes)] == [sent.id, other.id]
    assert [r.id for r in corrections.visible_requests(member, minutes)] == [sent.id]
    assert [r.id for r in corrections.visible_requests(chair, minutes)] == [other.id]

    # Declining needs a short answer; the member cannot answer.
    with pytest.raises(services.MinutesError) as refused:
        corrections.answer_request(office, minutes, sent.id, CorrectionRequestStatus.DECLINED, "")
    assert refused.value.field == "answer"
    with pytest.raises(services.MinutesError):
        corrections.answer_request(member, minutes, sent.id, CorrectionRequestStatus.ACCEPTED, "")

    corrections.answer_request(
        office, minutes, sent.id, CorrectionRequestStatus.DECLINED, "Laut Liste ab 16:15 Uhr."
    )
    corrections.answer_request(office, minutes, other.id, CorrectionRequestStatus.ACCEPTED, None)
    db.session.expire_all()
    declined, accepted = (
        db.session.get(CorrectionRequest, sent.id),
        db.session.get(CorrectionRequest, other.id),
    )
    assert declined.status == "declined" and declined.answer == "Laut Liste ab 16:15 Uhr."
    assert declined.answered_by_id == office.id and declined.answered_at is not None
    assert accepted.status == "accepted" and accepted.answer is None

    # Each sender is told the answer; each answer is audited.
    answers = {n.person_id: n.message for n in _notes("minutes_correction_answered")}
    assert set(answers) == {member.person_id, chair.person_id}
    assert "abgelehnt" in answers[member.person_id]
    assert "Laut Liste ab 16:15 Uhr." in answers[member.person_id]
    assert "übernommen" in answers[chair.person_id]
    assert [
        json.loads(e.data)["status"] for e in _events("minutes.correction_request_answered")
    ] == [
        "declined",
        "accepted",
    ]

    # An answered request is not answered twice.
    with pytest.raises(services.MinutesError):
        corrections.answer_request(
            office, fresh_minutes(minutes.id), sent.id, CorrectionRequestStatus.ACCEPTED, None
        )


def test_bad_input_is_refused_by_the_field(app_ctx, demo):
    minutes = _circulating()
    member = user(MEMBER)
    for text in ("", "  \n \t", "\x00\x01"):
        with pytest.raises(services.MinutesError) as empty:
            corrections.request_correction(member, minutes, None, text)
        assert empty.value.field == "text"
    with pytest.raises(services.MinutesError) as long:
        corrections.request_correction(
            member, minutes, None, "x" * (corrections.MAX_CORRECTION + 1)
        )
    assert long.value.field == "text"
    # An agenda item of another meeting, or none at all.
    other = hold_demo_meeting(days_ago=40, items=1)
    assert other is not None
    foreign = agenda.flatten(agenda.agenda(other))[0].item.id
    for item_id in (foreign, 999_999):
        with pytest.raises(services.MinutesError) as wrong:
            corrections.request_correction(member, fresh_minutes(minutes.id), item_id, "Text")
        assert wrong.value.field == "agenda_item_id"
    assert _count() == 0


def test_only_readers_of_the_minutes_send_and_only_while_they_circulate(app_ctx, demo):
    meeting = hold_demo_meeting(items=2)
    assert meeting is not None
    draft = draft_minutes(meeting)
    assert draft is not None
    member = user(MEMBER)
    # The draft does not circulate yet.
    with pytest.raises(services.MinutesError):
        corrections.request_correction(member, fresh_minutes(draft.id), None, "zu früh")
    minutes = _circulating_from(draft.id)
    # Someone of another body may not.
    outsider = user(OUTSIDER)
    assert not corrections.may_request(outsider, minutes)
    with pytest.raises(services.MinutesError):
        corrections.request_correction(outsider, minutes, None, "von außen")
    assert corrections.visible_requests(outsider, minutes) == []

    pending = corrections.request_correction(member, minutes, None, "Noch offen")
    minutes = approve(minutes)
    assert wf.is_final(minutes) and not corrections.open_for_corrections(minutes)
    # Approved: no new request, nothing taken over, but an open one can be declined.
    with pytest.raises(services.MinutesError) as late:
        corrections.request_correction(member, minutes, None, "zu spät")
    assert "genehmigt" in str(late.value)
    with pytest.raises(services.MinutesError):
        corrections.answer_request(
            user(OFFICE), minutes, pending.id, CorrectionRequestStatus.ACCEPTED, None
        )
    corrections.answer_request(
        user(OFFICE), minutes, pending.id, CorrectionRequestStatus.DECLINED, "Bereits genehmigt."
    )
    assert _count() == 1


def _circulating_from(minutes_id: int) -> Minutes:
    minutes = fresh_minutes(minutes_id)
    (step,) = wf.transitions_to_flag(minutes, OPEN_FOR_CORRECTIONS)
    services.fire_transition(user(OFFICE), minutes, step.name, None, minutes.version)
    return fresh_minutes(minutes_id)


# --- the pages -----------------------------------------------------------------------------


def test_the_minutes_page_takes_corrections_and_shows_the_answers(app, demo, client_as, client):
    with app.app_context():
        minutes = _circulating()
        minutes_id, meeting_id = minutes.id, minutes.meeting_id
        item_id = _item_ids(minutes)[1]
        db.session.remove()
    page_url = f"/sitzungen/{meeting_id}/protokoll"
    send_url = f"/protokolle/{minutes_id}/korrekturen"

    member = client_as("member")
    page = member.get(page_url).get_data(as_text=True)
    assert "Korrektur senden" in page and f'action="{send_url}"' in page

    # Bad input: the form again, the message beside its field, nothing stored.
    for data, message in (
        ({"text": "  "}, "Bitte schreiben Sie, was korrigiert werden soll."),
        ({"text": "x" * 4001}, "höchstens 4000 Zeichen"),
        ({"text": "Text", "agenda_item_id": "987654"}, "Tagesordnungspunkt dieser Sitzung"),
        ({"text": "Text", "agenda_item_id": "kein-punkt"}, "Tagesordnungspunkt dieser Sitzung"),
        ({"text": "Text", "agenda_item_id": "9" * 20}, "Tagesordnungspunkt dieser Sitzung"),
        ({"text": "Text", "agenda_item_id": "²"}, "Tagesordnungspunkt dieser Sitzung"),
    ):
        response = member.post(send_url, data=data)
        assert response.status_code == 422, data
        html = response.get_data(as_text=True)
        assert message in html
        assert 'class="error" id="' in html
    with app.app_context():
        assert _count() == 0

    response = member.post(
        send_url, data={"agenda_item_id": str(item_id), "text": "Beschluss lautet anders."}
    )
    assert response.status_code == 302
    page = member.get(page_url).get_data(as_text=True)
    assert "Beschluss lautet anders." in page and "Offen" in page

    # Another body's member and anonymous visitors get nothing.
    outsider = client_as("lead")
    assert outsider.get(page_url).status_code == 403
    assert outsider.post(send_url, data={"text": "von außen"}).status_code == 403
    anonymous = client.post(send_url, data={"text": "anonym"})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert client.post(f"/protokolle/{minutes_id}/korrekturen/1/antwort").status_code == 302

    # The office sees it with sender, item and an answer form; a member cannot answer.
    with app.app_context():
        request_id = db.session.scalar(select(CorrectionRequest.id))
        member_name = user(MEMBER).person.full_name
        db.session.remove()
    answer_url = f"/protokolle/{minutes_id}/korrekturen/{request_id}/antwort"
    assert member.post(answer_url, data={f"a{request_id}-status": "accepted"}).status_code == 403
    office = client_as("office")
    page = office.get(page_url).get_data(as_text=True)
    assert "Beschluss lautet anders." in page and member_name in page
    assert f'action="{answer_url}"' in page
    refused = office.post(answer_url, data={f"a{request_id}-status": "declined"})
    assert refused.status_code == 422
    assert "Bitte begründen Sie die Ablehnung kurz." in refused.get_data(as_text=True)
    done = office.post(
        answer_url,
        data={f"a{request_id}-status": "declined", f"a{request_id}-answer": "Steht so im Antrag."},
    )
    assert done.status_code == 302
    assert (
        office.post(
            f"/protokolle/{minutes_id}/korrekturen/999999/antwort",
            data={"a999999-status": "accepted"},
        ).status_code
        == 404
    )
    page = member.get(page_url).get_data(as_text=True)
    assert "Abgelehnt" in page and "Steht so im Antrag." in page
    notes = member.get("/benachrichtigungen").get_data(as_text=True)
    assert "wurde abgelehnt: Steht so im Antrag." in notes


def test_approved_minutes_hide_the_form_and_refuse_a_post(app, demo, client_as):
    with app.app_context():
        minutes = approve(_circulating())
        minutes_id, meeting_id = minutes.id, minutes.meeting_id
        db.session.remove()
    member = client_as("member")
    page = member.get(f"/sitzungen/{meeting_id}/protokoll").get_data(as_text=True)
    assert "Korrektur senden" not in page
    assert f"/protokolle/{minutes_id}/korrekturen" not in page
    response = member.post(f"/protokolle/{minutes_id}/korrekturen", data={"text": "zu spät"})
    assert response.status_code == 302
    follow = member.get(response.headers["Location"]).get_data(as_text=True)
    assert "Korrekturen können nicht mehr gesendet werden" in follow
    with app.app_context():
        assert _count() == 0
