"""An action item needs someone responsible: a person alone is enough.

The browser form offers "–" for the organisation; choosing a person and no
organisation (or leaving the organisation out of the request) saves the
item, in the service as well as through the page.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from netzwerk.decisions import services as decisions
from netzwerk.decisions.models import ActionItem
from netzwerk.extensions import db


def _items(app) -> list[tuple[str, int | None, int | None]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = db.session.execute(
            select(
                ActionItem.title,
                ActionItem.responsible_person_id,
                ActionItem.responsible_organisation_id,
            ).order_by(ActionItem.id)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _member_person_id(app) -> int:  # type: ignore[no-untyped-def]
    from conftest import demo_user

    with app.app_context():
        person_id = int(demo_user("member").person_id)
        db.session.remove()
    return person_id


def test_the_service_takes_a_person_without_an_organisation(app, decision_id):
    person_id = _member_person_id(app)
    with app.app_context():
        item = decisions.add_action_item(
            decision_id,
            title="Raumkonzept abstimmen",
            responsible_person_id=person_id,
            responsible_organisation_id=None,
            due_date=date(2026, 3, 1),
        )
        decisions.update_action_item(
            item.id,
            title="Raumkonzept abstimmen und vorlegen",
            responsible_person_id=person_id,
            responsible_organisation_id=None,
            due_date=None,
            notes=None,
        )
        db.session.remove()
    assert _items(app) == [("Raumkonzept abstimmen und vorlegen", person_id, None)]


def test_the_form_saves_a_person_without_an_organisation(app, office_client, decision_id):
    person_id = _member_person_id(app)
    url = f"/beschluesse/{decision_id}/massnahmen/neu"
    page = office_client.get(url).get_data(as_text=True)
    assert 'name="responsible_organisation_id"' in page
    # The organisation left at "–" ...
    response = office_client.post(
        url,
        data={
            "title": "Elternbrief entwerfen",
            "responsible_person_id": str(person_id),
            "responsible_organisation_id": "0",
            "due_date": "2026-03-01",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    # ... or not sent at all.
    response = office_client.post(
        url, data={"title": "Elternabend planen", "responsible_person_id": str(person_id)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _items(app) == [
        ("Elternbrief entwerfen", person_id, None),
        ("Elternabend planen", person_id, None),
    ]
    # Editing keeps it that way.
    with app.app_context():
        item_id = db.session.scalar(select(ActionItem.id).order_by(ActionItem.id).limit(1))
        db.session.remove()
    response = office_client.post(
        f"/beschluesse/massnahmen/{item_id}/bearbeiten",
        data={
            "title": "Elternbrief schreiben",
            "responsible_person_id": str(person_id),
            "responsible_organisation_id": "0",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _items(app)[0] == ("Elternbrief schreiben", person_id, None)


def test_the_form_without_anyone_responsible_says_so_by_the_field(app, office_client, decision_id):
    response = office_client.post(
        f"/beschluesse/{decision_id}/massnahmen/neu",
        data={"title": "Niemand", "responsible_person_id": "0", "responsible_organisation_id": "0"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte nennen Sie eine verantwortliche Person oder Organisation." in html
    assert _items(app) == []
