"""Only counselling staff see cases: every case URL is enumerated from the URL map."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from netzwerk.audit.models import AuditEvent
from netzwerk.counselling import services
from netzwerk.counselling.models import CounsellingStaff
from netzwerk.extensions import db

from .conftest import COUNSELLOR, first_offer_id, make_case, user_id

CASE_ARGS = {"case_id", "referral_id", "contact_id"}


def case_rules(app):  # type: ignore[no-untyped-def]
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("counselling.") and CASE_ARGS & set(rule.arguments)
    ]
    return sorted(rules, key=lambda r: r.rule)


@pytest.fixture
def case_ids(app, counselling_demo):  # type: ignore[no-untyped-def]
    """A real case with a contact and a referral, so that 403 does not hide a 404."""
    with app.app_context():
        counsellor = user_id(COUNSELLOR)
        case_id = make_case(counsellor)
        referral = services.create_referral(
            case_id,
            services.ReferralData(
                offer_id=first_offer_id(),
                organisation_id=None,
                referred_on=date(2026, 3, 2),
                follow_up_on=date(2026, 3, 16),
            ),
            counsellor,
        )
        ids = {"case_id": case_id, "referral_id": referral.id, "contact_id": 1}
        db.session.remove()
    return ids


def _urls(app, ids):  # type: ignore[no-untyped-def]
    for rule in case_rules(app):
        values = {name: ids[name] for name in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            yield rule, path, method


def _case_reads(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        n = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case_read")
        )
        db.session.remove()
    return int(n or 0)


def test_the_enumeration_finds_the_case_urls(app):
    endpoints = {rule.endpoint for rule in case_rules(app)}
    assert {
        "counselling.case",
        "counselling.case_export",
        "counselling.contact_new",
        "counselling.referral_new",
        "counselling.follow_up",
        "counselling.personal_details",
        "counselling.personal_details_delete",
    } <= endpoints


@pytest.mark.parametrize("role", ["member", "chair", "lead"])
def test_body_members_without_the_flag_get_403_on_every_case_url(app, client_as, case_ids, role):
    client = client_as(role)
    failures = []
    for rule, path, method in _urls(app, case_ids):
        response = client.open(path, method=method, data={} if method == "POST" else None)
        if response.status_code != 403:
            failures.append(f"{method} {path} ({rule.endpoint}): {response.status_code}")
    assert not failures, "case URL reachable without counselling staff flag:\n" + "\n".join(
        failures
    )
    assert _case_reads(app) == 0


@pytest.mark.parametrize("role", ["office", "admin"])
def test_office_and_admin_without_the_flag_get_403(app, client_as, case_ids, role):
    with app.app_context():
        db.session.execute(db.delete(CounsellingStaff))
        db.session.commit()
        db.session.remove()
    client = client_as(role)
    for rule, path, method in _urls(app, case_ids):
        response = client.open(path, method=method, data={} if method == "POST" else None)
        assert response.status_code == 403, (method, path, rule.endpoint)
    for path in ("/beratung/", "/beratung/faelle/", "/beratung/faelle/warteschleifen"):
        assert client.get(path).status_code == 403
    assert _case_reads(app) == 0


def test_anonymous_visitors_are_sent_to_login(app, client, case_ids):
    for _rule, path, method in _urls(app, case_ids):
        response = client.open(path, method=method, data={} if method == "POST" else None)
        if method == "GET":
            assert response.status_code == 302
            assert "/login" in response.headers["Location"]
        else:
            assert response.status_code in (302, 400)


def test_counselling_staff_reach_every_case_page(app, counsellor, case_ids):
    for _rule, path, method in _urls(app, case_ids):
        if method == "GET":
            assert counsellor.get(path).status_code == 200, path


def test_the_flag_is_data_managed_by_administrators(app, client_as, counselling_demo):
    member = client_as("member")
    assert member.get("/beratung/").status_code == 403
    admin = client_as("admin")
    response = admin.post(
        "/verwaltung/beratungsteam", data={"email": "mitglied@osnabrueck.example"}
    )
    assert response.status_code == 302
    assert member.get("/beratung/").status_code == 200
    with app.app_context():
        member_id = user_id("mitglied@osnabrueck.example")
    response = admin.post(f"/verwaltung/beratungsteam/{member_id}/entfernen")
    assert response.status_code == 302
    assert member.get("/beratung/").status_code == 403


def test_office_may_see_but_not_change_the_staff_list(client_as, counselling_demo):
    office = client_as("office")
    page = office.get("/verwaltung/beratungsteam")
    assert page.status_code == 200
    assert "Kortmann" in page.get_data(as_text=True)
    assert (
        office.post(
            "/verwaltung/beratungsteam", data={"email": "mitglied@osnabrueck.example"}
        ).status_code
        == 403
    )
    assert client_as("member").get("/verwaltung/beratungsteam").status_code == 403


def test_adding_an_unknown_account_shows_an_error(client_as, counselling_demo):
    admin = client_as("admin")
    response = admin.post("/verwaltung/beratungsteam", data={"email": "niemand@example.org"})
    assert response.status_code == 422
    assert "Es gibt kein Konto mit dieser E-Mail-Adresse." in response.get_data(as_text=True)
    again = admin.post("/verwaltung/beratungsteam", data={"email": COUNSELLOR})
    assert "gehört bereits zum Beratungsteam" in again.get_data(as_text=True)


def test_figures_and_offers_are_open_to_office_without_the_flag(app, client_as, demo):
    office = client_as("office")
    assert office.get("/beratung/kennzahlen").status_code == 200
    assert office.get("/beratung/angebote/").status_code == 200
    member = client_as("member")
    assert member.get("/beratung/kennzahlen").status_code == 403
    assert member.get("/beratung/kennzahlen.csv").status_code == 403
    assert member.get("/beratung/angebote/").status_code == 403
    assert member.get("/beratung/angebote/neu").status_code == 403
