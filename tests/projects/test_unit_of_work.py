"""One unit of work: a submission, and a project following its paper's decision.

* Submitting a project creates and submits its paper in the transaction of
  the project's step; a crash at any later point leaves nothing half done.
* Closing the vote on the paper moves the project in the transaction that
  closes it (the signal ``decision_recorded``): no job polls, so nothing
  races the office's own click afterwards.

The tests ask flags, never state or transition names.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from netzwerk import scheduler, signals
from netzwerk.audit.models import AuditEvent
from netzwerk.audit.services import verify_chain
from netzwerk.database import write_transaction
from netzwerk.decisions.models import Decision
from netzwerk.extensions import db
from netzwerk.notifications.models import Notification
from netzwerk.papers.models import Paper
from netzwerk.projects import approval
from netzwerk.projects.demo import advance, flag
from netzwerk.projects.models import Project
from netzwerk.voting import services as voting
from netzwerk.voting.models import Poll
from netzwerk.workflow import registry
from netzwerk.workflow import services as wf
from projects.helpers import make_project, open_circular_resolution, submission, submit, user

pytestmark = pytest.mark.usefixtures("demo")

POLL_GUARDS = {"poll_passed", "poll_failed"}


def _reload(project_id: int) -> Project:
    db.session.expire_all()
    found = db.session.get(Project, project_id)
    assert found is not None
    return found


def _count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _reviewed_project_with_open_vote(value: str = "yes") -> tuple[int, int, Any]:
    """A submitted, reviewed project whose paper is being voted on by the VK."""
    project = submit(make_project())
    assert advance(
        user("office"),
        _reload(project.id),
        flag("open_for_voting"),
        lambda u, obj, t, comment: approval.fire_project_transition(u, obj, t.name, comment),
    )
    project = _reload(project.id)
    assert wf.has_flag(project, "open_for_voting")
    poll_id, closes = open_circular_resolution(project.paper_id, value)
    return project.id, poll_id, closes


# --- following the decision ------------------------------------------------------------------


def test_no_job_polls_for_decisions(app):

    assert not [job for job in scheduler.JOBS if job.startswith("projects.") and "decision" in job]


def test_closing_the_vote_moves_the_project_in_the_same_transaction(app_ctx, clock):
    project_id, poll_id, closes = _reviewed_project_with_open_vote()
    clock.move_to(closes + timedelta(minutes=1))

    class Undo(Exception):
        pass

    # Inside the closing transaction the project has already moved ...
    with pytest.raises(Undo), write_transaction():
        voting.close_poll(poll_id, None, by_scheduler=True)
        project = _reload(project_id)
        assert wf.has_flag(project, "approved")
        assert approval.decision_for_project(project) is not None
        raise Undo
    # ... and a rollback of that transaction takes the move back with the vote.
    project = _reload(project_id)
    assert wf.has_flag(project, "open_for_voting") and not wf.has_flag(project, "approved")
    assert db.session.get(Poll, poll_id).is_open
    assert _count(Decision) == 0

    voting.close_poll(poll_id, None, by_scheduler=True)
    project = _reload(project_id)
    assert wf.has_flag(project, "approved")
    decision = approval.decision_for_project(project)
    assert decision is not None and decision.outcome == "adopted"
    # The system took the step (no actor), recorded once.
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "project",
            AuditEvent.object_id == project_id,
            AuditEvent.action == wf.TRANSITION_ACTION,
            AuditEvent.to_state == project.state,
        )
    ).all()
    assert len(events) == 1 and events[0].actor_id is None
    assert verify_chain() is None


def test_a_rejected_vote_ends_the_project_in_the_same_transaction(app_ctx, clock):
    project_id, poll_id, closes = _reviewed_project_with_open_vote("no")
    clock.move_to(closes + timedelta(minutes=1))
    voting.close_poll(poll_id, None, by_scheduler=True)
    project = _reload(project_id)
    assert wf.is_final(project)
    assert not wf.has_flag(project, "approved") and not wf.has_flag(project, "public")


def test_the_office_click_after_the_vote_does_not_conflict(app, app_ctx, clock, client_as):
    project_id, poll_id, closes = _reviewed_project_with_open_vote()
    clock.move_to(closes + timedelta(minutes=1))
    voting.close_poll(poll_id, None, by_scheduler=True)
    project = _reload(project_id)
    definition = wf.definition_of(project)
    decided = [t.name for t in definition.transitions.values() if t.when in POLL_GUARDS]
    (start,) = wf.transitions_to_flag(project, "running")
    db.session.remove()

    office = client_as("office")
    page = office.get(f"/projekte/{project_id}").get_data(as_text=True)
    # The decision is already followed: no button asks the office to state it.
    assert decided
    assert not [name for name in decided if f"/schritt/{name}" in page]
    assert f"/projekte/{project_id}/schritt/{start.name}" in page
    shown = re.search(rf'name="t-{start.name}-version"[^>]*value="(\d+)"', page)
    assert shown is not None
    response = office.post(
        f"/projekte/{project_id}/schritt/{start.name}",
        data={f"t-{start.name}-version": shown.group(1)},
    )
    assert response.status_code == 302
    page = office.get(f"/projekte/{project_id}").get_data(as_text=True)
    assert "zwischenzeitlich" not in page and "meantime" not in page
    assert wf.has_flag(_reload(project_id), "running")


def test_a_decision_before_the_review_is_followed_in_the_review_step(app_ctx, clock, monkeypatch):
    project = submit(make_project())
    # The project's row is busy while the office moves the paper to the vote,
    # so the project does not follow it there (it is skipped, not waited for).
    monkeypatch.setattr(approval, "_row_free", lambda project: False)
    poll_id, closes = open_circular_resolution(_reload(project.id).paper_id)
    monkeypatch.undo()
    clock.move_to(closes + timedelta(minutes=1))
    voting.close_poll(poll_id, None, by_scheduler=True)
    project = _reload(project.id)
    assert not wf.has_flag(project, "open_for_voting") and not wf.has_flag(project, "approved")

    (review,) = [
        a.transition
        for a in wf.available_transitions(user("office"), project)
        if a.transition in wf.transitions_to_flag(project, "open_for_voting")
    ]
    approval.fire_project_transition(user("office"), project, review.name)
    assert wf.has_flag(_reload(project.id), "approved")


# --- the submission is one unit of work ------------------------------------------------------


class Crash(RuntimeError):
    pass


_papers_at_crash: list[int] = []  # how many papers the unit of work had written


def _crash() -> None:
    db.session.flush()
    _papers_at_crash.append(_count(Paper))
    raise Crash


def _crash_in_the_last_effect(monkeypatch: Any, project: Project) -> None:
    """The submission's last effect runs, then fails."""
    step = wf.definition_of(project).transitions[submission(project)]
    assert "create_project_paper" in step.effects
    last = step.effects[-1]
    real = registry.EFFECTS[last]

    def crashing(ctx: registry.TransitionContext) -> None:
        real(ctx)
        if ctx.subject.object_type == "project":
            _crash()

    monkeypatch.setitem(registry.EFFECTS, last, crashing)


_receivers: list[Any] = []  # blinker holds receivers weakly


def _crash_in_the_signal(monkeypatch: Any, project: Project) -> None:
    """A receiver of the project's transition signal (sent after the effects) fails."""

    def receiver(sender: str, **extra: Any) -> None:
        if sender == "project":
            _crash()

    _receivers.append(receiver)
    signals.workflow_transition.connect(receiver)


def _crash_after_the_step(monkeypatch: Any, project: Project) -> None:
    """The step and its audit event are written; then the unit of work fails."""

    def crashing(project: Project, now: Any = None) -> None:
        _crash()

    monkeypatch.setattr(approval, "follow_decision", crashing)


@pytest.mark.parametrize(
    "inject", [_crash_in_the_last_effect, _crash_in_the_signal, _crash_after_the_step]
)
def test_a_crash_late_in_the_submission_leaves_nothing_half_done(app_ctx, monkeypatch, inject):
    project = make_project()
    project_id, version = project.id, project.version
    notifications = _count(Notification)
    paper_events = _count(AuditEvent, AuditEvent.object_type == "paper")
    _papers_at_crash.clear()
    inject(monkeypatch, project)
    try:
        with pytest.raises(Crash):
            submit(project)
    finally:
        for receiver in _receivers:
            signals.workflow_transition.disconnect(receiver)
        _receivers.clear()
    assert _papers_at_crash == [1]  # the crash came after the paper was written

    project = _reload(project_id)
    assert wf.has_flag(project, "editable_by_author")
    assert project.version == version
    assert project.paper_id is None
    assert _count(Paper) == 0
    assert _count(AuditEvent, AuditEvent.object_type == "paper") == paper_events
    assert (
        _count(
            AuditEvent,
            AuditEvent.object_type == "project",
            AuditEvent.object_id == project_id,
            AuditEvent.action == wf.TRANSITION_ACTION,
        )
        == 0
    )
    assert _count(Notification) == notifications
    assert verify_chain() is None

    # Without the crash the same submission goes through, paper and all.
    monkeypatch.undo()
    submit(_reload(project_id))
    project = _reload(project_id)
    assert not wf.has_flag(project, "editable_by_author")
    paper = db.session.get(Paper, project.paper_id)
    assert paper is not None and not wf.has_flag(paper, "editable_by_author")
    assert _count(Notification) > notifications


# --- PostgreSQL: the vote closes while someone changes the project ---------------------------


@pytest.mark.postgres
def test_closing_the_vote_while_the_project_is_being_changed_neither_waits_nor_deadlocks(
    app, clock
):
    """The closing transaction holds the audit chain's head when it reaches
    the project; a transaction that holds the project row and then wants the
    head would deadlock with it if the closing waited for the row.  It skips
    the row instead: both commit, and the office states the decision."""
    import threading

    from sqlalchemy import event, update

    from netzwerk.audit.services import record

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL (NETZWERK_TEST_DATABASE_URL)")
    with app.app_context():
        project_id, poll_id, closes = _reviewed_project_with_open_vote()
        db.session.remove()
    clock.move_to(closes + timedelta(minutes=1))

    row_held, head_held = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def on_execute(conn: Any, cursor: Any, statement: str, params: Any, context: Any, *a: Any):
        compiled = getattr(context, "compiled_parameters", None) or []
        if any(p.get("action") == "poll.closed" for p in compiled):
            head_held.set()  # the closing transaction holds the audit chain's head now

    def edit() -> None:
        with app.app_context():
            try:
                with write_transaction():
                    db.session.execute(
                        update(Project).where(Project.id == project_id).values(title="Neu")
                    )
                    row_held.set()
                    assert head_held.wait(timeout=30)
                    record("project.updated", "project", project_id)  # waits for the head
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    def close() -> None:
        with app.app_context():
            try:
                assert row_held.wait(timeout=30)
                voting.close_poll(poll_id, None, by_scheduler=True)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                head_held.set()
                db.session.remove()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "after_cursor_execute", on_execute)
    try:
        threads = [threading.Thread(target=edit), threading.Thread(target=close)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        event.remove(engine, "after_cursor_execute", on_execute)
    assert errors == []

    with app.app_context():
        project = _reload(project_id)
        assert project.title == "Neu"
        assert not db.session.get(Poll, poll_id).is_open
        assert approval.decision_for_project(project) is not None
        # The row was busy: the project waits, and the office states the decision.
        assert wf.has_flag(project, "open_for_voting")
        (state_it,) = [
            a.transition
            for a in wf.available_transitions(user("office"), project)
            if a.transition.when in POLL_GUARDS
        ]
        approval.fire_project_transition(
            user("office"), project, state_it.name, expected_version=project.version
        )
        assert wf.has_flag(_reload(project_id), "approved")
        assert verify_chain() is None
        db.session.remove()
