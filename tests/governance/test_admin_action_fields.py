"""Action fields: create (slug from the name), edit, deactivate."""

from __future__ import annotations

from sqlalchemy import select

from netzwerk.governance.action_fields import slugify
from netzwerk.governance.models import ActionField

from .conftest import field_error

URL = "/verwaltung/aktionsfelder/"


def data(**overrides: str) -> dict[str, str]:
    values = {"name": "Übergänge in den Beruf", "slug": "", "description": "", "position": "7"}
    values.update(overrides)
    return values


def test_slugify_makes_url_safe_slugs():
    assert slugify("Übergänge in den Beruf") == "uebergaenge-in-den-beruf"
    assert slugify("Wirtschaft, Umwelt, Technik & Wissenschaft") == (
        "wirtschaft-umwelt-technik-wissenschaft"
    )
    assert slugify("😀 ---") == ""


def test_create_with_slug_made_from_the_name(client_as, lookup):
    client = client_as("office")
    response = client.post(URL + "neu", data=data())
    assert response.status_code == 302
    field_id = lookup._scalar(
        select(ActionField.id).where(ActionField.slug == "uebergaenge-in-den-beruf")
    )
    assert lookup.get(ActionField, field_id)["position"] == 7
    assert "Übergänge in den Beruf" in client.get(URL).get_data(as_text=True)


def test_bad_slug_duplicate_and_position_are_refused(client_as, lookup):
    client = client_as("office")
    before = lookup.count(ActionField)
    response = client.post(URL + "neu", data=data(slug="Nicht OK", position="10001"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "slug") and field_error(html, "position")
    assert 'value="Nicht OK"' in html
    response = client.post(URL + "neu", data=data(slug="demokratie-kultur"))
    assert field_error(response.get_data(as_text=True), "slug")
    response = client.post(URL + "neu", data=data(name="bildungsmonitoring", slug="bm"))
    assert field_error(response.get_data(as_text=True), "name")
    response = client.post(URL + "neu", data=data(name="😀😀", slug=""))
    assert field_error(response.get_data(as_text=True), "slug")
    assert lookup.count(ActionField) == before


def test_edit_and_deactivate(client_as, lookup):
    client = client_as("office")
    field_id = lookup._scalar(select(ActionField.id).where(ActionField.slug == "bildungsberatung"))
    before = lookup.get(ActionField, field_id)
    url = f"{URL}{field_id}/bearbeiten"
    response = client.post(url, data=data(name="", slug="bildungsberatung", description="neu"))
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "name")
    assert "neu</textarea>" in response.get_data(as_text=True)
    assert lookup.get(ActionField, field_id) == before
    response = client.post(
        url, data=data(name="Bildungsberatung und Lotsen", slug="bildungsberatung")
    )
    assert response.status_code == 302
    assert lookup.get(ActionField, field_id)["name"] == "Bildungsberatung und Lotsen"

    assert client.post(f"{URL}{field_id}/deaktivieren").status_code == 302
    assert lookup.get(ActionField, field_id)["active"] is False
    # A deactivated field is no longer offered for new bodies, but stays listed.
    assert "Bildungsberatung und Lotsen" not in client.get("/verwaltung/gremien/neu").get_data(
        as_text=True
    )
    assert "Bildungsberatung und Lotsen" in client.get(URL).get_data(as_text=True)
    assert client.post(f"{URL}{field_id}/aktivieren").status_code == 302
    assert lookup.get(ActionField, field_id)["active"] is True
