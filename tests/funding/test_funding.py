"""Funding: budgets per source, spending, overspending flagged, proof of spending."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from netzwerk.extensions import db
from netzwerk.funding import services


@pytest.fixture
def project_id(app_ctx, demo):  # type: ignore[no-untyped-def]
    from projects.helpers import make_project

    return int(make_project().id)


@pytest.fixture
def office(app_ctx, demo):  # type: ignore[no-untyped-def]
    from conftest import demo_user

    return demo_user("office")


def test_overspending_against_a_source_is_flagged(office, project_id):
    services.set_budget(office, project_id, "land", "10.000,00")
    services.set_budget(office, project_id, "buergerstiftung", Decimal("2500"))
    services.record_spending(
        office,
        project_id,
        source="land",
        spent_on=date(2026, 3, 1),
        amount="6.000",
        purpose="Honorare",
    )
    overview = services.overview(project_id)
    assert overview.overspent == []
    assert overview.budget == Decimal("12500.00")
    services.record_spending(
        office,
        project_id,
        source="land",
        spent_on=date(2026, 4, 1),
        amount="4.000,01",
        purpose="Material",
    )
    overview = services.overview(project_id)
    assert [line.source for line in overview.overspent] == ["land"]
    land = overview.overspent[0]
    assert land.remaining == Decimal("-0.01")
    # Spending from a source without any budget is overspending too.
    services.record_spending(
        office, project_id, source="dbu", spent_on=date(2026, 4, 2), amount="1", purpose=""
    )
    assert {line.source for line in services.overview(project_id).overspent} == {"land", "dbu"}
    # A budget set again replaces the old one.
    services.set_budget(office, project_id, "land", "20000")
    assert {line.source for line in services.overview(project_id).overspent} == {"dbu"}


@pytest.mark.parametrize("amount", ["abc", "-5", "1e400", "", "NaN"])
def test_bad_amounts_are_refused(office, project_id, amount):
    with pytest.raises(services.FundingError):
        services.set_budget(office, project_id, "land", amount)


def test_spending_rules(office, project_id):
    with pytest.raises(services.FundingError):
        services.record_spending(
            office, project_id, source="mars", spent_on=date(2026, 3, 1), amount="1", purpose=""
        )
    with pytest.raises(services.FundingError):
        services.record_spending(
            office, project_id, source="land", spent_on=date(2099, 1, 1), amount="1", purpose=""
        )
    with pytest.raises(services.FundingError):
        services.record_spending(
            office, project_id, source="land", spent_on=date(2026, 1, 1), amount="0", purpose=""
        )


def test_proof_of_spending_pdf(app, client_as):
    with app.app_context():
        from conftest import demo_user

        office_user = demo_user("office")
        from projects.helpers import make_project

        project_id = make_project().id
        services.set_budget(office_user, project_id, "bund_esf", "5.000")
        services.record_spending(
            office_user,
            project_id,
            source="bund_esf",
            spent_on=date(2026, 2, 1),
            amount="6.000",
            purpose="Fahrtkosten",
        )
        db.session.remove()
    office = client_as("office")
    page = office.get(f"/projekte/{project_id}/finanzierung")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Überschritten" in html and "6.000,00 €" in html
    pdf = office.get(
        f"/projekte/{project_id}/verwendungsnachweis.pdf?von=2026-01-01&bis=2026-06-30"
    )
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    import pypdf

    xmp = pypdf.PdfReader(io.BytesIO(pdf.data)).trailer["/Root"]["/Metadata"].get_data()
    assert b'pdfaid:part="3"' in xmp
    bad = office.get(
        f"/projekte/{project_id}/verwendungsnachweis.pdf?von=2026-07-01&bis=2026-01-01"
    )
    assert bad.status_code == 400
    assert (
        office.post(
            f"/projekte/{project_id}/finanzierung/budget", data={"source": "land", "amount": "x"}
        ).status_code
        == 400
    )
    for role in ("member", "lead"):
        assert client_as(role).get(f"/projekte/{project_id}/finanzierung").status_code == 403
    assert office.get("/projekte/999999/finanzierung").status_code == 404
