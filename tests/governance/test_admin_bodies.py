"""Bodies and memberships: CRUD, cycles, overlaps, voting rights, deputies."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.governance.bodies import update_body
from netzwerk.governance.common import GovernanceError
from netzwerk.governance.memberships import add_membership, end_membership
from netzwerk.governance.models import Body, Membership

from .conftest import field_error

URL = "/verwaltung/gremien/"


def body_data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "AG Frühe Bildung",
        "short_name": "AG FB",
        "kind": "working_group",
        "parent_id": "",
        "action_field_id": "",
        "description": "",
        "notice_days": "10",
        "quorum_rule": "none",
        "majority_rule": "simple",
        "public": "y",
    }
    data.update(overrides)
    return data


def member_data(person_id: int, **overrides: str) -> dict[str, str]:
    data = {
        "person_id": str(person_id),
        "role": "member",
        "voting_right": "y",
        "organisation_id": "",
        "deputy_of_id": "",
        "start_date": "2026-02-01",
        "end_date": "",
        "note": "",
    }
    data.update(overrides)
    return data


def test_create_body_and_errors(client_as, lookup):
    client = client_as("office")
    bk = lookup.body("BK")
    response = client.post(URL + "neu", data=body_data(parent_id=str(bk)))
    assert response.status_code == 302
    body = lookup.get(Body, lookup.body("AG FB"))
    assert body["parent_id"] == bk and body["notice_days"] == 10 and body["public"] is True

    before = lookup.count(Body)
    response = client.post(
        URL + "neu",
        data=body_data(name="Noch eine AG", short_name="vk", notice_days="400", kind="club"),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "notice_days")
    assert field_error(html, "kind")
    assert 'value="Noch eine AG"' in html and 'value="400"' in html
    # The duplicate short name (any case) is found once the form is otherwise valid.
    response = client.post(URL + "neu", data=body_data(name="Noch eine AG", short_name="vk"))
    assert field_error(response.get_data(as_text=True), "short_name")
    assert lookup.count(Body) == before


def test_edit_body_with_bad_input_keeps_the_row(client_as, lookup):
    client = client_as("office")
    vk = lookup.body("VK")
    before = lookup.get(Body, vk)
    response = client.post(
        f"{URL}{vk}/bearbeiten",
        data=body_data(name="Vorstand neu", short_name="V K!", notice_days="-1"),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "short_name") and field_error(html, "notice_days")
    assert 'value="Vorstand neu"' in html
    assert lookup.get(Body, vk) == before
    response = client.post(
        f"{URL}{vk}/bearbeiten", data=body_data(name="Vorstandskonferenz", short_name="VK")
    )
    assert response.status_code == 302
    assert lookup.get(Body, vk)["notice_days"] == 10


def test_cycle_in_parent_bodies_is_refused(client_as, lookup, app):
    client = client_as("office")
    bk = lookup.body("BK")
    ag = lookup.body("AG ÜSB")
    before = lookup.get(Body, bk)
    # Through the form: a descendant is not even offered as parent.
    response = client.post(
        f"{URL}{bk}/bearbeiten",
        data=body_data(name="Bildungskonferenz", short_name="BK", parent_id=str(ag)),
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "parent_id")
    assert lookup.get(Body, bk) == before
    # Through the service: the rule itself.
    with app.test_request_context():
        for parent in (ag, bk):
            with pytest.raises(GovernanceError) as err:
                update_body(
                    bk,
                    body_data(name="Bildungskonferenz", short_name="BK")
                    | {"parent_id": parent, "notice_days": 14, "public": True},
                )
            assert err.value.field == "parent_id"
        db.session.remove()
    assert lookup.get(Body, bk) == before


def test_deactivated_body_is_hidden_from_members(client_as, lookup):
    office = client_as("office")
    member = client_as("member")
    vk = lookup.body("VK")
    assert "Vorstandskonferenz" in member.get("/meine-gremien").get_data(as_text=True)
    assert office.post(f"{URL}{vk}/deaktivieren").status_code == 302
    assert lookup.get(Body, vk)["active"] is False
    assert member.get(f"/gremien/{vk}").status_code == 404
    assert "Vorstandskonferenz" not in member.get("/gremien/").get_data(as_text=True)
    assert "Vorstandskonferenz" not in member.get("/meine-gremien").get_data(as_text=True)
    assert office.get(f"/gremien/{vk}").status_code == 200
    assert "Vorstandskonferenz" in office.get(URL).get_data(as_text=True)
    assert office.post(f"{URL}{vk}/aktivieren").status_code == 302
    assert member.get(f"/gremien/{vk}").status_code == 200


def test_add_edit_and_end_a_membership(client_as, lookup):
    client = client_as("office")
    ag = lookup.body("AG DK")
    person = lookup.person("Gerdes")
    org = lookup.organisation("Kita Sonnenblume")
    response = client.post(
        f"{URL}{ag}/mitglieder", data=member_data(person, organisation_id=str(org))
    )
    assert response.status_code == 302
    html = client.get(f"/gremien/{ag}").get_data(as_text=True)
    assert "Maria Gerdes" in html
    membership_id = lookup._scalar(
        select(Membership.id).where(Membership.body_id == ag, Membership.person_id == person)
    )
    response = client.post(
        f"/verwaltung/mitgliedschaften/{membership_id}/bearbeiten",
        data=member_data(person, role="advisory", voting_right="", note="berät"),
    )
    assert response.status_code == 302
    row = lookup.get(Membership, membership_id)
    assert row["role"] == "advisory" and row["voting_right"] is False and row["note"] == "berät"

    end_url = f"/verwaltung/mitgliedschaften/{membership_id}/beenden"
    response = client.post(end_url, data={"end_date": "2026-01-01"})
    assert field_error(response.get_data(as_text=True), "end_date")
    assert lookup.get(Membership, membership_id)["end_date"] is None
    response = client.post(end_url, data={"end_date": "2026-03-31"})
    assert response.status_code == 302
    row = lookup.get(Membership, membership_id)
    assert row["end_date"] == date(2026, 3, 31)  # ended, not deleted


def test_overlapping_membership_is_refused(client_as, lookup):
    client = client_as("office")
    vk = lookup.body("VK")
    person = lookup.person("Lüdeke")  # member of the VK since 2026-01-01, open-ended
    before = lookup.count(Membership)
    response = client.post(
        f"{URL}{vk}/mitglieder", data=member_data(person, start_date="2030-01-01")
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "start_date")
    assert lookup.count(Membership) == before


def test_a_later_membership_after_the_end_is_fine(lookup, app):
    vk = lookup.body("VK")
    person = lookup.person("Lüdeke")

    def seat(start: date) -> dict[str, object]:
        return {"person_id": person, "role": "member", "voting_right": True, "start_date": start}

    with app.test_request_context():
        current = db.session.scalar(
            select(Membership).where(Membership.body_id == vk, Membership.person_id == person)
        )
        end_membership(current.id, date(2026, 6, 30))
        with pytest.raises(GovernanceError) as err:
            add_membership(vk, seat(date(2026, 6, 30)))
        assert err.value.field == "start_date"
        later = add_membership(vk, seat(date(2026, 7, 1)))
        assert later.id is not None
        db.session.remove()


def test_voting_right_for_a_guest_is_refused(client_as, lookup, app):
    client = client_as("office")
    ag = lookup.body("AG DK")
    person = lookup.person("Gerdes")
    before = lookup.count(Membership)
    response = client.post(f"{URL}{ag}/mitglieder", data=member_data(person, role="guest"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Stimmrecht" in (field_error(html, "voting_right") or "")
    assert lookup.count(Membership) == before
    with app.test_request_context():
        with pytest.raises(GovernanceError) as err:
            add_membership(
                ag,
                {
                    "person_id": person,
                    "role": "guest",
                    "voting_right": True,
                    "start_date": date(2026, 2, 1),
                },
            )
        assert err.value.field == "voting_right"
        db.session.remove()
    assert lookup.count(Membership) == before


def test_deputy_of_a_member_of_another_body_is_refused(client_as, lookup, app):
    client = client_as("office")
    ag = lookup.body("AG DK")
    vk = lookup.body("VK")
    person = lookup.person("Gerdes")
    other_seat = lookup._scalar(select(Membership.id).where(Membership.body_id == vk).limit(1))
    before = lookup.count(Membership)
    response = client.post(
        f"{URL}{ag}/mitglieder", data=member_data(person, deputy_of_id=str(other_seat))
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "deputy_of_id")
    with app.test_request_context():
        with pytest.raises(GovernanceError) as err:
            add_membership(
                ag,
                {
                    "person_id": person,
                    "role": "member",
                    "voting_right": True,
                    "start_date": date(2026, 2, 1),
                    "deputy_of_id": other_seat,
                },
            )
        assert err.value.field == "deputy_of_id"
        db.session.remove()
    assert lookup.count(Membership) == before


def test_deputy_of_a_member_of_the_same_body(client_as, lookup):
    client = client_as("office")
    ag = lookup.body("AG DK")
    chair_seat = lookup._scalar(
        select(Membership.id).where(Membership.body_id == ag, Membership.role == "chair")
    )
    person = lookup.person("Gerdes")
    response = client.post(
        f"{URL}{ag}/mitglieder",
        data=member_data(person, deputy_of_id=str(chair_seat), voting_right=""),
    )
    assert response.status_code == 302
    html = client.get(f"/gremien/{ag}").get_data(as_text=True)
    assert "Stellvertretung von Sebastian Krone" in html


def test_end_date_before_start_is_refused(client_as, lookup):
    client = client_as("office")
    ag = lookup.body("AG DK")
    before = lookup.count(Membership)
    response = client.post(
        f"{URL}{ag}/mitglieder",
        data=member_data(lookup.person("Gerdes"), start_date="2026-05-01", end_date="2026-04-30"),
    )
    assert field_error(response.get_data(as_text=True), "end_date")
    assert 'value="2026-04-30"' in response.get_data(as_text=True)
    assert lookup.count(Membership) == before
