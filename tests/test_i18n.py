"""German-first interface: a complete catalogue, and the catalogue in use."""

from __future__ import annotations

from flask_babel import gettext

from netzwerk import i18n_check


def test_every_msgid_has_a_german_translation():
    missing = i18n_check.missing()
    assert missing == [], f"{len(missing)} problem(s):\n" + "\n".join(missing)


def test_login_page_is_german(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="de"' in html
    assert "Anmelden" in html
    assert ">Log in<" not in html


def test_german_is_chosen_whatever_the_browser_asks_for(client):
    html = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="de"' in html
    assert "Anmelden" in html


def test_catalogue_translates_in_a_request(app):
    with app.test_request_context("/"):
        assert gettext("Log in") == "Anmelden"


def test_compiled_catalogues_are_present():
    for po in i18n_check.catalogue_files():
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo} missing: run `make translations`"
