"""The approval path: a project proposal travels as a Beschlussvorlage (paper).

* Leaving the workflow's initial state (the submission, e.g. "Beantragen")
  creates a resolution paper for the deciding body in the same transaction
  (``project.paper_id``); a resubmission reuses the paper while it is not in
  a final state.  Right after, in a second transaction, the paper takes its
  author's first step (e.g. "Einreichen"), so the Bildungsbüro finds it
  among the submitted papers.  ``meetings.services.create_paper`` is not
  used because it commits on its own and only lets people submit to bodies
  they sit in; the paper is built the same way (model + workflow start).
* The guards ``poll_passed``/``poll_failed`` of a project answer from the
  decision on its paper (the decisions register), else from whatever
  answers for the paper itself (meeting polls on agenda items).
* :func:`sync_decided_projects` (scheduler job, every minute, and right after
  each project step) fires the project's poll-guarded transition as the
  system once the paper's decision is there: adopted -> approved,
  rejected -> rejected.  The decision (number, date) is shown on the project.
"""

from __future__ import annotations

import logging
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..auth.models import User
from ..decisions.models import Decision, DecisionOutcome
from ..extensions import db
from ..meetings.models import Paper, PaperKind
from ..meetings.services import add_paper
from ..workflow import registry as wf_registry
from ..workflow import services as workflow
from .models import Project
from .vocab import target_group_label

log = logging.getLogger(__name__)

POLL_GUARDS = ("poll_passed", "poll_failed")


def project_for_paper(paper_id: int) -> Project | None:
    """The project whose proposal the paper is (None for other papers)."""
    return db.session.scalar(select(Project).where(Project.paper_id == paper_id))


def decision_for_paper(paper_id: int | None) -> Decision | None:
    """The latest decision on the paper (the register's subject link)."""
    if paper_id is None:
        return None
    return db.session.scalar(
        select(Decision)
        .where(Decision.subject_type == "paper", Decision.subject_id == paper_id)
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
        .limit(1)
    )


def decision_for_project(project: Project) -> Decision | None:
    return decision_for_paper(project.paper_id)


def paper_of(project: Project) -> Paper | None:
    return db.session.get(Paper, project.paper_id) if project.paper_id else None


# --- the guard provider ----------------------------------------------------------


def project_poll_result(object_type: str, obj: Any) -> bool | None:
    """poll_passed / poll_failed for projects: the decision on the linked paper."""
    if object_type != "project" or not isinstance(obj, Project) or obj.paper_id is None:
        return None
    decision = decision_for_paper(obj.paper_id)
    if decision is not None:
        return decision.outcome == DecisionOutcome.ADOPTED.value
    paper = db.session.get(Paper, obj.paper_id)
    if paper is None:
        return None
    others = [p for p in wf_registry.poll_result_providers if p is not project_poll_result]
    return wf_registry.first_answer(others, "paper", paper)


def register_guard_provider() -> None:
    if project_poll_result not in wf_registry.poll_result_providers:
        wf_registry.poll_result_providers.append(project_poll_result)


# --- the paper ----------------------------------------------------------


def _paper_text(project: Project) -> str:
    lines = [
        _("Project proposal in the action field “%(field)s”.", field=project.action_field.name),
        "",
        project.goals or "",
    ]
    facts = []
    if project.target_groups:
        facts.append(
            _(
                "Target groups: %(groups)s",
                groups=", ".join(target_group_label(t.code) for t in project.target_groups),
            )
        )
    if project.partners:
        facts.append(
            _(
                "Partners: %(partners)s",
                partners=", ".join(f"{p.organisation.name} ({p.role})" for p in project.partners),
            )
        )
    if project.start_date or project.end_date:
        facts.append(
            _(
                "Period: %(start)s – %(end)s",
                start=project.start_date.strftime("%d.%m.%Y") if project.start_date else "?",
                end=project.end_date.strftime("%d.%m.%Y") if project.end_date else "?",
            )
        )
    if project.budget is not None:
        facts.append(_("Budget: %(amount)s EUR", amount=f"{project.budget:.2f}".replace(".", ",")))
    facts.append(_("Project lead: %(name)s", name=project.lead.full_name))
    lines += ["", "\n".join(facts)]
    lines += ["", _("The body is asked to approve the project.")]
    return "\n".join(lines).strip()


def attach_paper(project: Project, actor: User | None) -> Paper:
    """Create (or refresh) the project's resolution paper: caller's transaction."""
    body_id = project.deciding_body_id
    if body_id is None:
        raise workflow.WorkflowError(_("The project has no deciding body."))
    title = _("Project proposal: %(title)s", title=project.title)[:300]
    text = _paper_text(project)
    paper = db.session.get(Paper, project.paper_id) if project.paper_id else None
    if (
        paper is not None
        and not workflow.definition_of(paper).is_final(paper.state)
        and paper.body_id == body_id
    ):
        state = workflow.definition_of(paper).states.get(paper.state)
        if state is not None and "editable_by_author" in state.flags:
            paper.title = title
            paper.text = text
            paper.public = project.public
        return paper
    paper = add_paper(
        actor,
        author_person_id=project.lead_person_id,
        body_id=body_id,
        kind=PaperKind.RESOLUTION,
        title=title,
        text=text,
        public=project.public,
    )
    project.paper_id = paper.id
    db.session.flush()
    return paper


def submit_paper(paper_id: int, user: User) -> str | None:
    """Take the author's first step on a draft paper (its own transaction).

    The step is the first transition out of the paper's initial state that
    the author may take and that does not end the paper (e.g. "Einreichen").
    """
    paper = db.session.get(Paper, paper_id)
    if paper is None:
        return None
    definition = workflow.definition_of(paper)
    if paper.state != definition.initial:
        return None
    for transition in definition.transitions_from(paper.state):
        if "author" not in transition.by or definition.is_final(transition.to):
            continue
        try:
            workflow.fire(user, paper, transition.name)
        except workflow.WorkflowError:
            log.warning("project paper %s: step %s refused", paper_id, transition.name)
            return None
        return transition.name
    return None


def is_submission(project: Project, transition_name: str) -> bool:
    definition = workflow.definition_of(project)
    transition = definition.transitions.get(transition_name)
    return bool(
        transition is not None
        and project.state == definition.initial
        and definition.initial in transition.from_states
        and not definition.is_final(transition.to)
        and transition.to != definition.initial
    )


def fire_project_transition(
    user: User,
    project: Project,
    transition_name: str,
    comment: str | None = None,
    expected_version: int | None = None,
) -> Project:
    """Fire a project step; a submission also sends the proposal to the body."""
    project_id = project.id
    submitting = is_submission(project, transition_name)

    def on_applied() -> None:
        if submitting:
            current = db.session.get(Project, project_id)
            assert current is not None
            attach_paper(current, user)

    workflow.fire(
        user,
        project,
        transition_name,
        comment=comment,
        expected_version=expected_version,
        on_applied=on_applied,
    )
    current = db.session.get(Project, project_id)
    assert current is not None
    if submitting and current.paper_id is not None:
        paper_author = db.session.scalar(
            select(User).where(User.person_id == current.lead_person_id)
        )
        submit_paper(current.paper_id, paper_author or user)
    sync_project(project_id)
    return db.session.get(Project, project_id) or current


# --- following the decision ----------------------------------------------------------


def sync_project(project_id: int) -> str | None:
    """Fire the project's transition that the paper's decision allows (as the system)."""
    project = db.session.get(Project, project_id)
    if project is None or project.paper_id is None:
        return None
    answer = project_poll_result("project", project)
    if answer is None:
        return None
    wanted = "poll_passed" if answer else "poll_failed"
    definition = workflow.definition_of(project)
    for transition in definition.transitions_from(project.state):
        if transition.when != wanted:
            continue
        try:
            workflow.fire(None, project, transition.name, by_timer=True)
        except workflow.WorkflowError:
            log.exception("project %s: %s after the decision failed", project_id, transition.name)
            return None
        return transition.name
    return None


def sync_decided_projects() -> dict[int, str]:
    """Every project waiting for a decision that has come: move it (idempotent)."""
    rows = db.session.execute(
        select(Project.id, Project.workflow_name, Project.workflow_hash, Project.state).where(
            Project.paper_id.is_not(None)
        )
    ).all()
    waiting = []
    catalog = workflow.get_catalog()
    for project_id, name, hash_, state in rows:
        definition = catalog.version(name, hash_)
        if any(t.when in POLL_GUARDS for t in definition.transitions_from(state)):
            waiting.append(project_id)
    db.session.commit()
    moved = {}
    for project_id in waiting:
        fired = sync_project(project_id)
        if fired:
            moved[project_id] = fired
    return moved


register_guard_provider()
