"""Meetings: numbering, agenda, invitations with notice period, freezing."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes

import icalendar
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from netzwerk.audit.models import AuditEvent
from netzwerk.extensions import db
from netzwerk.mail.models import OutboxMail
from netzwerk.meetings import access, agenda, invitations, places
from netzwerk.meetings.models import AgendaItem, Meeting
from netzwerk.papers.models import Consultation
from netzwerk.timeutil import LOCAL_TZ, local_today, utcnow

from .helpers import (
    OFFICE,
    berlin,
    body,
    fresh,
    in_days,
    meeting,
    paper_for_decision,
    step_to,
    user,
)


@pytest.mark.calendar
def test_meetings_are_numbered_per_body_and_year(app_ctx, demo):
    """Numbers restart per body and per *meeting* year (in Berlin), whenever
    the meetings are planned: two VK meetings in one year, a VK meeting in the
    year after (planned before the second), a BK meeting in the first year."""
    year = local_today().year + 1
    first = meeting("VK", starts_at=berlin(date(year, 2, 10)))
    next_year = meeting("VK", starts_at=berlin(date(year + 1, 1, 12)))
    second = meeting("VK", starts_at=berlin(date(year, 11, 24)))
    other = meeting("BK", starts_at=berlin(date(year, 11, 24)))
    assert fresh(first.id).number == f"VK 1/{year}"
    assert fresh(second.id).number == f"VK 2/{year}"
    assert fresh(next_year.id).number == f"VK 1/{year + 1}"
    assert fresh(other.id).number == f"BK 1/{year}"
    assert access.is_planned(fresh(first.id))


@pytest.mark.calendar
def test_a_meeting_is_numbered_in_its_year_in_berlin(app_ctx, demo):
    """The coming New Year's Eve (tonight at the New Year's Eve instant): a
    meeting at 23:30 belongs to the old year; one at 00:30 on 1 January to the
    new year, although in UTC it still starts on 31 December."""
    year = local_today().year
    eve = meeting("VK", starts_at=berlin(date(year, 12, 31), 23, 30))
    new_year = meeting("VK", starts_at=berlin(date(year + 1, 1, 1), 0, 30))
    assert new_year.starts_at == datetime(year, 12, 31, 23, 30, tzinfo=UTC)
    assert fresh(eve.id).number == f"VK 1/{year}"
    assert fresh(new_year.id).number == f"VK 1/{year + 1}"


def test_duplicate_number_is_refused_by_the_database(app_ctx, demo):
    first = meeting("VK")
    duplicate = Meeting(
        body_id=first.body_id,
        year=first.year,
        seq=first.seq,
        starts_at=first.starts_at,
        workflow_name=first.workflow_name,
        workflow_hash=first.workflow_hash,
        state=first.state,
    )
    db.session.add(duplicate)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.calendar
def test_the_form_takes_berlin_time_and_numbers_in_the_berlin_year(client_as, app):
    """00:30 on 1 January typed into the form is 23:30 UTC on 31 December;
    the meeting is the first of the new year and shown at the time typed."""
    office = client_as("office")
    year = local_today().year + 1
    with app.app_context():
        place = places.create_location(
            user(OFFICE), name="Rathaus", address="Markt 1", room="Saal"
        ).id
        vk = body("VK").id
    response = office.post(
        "/sitzungen/neu",
        data={
            "body_id": vk,
            "date": f"{year}-01-01",
            "start_time": "00:30",
            "end_time": "01:30",
            "location_id": str(place),
            "online_link": "",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        created = db.session.scalar(select(Meeting))
        assert created.starts_at == datetime(year - 1, 12, 31, 23, 30, tzinfo=UTC)
        assert created.number == f"VK 1/{year}"
    html = office.get(response.headers["Location"]).get_data(as_text=True)
    assert f"VK 1/{year}" in html and f"01.01.{year} 00:30" in html


def test_office_creates_meeting_through_the_form(client_as, app):
    office = client_as("office")
    with app.app_context():
        vk = body("VK").id
        place = places.create_location(
            user(OFFICE), name="Rathaus", address="Markt 1", room="Saal"
        ).id
    response = office.post(
        "/sitzungen/neu",
        data={
            "body_id": vk,
            "date": "2031-03-04",
            "start_time": "16:00",
            "end_time": "18:00",
            "location_id": str(place),
            "online_link": "",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        created = db.session.scalar(select(Meeting))
        # 16:00 Berlin in March (CET) is 15:00 UTC.
        assert created.starts_at.hour == 15 and created.ends_at.hour == 17
        assert created.number == "VK 1/2031"
    html = office.get(response.headers["Location"]).get_data(as_text=True)
    assert "VK 1/2031" in html and "04.03.2031 16:00" in html


def test_member_cannot_plan_meetings(client_as):
    member = client_as("member")
    assert member.get("/sitzungen/neu").status_code == 403


def test_agenda_numbering_with_sub_items_and_parts(app_ctx, demo):
    m = meeting("VK")
    office = user(OFFICE)
    a = agenda.add_free_item(office, m, title="Begrüßung")
    secret = agenda.add_free_item(office, m, title="Personalie", public=False)
    b = agenda.add_free_item(office, m, title="Berichte")
    agenda.add_free_item(office, m, title="Bericht Schule", parent_id=b.id)
    agenda.add_free_item(office, m, title="Bericht Jugend", parent_id=b.id)
    lines = agenda.flatten(agenda.agenda(fresh(m.id)))
    assert [(line.number, line.item.title) for line in lines] == [
        ("1", "Begrüßung"),
        ("2", "Berichte"),
        ("2.1", "Bericht Schule"),
        ("2.2", "Bericht Jugend"),
        ("3", "Personalie"),
    ]
    agenda.move_item(office, m, b.id, -1)
    lines = agenda.flatten(agenda.agenda(fresh(m.id)))
    assert [line.item.title for line in lines][:2] == ["Berichte", "Bericht Schule"]
    # Moving beyond the edge changes nothing; the non-public part stays last.
    agenda.move_item(office, m, secret.id, -1)
    assert agenda.flatten(agenda.agenda(fresh(m.id)))[-1].item.id == secret.id
    assert a.id in {line.item.id for line in lines}


def test_paper_goes_on_agenda_with_consultation(app_ctx, demo):
    m = meeting("VK")
    paper = paper_for_decision()
    assert paper.id in {p.id for p in agenda.ready_papers(m)}
    item = agenda.add_paper_item(user(OFFICE), m, paper.id)
    assert item.paper_id == paper.id
    consultation = db.session.scalar(select(Consultation).where(Consultation.paper_id == paper.id))
    assert consultation.role == "deciding" and consultation.meeting_id == m.id
    assert paper.id not in {p.id for p in agenda.ready_papers(fresh(m.id))}
    # The same paper twice is refused.
    with pytest.raises(access.MeetingError):
        agenda.add_paper_item(user(OFFICE), fresh(m.id), paper.id)


def _mails(meeting_id: int) -> list[OutboxMail]:
    return list(
        db.session.scalars(
            select(OutboxMail)
            .where(OutboxMail.reason.like(f"meeting:{meeting_id}:invitation%"))
            .order_by(OutboxMail.id)  # in the order they were queued (PostgreSQL keeps none)
        )
    )


@pytest.mark.calendar
def test_notice_period_warns_and_requires_a_reason(client_as, app):
    office = client_as("office")
    with app.app_context():
        m = meeting("VK", days=3)  # VK: 7 days notice
        meeting_id = m.id
    page = office.get(f"/sitzungen/{meeting_id}/einladung").get_data(as_text=True)
    assert 'id="notice-warning"' in page
    response = office.post(f"/sitzungen/{meeting_id}/einladung", data={"invite-reason": ""})
    assert response.status_code == 422
    assert 'id="invite-reason-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert access.is_planned(fresh(meeting_id))
        assert _mails(meeting_id) == []
    response = office.post(
        f"/sitzungen/{meeting_id}/einladung", data={"invite-reason": "Dringende Haushaltsfrage"}
    )
    assert response.status_code == 302
    with app.app_context():
        m = fresh(meeting_id)
        assert access.is_awaiting(m) and m.agenda_frozen
        assert m.short_notice_reason == "Dringende Haushaltsfrage"


@pytest.mark.calendar
def test_no_reason_needed_when_notice_is_kept(app_ctx, demo):
    m = meeting("VK", days=20)
    assert not invitations.notice_check(m).short
    assert invitations.send_invitations(user(OFFICE), m) > 0


@pytest.mark.calendar
def test_notice_period_counts_calendar_days_in_berlin(app_ctx, demo):
    """The VK's seven days' notice are seven calendar days in Osnabrück, not
    7 × 24 hours: a meeting just after midnight seven days ahead keeps it,
    though fewer than 7 × 24 hours are left (at every instant; at the
    DST-starts instant the week also loses an hour); one late on the sixth
    day does not."""
    today = local_today()
    assert body("VK").notice_days == 7
    kept = meeting("VK", starts_at=berlin(today + timedelta(days=7), 0, 30))
    short = meeting("VK", starts_at=berlin(today + timedelta(days=6), 23, 30))
    assert kept.starts_at - utcnow() < timedelta(days=7)  # under 7 × 24 hours ahead
    assert invitations.notice_check(kept) == invitations.NoticeCheck(notice_days=7, days_left=7)
    assert invitations.notice_check(short) == invitations.NoticeCheck(notice_days=7, days_left=6)
    assert not invitations.notice_check(kept).short and invitations.notice_check(short).short
    assert invitations.send_invitations(user(OFFICE), kept) > 0  # no reason needed
    with pytest.raises(access.MeetingError):
        invitations.send_invitations(user(OFFICE), short)  # a reason is
    assert invitations.send_invitations(user(OFFICE), fresh(short.id), reason="Eilt") > 0


@pytest.mark.calendar
def test_invitation_mails_with_ics_one_per_member_and_resend_explicit(app_ctx, demo):
    m = meeting("VK", days=20)  # 16:00 in Osnabrück, summer or winter time
    agenda.add_free_item(user(OFFICE), m, title="Haushalt 2027")
    count = invitations.send_invitations(user(OFFICE), m)
    members = {p.email for p in invitations.invitees(fresh(m.id))}
    mails = _mails(m.id)
    assert count == len(mails) == len(members) > 5
    assert {mail.recipient for mail in mails} == members
    assert {mail.reason for mail in mails} == {f"meeting:{m.id}:invitation"}
    mail = mails[0]
    assert "Haushalt 2027" in mail.body
    (attachment,) = mail.attachments
    calendar = icalendar.Calendar.from_ical(attachment.content)
    assert str(calendar["METHOD"]) == "REQUEST"
    event = next(iter(calendar.walk("VEVENT")))
    assert str(event["UID"]) == f"meeting-{m.id}@netzwerk"
    assert event.decoded("DTSTART") == fresh(m.id).starts_at
    assert event["DTSTART"].params.get("TZID") == "Europe/Berlin"
    assert event.decoded("DTSTART").hour == 16  # the wall-clock time, in its own offset
    # A second plain send is refused; "send again" is explicit.
    with pytest.raises(access.MeetingError):
        invitations.send_invitations(user(OFFICE), fresh(m.id))
    assert len(_mails(m.id)) == count
    again = invitations.send_invitations(user(OFFICE), fresh(m.id), again=True)
    assert again == count
    reasons = {mail.reason for mail in _mails(m.id)}
    assert reasons == {f"meeting:{m.id}:invitation", f"meeting:{m.id}:invitation:2"}
    calendar = icalendar.Calendar.from_ical(_mails(m.id)[-1].attachments[0].content)
    event = next(iter(calendar.walk("VEVENT")))
    assert str(event["UID"]) == f"meeting-{m.id}@netzwerk" and int(event["SEQUENCE"]) == 1


def test_invitations_reach_a_real_smtp_server(app_ctx, demo, smtp_server):
    from netzwerk.mail.services import send_pending

    m = meeting("VK", days=20)
    count = invitations.send_invitations(user(OFFICE), m)
    assert send_pending() == count
    assert len(smtp_server.messages) == count
    message = smtp_server.messages[0]
    parts = [p for p in message.walk() if p.get_filename() == "sitzung.ics"]
    assert parts
    calendar = icalendar.Calendar.from_ical(parts[0].get_payload(decode=True))
    assert str(calendar["METHOD"]) == "REQUEST"
    assert message_from_bytes(message.as_bytes())["Subject"]


def test_agenda_frozen_after_invitations_and_changes_marked(app_ctx, demo):
    office = user(OFFICE)
    m = meeting("VK", days=20)
    first = agenda.add_free_item(office, m, title="Eins")
    second = agenda.add_free_item(office, m, title="Zwei")
    assert not first.late
    invitations.send_invitations(office, m)
    m = fresh(m.id)
    assert m.agenda_frozen
    late = agenda.add_free_item(office, m, title="Nachtrag")
    assert late.late
    agenda.move_item(office, m, second.id, -1)
    agenda.remove_item(office, m, first.id)
    items = {i.title: i for i in db.session.scalars(select(AgendaItem))}
    assert items["Zwei"].changed and items["Eins"].changed
    assert items["Eins"].withdrawn  # kept, struck out, not deleted
    events = [
        e
        for e in db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_type == "meeting", AuditEvent.object_id == m.id
            )
        )
        if e.action.startswith("agenda.")
    ]
    after = [e for e in events if json.loads(e.data or "{}").get("after_invitation")]
    assert {e.action for e in after} == {
        "agenda.item_added",
        "agenda.item_moved",
        "agenda.item_removed",
    }
    lines = agenda.flatten(agenda.agenda(fresh(m.id)))
    assert [(line.number, line.item.title) for line in lines] == [
        ("1", "Zwei"),
        ("–", "Eins"),
        ("2", "Nachtrag"),
    ]


def test_meeting_page_marks_late_and_changed_items(client_as, app):
    office = client_as("office")
    with app.app_context():
        m = meeting("VK", days=20)
        agenda.add_free_item(user(OFFICE), m, title="Eins")
        invitations.send_invitations(user(OFFICE), m)
        agenda.add_free_item(user(OFFICE), fresh(m.id), title="Nachtrag")
        meeting_id = m.id
    html = office.get(f"/sitzungen/{meeting_id}").get_data(as_text=True)
    assert "nachträglich aufgenommen" in html
    # Moving through the POST buttons (no JavaScript needed).
    with app.app_context():
        late_id = db.session.scalar(select(AgendaItem.id).where(AgendaItem.title == "Nachtrag"))
    response = office.post(f"/sitzungen/{meeting_id}/tagesordnung/{late_id}/hoch")
    assert response.status_code == 302
    with app.app_context():
        lines = agenda.flatten(agenda.agenda(fresh(meeting_id)))
        assert lines[0].item.title == "Nachtrag" and lines[0].item.changed


def test_cancel_requires_a_reason(app_ctx, demo):
    m = meeting("VK")
    step = step_to(m, "cancelled")
    with pytest.raises(access.MeetingError):
        invitations.fire_status(user(OFFICE), m, step, "", None)
    assert access.is_planned(fresh(m.id))
    invitations.fire_status(user(OFFICE), fresh(m.id), step, "Krankheit", None)
    assert access.has_flag(fresh(m.id), "cancelled")


def test_meeting_workflows_set_every_meeting_flag(app_ctx):
    """Both shipped meeting workflows load, start planned and carry the
    flags the code asks (invited, in_session, closed, cancelled)."""
    from netzwerk.meetings.models import MEETING_FLAGS
    from netzwerk.workflow import services as workflow
    from netzwerk.workflow.catalog import get_catalog

    definitions = get_catalog().for_object_type("meeting")
    assert len(definitions) >= 2
    assert workflow.workflow_for(None, "meeting") in definitions
    for definition in definitions:
        flags = set().union(*(s.flags for s in definition.states.values()))
        assert flags >= MEETING_FLAGS, definition.name
        assert not definition.states[definition.initial].flags & MEETING_FLAGS


def test_number_format_in_list(client_as, app):
    office = client_as("office")
    with app.app_context():
        meeting("VK")
    html = office.get("/sitzungen/").get_data(as_text=True)
    assert re.search(r"VK 1/\d{4}", html)


def test_schedule_on_agenda_scheduler_puts_paper_on_next_meeting(app_ctx, demo):
    from netzwerk.papers.models import Paper
    from netzwerk.workflow import registry

    m = meeting("VK", days=10)
    meeting("VK", days=40)
    paper = paper_for_decision()
    assert agenda.agenda_scheduler("paper", db.session.get(Paper, paper.id))
    db.session.commit()
    items = list(db.session.scalars(select(AgendaItem).where(AgendaItem.paper_id == paper.id)))
    assert [i.meeting_id for i in items] == [m.id]
    assert agenda.agenda_scheduler in registry.agenda_schedulers


@pytest.mark.calendar
def test_in_days_helper_is_on_the_berlin_calendar():
    tomorrow = in_days(1)
    assert tomorrow > utcnow()
    local = tomorrow.astimezone(LOCAL_TZ)
    assert local.date() == local_today() + timedelta(days=1) and local.hour == 16
