"""Access to the governance administration: staff only."""

from __future__ import annotations

import re

import pytest

from netzwerk.admin import ADMIN_SECTIONS
from netzwerk.governance.models import Organisation


def admin_rules(app):  # type: ignore[no-untyped-def]
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("governance.admin"):
            url = re.sub(r"<int:[a-z_]+>", "1", rule.rule)
            methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
            rules.append((rule.endpoint, url, methods))
    return rules


def test_there_are_administration_routes(app):
    endpoints = {endpoint for endpoint, _url, _m in admin_rules(app)}
    for expected in (
        "governance.admin_organisations",
        "governance.admin_persons",
        "governance.admin_bodies",
        "governance.admin_action_fields",
        "governance.admin_membership_add",
        "governance.admin_login_roles",
    ):
        assert expected in endpoints


@pytest.mark.parametrize("role", ["member", "chair", "lead"])
def test_non_staff_get_403_on_every_admin_url(client_as, app, role):
    client = client_as(role)
    for endpoint, url, methods in admin_rules(app):
        for method in methods:
            response = client.open(url, method=method, data={})
            assert response.status_code == 403, (endpoint, method, response.status_code)


def test_anonymous_visitors_are_sent_to_the_login(client, app):
    for endpoint, url, methods in admin_rules(app):
        if "GET" in methods:
            response = client.get(url)
            assert response.status_code == 302, endpoint
            assert "/login" in response.headers["Location"]


def test_staff_reach_every_admin_page(client_as, app):
    for role in ("office", "admin"):
        client = client_as(role)
        for endpoint, url, methods in admin_rules(app):
            if "GET" in methods:
                # 302: a page that sends staff elsewhere (e.g. a login that exists).
                assert client.get(url).status_code in (200, 302), (role, endpoint)


def test_admin_index_shows_the_sections(client_as):
    html = client_as("office").get("/verwaltung/").get_data(as_text=True)
    for label in ("Organisationen", "Personen und Zugänge", "Gremien und Mitgliedschaften"):
        assert label in html
    assert any(e == "governance.admin_action_fields" for e, _label in ADMIN_SECTIONS)


def test_body_page_offers_management_to_staff_only(client_as, lookup):
    vk = lookup.body("VK")
    assert "/verwaltung/gremien/" in client_as("office").get(f"/gremien/{vk}").get_data(
        as_text=True
    )
    assert "/verwaltung/gremien/" not in client_as("member").get(f"/gremien/{vk}").get_data(
        as_text=True
    )


def test_posts_without_csrf_token_are_refused(client_as, lookup):
    client = client_as("admin")
    before = lookup.count(Organisation)
    response = client.post(
        "/verwaltung/organisationen/neu",
        data={"name": "Ohne Token", "kind": "other"},
        csrf=False,
    )
    assert response.status_code == 400
    assert (
        lookup.count(__import__("netzwerk.governance.models").governance.models.Organisation)
        == before
    )
