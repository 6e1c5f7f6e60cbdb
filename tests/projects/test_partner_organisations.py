"""Partners as organisations: proposed by a lead, confirmed by the office;
contact persons of the organisation only; the partner's page with its reach."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.governance.models import Organisation, Person
from netzwerk.projects import organisations, services
from netzwerk.projects.models import ProjectPartner
from projects.helpers import make_project, org, user


def test_a_proposed_organisation_waits_for_the_office(app_ctx, demo):
    project = make_project()
    proposal = organisations.propose(
        user("lead"), project, name="Repair-Café Wüste", kind="other", role="Praxispartner"
    )
    organisation = db.session.get(Organisation, proposal.organisation_id)
    assert organisation is not None and not organisation.active
    assert organisation.id not in {i for i, _n in services.organisation_choices()}
    with pytest.raises(services.ProjectError):
        organisations.confirm(user("lead"), proposal.id)
    organisations.confirm(user("office"), proposal.id)
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).active
    partner = db.session.scalar(
        select(ProjectPartner).where(ProjectPartner.organisation_id == organisation.id)
    )
    assert partner is not None and partner.project_id == project.id
    assert partner.role == "Praxispartner"
    with pytest.raises(services.ProjectError):
        organisations.confirm(user("office"), proposal.id)  # once


def test_a_proposal_needs_a_new_name_and_a_kind(app_ctx, demo):
    project = make_project()
    with pytest.raises(services.ProjectError) as refused:
        organisations.propose(user("lead"), project, name="gesamtschule schinkel", kind="school")
    assert refused.value.field == "name"
    with pytest.raises(services.ProjectError) as refused:
        organisations.propose(user("lead"), project, name="Neu", kind="castle")
    assert refused.value.field == "kind"
    with pytest.raises(services.ProjectError):  # not the lead of this project
        organisations.propose(user("member"), project, name="Neu", kind="school")


def test_the_contact_person_must_belong_to_the_organisation(app_ctx, demo):
    project = make_project()
    school = org("Gesamtschule Schinkel")
    stranger = db.session.scalar(select(Person.id).where(Person.organisation_id != school.id))
    with pytest.raises(services.ProjectError) as refused:
        services.add_partner(
            user("lead"), project, organisation_id=school.id, role="", contact_person_id=stranger
        )
    assert refused.value.field == "contact_person_id"
    own = organisations.contact_choices(school.id)
    assert own and all(db.session.get(Person, pid).organisation_id == school.id for pid, _n in own)


def test_the_partner_form_filters_contacts_by_organisation(app, demo, client_as):
    with app.app_context():
        project_id = make_project().id
        school = org("Gesamtschule Schinkel")
        school_id = school.id
        kuhlmann = db.session.scalar(select(Person.id).where(Person.last_name == "Kuhlmann"))
        lange = db.session.scalar(select(Person.id).where(Person.last_name == "Lange"))
        db.session.remove()
    lead = client_as("lead")
    html = lead.get(f"/projekte/{project_id}/partner/neu?organisation={school_id}").get_data(
        as_text=True
    )
    assert f'value="{kuhlmann}"' in html and f'value="{lange}"' not in html
    grouped = lead.get(f"/projekte/{project_id}/partner/neu").get_data(as_text=True)
    assert '<optgroup label="Gesamtschule Schinkel">' in grouped
    refused = lead.post(
        f"/projekte/{project_id}/partner/neu",
        data={"organisation_id": school_id, "role": "Schule", "contact_person_id": lange},
    )
    assert refused.status_code == 422
    proposed = lead.post(
        f"/projekte/{project_id}/partner/vorschlagen",
        data={"name": "Sternwarte Osnabrück", "kind": "culture", "role": "Kulturpartner"},
    )
    assert proposed.status_code == 302
    office = client_as("office")
    page = office.get("/projekte/partner/vorschlaege").get_data(as_text=True)
    assert "Sternwarte Osnabrück" in page


def test_a_partners_page_shows_its_projects_and_reach(app, demo, client, client_as):
    with app.app_context():
        lead = user("lead")
        chamber = org("Handwerkskammer Osnabrück-Emsland-Grafschaft Bentheim")
        chamber_id = chamber.id
        for title, reached in (("Werkstatttage", 120), ("Ausbildungslotsen", 80)):
            project = make_project(title=title, public=True)
            services.add_partner(lead, project, organisation_id=chamber.id, role="Kammer")
            services.add_report(
                lead,
                project,
                report_date=date(2026, 6, 1),
                text="Stand.",
                values={"participants": reached},
            )
        rows = services.projects_of_organisation(lead, chamber_id)
        overview = organisations.partner_overview(lead, rows)
        assert (overview.projects, overview.reach) == (2, 200)
        db.session.remove()
    # A visitor sees only public, approved projects (none of these drafts).
    html = client.get(f"/projekte/partner/{chamber_id}").get_data(as_text=True)
    assert "HWK: 0 Projekte, 0 Teilnehmende erreicht" in html
    html = client_as("lead").get(f"/projekte/partner/{chamber_id}").get_data(as_text=True)
    assert "HWK: 2 Projekte, 200 Teilnehmende erreicht" in html
