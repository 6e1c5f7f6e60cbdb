"""Deputies end with the membership they stand in for.

In the demo, Ahmad Haddad deputises in the Bildungskonferenz (BK) for Olena
Kovalenko; both seats run from 2026-01-01 without an end.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from netzwerk.audit.models import AuditEvent
from netzwerk.audit.services import history, verify_chain
from netzwerk.extensions import db
from netzwerk.governance.common import GovernanceError
from netzwerk.governance.memberships import add_membership, end_membership, update_membership
from netzwerk.governance.models import Membership
from netzwerk.timeutil import local_today

from .conftest import Lookup, field_error


def seat(lookup: Lookup, body: str, last_name: str) -> int:
    return int(
        lookup._scalar(
            select(Membership.id).where(
                Membership.body_id == lookup.body(body),
                Membership.person_id == lookup.person(last_name),
            )
        )
    )


def edit_data(row: dict[str, object], **overrides: object) -> dict[str, object]:
    """The service input that keeps a membership as it is, with changes."""
    data = {
        key: row[key]
        for key in (
            "role",
            "voting_right",
            "organisation_id",
            "deputy_of_id",
            "start_date",
            "end_date",
            "note",
        )
    }
    data.update(overrides)
    return data


def audit_of(app, membership_id: int) -> list[tuple[str, dict | None, int | None]]:
    with app.app_context():
        events = [
            (e.action, json.loads(e.data) if e.data else None, e.actor_id)
            for e in history("membership", membership_id)
        ]
        db.session.remove()
    return events


@pytest.fixture
def seats(lookup: Lookup) -> tuple[int, int]:
    """(Kovalenko's BK seat, Haddad's deputy seat)."""
    main, deputy = seat(lookup, "BK", "Kovalenko"), seat(lookup, "BK", "Haddad")
    assert lookup.get(Membership, deputy)["deputy_of_id"] == main
    return main, deputy


def test_ending_a_membership_ends_its_deputy_on_the_same_day(app, lookup, seats):
    main, deputy = seats
    office = lookup.user("buero@osnabrueck.example")
    with app.test_request_context():
        change = end_membership(main, date(2026, 6, 30), actor_id=office)
        assert [m.id for m in change.deputies_ended] == [deputy]
        db.session.remove()
    assert lookup.get(Membership, main)["end_date"] == date(2026, 6, 30)
    assert lookup.get(Membership, deputy)["end_date"] == date(2026, 6, 30)
    assert audit_of(app, deputy) == [
        ("membership.end", {"end_date": "2026-06-30", "deputy_of_id": main}, office)
    ]
    assert audit_of(app, main) == [("membership.end", {"end_date": "2026-06-30"}, office)]
    with app.app_context():
        assert verify_chain() is None
        db.session.remove()


def test_a_deputy_ending_earlier_keeps_its_date(app, lookup, seats):
    main, deputy = seats
    with app.test_request_context():
        end_membership(deputy, date(2026, 3, 31))
        change = end_membership(main, date(2026, 6, 30))
        assert change.deputies_ended == []
        db.session.remove()
    assert lookup.get(Membership, deputy)["end_date"] == date(2026, 3, 31)
    assert [action for action, _data, _actor in audit_of(app, deputy)] == ["membership.end"]


def test_a_later_end_date_does_not_revive_the_deputy(app, lookup, seats):
    main, deputy = seats
    with app.test_request_context():
        end_membership(main, date(2026, 6, 30))
        row = lookup.get(Membership, main)
        change = update_membership(main, edit_data(row, end_date=date(2026, 12, 31)))
        assert change.deputies_ended == []
        db.session.remove()
    assert lookup.get(Membership, main)["end_date"] == date(2026, 12, 31)
    assert lookup.get(Membership, deputy)["end_date"] == date(2026, 6, 30)


def test_editing_in_an_end_date_ends_the_deputies_too(app, lookup, seats):
    main, deputy = seats
    office = lookup.user("buero@osnabrueck.example")
    row = lookup.get(Membership, main)
    with app.test_request_context():
        change = update_membership(
            main, edit_data(row, end_date=date(2026, 9, 30)), actor_id=office
        )
        assert [m.id for m in change.deputies_ended] == [deputy]
        # Moving the end earlier again moves the deputy's end with it.
        change = update_membership(
            main, edit_data(row, end_date=date(2026, 8, 31)), actor_id=office
        )
        assert [m.id for m in change.deputies_ended] == [deputy]
        db.session.remove()
    assert lookup.get(Membership, deputy)["end_date"] == date(2026, 8, 31)
    assert [(a, d) for a, d, _actor in audit_of(app, deputy)] == [
        ("membership.end", {"end_date": "2026-09-30", "deputy_of_id": main}),
        ("membership.end", {"end_date": "2026-08-31", "deputy_of_id": main}),
    ]


def test_a_deputy_starting_after_the_end_stops_the_change(app, lookup, seats):
    main, deputy = seats
    with app.test_request_context():
        row = lookup.get(Membership, deputy)
        update_membership(deputy, edit_data(row, start_date=date(2026, 8, 1)))
        db.session.remove()
    events = len(audit_of(app, main))
    with app.test_request_context():
        with pytest.raises(GovernanceError) as err:
            end_membership(main, date(2026, 6, 30))
        assert err.value.field == "end_date"
        assert "Ahmad Haddad" in str(err.value)
        db.session.remove()
    # Nothing half-written: neither seat ended, no audit event.
    assert lookup.get(Membership, main)["end_date"] is None
    assert lookup.get(Membership, deputy)["end_date"] is None
    assert len(audit_of(app, main)) == events


@pytest.mark.calendar
def test_a_new_deputy_cannot_outlast_the_seat_it_stands_in_for(app, lookup, seats):
    main, _deputy = seats
    person = lookup.person("Wessels")
    leaves = local_today() + timedelta(days=60)  # still a current member, leaving soon
    with app.test_request_context():
        end_membership(main, leaves)
        data = {
            "person_id": person,
            "role": "member",
            "start_date": date(2026, 2, 1),
            "deputy_of_id": main,
        }
        before = lookup.count(Membership)
        for end in (None, leaves + timedelta(days=1)):
            with pytest.raises(GovernanceError) as err:
                add_membership(lookup.body("BK"), data | {"end_date": end})
            assert err.value.field == "end_date"
        db.session.remove()
        assert lookup.count(Membership) == before
        added = add_membership(lookup.body("BK"), data | {"end_date": leaves})
        assert added.end_date == leaves
        db.session.remove()


@pytest.mark.calendar
def test_office_ends_a_membership_and_is_told_about_the_deputies(app, client_as, lookup, seats):
    main, deputy = seats
    bk = lookup.body("BK")
    client = client_as("office")
    # A second deputy for the same seat: the message counts both.
    response = client.post(
        f"/verwaltung/gremien/{bk}/mitglieder",
        data={
            "person_id": str(lookup.person("Wessels")),
            "role": "member",
            "voting_right": "",
            "organisation_id": "",
            "deputy_of_id": str(main),
            "start_date": "2026-02-01",
            "end_date": "",
            "note": "",
        },
    )
    assert response.status_code == 302
    second = seat(lookup, "BK", "Wessels")
    public_page = client.get(f"/gremien/{bk}").get_data(as_text=True)
    assert public_page.count("Stellvertretung von Olena Kovalenko") == 2

    end = max(local_today() - timedelta(days=1), date(2026, 2, 1))
    response = client.post(
        f"/verwaltung/mitgliedschaften/{main}/beenden",
        data={"end_date": end.isoformat()},
        follow_redirects=True,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Die Mitgliedschaft wurde beendet." in html
    assert "Die Mitgliedschaften von 2 Stellvertretungen wurden ebenfalls beendet." in html
    for membership_id in (main, deputy, second):
        assert lookup.get(Membership, membership_id)["end_date"] == end
    office = lookup.user("buero@osnabrueck.example")
    assert (
        lookup.count(
            AuditEvent,
            AuditEvent.action == "membership.end",
            AuditEvent.actor_id == office,
        )
        == 3
    )
    if end < local_today():
        public_page = client.get(f"/gremien/{bk}").get_data(as_text=True)
        assert "Stellvertretung von Olena Kovalenko" not in public_page


def test_office_ending_a_member_without_deputies_gets_no_deputy_message(client_as, lookup):
    client = client_as("office")
    main = seat(lookup, "BK", "Haddad")  # a deputy has no deputies of their own
    response = client.post(
        f"/verwaltung/mitgliedschaften/{main}/beenden",
        data={"end_date": "2026-06-30"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "ebenfalls beendet" not in response.get_data(as_text=True)


def test_office_sees_the_refusal_next_to_the_end_date(app, client_as, lookup, seats):
    main, deputy = seats
    with app.test_request_context():
        row = lookup.get(Membership, deputy)
        update_membership(deputy, edit_data(row, start_date=date(2026, 8, 1)))
        db.session.remove()
    client = client_as("office")
    response = client.post(
        f"/verwaltung/mitgliedschaften/{main}/beenden", data={"end_date": "2026-06-30"}
    )
    assert response.status_code == 422
    assert "Ahmad Haddad" in (field_error(response.get_data(as_text=True), "end_date") or "")
    assert lookup.get(Membership, main)["end_date"] is None


def _current_seats_of(lookup: Lookup, last_name: str) -> list[int]:
    today = local_today()
    person = lookup.person(last_name)
    with lookup.app.app_context():
        ids = db.session.scalars(
            select(Membership.id).where(
                Membership.person_id == person,
                Membership.start_date <= today,
                (Membership.end_date.is_(None)) | (Membership.end_date >= today),
            )
        ).all()
        db.session.remove()
    return list(ids)


@pytest.mark.calendar
def test_deactivating_a_person_ends_their_memberships_and_deputies_today(
    app, client_as, lookup, seats
):
    main, deputy = seats
    person = lookup.person("Kovalenko")
    current = _current_seats_of(lookup, "Kovalenko")
    assert main in current
    client = client_as("office")
    response = client.post(f"/verwaltung/personen/{person}/deaktivieren", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Die Person wurde deaktiviert" in html
    count = len(current)
    expected = (
        "1 laufende Mitgliedschaft endet heute."
        if count == 1
        else f"{count} laufende Mitgliedschaften enden heute."
    )
    assert expected in html
    assert "Die Mitgliedschaft von 1 Stellvertretung wurde ebenfalls beendet." in html
    today = local_today()
    for membership_id in (*current, deputy):
        assert lookup.get(Membership, membership_id)["end_date"] == today
    office = lookup.user("buero@osnabrueck.example")
    ended = [e for e in audit_of(app, main) if e[0] == "membership.end"]
    assert ended == [
        ("membership.end", {"end_date": today.isoformat(), "person_deactivated": True}, office)
    ]
    assert [e[0] for e in audit_of(app, deputy)][-1] == "membership.end"
    with app.app_context():
        assert verify_chain() is None
    # Reactivating revives no membership.
    client.post(f"/verwaltung/personen/{person}/aktivieren")
    assert lookup.get(Membership, main)["end_date"] == today


@pytest.mark.calendar
def test_deactivating_leaves_ended_and_later_memberships_and_says_so(app, client_as, lookup):
    person = lookup.person("Wessels")
    bk = lookup.body("BK")
    today = local_today()
    client = client_as("office")
    later_start = today + timedelta(days=30)
    response = client.post(
        f"/verwaltung/gremien/{bk}/mitglieder",
        data={
            "person_id": str(person),
            "role": "member",
            "voting_right": "",
            "organisation_id": "",
            "deputy_of_id": "",
            "start_date": later_start.isoformat(),
            "end_date": "",
            "note": "",
        },
    )
    assert response.status_code == 302
    later = seat(lookup, "BK", "Wessels")
    before = {
        m: lookup.get(Membership, m)["end_date"] for m in _current_seats_of(lookup, "Wessels")
    }
    response = client.post(f"/verwaltung/personen/{person}/deaktivieren", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "1 Mitgliedschaft beginnt erst später und bleibt unverändert" in html
    assert lookup.get(Membership, later)["end_date"] is None
    assert lookup.get(Membership, later)["start_date"] == later_start
    for membership_id in before:
        assert lookup.get(Membership, membership_id)["end_date"] == today
