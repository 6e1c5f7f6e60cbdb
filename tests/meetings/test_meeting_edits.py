"""Editing a meeting or its place after the invitations went out: the
updated invitation goes to every invitee when the office asks for it."""

from __future__ import annotations

import json
from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import select

from netzwerk.audit.models import AuditEvent
from netzwerk.extensions import db
from netzwerk.mail.models import OutboxMail
from netzwerk.meetings import access, invitations, places, planning
from netzwerk.timeutil import to_local

from .helpers import OFFICE, fresh, meeting, reach, step_to, user

ROUND_2 = ":invitation:2"


def _mails(meeting_id: int) -> list[OutboxMail]:
    return list(
        db.session.scalars(
            select(OutboxMail)
            .where(OutboxMail.reason.like(f"meeting:{meeting_id}:invitation%"))
            .order_by(OutboxMail.id)
        )
    )


def _round_two(meeting_id: int) -> list[OutboxMail]:
    return [m for m in _mails(meeting_id) if m.reason.endswith(ROUND_2)]


def _event(mail: OutboxMail) -> icalendar.Event:
    (attachment,) = mail.attachments
    return next(iter(icalendar.Calendar.from_ical(attachment.content).walk("VEVENT")))


def _save(meeting_id: int, **changes: object) -> planning.MeetingUpdate:
    current = fresh(meeting_id)
    values: dict[str, object] = {
        "starts_at": current.starts_at,
        "ends_at": current.ends_at,
        "location_id": current.location_id,
        "online_link": current.online_link,
        "public": current.public,
        "title": current.title,
    }
    values.update(changes)
    return planning.update_meeting(user(OFFICE), current, **values)  # type: ignore[arg-type]


def _invited(days: float = 20) -> int:
    m = meeting("VK", days=days)
    assert invitations.send_invitations(user(OFFICE), m, reason="kurzfristig") > 0
    return m.id


# --- the rule -----------------------------------------------------------------------


def test_a_changed_time_sends_the_updated_invitation_to_every_invitee(app_ctx, demo):
    meeting_id = _invited()
    first = len(_mails(meeting_id))
    later = fresh(meeting_id).starts_at + timedelta(hours=2)

    update = _save(meeting_id, starts_at=later, send_update=True)

    assert update.changed == ["starts_at"]
    assert update.invitations == first
    mails = _round_two(meeting_id)
    assert len(mails) == first
    assert {m.recipient for m in mails} == {
        p.email for p in invitations.invitees(fresh(meeting_id))
    }
    assert mails[0].subject.startswith("Geänderte Einladung:")
    assert "Geändert seit der letzten Einladung: Zeit." in mails[0].body
    event = _event(mails[0])
    assert int(event["SEQUENCE"]) == 1  # calendars replace the entry of round 1
    assert str(event["UID"]) == f"meeting-{meeting_id}@netzwerk"
    assert event.decoded("DTSTART") == later
    sent = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "meeting.invitations_sent", AuditEvent.object_id == meeting_id
        )
    ).all()
    assert [json.loads(e.data or "{}").get("changed") for e in sent] == [None, ["starts_at"]]


def test_without_the_choice_nothing_is_sent(app_ctx, demo):
    meeting_id = _invited()
    first = len(_mails(meeting_id))
    update = _save(meeting_id, starts_at=fresh(meeting_id).starts_at + timedelta(hours=1))
    assert update.changed == ["starts_at"] and update.invitations is None
    assert len(_mails(meeting_id)) == first
    assert fresh(meeting_id).invitation_rounds == 1


def test_a_change_the_invitation_does_not_show_sends_nothing(app_ctx, demo):
    meeting_id = _invited()
    first = len(_mails(meeting_id))
    update = _save(meeting_id, public=not fresh(meeting_id).public, send_update=True)
    assert update.changed == ["public"] and update.invitations is None
    update = _save(meeting_id, send_update=True)  # nothing changed at all
    assert update.changed == [] and update.invitations is None
    assert len(_mails(meeting_id)) == first


def test_before_the_invitations_and_after_the_opening_no_update_goes_out(app_ctx, demo):
    planned = meeting("VK", days=20).id
    update = _save(planned, title="Haushaltsklausur", send_update=True)
    assert update.changed == ["title"] and update.invitations is None
    assert _mails(planned) == []

    opened = _invited(days=0.2)
    reach(fresh(opened), "in_session")
    first = len(_mails(opened))
    update = _save(opened, title="Sondersitzung", send_update=True)
    assert update.invitations is None and len(_mails(opened)) == first


def test_several_changes_are_named_in_the_mail(app_ctx, demo):
    meeting_id = _invited()
    other = places.create_location(user(OFFICE), name="VHS", address="Bergstraße 8", room="Saal 2")
    _save(
        meeting_id,
        location_id=other.id,
        ends_at=fresh(meeting_id).starts_at + timedelta(hours=3),
        title="Klausur",
        send_update=True,
    )
    (mail, *_rest) = _round_two(meeting_id)
    assert "Geändert seit der letzten Einladung: Titel, Zeit, Ort." in mail.body
    assert "VHS" in mail.body and "Klausur" in mail.subject


def test_a_changed_place_updates_the_invited_meetings_there(app_ctx, demo):
    invited = _invited()
    place_id = fresh(invited).location_id
    assert place_id is not None
    planned = meeting("VK", days=40).id  # same place, not invited yet
    first = len(_mails(invited))

    update = places.update_location(
        user(OFFICE),
        place_id,
        name="Rathaus",
        address="Markt 1",
        room="Ratssitzungssaal",
        send_updates=True,
    )

    assert update.changed and update.meetings == 1 and update.invitations == first
    (mail, *_rest) = _round_two(invited)
    assert "Geändert seit der letzten Einladung: Ort." in mail.body
    assert "Ratssitzungssaal" in mail.body
    assert "Ratssitzungssaal" in str(_event(mail)["LOCATION"])
    assert _mails(planned) == []


def test_a_place_saved_unchanged_or_without_the_choice_sends_nothing(app_ctx, demo):
    invited = _invited()
    place = fresh(invited).location
    assert place is not None
    first = len(_mails(invited))
    fields = {"name": place.name, "address": place.address or "", "room": place.room or ""}
    update = places.update_location(user(OFFICE), place.id, **fields, send_updates=True)
    assert not update.changed and update.meetings == 0
    update = places.update_location(user(OFFICE), place.id, **{**fields, "room": "Saal 3"})
    assert update.changed and update.meetings == 0
    assert len(_mails(invited)) == first


# --- the pages ------------------------------------------------------------------------


def _edit_data(meeting_id: int, **changes: str) -> dict[str, str]:
    current = fresh(meeting_id)
    start = to_local(current.starts_at)
    data = {
        "body_id": str(current.body_id),
        "title": current.title or "",
        "date": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"),
        "end_time": "",
        "location_id": str(current.location_id or ""),
        "online_link": current.online_link or "",
    }
    data.update(changes)
    return data


def _invited_and_form(app, **changes: str) -> tuple[int, int, dict[str, str]]:  # type: ignore[no-untyped-def]
    """An invited meeting, how many invitations it has, and its edit form's data."""
    with app.app_context():
        meeting_id = _invited()
        first = len(_mails(meeting_id))
        data = _edit_data(meeting_id, **changes)
        db.session.remove()
    return meeting_id, first, data


def test_the_edit_page_offers_the_update_only_for_an_invited_meeting(app, client_as):
    office = client_as("office")
    with app.app_context():
        planned = meeting("VK", days=30).id
        invited = _invited()
        db.session.remove()
    html = office.get(f"/sitzungen/{planned}/bearbeiten").get_data(as_text=True)
    assert 'name="send_update"' not in html
    html = office.get(f"/sitzungen/{invited}/bearbeiten").get_data(as_text=True)
    assert 'name="send_update"' in html
    assert "Geänderte Einladung an alle Eingeladenen senden" in html
    checkbox = html[html.index('name="send_update"') - 200 : html.index('name="send_update"') + 200]
    assert "checked" in checkbox  # the usual case is chosen


def test_office_moves_an_invited_meeting_and_the_invitees_are_told(app, client_as):
    office = client_as("office")
    meeting_id, first, data = _invited_and_form(app, start_time="09:30", send_update="y")
    response = office.post(f"/sitzungen/{meeting_id}/bearbeiten", data=data)
    assert response.status_code == 302
    page = office.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{first} geänderte Einladungen liegen im Postausgang" in page
    with app.app_context():
        assert to_local(fresh(meeting_id).starts_at).strftime("%H:%M") == "09:30"
        assert len(_round_two(meeting_id)) == first


def test_unticking_the_choice_saves_without_sending(app, client_as):
    office = client_as("office")
    # The checkbox is not sent: unticked.
    meeting_id, first, data = _invited_and_form(app, start_time="10:15")
    response = office.post(f"/sitzungen/{meeting_id}/bearbeiten", data=data)
    assert response.status_code == 302
    with app.app_context():
        assert to_local(fresh(meeting_id).starts_at).strftime("%H:%M") == "10:15"
        assert len(_mails(meeting_id)) == first


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date": "kein Datum"}, "date"),
        ({"start_time": "25:99"}, "start_time"),
        ({"online_link": "javascript:alert(1)"}, "online_link"),
        ({"location_id": "999999"}, "location_id"),
    ],
)
def test_bad_input_keeps_what_was_typed_and_sends_nothing(app, client_as, changes, field):
    office = client_as("office")
    meeting_id, first, data = _invited_and_form(
        app, title="Neuer Titel", send_update="y", **changes
    )
    with app.app_context():
        starts_at = fresh(meeting_id).starts_at
        db.session.remove()
    response = office.post(f"/sitzungen/{meeting_id}/bearbeiten", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html
    assert 'value="Neuer Titel"' in html
    with app.app_context():
        after = fresh(meeting_id)
        assert after.starts_at == starts_at and after.title != "Neuer Titel"
        assert len(_mails(meeting_id)) == first


def test_members_cannot_edit_meetings(app, client_as):
    member = client_as("member")
    meeting_id, first, data = _invited_and_form(app, start_time="08:00", send_update="y")
    assert member.get(f"/sitzungen/{meeting_id}/bearbeiten").status_code == 403
    assert member.post(f"/sitzungen/{meeting_id}/bearbeiten", data=data).status_code == 403
    with app.app_context():
        assert len(_mails(meeting_id)) == first


def test_the_place_page_offers_updates_while_invited_meetings_use_it(app, client_as):
    office = client_as("office")
    with app.app_context():
        planned = meeting("VK", days=30)
        place_id = planned.location_id
        db.session.remove()
    url = f"/verwaltung/orte/{place_id}/bearbeiten"
    assert 'name="send_updates"' not in office.get(url).get_data(as_text=True)
    with app.app_context():
        invited = _invited()
        first = len(_mails(invited))
        db.session.remove()
    assert 'name="send_updates"' in office.get(url).get_data(as_text=True)
    response = office.post(
        url,
        data={
            "name": "Rathaus",
            "room": "Ratssitzungssaal",
            "address": "Markt 1",
            "send_updates": "y",
        },
    )
    assert response.status_code == 302
    page = office.get(response.headers["Location"]).get_data(as_text=True)
    assert f"geänderte Einladungen für 1 Sitzungen ({first} E-Mails)" in page
    with app.app_context():
        assert len(_round_two(invited)) == first


# --- cancelling an invited meeting ------------------------------------------------------


def _cancellations(meeting_id: int) -> list[OutboxMail]:
    return list(
        db.session.scalars(
            select(OutboxMail).where(OutboxMail.reason == f"meeting:{meeting_id}:cancellation")
        )
    )


def test_cancelling_an_invited_meeting_tells_every_invitee_and_cancels_the_entry(app_ctx, demo):
    meeting_id = _invited()
    first = len(_mails(meeting_id))

    step = step_to(fresh(meeting_id), "cancelled")
    told = invitations.fire_status(user(OFFICE), fresh(meeting_id), step, "Haushaltssperre", None)

    assert access.has_flag(fresh(meeting_id), "cancelled")
    mails = _cancellations(meeting_id)
    assert len(mails) == first == told
    assert {m.recipient for m in mails} == {m.recipient for m in _mails(meeting_id)}
    assert mails[0].subject.startswith("Abgesagt:")
    assert "ist abgesagt" in mails[0].body and "Grund: Haushaltssperre" in mails[0].body
    (attachment,) = mails[0].attachments
    assert "method=CANCEL" in attachment.content_type
    calendar = icalendar.Calendar.from_ical(attachment.content)
    assert str(calendar["METHOD"]) == "CANCEL"
    event = next(iter(calendar.walk("VEVENT")))
    assert str(event["UID"]) == f"meeting-{meeting_id}@netzwerk"  # the invitation's entry
    assert int(event["SEQUENCE"]) == 1 and str(event["STATUS"]) == "CANCELLED"
    sent = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "meeting.cancellation_sent", AuditEvent.object_id == meeting_id
        )
    ).all()
    assert [json.loads(e.data or "{}")["mails"] for e in sent] == [first]


def test_cancelling_a_meeting_nobody_was_invited_to_sends_nothing(app_ctx, demo):
    planned = meeting("VK", days=30).id
    step = step_to(fresh(planned), "cancelled")
    told = invitations.fire_status(user(OFFICE), fresh(planned), step, "Doppelt geplant", None)
    assert access.has_flag(fresh(planned), "cancelled") and told is None
    assert _cancellations(planned) == []


def test_a_cancellation_without_reason_is_refused_and_sends_nothing(app, client_as):
    office = client_as("office")
    meeting_id, _first, _data = _invited_and_form(app)
    with app.app_context():
        version = fresh(meeting_id).version
        step = step_to(fresh(meeting_id), "cancelled")
        db.session.remove()
    url = f"/sitzungen/{meeting_id}/status/{step}"
    response = office.post(url, data={"comment": "", "version": str(version)})
    assert response.status_code == 302
    with app.app_context():
        assert access.is_awaiting(fresh(meeting_id))
        assert _cancellations(meeting_id) == []
        db.session.remove()
    response = office.post(url, data={"comment": "Raum fällt aus", "version": str(version)})
    page = office.get(response.headers["Location"]).get_data(as_text=True)
    assert "Eingeladene werden mit dem Grund benachrichtigt" in page
    with app.app_context():
        assert access.has_flag(fresh(meeting_id), "cancelled")
        assert all("Grund: Raum fällt aus" in m.body for m in _cancellations(meeting_id))
        assert _cancellations(meeting_id)


@pytest.mark.parametrize("version", ["²", "9" * 5000, "-1", "abc"])
def test_a_status_change_with_a_bent_version_changes_nothing(app, client_as, version):
    """The version the form carries guards against a concurrent change; one
    that is no version ("²" passes str.isdigit(), not int()) is refused
    like a stale one, never a 500."""
    office = client_as("office")
    with app.app_context():
        meeting_id = meeting("VK", days=30).id
        step = step_to(fresh(meeting_id), "cancelled")
        db.session.remove()
    url = f"/sitzungen/{meeting_id}/status/{step}"
    response = office.post(url, data={"comment": "Doppelt geplant", "version": version})
    assert response.status_code == 302
    with app.app_context():
        assert access.is_planned(fresh(meeting_id))
        db.session.remove()
