"""Definition versions across restarts, removed states, and timers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from conftest import make_test_app
from flask import Flask
from sqlalchemy import func, select

from netzwerk.audit.models import AuditEvent
from netzwerk.extensions import db
from netzwerk.notifications.models import Notification
from netzwerk.papers.models import Paper
from netzwerk.timeutil import LOCAL_TZ
from netzwerk.workflow import services
from netzwerk.workflow.catalog import default_directory, get_catalog
from netzwerk.workflow.definition import DefinitionError
from netzwerk.workflow.jobs import run_timers
from netzwerk.workflow.models import WorkflowTimerRun

from .helpers import body, make_paper, user

REVIEW_STATE = """\
  fachpruefung:
    title: Fachliche Prüfung
"""
REVIEW_TRANSITION = """\
  fachlich_pruefen:
    label: Fachliche Prüfung abschließen
    from: fachpruefung
    to: pruefung
    by: [office]
"""


@pytest.fixture
def workflow_dir(tmp_path: Path) -> Path:
    target = tmp_path / "workflows"
    shutil.copytree(default_directory(), target)
    return target


@pytest.fixture
def restart(app: Flask, database_url: str, workflow_dir: Path) -> Iterator:
    """Factory: a new application (a restart) on the same database."""
    apps: list[Flask] = []

    def factory() -> Flask:
        new = make_test_app(database_url, NETZWERK_WORKFLOW_DIR=str(workflow_dir))
        apps.append(new)
        return new

    yield factory
    for old in apps:
        with old.app_context():
            db.session.remove()
            db.engine.dispose()


def add_review_state(workflow_dir: Path) -> None:
    path = workflow_dir / "beschlussvorlage.yaml"
    text = path.read_text()
    text = text.replace("  pruefung:\n", REVIEW_STATE + "  pruefung:\n", 1)
    text = text.replace(
        "  direkt_pruefen:\n    label: Ohne Vorberatung prüfen\n    from: eingereicht\n"
        "    to: pruefung\n",
        "  direkt_pruefen:\n    label: Ohne Vorberatung prüfen\n    from: eingereicht\n"
        "    to: fachpruefung\n",
    )
    text = text.replace("transitions:\n", "transitions:\n" + REVIEW_TRANSITION, 1)
    path.write_text(text)


def test_review_state_applies_to_new_papers_after_restart_old_ones_reach_their_end(
    demo, restart, workflow_dir, polls
):
    first = restart()
    with first.app_context():
        old = make_paper()
        old_id, old_hash = old.id, old.workflow_hash
        services.fire(user("member"), old, "einreichen")
        db.session.remove()

    add_review_state(workflow_dir)
    second = restart()
    with second.app_context():
        assert get_catalog().get("beschlussvorlage").hash != old_hash
        new = make_paper()
        assert new.workflow_hash != old_hash
        services.fire(user("member"), new, "einreichen")
        services.fire(user("office"), new, "direkt_pruefen", comment="eilig")
        assert new.state == "fachpruefung"
        services.fire(user("office"), new, "fachlich_pruefen")
        assert new.state == "pruefung"

        # The old paper follows its old definition (read back from the table).
        old = db.session.get(Paper, old_id)
        assert old.workflow_hash == old_hash
        assert "fachpruefung" not in services.definition_of(old).states
        services.fire(user("office"), old, "direkt_pruefen", comment="eilig")
        assert old.state == "pruefung"
        services.fire(user("office"), old, "zur_entscheidung_vorlegen")
        polls.results[("paper", old_id)] = True
        services.fire(user("chair"), old, "beschliessen")
        assert old.state == "beschlossen"
        assert services.definition_of(old).is_final(old.state)
        db.session.remove()


def test_removing_a_state_with_stored_objects_needs_a_state_map(demo, restart, workflow_dir):
    first = restart()
    with first.app_context():
        paper = make_paper()
        paper_id = paper.id
        services.fire(user("member"), paper, "einreichen")
        db.session.remove()

    path = workflow_dir / "beschlussvorlage.yaml"
    original = path.read_text()
    renamed = original.replace("eingereicht", "angemeldet")
    path.write_text(renamed)
    states_line = renamed.splitlines().index("states:") + 1
    with pytest.raises(DefinitionError) as info:
        restart()
    problem = info.value.problems[0]
    assert problem.file.endswith("beschlussvorlage.yaml")
    assert problem.line == states_line
    assert "'eingereicht' was removed but 1 stored paper" in problem.message

    result = first.test_cli_runner().invoke(args=["netzwerk", "workflows", "check", str(path)])
    assert result.exit_code == 1
    assert f"beschlussvorlage.yaml:{states_line}:" in result.output

    path.write_text(renamed + "\nstate_map:\n  eingereicht: angemeldet\n")
    third = restart()  # starts
    result = third.test_cli_runner().invoke(
        args=["netzwerk", "workflows", "upgrade", "paper", "beschlussvorlage"]
    )
    assert result.exit_code == 0, result.output
    assert "moved 1" in result.output
    with third.app_context():
        paper = db.session.get(Paper, paper_id)
        assert paper.state == "angemeldet"
        assert paper.workflow_hash == get_catalog().get("beschlussvorlage").hash
        upgrade = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "workflow.upgrade")
        )
        assert (upgrade.from_state, upgrade.to_state) == ("eingereicht", "angemeldet")
        # It moves on under the new definition.
        services.fire(user("office"), paper, "direkt_pruefen", comment="ok")
        assert paper.state == "pruefung"
        db.session.remove()


def _probe_timer_dir(workflow_dir: Path) -> None:
    (workflow_dir / "probe_timer.yaml").write_text(
        """\
workflow: probe_timer
title: Probe mit Frist
applies_to: paper
initial: offen
states:
  offen: {title: Offen}
  abgelaufen: {title: Abgelaufen, final: true}
transitions:
  ablaufen:
    label: Frist abgelaufen
    from: offen
    to: abgelaufen
    by: [system]
    when: poll_passed
    effects: [notify]
timers:
  - {in: offen, after: PT24H, do: ablaufen}
"""
    )


@pytest.mark.calendar
def test_reminder_timer_fires_once_per_state_entry(wf, clock):
    """The vorlage's reminder (after P14D in "eingereicht") fires 14
    calendar days after the state was entered, at the same time of day in
    Osnabrück, by the app's clock, also when the fortnight spans a new year,
    a leap day or a change of daylight saving time (then it is 14 × 24
    hours and one more or one less), and once per entry."""
    paper = make_paper()
    services.fire(user("member"), paper, "einreichen")
    entered = paper.state_entered_at
    db.session.query(Notification).delete()
    db.session.commit()
    local = entered.astimezone(LOCAL_TZ)
    due = (local + timedelta(days=14)).astimezone(UTC)  # the wall clock, two weeks on
    assert due.astimezone(LOCAL_TZ).time() == local.time()

    clock.move_to(due - timedelta(minutes=1))
    assert run_timers() == 0
    clock.move_to(due + timedelta(minutes=1))
    assert run_timers() == 1
    clock.shift(timedelta(days=1))
    assert run_timers() == 0  # idempotent
    notes = db.session.scalars(select(Notification)).all()
    assert {n.kind for n in notes} == {"workflow_reminder"}
    assert {n.person_id for n in notes} == {user("office").person_id}
    assert "Erinnerung" in notes[0].message or "Reminder" in notes[0].message
    timer_events = db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == "workflow.timer")
    )
    assert timer_events == 1

    # Leaving and entering the state again is a new entry: the timer fires again.
    services.fire(user("office"), paper, "zurueckgeben", comment="x")
    clock.shift(timedelta(days=5))
    services.fire(user("member"), paper, "einreichen")
    clock.shift(timedelta(days=13))
    assert run_timers() == 0
    clock.shift(timedelta(days=1, minutes=1))
    assert run_timers() == 1
    assert db.session.scalar(select(func.count(WorkflowTimerRun.id))) == 2


def test_timer_transition_waits_for_its_guard_and_fires_once(demo, restart, workflow_dir, polls):
    _probe_timer_dir(workflow_dir)
    app = restart()
    with app.app_context():
        vk = body("VK")
        services.set_body_workflows(vk.id, {"paper:resolution": "probe_timer"})
        paper = make_paper()
        assert paper.workflow_name == "probe_timer"
        entered = paper.state_entered_at
        assert run_timers(now=entered + timedelta(hours=25)) == 0  # no poll result yet
        assert db.session.scalar(select(func.count(WorkflowTimerRun.id))) == 0
        polls.results[("paper", paper.id)] = True
        assert run_timers(now=entered + timedelta(hours=23)) == 0  # not due
        assert run_timers(now=entered + timedelta(hours=25)) == 1
        assert run_timers(now=entered + timedelta(hours=26)) == 0
        db.session.expire_all()
        paper = db.session.get(Paper, paper.id)
        assert paper.state == "abgelaufen" and paper.version == 1
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == services.TRANSITION_ACTION)
        )
        assert event.actor_id is None and event.to_state == "abgelaufen"
        # Nobody can fire a timer-only step by hand.
        assert services.available_transitions(user("admin"), paper) == []
        db.session.remove()


def test_timer_job_is_registered_for_the_scheduler(app):
    from netzwerk.scheduler import JOBS

    assert "workflow.timers" in JOBS
    assert JOBS["workflow.timers"].trigger == "interval"
