"""Progress, overdue milestones, reach, CSV export and import, the indicator."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from netzwerk.extensions import db
from netzwerk.monitoring.indicators import PROVIDERS, Period
from netzwerk.projects import portfolio, services
from netzwerk.projects.models import Project
from netzwerk.timeutil import local_today
from projects.helpers import field, make_project, user

pytestmark = pytest.mark.usefixtures("demo")


def _milestone(project, weight, progress, due=date(2030, 1, 1)):
    return services.add_milestone(
        user("lead"),
        project,
        title=f"M {weight}/{progress}",
        due_date=due,
        weight=weight,
        progress=progress,
    )


def test_progress_is_weighted_over_milestones_and_sub_projects(app_ctx):
    parent = make_project(title="Eltern")
    _milestone(parent, 1, 100)
    _milestone(parent, 3, 0)  # milestones alone: 25 %
    assert portfolio.compute_progress()[parent.id] == 25.0

    child = make_project(title="Kind", parent_id=parent.id, weight=4)
    _milestone(child, 1, 50)  # child: 50 %, counts with weight 4
    progress = portfolio.compute_progress()
    assert progress[child.id] == 50.0
    # (1*100 + 3*0 + 4*50) / (1 + 3 + 4) = 37.5
    assert progress[parent.id] == 37.5

    empty = make_project(title="Leer", parent_id=parent.id, weight=10)
    assert portfolio.compute_progress()[empty.id] is None
    assert portfolio.compute_progress()[parent.id] == 37.5  # no parts: does not count


def test_progress_survives_a_cycle_in_the_data(app_ctx):
    a = make_project(title="A")
    b = make_project(title="B", parent_id=a.id)
    _milestone(b, 1, 40)
    # A cycle the services refuse, written directly as a corrupt state.
    db.session.execute(Project.__table__.update().where(Project.id == a.id).values(parent_id=b.id))
    db.session.commit()
    progress = portfolio.compute_progress()
    # Both are on the cycle: their parent links are ignored, whatever the order.
    assert progress[b.id] == 40.0
    assert progress[a.id] is None


def test_service_refuses_a_cycle(app_ctx):
    a = make_project(title="A")
    b = make_project(title="B", parent_id=a.id)
    data = services.ProjectData(
        title="A",
        goals="x",
        action_field_id=field().id,
        lead_person_id=user("lead").person_id,
        parent_id=b.id,
    )
    with pytest.raises(services.ProjectError) as err:
        services.update_project(user("office"), db.session.get(Project, a.id), data)
    assert err.value.field == "parent_id"
    assert db.session.get(Project, a.id).parent_id is None


def test_overdue_and_reach_in_the_portfolio(app_ctx):
    p = make_project()
    _milestone(p, 1, 50, due=local_today() - timedelta(days=1))
    _milestone(p, 1, 100, due=local_today() - timedelta(days=1))  # done: not overdue
    services.add_report(
        user("lead"),
        p,
        report_date=date(2026, 3, 1),
        text="a",
        values={"participants": 40, "events": 2},
    )
    services.add_report(
        user("lead"), p, report_date=date(2026, 6, 1), text="b", values={"participants": 90}
    )
    q = make_project(title="Demokratie-Theater", action_field_id=field("demokratie-kultur").id)
    services.add_report(
        user("lead"), q, report_date=date(2026, 5, 1), text="c", values={"participants": 10}
    )
    data = portfolio.build_portfolio(user("office"), portfolio.PortfolioFilter())
    assert data.overdue_total == 1
    assert data.reach["participants"] == 100  # latest values: 90 + 10
    assert data.reach["events"] == 2
    only_field = portfolio.build_portfolio(
        user("office"), portfolio.PortfolioFilter(action_field_id=field().id)
    )
    assert [r.project.id for r in only_field.rows] == [p.id]


def test_filters_by_partner_kind_and_target_group(app_ctx):
    from projects.helpers import org

    p = make_project(title="Mit KMU", target_groups=["children"])
    services.add_partner(
        user("lead"), p, organisation_id=org("Hasetal Solartechnik GmbH").id, role="KMU-Partner"
    )
    make_project(title="Ohne", target_groups=["adults"])
    office = user("office")
    by_kind = portfolio.build_portfolio(office, portfolio.PortfolioFilter(partner_kind="sme"))
    assert [r.project.title for r in by_kind.rows] == ["Mit KMU"]
    by_group = portfolio.build_portfolio(office, portfolio.PortfolioFilter(target_group="adults"))
    assert [r.project.title for r in by_group.rows] == ["Ohne"]


def test_csv_export_neutralises_formulas(client_as, app):
    with app.app_context():
        make_project(title='=HYPERLINK("http://evil")')
    response = client_as("office").get("/projekte/export.csv")
    assert response.status_code == 200
    rows = list(
        csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    assert rows[0][:3] == ["id", "title", "action_field"]
    assert rows[1][1].startswith("'=HYPERLINK")


GOOD = (
    "title;action_field;lead_email;start_date;end_date;budget;public;target_groups\n"
    "Lesepaten;demokratie-kultur;projekt@osnabrueck.example;2026-01-01;2026-12-31;"
    "1.500,00;ja;children,families\n"
)


def test_csv_import_creates_projects(client_as, app):
    response = client_as("office").post(
        "/projekte/import",
        data={"file": (io.BytesIO(GOOD.encode()), "p.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        project = db.session.query(Project).one()
        assert project.title == "Lesepaten"
        assert str(project.budget) == "1500.00"
        assert project.public is True
        assert project.target_group_codes == ["children", "families"]
        assert project.state == "idee"


def test_csv_import_with_one_bad_row_imports_nothing_and_names_row_and_column(client_as, app):
    bad = GOOD + (
        "Naturforscher;wirtschaft-umwelt-technik;projekt@osnabrueck.example;2026-01-01;"
        "2026-12-31;-5;nein;children\n"
        "Theaterwerkstatt;demokratie-kultur;projekt@osnabrueck.example;;;;;\n"
    )
    response = client_as("office").post(
        "/projekte/import",
        data={"file": (io.BytesIO(bad.encode()), "p.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "<td>3</td><td>budget</td>" in page
    assert "Das Budget darf nicht negativ sein." in page
    with app.app_context():
        assert db.session.query(Project).count() == 0


def test_import_service_reports_every_problem(app_ctx):
    data = b"title;action_field;lead_email;start_date\n;unbekannt;niemand@example.org;31.02.2026\n"
    with pytest.raises(portfolio.ImportFailed) as err:
        portfolio.import_csv(user("office"), data)
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(2, "title"), (2, "action_field"), (2, "lead_email"), (2, "start_date")}
    assert db.session.query(Project).count() == 0


def test_import_refuses_a_missing_column(app_ctx):
    with pytest.raises(portfolio.ImportFailed) as err:
        portfolio.import_csv(user("office"), b"title;lead_email\nX;projekt@osnabrueck.example\n")
    assert [(p.row, p.column) for p in err.value.problems] == [(1, "action_field")]


def test_project_reach_indicator_counts_new_participants_per_field(app_ctx):
    assert "project_reach" in PROVIDERS
    p = make_project()
    services.add_report(
        user("lead"), p, report_date=date(2026, 3, 10), text="a", values={"participants": 40}
    )
    services.add_report(
        user("lead"), p, report_date=date(2026, 4, 10), text="b", values={"participants": 65}
    )
    provider = PROVIDERS["project_reach_new"].provider
    name = field().name
    assert provider(Period("2026-03")) == {name: 40.0, "": 40.0}
    assert provider(Period("2026-04")) == {name: 25.0, "": 25.0}
    assert provider(Period("2026")) == {name: 65.0, "": 65.0}
    assert provider(Period("2025")) == {}


def test_portfolio_query_count_is_flat(app, client_as, count_queries):
    from netzwerk.database import write_transaction
    from netzwerk.projects.models import Milestone, ProjectPartner, ProjectTargetGroup
    from netzwerk.workflow import services as wf

    client = client_as("office")

    def add(n, start):
        with app.app_context():
            definition = wf.workflow_for(None, "project")
            lead = user("lead")
            orgs = [
                o.id
                for o in db.session.query(
                    __import__("netzwerk.governance.models", fromlist=["Organisation"]).Organisation
                ).limit(3)
            ]
            with write_transaction():
                for i in range(start, start + n):
                    p = Project(
                        title=f"Projekt {i:04d}",
                        goals="x",
                        action_field_id=field().id,
                        lead_person_id=lead.person_id,
                        workflow_name=definition.name,
                        workflow_hash=definition.hash,
                        state="laufend",
                        public=True,
                    )
                    p.target_groups = [ProjectTargetGroup(code="children")]
                    p.partners = [ProjectPartner(organisation_id=o, role="x") for o in orgs]
                    p.milestones = [
                        Milestone(title="m", due_date=date(2026, 1, 1), weight=1, progress=10)
                    ]
                    db.session.add(p)
            db.session.remove()

    add(10, 0)
    client.get("/projekte/")
    with count_queries() as small:
        assert client.get("/projekte/").status_code == 200
    add(490, 10)
    with count_queries() as large:
        response = client.get("/projekte/")
    assert response.status_code == 200
    assert "Projekt 0499" in response.get_data(as_text=True)
    assert large.count == small.count
    with count_queries() as field_page:
        client.get(f"/projekte/aktionsfeld/{'wirtschaft-umwelt-technik'}")
    assert field_page.count <= small.count + 1
