"""The engine as the spine: registration, flags, slots, one unit of work.

What a definition must declare comes from the registered object types (the
packages' init_app), not from constants in the engine; effects named in the
YAML run inside the transition's transaction, and nested write_transaction
blocks make one unit of work.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import func, select

from netzwerk import signals
from netzwerk.audit.models import AuditEvent
from netzwerk.database import in_write_transaction, write_transaction
from netzwerk.extensions import db
from netzwerk.papers.models import Paper
from netzwerk.workflow import registry, services
from netzwerk.workflow.definition import parse_definition

from .helpers import make_paper, user

MEETING_FLOW = """\
workflow: probe_sitzung
title: Probe
applies_to: meeting
initial: a
states:
  a: {title: A}
  b: {title: B, flags: [invited]}
  c: {title: C, final: true, flags: [invited, in_session, closed]}
transitions:
  go:
    label: Go
    from: a
    to: b
    by: [office]
  end:
    label: End
    from: b
    to: c
    by: [office]
"""


def problems_of(source: str) -> list[tuple[int, str]]:
    definition, found = parse_definition(source, "probe.yaml")
    assert (definition is None) == bool(found)
    return [(p.line, p.message) for p in found]


def test_a_definition_lacking_a_flag_its_type_requires_is_refused_with_file_and_line(app):
    found = problems_of(MEETING_FLOW)
    assert found == [
        (
            5,
            "no state has the flag 'cancelled', which every 'meeting' workflow must set "
            "(the application asks for it)",
        )
    ]
    definition, problems = parse_definition(MEETING_FLOW, "probe.yaml")
    assert definition is None and problems[0].file == "probe.yaml"


def test_a_flag_of_another_type_is_refused(app):
    source = MEETING_FLOW.replace("c: {title: C,", "c: {title: C, description: x,").replace(
        "  a: {title: A}", "  a: {title: A, flags: [cancelled]}"
    )
    assert problems_of(source) == []
    paper_flow = source.replace("applies_to: meeting", "applies_to: paper")
    assert any("unknown flag 'invited'" in message for _line, message in problems_of(paper_flow))


def test_object_types_slots_and_roles_come_from_the_registered_packages(app):
    assert {"paper", "meeting", "minutes", "project"} <= set(registry.object_types())
    slots = registry.slots()
    assert {"paper:resolution", "paper:information", "meeting", "project", "minutes"} <= set(slots)
    assert "agenda_item" not in slots  # nothing honours it, so it is not offered
    assert "project_lead" in registry.known_roles()
    assert registry.required_flags("meeting") == {"invited", "in_session", "closed", "cancelled"}


def test_default_for_must_be_among_the_slots_it_is_made_for(app):
    source = """\
workflow: probe
title: Probe
applies_to: paper
slots: [paper:information]
default_for: [paper:resolution]
initial: a
states:
  a: {title: A}
  b: {title: B, final: true}
transitions:
  go: {label: Go, from: a, to: b, by: [office]}
"""
    assert (5, "default_for names 'paper:resolution', which is not among its 'slots'") in (
        problems_of(source)
    )


def test_nothing_registers_on_import():
    """A fresh interpreter that imports every engine module and the domain
    models knows no object type, guard or effect until create_app runs."""
    code = (
        "import netzwerk.models, netzwerk.workflow.services, netzwerk.workflow.builtin\n"
        "from netzwerk.workflow import registry\n"
        "print(len(registry.SUBJECTS), len(registry.GUARDS), len(registry.EFFECTS))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["0", "0", "0"]


# --- one unit of work ------------------------------------------------------


def _paper_count() -> int:
    return db.session.scalar(select(func.count(Paper.id))) or 0


def test_a_nested_write_transaction_commits_with_the_outer_one_only(wf):
    before = _paper_count()
    with pytest.raises(RuntimeError), write_transaction():
        make_paper()  # create_paper opens its own (now nested) write_transaction
        assert _paper_count() == before + 1
        raise RuntimeError("a late step fails")
    db.session.expire_all()
    assert _paper_count() == before


def test_an_error_caught_inside_undoes_only_the_nested_part(wf):
    before = _paper_count()
    with write_transaction():
        make_paper()
        try:
            with write_transaction():
                make_paper()
                raise ValueError("refused")
        except ValueError:
            pass
    db.session.expire_all()
    assert _paper_count() == before + 1


def test_an_effect_that_fails_undoes_the_transition_and_its_audit_event(wf, monkeypatch):
    paper = make_paper(author="member")
    definition = services.definition_of(paper)
    transition = definition.transitions_from(paper.state)[0]
    before_events = db.session.scalar(select(func.count(AuditEvent.id)))

    def broken(ctx):
        raise RuntimeError("the mail server is on fire")

    name = transition.effects[0] if transition.effects else None
    if name is None:
        pytest.skip("the first transition of the resolution flow names no effect")
    monkeypatch.setitem(registry.EFFECTS, name, broken)
    with pytest.raises(RuntimeError):
        services.fire(user("member"), paper, transition.name)
    db.session.expire_all()
    fresh = db.session.get(Paper, paper.id)
    assert fresh.state == definition.initial and fresh.version == 0
    assert db.session.scalar(select(func.count(AuditEvent.id))) == before_events


def test_a_transition_sends_its_signal_inside_the_transaction(wf):
    paper = make_paper(author="member")
    seen: list[tuple[str, str, bool]] = []

    def receiver(sender, obj, ctx):
        seen.append((sender, ctx.transition.name, in_write_transaction()))

    signals.workflow_transition.connect(receiver)
    try:
        name = services.available_transitions(user("member"), paper)[0].transition.name
        services.fire(user("member"), paper, name)
    finally:
        signals.workflow_transition.disconnect(receiver)
    assert seen == [("paper", name, True)]


def test_flags_are_asked_of_the_pinned_definition(wf):
    paper = make_paper(author="member")
    assert services.has_flag(paper, "editable_by_author")
    assert not services.has_flag(paper, "public")
    editable = services.states_with_flag("paper", "editable_by_author")
    assert paper.state in editable
    assert all(
        "editable_by_author" in services.definition_of(paper).states[s].flags
        for s in editable
        if s in services.definition_of(paper).states
    )


def test_admins_act_on_action_items_as_the_office_does(wf):
    """Who may act is the definition's ``by:``: an administrator may take
    every step of an action item the Bildungsbüro may."""
    from netzwerk.workflow.catalog import get_catalog

    items = get_catalog().get("massnahme")
    office_steps = [t for t in items.transitions.values() if "office" in t.by]
    assert office_steps
    for transition in office_steps:
        assert services.role_allows(transition, {"admin"}), transition.name
