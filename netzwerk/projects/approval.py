"""The approval path: a project proposal travels as a Beschlussvorlage (paper).

Everything below happens inside the transaction of the step that causes it,
so nothing is ever half done:

* The project workflow names the effect ``create_project_paper`` on the step
  that sends the proposal (e.g. "Beantragen").  It creates a resolution
  paper for the deciding body through ``papers.services.add_paper`` (a
  resubmission refreshes the paper while it is not final) and takes the
  paper author's first step (e.g. "Einreichen"), so the Bildungsbüro finds
  it among the submitted papers.  A crash anywhere in the step undoes the
  project's step, the paper and their audit events and notifications.
* The guards ``poll_passed``/``poll_failed`` of a project answer from the
  decision on its paper (the decisions register), else from whatever
  answers for the paper itself (meeting polls on agenda items).
* The office reviews a proposal once.  The project workflow names the effect
  ``submit_project_paper`` on its review step (e.g. "Prüfung abschließen"):
  it takes the paper, as the system, along the shortest path of the
  paper's own definition into a state flagged ``open_for_voting`` (e.g.
  "Ohne Vorberatung prüfen", "Der Vorstandskonferenz vorlegen"), in the same
  transaction.  Conversely, when the office moves the paper into such a
  state first, the project follows (:func:`on_paper_transition`): its own
  steps into its ``open_for_voting`` state are taken as the system.  Either
  way one manual step of the office puts the proposal before the body.
* When the register records a decision on the paper
  (:data:`netzwerk.signals.decision_recorded`, sent inside the transaction
  that closes the vote), the project fires, as the system, its transition
  whose guard the outcome satisfies: adopted -> approved, rejected ->
  rejected.  A project that reaches the waiting state only after the
  decision (reviewed late) follows it in the transaction of that step
  (:func:`fire_project_transition`).  No job polls for decisions.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from .. import signals
from ..auth.models import User
from ..database import write_transaction
from ..decisions.models import Decision, DecisionOutcome
from ..extensions import db
from ..papers.models import Paper, PaperKind
from ..papers.services import add_paper
from ..workflow import registry as wf_registry
from ..workflow import services as workflow
from .models import Project
from .vocab import target_group_label

log = logging.getLogger(__name__)


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


def register() -> None:
    """From ``projects.init_app``: the guard provider, the effect, the receiver."""
    wf_registry.add_provider(wf_registry.poll_result_providers, project_poll_result)
    wf_registry.register_effects(
        {
            "create_project_paper": create_project_paper,
            "submit_project_paper": submit_project_paper,
        }
    )
    signals.decision_recorded.connect(on_decision_recorded)
    signals.workflow_transition.connect(on_paper_transition)


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
    if paper is not None and not workflow.is_final(paper) and paper.body_id == body_id:
        if workflow.has_flag(paper, "editable_by_author"):
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


def submit_paper(paper: Paper, project: Project, actor: User | None) -> str | None:
    """Take the author's first step on a draft paper (caller's transaction).

    The step is the first transition out of the paper's initial state that
    its author may take and that does not end the paper (e.g. "Einreichen").
    The project lead takes it when they have an account and may; else the
    submission takes it on the author's behalf (as the system, recording the
    actor).  A refused step (a guard that does not hold) refuses the whole
    submission: a submitted project never waits on a draft paper.
    """
    definition = workflow.definition_of(paper)
    if paper.state != definition.initial:
        return None
    author = db.session.scalar(select(User).where(User.person_id == project.lead_person_id))
    author_roles = workflow.roles_of(author, paper) if author is not None else set()
    for transition in definition.transitions_from(paper.state):
        if "author" not in transition.by or definition.is_final(transition.to):
            continue
        if author is not None and workflow.role_allows(transition, author_roles):
            workflow.fire(author, paper, transition.name)
        else:
            workflow.fire(actor, paper, transition.name, by_timer=True)
        return transition.name
    return None


def create_project_paper(ctx: wf_registry.TransitionContext) -> None:
    """Effect ``create_project_paper``: send the proposal to the deciding body."""
    project = ctx.obj
    paper = attach_paper(project, ctx.actor)
    submit_paper(paper, project, ctx.actor)


# --- one review: the project and its paper move together to the vote -----------------------

VOTING = "open_for_voting"  # the flag of the states in which a body votes on it
DRAFT = "editable_by_author"


def submit_project_paper(ctx: wf_registry.TransitionContext) -> None:
    """Effect ``submit_project_paper``: put the project's paper before its body.

    The paper takes the transitions of its own definition, as the system
    (the definition that names this effect asks for them), along the
    shortest path into a state flagged ``open_for_voting``; steps that need
    a comment get the review's comment or a note naming the project.  A
    paper that is there already, or decided, is left alone.  A paper that
    cannot get there (back with its author, a guard that refuses) refuses
    the review: the project never waits for a vote its paper is not in.
    """
    project = ctx.obj
    paper = paper_of(project)
    if paper is None:
        raise workflow.WorkflowError(_("The project has no paper to put before its body."))
    if workflow.is_final(paper) or workflow.has_flag(paper, VOTING):
        return
    if workflow.has_flag(paper, DRAFT):
        raise workflow.WorkflowError(
            _(
                "The project's paper is back with its author; it must be submitted again "
                "before the review can be completed."
            )
        )
    comment = ctx.comment or _(
        "Reviewed together with the project “%(title)s”.", title=project.title
    )
    people = [ctx.actor] if ctx.actor is not None else []
    try:
        workflow.fire_to_flag(
            people,
            paper,
            VOTING,
            comment=comment,
            now=ctx.now,
            avoid=frozenset({DRAFT}),
            as_system=True,
        )
    except workflow.WorkflowError as exc:
        raise workflow.WorkflowError(
            _("The project's paper could not be put before its body: %(reason)s", reason=exc)
        ) from None


def on_paper_transition(sender: str, *, obj: Any, ctx: Any, **extra: Any) -> None:
    """Receiver of ``workflow_transition``: a paper reached a state flagged
    ``open_for_voting`` (the office reviewed the paper first), so its project,
    submitted and not yet there, follows as the system in the same
    transaction.  A project with its author, decided or busy is left alone
    (the office's review of the project then carries nothing more)."""
    if sender != "paper" or VOTING not in ctx.definition.states[ctx.to_state].flags:
        return
    project = project_for_paper(obj.id)
    if project is None or workflow.is_final(project) or workflow.has_flag(project, VOTING):
        return
    if workflow.has_flag(project, DRAFT) or not _row_free(project):
        return
    people = [ctx.actor] if ctx.actor is not None else []
    try:
        with write_transaction():  # a savepoint: a refusal leaves the paper's step alone
            workflow.fire_to_flag(
                people,
                project,
                VOTING,
                comment=_("Reviewed together with its paper “%(title)s”.", title=obj.title),
                now=ctx.now,
                avoid=frozenset({DRAFT}),
                as_system=True,
            )
    except workflow.WorkflowError:
        log.info("project %s does not follow its paper into the vote", project.id)


def _row_free(project: Project) -> bool:
    """The project's row is not held by another transaction (then it is
    skipped, not waited for: see :func:`follow_decision`)."""
    free = db.session.scalar(
        select(Project.id).where(Project.id == project.id).with_for_update(skip_locked=True)
    )
    if free is None:
        log.warning("project %s is being changed: it does not follow its paper now", project.id)
    return free is not None


# --- firing a project's steps ----------------------------------------------------------


def fire_project_transition(
    user: User,
    project: Project,
    transition_name: str,
    comment: str | None = None,
    expected_version: int | None = None,
) -> Project:
    """Fire a project step as one unit of work.

    The step, its effects (a submission creates and submits the paper) and,
    when the step reaches a state that waits for a decision that has already
    been taken, the following of that decision commit together or not at all.
    """
    project_id = project.id
    with write_transaction():
        workflow.fire(
            user, project, transition_name, comment=comment, expected_version=expected_version
        )
        current = db.session.get(Project, project_id)
        assert current is not None
        follow_decision(current)
    current = db.session.get(Project, project_id)
    assert current is not None
    return current


# --- following the decision ----------------------------------------------------------


def follow_decision(project: Project, now: datetime | None = None) -> str | None:
    """Fire the project's transition the paper's decision allows, as the system.

    Runs in the caller's transaction (a savepoint of it): a refused step
    (someone else moved the project first) is logged and undoes nothing else.
    Returns the transition fired, or None.

    A project row that another transaction holds right now is skipped, not
    waited for: that transaction (someone changing the project while the
    vote closes) may be waiting for the audit chain's head, which the closing
    transaction already holds, and waiting here would deadlock.  The office
    then states the decision by hand (its guard holds, so the project's page
    offers the button), or a step of that transaction follows it.
    """
    if project.paper_id is None:
        return None
    answer = project_poll_result("project", project)
    if answer is None:
        return None
    wanted = "poll_passed" if answer else "poll_failed"
    definition = workflow.definition_of(project)
    for transition in definition.transitions_from(project.state):
        if transition.when != wanted:
            continue
        if not _row_free(project):
            return None
        try:
            workflow.fire(None, project, transition.name, now=now, by_timer=True)
        except workflow.WorkflowError:
            log.exception("project %s: following the decision failed", project.id)
            return None
        return transition.name
    return None


def on_decision_recorded(decision: Decision, **extra: Any) -> None:
    """Receiver of ``decision_recorded``: the project of the paper follows it."""
    if decision.subject_type != "paper" or decision.subject_id is None:
        return
    project = project_for_paper(decision.subject_id)
    if project is not None:
        follow_decision(project, now=extra.get("now"))
