"""Organisations: list, filter, create, edit, deactivate, detail."""

from __future__ import annotations

from netzwerk.extensions import db
from netzwerk.governance.models import Organisation
from netzwerk.governance.organisations import create_organisation

from .conftest import field_error

URL = "/verwaltung/organisationen/"


def valid_data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Stadtteilschule Dodesheide",
        "short_name": "STS",
        "kind": "school",
        "address": "Lerchenstraße 1, 49088 Osnabrück",
        "website": "https://schule.example",
        "email": "info@schule.example",
        "phone": "0541 123",
        "description": "Eine Schule.\nMit zwei Zeilen.",
    }
    data.update(overrides)
    return data


def test_list_filters_by_kind_and_search_with_german_labels(client_as):
    client = client_as("office")
    html = client.get(URL, query_string={"kind": "school"}).get_data(as_text=True)
    assert "Gesamtschule Schinkel" in html
    assert "Theater Osnabrück" not in html
    assert "Schule" in html  # German label of the kind
    html = client.get(URL, query_string={"q": "theater"}).get_data(as_text=True)
    assert "Theater Osnabrück" in html
    assert "Gesamtschule Schinkel" not in html
    # A wildcard in the search is taken literally.
    html = client.get(URL, query_string={"q": "%"}).get_data(as_text=True)
    assert "Theater Osnabrück" not in html


def test_list_is_paginated(client_as, app):
    with app.app_context():
        for n in range(30):
            create_organisation({"name": f"Testverein {n:02d}", "kind": "other"})
        db.session.remove()
    client = client_as("office")
    first = client.get(URL, query_string={"q": "Testverein"}).get_data(as_text=True)
    second = client.get(URL, query_string={"q": "Testverein", "page": 2}).get_data(as_text=True)
    assert "Testverein 00" in first and "Testverein 24" in first
    assert "Testverein 25" not in first
    assert "Testverein 25" in second and "Testverein 29" in second
    assert "Seite 2 von 2" in second or "Page 2 of 2" in second
    # A page beyond the end shows the last page, never an error.
    beyond = client.get(URL, query_string={"q": "Testverein", "page": 10**30})
    assert beyond.status_code == 200
    assert "Testverein 29" in beyond.get_data(as_text=True)


def test_create_organisation(client_as, lookup):
    client = client_as("office")
    response = client.post(URL + "neu", data=valid_data())
    assert response.status_code == 302
    organisation_id = lookup.organisation("Stadtteilschule Dodesheide")
    row = lookup.get(Organisation, organisation_id)
    assert row["kind"] == "school"
    assert row["description"] == "Eine Schule.\nMit zwei Zeilen."
    assert row["active"] is True


def test_create_with_bad_input_shows_errors_and_typed_values(client_as, lookup):
    client = client_as("office")
    before = lookup.count(Organisation)
    data = valid_data(name="  ", website="ftp://files.example", email="kein-at", kind="castle")
    data["phone"] = "0541 typed"
    response = client.post(URL + "neu", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "name")
    assert field_error(html, "website")
    assert field_error(html, "email")
    assert field_error(html, "kind")
    assert 'value="ftp://files.example"' in html
    assert 'value="0541 typed"' in html
    assert lookup.count(Organisation) == before


def test_nul_byte_is_refused_with_a_message(client_as, lookup):
    client = client_as("office")
    before = lookup.count(Organisation)
    response = client.post(URL + "neu", data=valid_data(name="Schule\x00Test"))
    assert response.status_code == 422
    assert "Steuerzeichen" in (field_error(response.get_data(as_text=True), "name") or "")
    assert lookup.count(Organisation) == before


def test_duplicate_name_is_an_error_next_to_the_field(client_as, lookup):
    client = client_as("office")
    before = lookup.count(Organisation)
    response = client.post(URL + "neu", data=valid_data(name="theater osnabrück"))
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name")
    assert lookup.count(Organisation) == before


def test_edit_with_bad_input_keeps_row_and_shows_typed_values(client_as, lookup):
    client = client_as("office")
    organisation_id = lookup.organisation("Theater Osnabrück")
    before = lookup.get(Organisation, organisation_id)
    url = f"{URL}{organisation_id}/bearbeiten"
    response = client.post(url, data=valid_data(name="Neues Theater", email="@@"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "email")
    assert 'value="Neues Theater"' in html
    assert 'value="@@"' in html
    assert lookup.get(Organisation, organisation_id) == before

    response = client.post(url, data=valid_data(name="Neues Theater", kind="culture"))
    assert response.status_code == 302
    after = lookup.get(Organisation, organisation_id)
    assert after["name"] == "Neues Theater"
    assert after["kind"] == "culture"


def test_deactivate_and_reactivate(client_as, lookup):
    client = client_as("office")
    organisation_id = lookup.organisation("Theater Osnabrück")
    response = client.post(f"{URL}{organisation_id}/deaktivieren")
    assert response.status_code == 302
    assert lookup.get(Organisation, organisation_id)["active"] is False
    # Still listed for staff, and not offered for new persons.
    assert "Theater Osnabrück" in client.get(URL).get_data(as_text=True)
    assert "Theater Osnabrück" not in client.get("/verwaltung/personen/neu").get_data(as_text=True)
    response = client.post(f"{URL}{organisation_id}/aktivieren")
    assert response.status_code == 302
    assert lookup.get(Organisation, organisation_id)["active"] is True


def test_detail_lists_persons_and_memberships_on_its_behalf(client_as, lookup):
    client = client_as("office")
    organisation_id = lookup.organisation("Verein für Migration und Bildung Osnabrück e. V.")
    html = client.get(f"{URL}{organisation_id}").get_data(as_text=True)
    assert "Olena Kovalenko" in html and "Ahmad Haddad" in html
    assert "Bildungskonferenz" in html
    assert "AG Demokratie und Kultur" in html


def test_unknown_organisation_is_404(client_as):
    client = client_as("office")
    assert client.get(f"{URL}999999").status_code == 404
    assert client.get(f"{URL}999999/bearbeiten").status_code == 404
