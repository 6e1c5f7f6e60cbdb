"""Projects that came out of citizens' feedback.

The Bildungsbüro links a project to a feedback (by its number or receipt
code) on the project's page.  The feedback's status page asks for these
projects through :data:`netzwerk.signals.feedback_outcome_projects`; the
sender is told by mail when the link is made and when the project is
approved (a workflow step into a state flagged ``approved``).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import signals, visibility
from ..audit.services import record
from ..auth.models import User
from ..database import write_transaction
from ..extensions import db
from ..feedback import outcomes
from ..feedback.models import Feedback
from ..feedback.services import normalise_code
from ..forms import MAX_ID, optional_id
from ..workflow import services as workflow
from .models import FeedbackProjectLink, Project
from .services import ProjectError


def _outcome(project: Project) -> outcomes.Outcome:
    public = visibility.may_see_project(visibility.ANONYMOUS, project)
    return outcomes.Outcome(
        "project",
        None,
        title=project.title if public else None,
        approved=workflow.has_flag(project, "approved"),
    )


def find_feedback(value: str) -> Feedback | None:
    text = (value or "").strip()
    number = optional_id(text)
    if number is not None and 0 < number <= MAX_ID:
        found = db.session.get(Feedback, number)
        if found is not None:
            return found
    code = normalise_code(text)
    if not code:
        return None
    return db.session.scalar(select(Feedback).where(Feedback.receipt_code == code))


def link_feedback(user: User, project: Project, value: str) -> FeedbackProjectLink:
    """Staff record that the project came out of a feedback."""
    if not user.is_staff:
        raise ProjectError(_("Only the Bildungsbüro links feedback."))
    feedback = find_feedback(value)
    if feedback is None:
        raise ProjectError(_("No feedback with this number or receipt code."), "feedback")
    project_id = project.id
    try:
        with write_transaction():
            link = FeedbackProjectLink(
                feedback_id=feedback.id, project_id=project_id, linked_by_id=user.id
            )
            db.session.add(link)
            db.session.flush()
            record(
                "project.feedback_linked",
                "project",
                project_id,
                actor_id=user.id,
                data={"feedback_id": feedback.id},
            )
            step = _outcome(project)
            outcomes.notify_sender(
                feedback, f"project:{project_id}", lambda: outcomes.outcome_sentence(step)
            )
    except IntegrityError:
        raise ProjectError(
            _("This feedback is linked to the project already."), "feedback"
        ) from None
    return link


def linked_feedback_count(project_id: int) -> int:
    return len(
        db.session.scalars(
            select(FeedbackProjectLink.id).where(FeedbackProjectLink.project_id == project_id)
        ).all()
    )


def projects_of_feedback(feedback: Feedback, **extra: Any) -> list[outcomes.Outcome]:
    """The signal's answer: the projects that came out of the feedback."""
    ids = [feedback.id] + ([feedback.duplicate_of_id] if feedback.duplicate_of_id else [])
    projects = db.session.scalars(
        select(Project)
        .join(FeedbackProjectLink, FeedbackProjectLink.project_id == Project.id)
        .where(FeedbackProjectLink.feedback_id.in_(ids))
        .order_by(Project.id)
    ).unique()
    return [_outcome(p) for p in projects]


def feedback_with_projects(sender: Any, **extra: Any) -> set[int]:
    """The signal's answer: every feedback that led to a project."""
    return set(db.session.scalars(select(FeedbackProjectLink.feedback_id).distinct()))


def on_project_transition(sender: Any, **extra: Any) -> None:
    """An approved project tells the senders of its feedback."""
    project = extra.get("obj")
    if sender != "project" or not isinstance(project, Project):
        return
    if not workflow.has_flag(project, "approved"):
        return
    feedbacks = db.session.scalars(
        select(Feedback)
        .join(FeedbackProjectLink, FeedbackProjectLink.feedback_id == Feedback.id)
        .where(FeedbackProjectLink.project_id == project.id)
    ).all()
    step = _outcome(project)
    for feedback in feedbacks:
        outcomes.notify_sender(
            feedback,
            f"project_approved:{project.id}",
            lambda: outcomes.outcome_sentence(step),
        )


def register() -> None:
    """From ``projects.init_app``."""
    signals.feedback_outcome_projects.connect(projects_of_feedback)
    signals.feedback_with_projects.connect(feedback_with_projects)
    signals.workflow_transition.connect(on_project_transition)
