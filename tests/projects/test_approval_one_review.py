"""A project proposal takes the office one review, then the vote (issue #20).

The project's review step names the effect ``submit_project_paper``: the
paper goes, as the system, along its own workflow's shortest path to the
vote in the same transaction.  Counted from the audit trail, the office
takes exactly one manual workflow step from the submission to the approval.
The tests ask flags, never state names.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from netzwerk.audit.models import AuditEvent
from netzwerk.audit.services import verify_chain
from netzwerk.extensions import db
from netzwerk.papers.models import Paper
from netzwerk.projects import approval
from netzwerk.projects.models import Project
from netzwerk.voting import jobs as voting_jobs
from netzwerk.workflow import services as wf
from projects.helpers import make_project, open_circular_resolution, submit, user

pytestmark = pytest.mark.usefixtures("demo")

VOTING = "open_for_voting"


def _reload(project_id: int) -> Project:
    db.session.expire_all()
    found = db.session.get(Project, project_id)
    assert found is not None
    return found


def _review(project: Project):  # type: ignore[no-untyped-def]
    """The office's step that leads the project into its voting state."""
    (step,) = [
        a.transition
        for a in wf.available_transitions(user("office"), project)
        if a.transition in wf.transitions_to_flag(project, VOTING)
    ]
    return step


def _steps(**where) -> list[tuple[str, str, int | None, bool]]:  # type: ignore[no-untyped-def]
    """The workflow steps of the audit trail: (type, transition, actor, by the system)."""
    stmt = select(AuditEvent).where(AuditEvent.action == wf.TRANSITION_ACTION)
    for column, value in where.items():
        stmt = stmt.where(getattr(AuditEvent, column) == value)
    rows = []
    for event in db.session.scalars(stmt.order_by(AuditEvent.id)):
        data = json.loads(event.data)
        rows.append((event.object_type, data["transition"], event.actor_id, bool(data["timer"])))
    return rows


def test_one_office_review_then_the_vote_approves_the_project(app_ctx, clock):
    office = user("office")
    project = make_project()
    assert wf.has_flag(project, "editable_by_author")
    project = _reload(submit(project).id)  # the lead: idee -> beantragt, paper submitted
    review = _review(project)

    approval.fire_project_transition(office, project, review.name, comment="Vollständig.")
    project = _reload(project.id)
    paper = db.session.get(Paper, project.paper_id)
    assert wf.has_flag(project, VOTING) and wf.has_flag(paper, VOTING)

    # The vote on the paper (the office opens it; its voting state is reached already).
    poll_id, closes = open_circular_resolution(project.paper_id)
    clock.move_to(closes + timedelta(minutes=1))
    assert voting_jobs.run_circular_resolutions()["closed"] == 1
    project = _reload(project.id)
    assert wf.has_flag(project, "approved")
    assert wf.is_final(db.session.get(Paper, project.paper_id))

    # Exactly one manual step of the office on the project and its paper,
    # counted from the audit trail (opening the vote is the vote itself) ...
    manual = [s for s in _steps(actor_id=office.id) if not s[3] and s[0] in {"project", "paper"}]
    assert manual == [("project", review.name, office.id, False)]
    # ... the paper's steps to the vote were the system's, caused by that review,
    # and the review's comment went with them.
    paper_steps = _steps(object_type="paper", object_id=paper.id)
    carried = [s for s in paper_steps if s[2] == office.id]
    assert carried and all(by_system for *_x, by_system in carried)
    comments = set(
        db.session.scalars(
            select(AuditEvent.comment).where(
                AuditEvent.object_type == "paper",
                AuditEvent.object_id == paper.id,
                AuditEvent.actor_id == office.id,
                AuditEvent.action == wf.TRANSITION_ACTION,
            )
        )
    )
    assert comments <= {"Vollständig.", None}
    assert verify_chain() is None


def test_a_paper_back_with_its_author_refuses_the_review_and_nothing_moves(app_ctx):
    office = user("office")
    project = _reload(submit(make_project()).id)
    paper = db.session.get(Paper, project.paper_id)
    # The office returns the paper (not the project) to its author.
    assert wf.fire_to_flag(office, paper, "editable_by_author", comment="Bitte kürzen.")
    paper_state = db.session.get(Paper, project.paper_id).state

    with pytest.raises(wf.WorkflowError) as refused:
        approval.fire_project_transition(office, _reload(project.id), _review(project).name)
    assert "erneut eingereicht" in str(refused.value)
    project = _reload(project.id)
    assert not wf.has_flag(project, VOTING)
    assert db.session.get(Paper, project.paper_id).state == paper_state

    # Submitted again by its author, the paper goes along with the one review.
    wf.fire_to_flag(
        user("lead"),
        db.session.get(Paper, project.paper_id),
        lambda state: not state.final and "editable_by_author" not in state.flags,
    )
    approval.fire_project_transition(office, _reload(project.id), _review(project).name)
    project = _reload(project.id)
    assert wf.has_flag(project, VOTING)
    assert wf.has_flag(db.session.get(Paper, project.paper_id), VOTING)
