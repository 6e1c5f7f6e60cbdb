"""Projects end to end on workflows whose every state and transition is renamed.

The copy of ``workflows/`` from ``test_mutated_workflows`` renames every id
consistently inside its file and gives the resolution paper one more review
state before the vote.  The project demo and the approval path (submission
with its paper, review, vote, approval, start) still work: the code asks
flags and follows the graph, never names.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from conftest import make_test_app
from sqlalchemy import select
from test_mutated_workflows import SUFFIX, mutated_copy

from netzwerk.extensions import db
from netzwerk.papers.models import Paper
from netzwerk.projects import approval
from netzwerk.projects.models import Project
from netzwerk.voting import services as voting
from netzwerk.workflow import services as wf


@pytest.fixture
def renamed(tmp_path, database_url) -> Iterator[None]:  # type: ignore[no-untyped-def]
    if not database_url.startswith("sqlite"):
        pytest.skip("runs on its own SQLite file; the renamed ids do not depend on the database")
    app = make_test_app(
        f"sqlite:///{tmp_path / 'renamed.db'}",
        NETZWERK_WORKFLOW_DIR=str(mutated_copy(tmp_path / "wf")),
    )
    with app.app_context():
        from netzwerk.demo import load_network

        db.create_all()
        load_network()
        db.session.remove()
        yield
        db.session.remove()


def test_the_demo_projects_reach_their_states_by_flags(renamed):
    from netzwerk.projects.demo import load_projects_demo

    assert load_projects_demo() is True
    mint = db.session.scalar(select(Project).where(Project.title == "MINT-Forscherwerkstatt"))
    theatre = db.session.scalar(select(Project).where(Project.title == "Demokratie-Theater"))
    assert mint.state.endswith(SUFFIX)
    assert wf.has_flag(mint, "running")
    assert approval.decision_for_project(mint).number.startswith("VK/")
    decided = db.session.get(Paper, mint.paper_id)
    assert wf.is_final(decided) and wf.has_flag(decided, "public")
    assert not wf.has_flag(theatre, "editable_by_author") and not wf.is_final(theatre)
    paper = db.session.get(Paper, theatre.paper_id)
    assert paper is not None and not wf.has_flag(paper, "editable_by_author")


def test_a_project_is_approved_in_the_vote_closing_transaction(renamed, clock):
    from netzwerk.projects.demo import advance, flag
    from projects.helpers import make_project, open_circular_resolution, submit, user

    project = submit(make_project())
    project_id = project.id
    db.session.expire_all()
    assert advance(
        user("office"),
        db.session.get(Project, project_id),
        flag("open_for_voting"),
        lambda u, obj, t, comment: approval.fire_project_transition(u, obj, t.name, comment),
    )
    poll_id, closes = open_circular_resolution(db.session.get(Project, project_id).paper_id)
    clock.move_to(closes + timedelta(minutes=1))
    voting.close_poll(poll_id, None, by_scheduler=True)
    db.session.expire_all()
    project = db.session.get(Project, project_id)
    assert wf.has_flag(project, "approved")
    assert advance(
        user("lead"),
        project,
        flag("running"),
        lambda u, obj, t, comment: approval.fire_project_transition(u, obj, t.name, comment),
    )
