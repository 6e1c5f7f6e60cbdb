"""Helpers of the project tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from conftest import demo_body, demo_user
from sqlalchemy import select

from netzwerk.auth.models import User
from netzwerk.database import utcnow
from netzwerk.extensions import db
from netzwerk.governance.models import ActionField, Membership, Organisation
from netzwerk.projects import approval, services
from netzwerk.projects.models import Project
from netzwerk.workflow import services as wf

user = demo_user


def field(slug: str = "wirtschaft-umwelt-technik") -> ActionField:
    found = db.session.scalar(select(ActionField).where(ActionField.slug == slug))
    assert found is not None
    return found


def org(name: str) -> Organisation:
    found = db.session.scalar(select(Organisation).where(Organisation.name == name))
    assert found is not None, name
    return found


body = demo_body


def make_project(lead: User | None = None, **overrides: Any) -> Project:
    lead = lead or user("lead")
    data = services.ProjectData(
        title=overrides.pop("title", "MINT-Forscherwerkstatt"),
        goals=overrides.pop("goals", "Kinder forschen mit Solartechnik."),
        action_field_id=overrides.pop("action_field_id", None) or field().id,
        lead_person_id=overrides.pop("lead_person_id", lead.person_id),
        start_date=overrides.pop("start_date", date(2026, 2, 1)),
        end_date=overrides.pop("end_date", date(2027, 1, 31)),
        target_groups=overrides.pop("target_groups", ["children", "young_people"]),
        **overrides,
    )
    return services.create_project(lead, data)


def vk_voters() -> list[int]:
    vk = body("VK")
    return list(
        db.session.scalars(
            select(Membership.person_id).where(Membership.body_id == vk.id, Membership.voting_right)
        )
    )


def decide_by_circular_resolution(clock: Any, paper_id: int, value: str = "yes") -> int:
    """The office puts the paper before the VK and everyone votes; returns the poll id.

    The poll is closed by the voting job at its deadline: ``clock`` (the
    test's ``clock`` fixture) is moved on to just after it.
    """
    from netzwerk.voting import jobs as voting_jobs

    poll_id, closes = open_circular_resolution(paper_id, value)
    clock.move_to(closes + timedelta(minutes=1))
    assert voting_jobs.run_circular_resolutions()["closed"] == 1
    return poll_id


def open_circular_resolution(paper_id: int, value: str = "yes") -> tuple[int, Any]:
    """The office puts the paper before the VK (by flag) and every member votes;
    returns the open poll's id and its deadline."""
    from netzwerk.papers.models import Paper
    from netzwerk.projects.demo import advance, flag
    from netzwerk.voting import services as voting

    office = user("office")
    paper = db.session.get(Paper, paper_id)
    assert paper is not None
    assert advance(office, paper, flag("open_for_voting"))
    closes = utcnow() + timedelta(days=3)
    poll = voting.start_circular_resolution(
        body_id=body("VK").id,
        subject_type="paper",
        subject_id=paper_id,
        title="Projektantrag",
        question="Die Vorstandskonferenz genehmigt das Projekt.",
        closes_at=closes,
        actor=office,
    )
    for person_id in vk_voters():
        voting.cast_ballot(poll.id, person_id, value)
    return poll.id, closes


def submission(project: Project) -> str:
    """The step that sends the proposal, found by the graph: out of the
    initial (draft) state into one that is neither a draft nor final."""
    definition = wf.definition_of(project)
    for transition in definition.transitions_from(definition.initial):
        target = definition.states[transition.to]
        if not target.final and "editable_by_author" not in target.flags:
            return transition.name
    raise AssertionError("the project workflow has no submission")


def submit(project: Project, by: User | None = None) -> Project:
    return approval.fire_project_transition(by or user("lead"), project, submission(project))
