"""The approval path: submission -> paper -> circular resolution -> decision -> approved."""

from __future__ import annotations

import pytest

from netzwerk.decisions.models import Decision
from netzwerk.extensions import db
from netzwerk.papers.models import Paper
from netzwerk.projects import approval
from netzwerk.projects.models import Project
from netzwerk.workflow import services as wf
from projects.helpers import decide_by_circular_resolution, make_project, submit, user

pytestmark = pytest.mark.usefixtures("demo")


def _reload(project_id: int) -> Project:
    db.session.expire_all()
    found = db.session.get(Project, project_id)
    assert found is not None
    return found


def test_submission_creates_a_submitted_resolution_paper_for_the_vk(app_ctx):
    project = make_project()
    assert project.state == "idee"
    project = submit(project)
    project = _reload(project.id)
    assert project.state == "eingereicht"
    paper = db.session.get(Paper, project.paper_id)
    assert paper is not None
    assert paper.kind == "resolution"
    assert paper.body.short_name == "VK"
    assert paper.author_person_id == project.lead_person_id
    assert paper.state == "eingereicht"
    assert "Kinder forschen mit Solartechnik." in paper.text
    assert approval.project_for_paper(paper.id).id == project.id


def test_submission_needs_goals_and_creates_no_paper_when_refused(app_ctx):
    project = make_project(goals="")
    with pytest.raises(wf.WorkflowError):
        submit(project)
    project = _reload(project.id)
    assert project.state == "idee"
    assert project.paper_id is None
    assert db.session.query(Paper).count() == 0


def test_adopted_decision_approves_the_reviewed_project(app_ctx, clock):
    project = submit(make_project())
    project = approval.fire_project_transition(user("office"), _reload(project.id), "pruefen")
    project = _reload(project.id)
    assert project.state == "geprueft"
    assert approval.project_poll_result("project", project) is None
    # The one review put the paper before the VK as well (effect submit_project_paper).
    assert db.session.get(Paper, project.paper_id).state == "zur_entscheidung"

    decide_by_circular_resolution(clock, project.paper_id)
    decision = db.session.query(Decision).one()
    assert decision.subject_type == "paper" and decision.subject_id == project.paper_id
    assert db.session.get(Paper, project.paper_id).state == "beschlossen"
    # The guard of the project answers from the paper's decision.
    assert approval.project_poll_result("project", _reload(project.id)) is True

    # Closing the vote approved the project: no job had to run.
    project = _reload(project.id)
    assert project.state == "genehmigt"
    assert approval.decision_for_project(project).number == decision.number
    # Following again moves nothing.
    assert approval.follow_decision(project) is None
    assert _reload(project.id).state == "genehmigt"


def test_paper_reviewed_first_takes_the_project_to_the_vote(app_ctx, clock):
    project = submit(make_project())
    # The office moves the paper to the vote (decide_by_circular_resolution
    # does, on the paper): the project follows without its own review step.
    decide_by_circular_resolution(clock, _reload(project.id).paper_id)
    assert _reload(project.id).state == "genehmigt"


def test_rejected_decision_rejects_the_project(app_ctx, clock):
    project = submit(make_project())
    approval.fire_project_transition(user("office"), _reload(project.id), "pruefen")
    decide_by_circular_resolution(clock, _reload(project.id).paper_id, value="no")
    assert _reload(project.id).state == "abgelehnt"


def test_returned_project_resubmits_with_the_same_paper(app_ctx):
    project = submit(make_project())
    paper_id = _reload(project.id).paper_id
    approval.fire_project_transition(
        user("office"), _reload(project.id), "zurueckgeben", comment="Bitte Budget ergänzen."
    )
    assert _reload(project.id).state == "idee"
    submit(_reload(project.id))
    project = _reload(project.id)
    assert project.state == "eingereicht"
    assert project.paper_id == paper_id
    assert db.session.query(Paper).count() == 1


def test_configured_deciding_body_gets_the_paper(app_ctx):
    from projects.helpers import body

    bk = body("BK")
    project = submit(make_project(deciding_body_id=bk.id))
    paper = db.session.get(Paper, _reload(project.id).paper_id)
    assert paper.body_id == bk.id


def test_only_lead_may_submit(app_ctx):
    project = make_project()
    with pytest.raises(wf.WorkflowError):
        submit(project, by=user("member"))
    assert _reload(project.id).state == "idee"


def test_demo_projects_load_once_through_the_real_approval_path(app_ctx):
    from netzwerk.projects.demo import load_projects_demo

    assert load_projects_demo() is True
    assert load_projects_demo() is False
    mint = db.session.query(Project).filter_by(title="MINT-Forscherwerkstatt").one()
    theatre = db.session.query(Project).filter_by(title="Demokratie-Theater").one()
    assert mint.state == "laufend"
    assert approval.decision_for_project(mint).number.startswith("VK/")
    assert {p.organisation.name for p in mint.partners} >= {
        "Hasetal Solartechnik GmbH",
        "Gesamtschule Schinkel",
    }
    assert theatre.state == "eingereicht"
    assert theatre.lead.user.email == "projekt@osnabrueck.example"
