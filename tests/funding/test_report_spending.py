"""Status reports record spending: lines per funding source of the budget,
stored as FundingSpending with the report, overspending still flagged, bad
input refused by the field with nothing stored."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from netzwerk.extensions import db
from netzwerk.funding import services
from netzwerk.funding.models import FundingSpending
from netzwerk.projects.models import Project, StatusReport


def _count(model):  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def project(app_ctx, demo):  # type: ignore[no-untyped-def]
    from conftest import demo_user
    from projects.helpers import make_project

    project = make_project()
    office = demo_user("office")
    services.set_budget(office, project.id, "land", "1.000,00")
    services.set_budget(office, project.id, "dbu", "500")
    return project


def _file(project, spending, report_date=date(2026, 6, 1)):  # type: ignore[no-untyped-def]
    from conftest import demo_user

    return services.file_status_report(
        demo_user("lead"),
        project,
        spending=spending,
        report_date=report_date,
        text="Der Workshop lief gut.",
        values={},
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.234,56", "1234.56"), ("6.000", "6000.00"), ("12,5", "12.50"), ("1234.5", "1234.50")],
)
def test_german_amounts(text, value):
    assert services.parse_amount(text) == Decimal(value)


@pytest.mark.parametrize("text", ["-5", "abc", "1.2.3", "1,234", "12,345", "1e3", "", "NaN"])
def test_bad_amounts_name_their_field(text):
    with pytest.raises(services.FundingError) as caught:
        services.parse_amount(text, "spending-0-amount")
    assert caught.value.field == "spending-0-amount"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789.,-€ e+", max_size=16))
def test_any_amount_is_refused_cleanly_or_whole_cents(text):
    try:
        value = services.parse_amount(text)
    except services.FundingError:
        return
    assert value >= 0 and value == value.quantize(Decimal("0.01"))
    assert int(value.as_tuple().exponent) == -2


def test_a_report_records_its_spending_and_overspending_is_flagged(project):
    report = _file(
        project,
        [
            {"source": "land", "amount": "600,00", "purpose": "Honorare"},
            {"source": "dbu", "amount": "", "purpose": ""},  # empty: left out
            {"source": "land", "amount": "400,01", "purpose": "Material"},
        ],
    )
    spent = db.session.scalars(
        select(FundingSpending).where(FundingSpending.status_report_id == report.id)
    ).all()
    assert sorted(s.amount for s in spent) == [Decimal("400.01"), Decimal("600.00")]
    assert {s.spent_on for s in spent} == {date(2026, 6, 1)}
    assert [line.source for line in services.overview(project.id).overspent] == ["land"]


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ({"source": "land", "amount": "-5"}, "amount", "negativ"),
        ({"source": "land", "amount": "zehn"}, "amount", "1.234,50"),
        ({"source": "land", "amount": "1.2.3"}, "amount", "1.234,50"),
        ({"source": "land", "amount": "1,234"}, "amount", "Nachkommastellen"),
        ({"source": "land", "amount": "0"}, "amount", "über null"),
        ({"source": "bund_esf", "amount": "5"}, "source", "Fördermittelgeber"),
        ({"source": "mars", "amount": "5"}, "source", "Fördermittelgeber"),
        ({"source": "land", "amount": "", "purpose": "ohne Betrag"}, "amount", "Betrag"),
    ],
)
def test_bad_lines_store_nothing(project, line, field, message):
    reports, spendings = _count(StatusReport), _count(FundingSpending)
    with pytest.raises(services.FundingError) as caught:
        _file(project, [{"source": "dbu", "amount": "10", "purpose": "gut"}, line])
    assert caught.value.field == f"spending-1-{field}"
    assert message in str(caught.value)
    assert (_count(StatusReport), _count(FundingSpending)) == (reports, spendings)


def test_no_spending_with_a_report_dated_in_the_future(project):
    with pytest.raises(services.FundingError) as caught:
        _file(project, [{"source": "land", "amount": "5"}], report_date=date(2026, 7, 1))
    assert caught.value.field == "report_date"
    assert _count(StatusReport) == 0


def test_lead_files_spending_with_the_form_and_the_proof_lists_the_report(app, client_as):
    with app.app_context():
        from conftest import demo_user
        from projects.helpers import make_project

        project_id = make_project().id
        services.set_budget(demo_user("office"), project_id, "land", "1.000")
    lead = client_as("lead")
    url = f"/projekte/{project_id}/berichte/neu"
    form = lead.get(url).get_data(as_text=True)
    assert 'name="spending-0-amount"' in form and 'name="spending-2-amount"' not in form
    base = {"report_date": "2026-06-01", "text": "Alles läuft."}
    bad = lead.post(url, data={**base, "spending-0-source": "land", "spending-0-amount": "1.2.3"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="spending-0-amount-error"' in html and "1.234,50" in html
    assert 'value="1.2.3"' in html and "Alles läuft." in html  # what was typed stays
    other = lead.post(
        url,
        data={
            **base,
            "spending-0-source": "land",
            "spending-0-amount": "",
            "spending-1-source": "dbu",  # not in the budget
            "spending-1-amount": "5",
        },
    )
    assert other.status_code == 422 and 'id="spending-1-source-error"' in other.get_data(
        as_text=True
    )
    with app.app_context():
        assert (_count(StatusReport), _count(FundingSpending)) == (0, 0)
    good = lead.post(
        url,
        data={
            **base,
            "spending-0-source": "land",
            "spending-0-amount": "1.234,56",
            "spending-0-purpose": "Honorare",
        },
    )
    assert good.status_code == 302
    with app.app_context():
        spending = db.session.scalars(select(FundingSpending)).one()
        assert spending.amount == Decimal("1234.56") and spending.status_report_id is not None
        assert services.overview(project_id).overspent  # 1.234,56 of 1.000,00
        title = db.session.get(Project, project_id).title  # type: ignore[union-attr]
    pdf = client_as("office").get(
        f"/projekte/{project_id}/verwendungsnachweis.pdf?von=2026-01-01&bis=2026-06-30"
    )
    assert pdf.status_code == 200
    import pypdf

    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert title in text and "Sachstandsbericht vom 01.06.2026" in " ".join(text.split())


def _revise(report, spending, report_date=date(2026, 6, 1), text="Der Workshop lief gut."):  # type: ignore[no-untyped-def]
    from conftest import demo_user

    return services.revise_status_report(
        demo_user("lead"),
        report,
        spending=spending,
        report_date=report_date,
        text=text,
        values={},
    )


def _lines(report_id):  # type: ignore[no-untyped-def]
    return [
        (s.source, s.amount, s.purpose, s.spent_on) for s in services.report_spending(report_id)
    ]


def test_correcting_a_report_replaces_its_spending_and_audits_what_was_withdrawn(project):
    from netzwerk.audit.models import AuditEvent

    report = _file(project, [{"source": "land", "amount": "600", "purpose": "Honorare"}])
    first = services.report_spending(report.id)[0].id
    same = _revise(report, [{"source": "land", "amount": "600,00", "purpose": "Honorare"}])
    assert not same.changed and services.report_spending(report.id)[0].id == first
    changed = _revise(
        report,
        [
            {"source": "land", "amount": "550", "purpose": "Honorare"},
            {"source": "dbu", "amount": "20,5", "purpose": "Material"},
        ],
    )
    assert changed.changed
    assert _lines(report.id) == [
        ("land", Decimal("550.00"), "Honorare", date(2026, 6, 1)),
        ("dbu", Decimal("20.50"), "Material", date(2026, 6, 1)),
    ]
    withdrawn = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "funding.spending_withdrawn")
    ).one()
    assert json.loads(withdrawn.data)["lines"] == [
        {"source": "land", "amount": "600.00", "purpose": "Honorare"}
    ]
    # The report's date moves: its spending moves with it.
    _revise(
        report,
        [{"source": "land", "amount": "550"}, {"source": "dbu", "amount": "20,50"}],
        report_date=date(2026, 5, 20),
    )
    assert {line[3] for line in _lines(report.id)} == {date(2026, 5, 20)}
    assert services.overview(project.id).spent == Decimal("570.50")


def test_a_bad_line_in_a_correction_changes_nothing(project):
    report = _file(project, [{"source": "land", "amount": "600", "purpose": "Honorare"}])
    before = _lines(report.id)
    with pytest.raises(services.FundingError) as caught:
        _revise(report, [{"source": "land", "amount": "zehn"}], text="Geändert")
    assert caught.value.field == "spending-0-amount"
    db.session.expire_all()
    assert _lines(report.id) == before
    assert db.session.get(StatusReport, report.id).text == "Der Workshop lief gut."


def test_without_lines_on_the_form_the_spending_stays(project):
    report = _file(project, [{"source": "land", "amount": "600", "purpose": "Honorare"}])
    _revise(report, None, report_date=date(2026, 5, 31))
    assert _lines(report.id) == [("land", Decimal("600.00"), "Honorare", date(2026, 5, 31))]


def test_the_lead_corrects_spending_on_the_edit_page(app, client_as):
    with app.app_context():
        from conftest import demo_user
        from projects.helpers import make_project

        project = make_project()
        services.set_budget(demo_user("office"), project.id, "land", "1.000")
        report = _file(project, [{"source": "land", "amount": "1.234,56", "purpose": "Honorare"}])
        report_id, project_id = report.id, project.id
    lead = client_as("lead")
    url = f"/projekte/berichte/{report_id}/bearbeiten"
    page = lead.get(url).get_data(as_text=True)
    assert 'value="1.234,56"' in page and 'value="Honorare"' in page
    base = {"report_date": "2026-06-01", "text": "Der Workshop lief gut."}
    bad = lead.post(url, data={**base, "spending-0-source": "land", "spending-0-amount": "1.2.3"})
    assert bad.status_code == 422
    assert 'id="spending-0-amount-error"' in bad.get_data(as_text=True)
    good = lead.post(
        url,
        data={
            **base,
            "spending-0-source": "land",
            "spending-0-amount": "234,56",
            "spending-0-purpose": "Honorare",
        },
    )
    assert good.status_code == 302
    with app.app_context():
        assert _lines(report_id) == [("land", Decimal("234.56"), "Honorare", date(2026, 6, 1))]
        assert not services.overview(project_id).overspent
