"""The directory of education offers: public search, staff editing."""

from __future__ import annotations

from sqlalchemy import select

from netzwerk.counselling import services
from netzwerk.counselling.demo import DEMO_OFFERS, load_counselling_demo
from netzwerk.counselling.models import CounsellingStaff, Offer
from netzwerk.extensions import db
from netzwerk.governance.models import Organisation


def _offer_id(title: str) -> int:
    found = db.session.scalar(select(Offer.id).where(Offer.title == title))
    assert found is not None, title
    return int(found)


def test_demo_is_idempotent_and_makes_the_office_counselling_staff(app_ctx, demo):
    assert load_counselling_demo() is True
    assert load_counselling_demo() is False
    assert db.session.query(Offer).count() == len(DEMO_OFFERS)
    assert db.session.query(CounsellingStaff).count() == 1
    assert services.is_counselling_staff(db.session.scalar(select(CounsellingStaff.user_id)))


def test_public_directory_is_readable_without_login(client, counselling_demo):
    response = client.get("/angebote/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Berufseinstiegsschule (BES)" in html
    assert "Bildungslotsen in Herkunftssprachen" in html


def test_search_by_text_language_target_group_and_kind(client, counselling_demo):
    html = client.get("/angebote/?q=lotsen").get_data(as_text=True)
    assert "Bildungslotsen in Herkunftssprachen" in html
    assert "Berufseinstiegsschule" not in html

    html = client.get("/angebote/?language=ti").get_data(as_text=True)
    assert "Bildungslotsen in Herkunftssprachen" in html
    assert "Integrationskurse" not in html

    html = client.get("/angebote/?target_group=returners").get_data(as_text=True)
    assert "Elterncafé" in html
    assert "Berufsberatung im Erwerbsleben" in html
    assert "Berufseinstiegsschule" not in html

    html = client.get("/angebote/?kind=chamber").get_data(as_text=True)
    assert "Lehrstellenbörse" in html
    assert "Ausbildung im Handwerk" in html
    assert "Integrationskurse" not in html

    # Labels are German, codes never shown as such.
    html = client.get("/angebote/?language=ar&target_group=newly_arrived").get_data(as_text=True)
    assert "Arabisch" in html
    assert "Integrationskurse und Deutschkurse" in html


def test_search_treats_wildcards_literally(client, counselling_demo):
    html = client.get("/angebote/?q=%25").get_data(as_text=True)
    assert "0 Angebote gefunden." in html


def test_public_offer_page_and_inactive_offers(app, client, client_as, counselling_demo):
    with app.app_context():
        offer_id = _offer_id("Berufseinstiegsschule (BES)")
    page = client.get(f"/angebote/{offer_id}")
    assert page.status_code == 200
    assert "Schulabgängerinnen und Schulabgänger" in page.get_data(as_text=True)

    office = client_as("office")
    assert office.post(f"/beratung/angebote/{offer_id}/deaktivieren").status_code == 302
    assert client.get(f"/angebote/{offer_id}").status_code == 404
    assert "Berufseinstiegsschule" not in client.get("/angebote/").get_data(as_text=True)
    # Staff still see it, marked inactive, and can activate it again.
    assert "Berufseinstiegsschule" in office.get("/beratung/angebote/").get_data(as_text=True)
    assert office.post(f"/beratung/angebote/{offer_id}/aktivieren").status_code == 302
    assert client.get(f"/angebote/{offer_id}").status_code == 200
    assert client.get("/angebote/999999").status_code == 404


def test_staff_create_and_edit_an_offer(app, client_as, counselling_demo):
    office = client_as("office")
    with app.app_context():
        vhs = db.session.scalar(
            select(Organisation.id).where(Organisation.name == "Volkshochschule Osnabrück")
        )
    response = office.post(
        "/beratung/angebote/neu",
        data={
            "organisation_id": str(vhs),
            "title": "Alphabetisierungskurs",
            "description": "Lesen und Schreiben lernen.",
            "target_groups": ["adults", "newly_arrived"],
            "languages": ["de", "ar"],
            "district": "Innenstadt",
            "action_field_id": "None",
            "active": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        offer_id = _offer_id("Alphabetisierungskurs")
        offer = services.get_offer(offer_id)
        assert offer is not None
        assert offer.language_codes == ["ar", "de"]
        assert offer.target_group_codes == ["adults", "newly_arrived"]
        assert offer.action_field_id is None
    edit = office.get(f"/beratung/angebote/{offer_id}/bearbeiten")
    html = edit.get_data(as_text=True)
    assert '<input checked id="languages-2" name="languages" type="checkbox" value="ar">' in html
    response = office.post(
        f"/beratung/angebote/{offer_id}/bearbeiten",
        data={
            "organisation_id": str(vhs),
            "title": "Alphabetisierungskurs für Erwachsene",
            "languages": ["de"],
            "target_groups": ["adults"],
            "action_field_id": "None",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        offer = services.get_offer(offer_id)
        assert offer is not None
        assert offer.title == "Alphabetisierungskurs für Erwachsene"
        assert offer.language_codes == ["de"]
        assert offer.target_group_codes == ["adults"]
        assert offer.active is False  # unchecked box


def test_offer_form_errors_keep_the_input(client_as, counselling_demo):
    office = client_as("office")
    response = office.post(
        "/beratung/angebote/neu",
        data={"organisation_id": "None", "title": "Mein Kurs", "languages": ["xx"]},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte wählen Sie eine Organisation." in html
    assert 'value="Mein Kurs"' in html
