"""Meeting places: the Bildungsbüro edits them; meetings show the new data."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from netzwerk.audit.models import AuditEvent
from netzwerk.extensions import db
from netzwerk.meetings import access, places
from netzwerk.meetings.models import Location

from .helpers import MEMBER, OFFICE, meeting, user

TAKEN = "Einen Ort mit diesem Namen gibt es schon."


def _place(app, name: str = "Rathaus", **fields: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        place = places.create_location(
            user(OFFICE),
            name=name,
            address=fields.get("address", "Markt 1"),
            room=fields.get("room", "Friedenssaal"),
        ).id
        db.session.remove()
        return place


def _row(app, place_id: int) -> tuple[str, str | None, str | None]:  # type: ignore[no-untyped-def]
    with app.app_context():
        place = db.session.get(Location, place_id)
        assert place is not None
        row = (place.name, place.room, place.address)
        db.session.remove()
        return row


def _edit(client, place_id: int, **data: str):  # type: ignore[no-untyped-def]
    return client.post(f"/verwaltung/orte/{place_id}/bearbeiten", data=data)


def test_staff_edit_a_place_from_the_list_and_meetings_show_it(app, client_as):
    office = client_as("office")
    with app.app_context():
        m = meeting("VK", days=12)  # creates the place "Rathaus"
        meeting_id, place_id = m.id, m.location_id
        db.session.remove()
    listing = office.get("/verwaltung/orte/").get_data(as_text=True)
    assert f'href="/verwaltung/orte/{place_id}/bearbeiten"' in listing
    form = office.get(f"/verwaltung/orte/{place_id}/bearbeiten")
    html = form.get_data(as_text=True)
    assert form.status_code == 200
    assert 'value="Rathaus"' in html and 'value="Friedenssaal"' in html
    assert f'href="/sitzungen/{meeting_id}"' in html  # the meetings at this place

    response = _edit(
        office, place_id, name="Rathaus Osnabrück", room="Ratssitzungssaal", address="Bierstraße 28"
    )
    assert response.status_code == 302
    assert _row(app, place_id) == ("Rathaus Osnabrück", "Ratssitzungssaal", "Bierstraße 28")
    page = office.get(f"/sitzungen/{meeting_id}").get_data(as_text=True)
    assert "Rathaus Osnabrück, Ratssitzungssaal, Bierstraße 28" in page
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "meeting.location_updated", AuditEvent.object_id == place_id
            )
        )
        assert event is not None and event.actor_id == user(OFFICE).id


def test_clearing_room_and_address_and_keeping_the_own_name(app, client_as):
    office = client_as("office")
    place_id = _place(app)
    assert _edit(office, place_id, name="Rathaus", room="", address="").status_code == 302
    assert _row(app, place_id) == ("Rathaus", None, None)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "room": "A", "address": "B"}, "name", "Bitte geben Sie einen Namen ein."),
        ({"name": "   ", "room": "", "address": ""}, "name", "Bitte geben Sie einen Namen ein."),
        ({"name": "VHS", "room": "", "address": ""}, "name", TAKEN),
        ({"name": "vhs", "room": "", "address": ""}, "name", TAKEN),
        ({"name": "Rathaus", "room": "x" * 101, "address": ""}, "room", None),
        ({"name": "Rathaus", "room": "", "address": "x" * 301}, "address", None),
        ({"name": "Rat\x00haus", "room": "", "address": ""}, "name", None),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_changes(
    app, client_as, data, field, message
):
    office = client_as("office")
    place_id = _place(app)
    _place(app, "VHS", address="Bergstraße 8", room="")
    response = _edit(office, place_id, **data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html and 'aria-invalid="true"' in html
    if message:
        assert message in html
    assert _row(app, place_id) == ("Rathaus", "Friedenssaal", "Markt 1")


def test_same_rules_for_adding_a_place(app_ctx, demo):
    places.create_location(user(OFFICE), name="Rathaus", address="", room="")
    with pytest.raises(access.MeetingError) as caught:
        places.create_location(user(OFFICE), name=" RATHAUS ", address="", room="")
    assert caught.value.field == "name"
    with pytest.raises(access.MeetingError) as caught:
        places.create_location(user(OFFICE), name="Saal\x00", address="", room="")
    assert caught.value.field == "name"


def test_only_staff_edit_places(app, client_as, client):
    place_id = _place(app)
    member = client_as("member")
    assert member.get(f"/verwaltung/orte/{place_id}/bearbeiten").status_code == 403
    assert _edit(member, place_id, name="Gekapert", room="", address="").status_code == 403
    assert _edit(client_as("chair"), place_id, name="Gekapert").status_code == 403
    anonymous = client.get(f"/verwaltung/orte/{place_id}/bearbeiten")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert _row(app, place_id) == ("Rathaus", "Friedenssaal", "Markt 1")
    with app.app_context(), pytest.raises(access.MeetingError):
        places.update_location(user(MEMBER), place_id, name="Gekapert", address="", room="")
    assert _row(app, place_id)[0] == "Rathaus"


def test_unknown_place_is_404(app, client_as):
    office = client_as("office")
    assert office.get("/verwaltung/orte/999999/bearbeiten").status_code == 404
    assert _edit(office, 999999, name="X").status_code == 404


def test_bad_place_input_never_500_nor_half_written(app, client_as):
    office = client_as("office")
    place_id = _place(app)
    _place(app, "VHS", address="", room="")
    text = st.one_of(
        st.just(""),
        st.just("VHS"),
        st.just("a\x00b"),
        st.text(max_size=320),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    )

    @settings(
        max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(name=text, room=text, address=text)
    def check(name: str, room: str, address: str) -> None:
        before = _row(app, place_id)
        response = _edit(office, place_id, name=name, room=room, address=address)
        assert response.status_code in (302, 422)
        after = _row(app, place_id)
        if response.status_code == 422:
            assert after == before
        else:
            assert after == (name.strip(), room.strip() or None, address.strip() or None)

    check()
