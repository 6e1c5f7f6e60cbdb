"""CSV exports: the same access rules as the pages, formula-safe cells."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from netzwerk.csvutil import csv_safe, write_csv
from netzwerk.decisions import services as decisions
from netzwerk.extensions import db

from .helpers import SECRET, Scenario, closed_poll, user

CSV_URLS = ("/beschluesse/export.csv", "/offene-daten/abstimmungen.csv", "/projekte/export.csv")


def _rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_anonymous_csv_exports_hold_no_non_public_data(client, scenario: Scenario) -> None:
    for url in CSV_URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "text/csv"
        assert SECRET not in response.data.decode("utf-8"), url
    polls = _rows(client.get("/offene-daten/abstimmungen.csv").data)
    assert [r[1] for r in polls[1:]] == ["Sprachförderung beschließen"]
    # Action items are for members only.
    response = client.get("/offene-daten/massnahmen.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_members_see_the_results_and_items_of_their_bodies(
    app, client_as, scenario: Scenario
) -> None:
    with app.app_context():
        for decision in decisions.list_decisions(user("office"), decisions.RegisterFilter()):
            decisions.add_action_item(
                decision.id,
                title=f"Umsetzen {decision.number} {decision.title}",
                responsible_person_id=user("office").person_id,
                responsible_organisation_id=None,
                due_date=None,
            )
        db.session.remove()
    member = client_as("member")  # sits in VK and BK
    titles = [r[1] for r in _rows(member.get("/offene-daten/abstimmungen.csv").data)[1:]]
    assert f"{SECRET}-VK-ABSTIMMUNG" in titles and f"{SECRET}-ABSTIMMUNG intern" in titles
    items = _rows(member.get("/offene-daten/massnahmen.csv").data)
    assert items[0][0] == "decision" and len(items) > 1
    lead = client_as("lead")  # sits in BK, not in the non-public VK
    lead_titles = [r[1] for r in _rows(lead.get("/offene-daten/abstimmungen.csv").data)[1:]]
    assert lead_titles == ["Sprachförderung beschließen", f"{SECRET}-ABSTIMMUNG intern"]
    lead_items = _rows(lead.get("/offene-daten/massnahmen.csv").data)[1:]
    assert len(lead_items) == 2
    assert all(row[1] == "Bildungskonferenz" for row in lead_items)
    office_items = _rows(client_as("office").get("/offene-daten/massnahmen.csv").data)
    assert len(office_items) - 1 == 3  # every decision's item


def test_poll_titles_cannot_inject_formulas(app, client_as) -> None:
    with app.app_context():
        closed_poll("BK", '=HYPERLINK("http://evil.example","x")', "free", None)
        db.session.remove()
    rows = _rows(client_as("office").get("/offene-daten/abstimmungen.csv").data)
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example","x")'


@given(st.text(max_size=30))
def test_csv_safe_never_starts_a_cell_with_a_formula_sign(value: str) -> None:
    cell = csv_safe(value)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n", "|"))
    assert cell in (value, "'" + value)


def test_write_csv_quotes_and_neutralises() -> None:
    text = write_csv(["a", "b"], [["=1+1", 'x;"y"'], [None, -3]])
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows == [["a", "b"], ["'=1+1", 'x;"y"'], ["", "'-3"]]
    assert text.endswith("\r\n")


def test_open_data_page_lists_the_interfaces(client, client_as, scenario: Scenario) -> None:
    page = client.get("/offene-daten/").data.decode()
    assert "http://localhost/oparl/v1/" in page
    assert "/kalender/gremium/" in page
    assert "/offene-daten/abstimmungen.csv" in page
    assert "/offene-daten/massnahmen.csv" not in page
    assert "Vorstandskonferenz" not in page  # no calendar of the non-public body
    member_page = client_as("member").get("/offene-daten/").data.decode()
    assert "/offene-daten/massnahmen.csv" in member_page
    assert "/kalender/abo" in member_page
