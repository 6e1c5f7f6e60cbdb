"""The engine: roles, guards, comments, version check, effects, audit."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from netzwerk.audit.models import AuditEvent
from netzwerk.audit.services import verify_chain
from netzwerk.extensions import db
from netzwerk.notifications.models import Notification
from netzwerk.papers.models import Paper
from netzwerk.workflow import services
from netzwerk.workflow.models import WorkflowDefinitionVersion

from .helpers import body, make_paper, user


def names(transitions):
    return sorted(a.transition.name for a in transitions)


def transitions_of(paper):
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.object_type == "paper",
            AuditEvent.object_id == paper.id,
            AuditEvent.action == services.TRANSITION_ACTION,
        )
    )


def test_new_paper_starts_in_initial_state_and_stores_the_version(wf):
    paper = make_paper()
    assert paper.workflow_name == "beschlussvorlage"
    assert paper.state == "entwurf"
    assert paper.version == 0
    stored = db.session.scalar(
        select(WorkflowDefinitionVersion).where(
            WorkflowDefinitionVersion.hash == paper.workflow_hash
        )
    )
    assert stored is not None and "workflow: beschlussvorlage" in stored.source
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.object_id == paper.id)).all()
    assert [(e.action, e.to_state) for e in events] == [("workflow.start", "entwurf")]


def test_information_paper_follows_its_own_workflow(wf):
    paper = make_paper(kind="information")
    assert paper.workflow_name == "informationsvorlage"


def test_available_transitions_depend_on_role(wf):
    paper = make_paper(author="member")
    assert names(services.available_transitions(user("member"), paper)) == [
        "einreichen",
        "zurueckziehen",
    ]
    assert names(services.available_transitions(user("office"), paper)) == []
    assert names(services.available_transitions(user("chair"), paper)) == []
    services.fire(user("member"), paper, "einreichen")
    assert paper.state == "eingereicht"
    assert names(services.available_transitions(user("office"), paper)) == [
        "direkt_pruefen",
        "vorberatung_beginnen",
        "zurueckgeben",
    ]
    # The chair of the body may start the preliminary consultation only.
    assert names(services.available_transitions(user("chair"), paper)) == ["vorberatung_beginnen"]
    assert names(services.available_transitions(user("lead"), paper)) == []


def test_role_is_checked_when_firing(wf):
    paper = make_paper(author="member")
    with pytest.raises(services.TransitionNotAllowed):
        services.fire(user("office"), paper, "einreichen")
    with pytest.raises(services.TransitionNotAllowed):
        services.fire(user("admin"), paper, "einreichen")
    assert paper.state == "entwurf"
    assert transitions_of(paper) == 0


def test_transition_from_wrong_state_is_refused(wf):
    paper = make_paper()
    with pytest.raises(services.TransitionNotAllowed):
        services.fire(user("office"), paper, "direkt_pruefen", comment="x")
    with pytest.raises(services.TransitionNotAllowed):
        services.fire(user("office"), paper, "no_such_step")


def test_guard_has_text_blocks_empty_paper(wf):
    paper = make_paper(text="")
    assert "einreichen" not in names(services.available_transitions(user("member"), paper))
    # The step is listed as refused, with the guard's reason.
    refused = {
        t.transition.name: t.refused for t in services.possible_transitions(user("member"), paper)
    }
    assert refused["einreichen"] == "Der Text ist noch leer."
    with pytest.raises(services.TransitionNotAllowed, match="Der Text ist noch leer."):
        services.fire(user("member"), paper, "einreichen")
    assert paper.state == "entwurf"


def test_required_comment(wf):
    paper = make_paper()
    services.fire(user("member"), paper, "einreichen")
    with pytest.raises(services.CommentRequired):
        services.fire(user("office"), paper, "zurueckgeben", comment="   ")
    services.fire(user("office"), paper, "zurueckgeben", comment="Bitte Kosten ergänzen")
    assert paper.state == "entwurf"
    last = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert last.comment == "Bitte Kosten ergänzen"
    assert last.from_state == "eingereicht" and last.to_state == "entwurf"
    assert last.actor_id == user("office").id


def _to_decision(paper):
    services.fire(user("member"), paper, "einreichen")
    services.fire(user("office"), paper, "direkt_pruefen", comment="eilig")
    services.fire(user("office"), paper, "zur_entscheidung_vorlegen")


def test_poll_guards_ask_the_provider_and_are_false_without_a_poll(wf, polls):
    paper = make_paper()
    _to_decision(paper)
    assert paper.state == "zur_entscheidung"
    assert names(services.available_transitions(user("chair"), paper)) == []
    with pytest.raises(services.TransitionNotAllowed):
        services.fire(user("chair"), paper, "beschliessen")
    polls.results[("paper", paper.id)] = False
    assert names(services.available_transitions(user("chair"), paper)) == ["ablehnen"]
    polls.results[("paper", paper.id)] = True
    assert names(services.available_transitions(user("chair"), paper)) == ["beschliessen"]
    services.fire(user("chair"), paper, "beschliessen")
    assert paper.state == "beschlossen"
    assert services.available_transitions(user("office"), paper) == []


def test_assign_number_effect(wf):
    first, second = make_paper(), make_paper()
    _to_decision(first)
    _to_decision(second)
    assert first.number.startswith("VK/") and first.number.endswith("/001")
    assert second.number.endswith("/002")


def test_notify_effect_writes_notifications_for_office_not_actor(wf):
    paper = make_paper(author="member")
    services.fire(user("member"), paper, "einreichen")
    rows = db.session.scalars(select(Notification)).all()
    recipients = {r.person_id for r in rows}
    assert all(r.object_type == "paper" and r.object_id == paper.id for r in rows)
    assert user("office").person_id in recipients
    assert user("member").person_id not in recipients  # the actor
    assert all("Eingereicht" in r.message for r in rows)
    assert all(r.url == f"/vorlagen/{paper.id}" for r in rows)


def test_stale_version_is_a_conflict_and_changes_nothing(wf):
    paper = make_paper()
    services.fire(user("member"), paper, "einreichen")
    with pytest.raises(services.WorkflowConflict) as info:
        services.fire(user("office"), paper, "vorberatung_beginnen", expected_version=0)
    assert "in the meantime" in str(info.value) or "zwischenzeitlich" in str(info.value)
    db.session.expire_all()
    paper = db.session.get(Paper, paper.id)
    assert paper.state == "eingereicht" and paper.version == 1
    assert transitions_of(paper) == 1


def test_second_firing_with_the_same_version_never_applies_twice(wf, app):
    paper = make_paper()
    paper_id = paper.id
    # Two "requests" loaded the paper at version 0.
    with app.app_context():
        stale = db.session.get(Paper, paper_id)
        assert stale.version == 0
        services.fire(user("member"), stale, "einreichen")
    db.session.expire_all()
    paper = db.session.get(Paper, paper_id)
    with pytest.raises(services.WorkflowError):
        services.fire(user("member"), paper, "einreichen", expected_version=0)
    assert transitions_of(paper) == 1
    assert verify_chain() is None


def test_audit_event_names_workflow_hash_and_transition(wf):
    paper = make_paper()
    services.fire(user("member"), paper, "einreichen", comment="Bitte beraten")
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == services.TRANSITION_ACTION)
    )
    data = json.loads(event.data)
    assert data["workflow"] == "beschlussvorlage"
    assert data["hash"] == paper.workflow_hash
    assert data["transition"] == "einreichen"
    assert event.comment == "Bitte beraten"


def test_history_lists_events_with_titles_and_names(wf):
    paper = make_paper()
    services.fire(user("member"), paper, "einreichen")
    entries = services.history(paper)
    assert [e.to_title for e in entries] == ["Entwurf", "Eingereicht"]
    assert entries[1].actor_name == user("member").display_name
    assert entries[1].label == "Einreichen"


def test_body_choice_decides_the_workflow_of_new_papers(wf):
    from netzwerk.workflow.catalog import get_catalog
    from netzwerk.workflow.definition import parse_definition

    catalog = get_catalog()
    source = (
        catalog.get("beschlussvorlage")
        .source.replace("workflow: beschlussvorlage", "workflow: beschluss_kurz")
        .replace("default_for: [paper:resolution, paper:motion]\n", "")
    )
    second, problems = parse_definition(source, "beschluss_kurz.yaml")
    assert problems == [] and second is not None
    catalog.current[second.name] = second
    catalog._by_hash[(second.name, second.hash)] = second
    try:
        vk = body("VK")
        services.set_body_workflows(vk.id, {"paper:resolution": "beschluss_kurz"})
        assert make_paper().workflow_name == "beschluss_kurz"
        assert make_paper(body_short="BK").workflow_name == "beschlussvorlage"
        services.set_body_workflows(vk.id, {"paper:resolution": None})
        assert make_paper().workflow_name == "beschlussvorlage"
    finally:
        del catalog.current[second.name]


def test_a_workflow_made_for_another_slot_is_refused_with_a_clear_message(wf):
    vk = body("VK")
    with pytest.raises(services.WorkflowError) as refused:
        services.set_body_workflows(vk.id, {"paper:resolution": "informationsvorlage"})
    assert "Informationsvorlage" in str(refused.value)
    assert "Beschlussvorlage" in str(refused.value)
    with pytest.raises(services.WorkflowError):
        services.set_body_workflows(vk.id, {"paper:resolution": "projektantrag"})
    with pytest.raises(services.WorkflowError):
        services.set_body_workflows(vk.id, {"nonsense": "projektantrag"})
    assert services.body_choices([vk]) == {}
