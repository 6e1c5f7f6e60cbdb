"""Action items on the workflow engine (workflows/massnahme.yaml).

The tests name no state or transition: they find them by the flags the
application asks (``pending``, ``done``, ``dropped``), so they hold for any
consistent renaming of the definition, which the last test proves.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ROLE_EMAILS, demo_body, demo_user, login, make_test_app
from sqlalchemy import select
from voting.helpers import seat_persons, start_poll

from netzwerk.audit.models import AuditEvent
from netzwerk.decisions import services as decisions
from netzwerk.decisions.models import ActionItem, Decision
from netzwerk.extensions import db
from netzwerk.voting import services as voting
from netzwerk.workflow import services as workflow
from netzwerk.workflow.catalog import default_directory

CONFLICT = "Jemand anderes hat diesen Vorgang zwischenzeitlich geändert."
NOT_ALLOWED = "Sie dürfen diesen Schritt nicht ausführen."
NOT_POSSIBLE = "Dieser Schritt ist im aktuellen Status nicht möglich."


def _decision() -> Decision:
    vk = demo_body("VK")
    poll = start_poll(vk.id)
    for person in seat_persons(vk.id):
        voting.cast_ballot(poll.id, person, "yes")
    voting.close_poll(poll.id)
    found = db.session.scalar(select(Decision).where(Decision.poll_id == poll.id))
    assert found is not None
    return found


def _item() -> int:
    """An action item of a VK decision; the VK member "member" is responsible."""
    item = decisions.add_action_item(
        _decision().id,
        title="Raumkonzept vorlegen",
        responsible_person_id=demo_user("member").person_id,
        responsible_organisation_id=None,
        due_date=None,
        actor=demo_user("office"),
    )
    return item.id


def _load(item_id: int) -> ActionItem:
    db.session.expire_all()
    item = db.session.get(ActionItem, item_id)
    assert item is not None
    return item


def _to_flag(item: ActionItem, flag: str) -> Any:
    """The definition's transition from the item's state into ``flag``."""
    found = workflow.transitions_to_flag(item, flag)
    assert found, f"no step into {flag!r} from {item.state!r}"
    return found[0]


def _step(client: Any, item: ActionItem, name: str, **data: Any) -> Any:
    form = {f"t-{name}-version": str(item.version)}
    form.update({f"t-{name}-{key}": value for key, value in data.items()})
    return client.post(f"/beschluesse/massnahmen/{item.id}/schritt/{name}", data=form)


def _flashed(client: Any, item_id: int) -> str:
    return client.get(f"/beschluesse/massnahmen/{item_id}").get_data(as_text=True)


def test_a_new_item_starts_pending_under_the_engine(app_ctx, demo):
    item = _load(_item())
    definition = workflow.definition_of(item)
    assert item.state == definition.initial and item.version == 0
    assert workflow.has_flag(item, "pending") and item.is_pending and not item.is_done
    started = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.object_type == "action_item", AuditEvent.object_id == item.id
        )
    )
    assert started is not None and started.action == "workflow.start"


def test_the_page_shows_exactly_the_buttons_the_user_may_press(app, client_as):
    with app.app_context():
        item = _load(_item())
        definition = workflow.definition_of(item)
        here = definition.transitions_from(item.state)
        elsewhere = [t for t in definition.transitions.values() if t not in here]
        by_office = [t for t in here if "office" in t.by]
        by_responsible = [t for t in here if "responsible" in t.by]
        item_id = item.id
    assert elsewhere and by_office and by_responsible
    assert {t.name for t in by_responsible} < {t.name for t in by_office}

    def buttons(role: str) -> set[str]:
        html = client_as(role).get(f"/beschluesse/massnahmen/{item_id}").get_data(as_text=True)
        return set(re.findall(r'name="step" value="([a-z0-9_]+)"', html))

    assert buttons("office") == {t.name for t in by_office}
    assert buttons("member") == {t.name for t in by_responsible}  # the responsible person
    assert buttons("chair") == set()  # sits in the body, but is not responsible
    assert client_as("lead").get(f"/beschluesse/massnahmen/{item_id}").status_code == 404


def test_a_responsible_person_outside_the_body_sees_and_acts_on_the_item(app, client_as):
    with app.app_context():
        lead = demo_user("lead")  # sits in no seat of the VK
        item = decisions.add_action_item(
            _decision().id,
            title="Partner gewinnen",
            responsible_person_id=lead.person_id,
            responsible_organisation_id=None,
            due_date=None,
        )
        done = _to_flag(_load(item.id), "done")
        decision_id = item.decision_id
    client = client_as("lead")
    assert client.get(f"/beschluesse/{decision_id}").status_code == 404  # not the register
    assert f'value="{done.name}"' in _flashed(client, item.id)
    assert _step(client, item, done.name).status_code == 302
    with app.app_context():
        assert _load(item.id).is_done


def test_office_and_the_responsible_person_may_act_others_may_not(app, client_as):
    with app.app_context():
        item = _load(_item())
        done = _to_flag(item, "done")
        dropped = _to_flag(item, "dropped")
    assert "chair" not in done.by and "responsible" not in dropped.by
    chair = client_as("chair")
    assert _step(chair, item, done.name).status_code == 302
    assert NOT_ALLOWED in _flashed(chair, item.id)
    member = client_as("member")  # responsible, but only office may drop an item
    assert _step(member, item, dropped.name, comment="nicht nötig").status_code == 302
    assert NOT_ALLOWED in _flashed(member, item.id)
    with app.app_context():
        assert _load(item.id).version == 0 and _load(item.id).is_pending
    assert _step(member, item, done.name, comment="Konzept liegt vor").status_code == 302
    with app.app_context():
        finished = _load(item.id)
        assert finished.is_done and not finished.is_pending and finished.version == 1
        assert decisions.open_action_items() == []
        event = db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "workflow.transition",
                AuditEvent.object_type == "action_item",
                AuditEvent.object_id == item.id,
            )
        )
        assert event is not None and event.actor_id == demo_user("member").id
        assert event.comment == "Konzept liegt vor" and event.to_state == finished.state


def test_illegal_jumps_are_refused(app, client_as):
    with app.app_context():
        item = _load(_item())
        definition = workflow.definition_of(item)
        # Every transition that does not start in the item's state (e.g. the
        # one that takes a finished item up again) is refused, by the service
        # and by the page, and nothing changes.
        foreign = [t for t in definition.transitions.values() if item.state not in t.from_states]
        assert foreign
        for transition in foreign:
            with pytest.raises(workflow.TransitionNotAllowed):
                decisions.fire_action_item(demo_user("office"), item.id, transition.name)
    office = client_as("office")
    for transition in foreign:
        assert _step(office, item, transition.name, comment="x").status_code == 302
        assert NOT_POSSIBLE in _flashed(office, item.id)
    assert _step(office, item, "gibt_es_nicht").status_code == 302
    assert NOT_POSSIBLE in _flashed(office, item.id)
    with app.app_context():
        unchanged = _load(item.id)
        assert unchanged.state == item.state and unchanged.version == 0


def test_a_required_comment_is_asked_for_not_500(app, client_as):
    with app.app_context():
        item = _load(_item())
        dropped = _to_flag(item, "dropped")
    assert dropped.comment_required
    response = _step(client_as("office"), item, dropped.name)
    assert response.status_code == 422
    assert "Bitte geben Sie im Kommentarfeld eine Begründung an." in response.get_data(True)
    with app.app_context():
        assert _load(item.id).version == 0


def test_a_stale_page_gets_the_conflict_message_not_500(app, client_as):
    with app.app_context():
        item = _load(_item())
        started = [
            t
            for t in workflow.definition_of(item).transitions_from(item.state)
            if "pending" in workflow.definition_of(item).states[t.to].flags
        ]
        done = _to_flag(item, "done")
    office = client_as("office")
    stale = item.version
    if started:  # someone else takes the first step while the page is open
        assert _step(office, item, started[0].name).status_code == 302
    else:
        with app.app_context():
            decisions.fire_action_item(demo_user("office"), item.id, done.name)
    response = office.post(
        f"/beschluesse/massnahmen/{item.id}/schritt/{done.name}",
        data={f"t-{done.name}-version": str(stale)},
    )
    assert response.status_code == 302
    assert CONFLICT in _flashed(office, item.id)
    with app.app_context():
        assert _load(item.id).version == stale + 1


def test_the_overview_and_the_decision_link_the_item_page(app, client_as):
    with app.app_context():
        item = _load(_item())
        decision_id, state_title = item.decision_id, item.status_label
    office = client_as("office")
    for url in ("/verwaltung/beschlusskontrolle", f"/beschluesse/{decision_id}"):
        html = office.get(url).get_data(as_text=True)
        assert f"/beschluesse/massnahmen/{item.id}" in html and state_title in html
    edit = office.get(f"/beschluesse/massnahmen/{item.id}/bearbeiten")
    assert edit.status_code == 200 and 'name="status"' not in edit.get_data(as_text=True)
    assert (
        client_as("member").get(f"/beschluesse/massnahmen/{item.id}/bearbeiten").status_code == 403
    )


# --- renaming every state and transition keeps the application working -----------


def renamed_workflows(tmp_path: Path, files: tuple[str, ...]) -> Path:
    """A copy of workflows/ where every state and transition of ``files`` has
    another name (consistently: keys, from/to, initial)."""
    target = tmp_path / "workflows"
    shutil.copytree(default_directory(), target)
    for file_name in files:
        path = target / file_name
        source = path.read_text(encoding="utf-8")
        names: list[str] = []
        section = None
        for line in source.splitlines():
            if re.match(r"^[a-z_]+:", line):
                section = line.split(":", 1)[0]
            elif section in ("states", "transitions"):
                found = re.match(r"^  ([a-z][a-z0-9_]*):\s*$", line)
                if found:
                    names.append(found.group(1))
        assert names
        for name in sorted(names, key=len, reverse=True):
            source = re.sub(rf"(?<![a-z0-9_]){name}(?![a-z0-9_])", f"umbenannt_{name}", source)
        path.write_text(source, encoding="utf-8")
    return target


def test_renamed_states_and_transitions_keep_the_item_flow_working(
    app, demo, database_url, tmp_path
):
    directory = renamed_workflows(tmp_path, ("massnahme.yaml",))
    renamed = make_test_app(database_url, NETZWERK_WORKFLOW_DIR=str(directory))
    try:
        with renamed.app_context():
            item = _load(_item())
            assert item.state.startswith("umbenannt_") and item.is_pending
            done = _to_flag(item, "done")
            item_id = item.id
        office = renamed.test_client()
        login(office, ROLE_EMAILS["office"])
        html = office.get(f"/beschluesse/massnahmen/{item_id}").get_data(as_text=True)
        assert f'value="{done.name}"' in html
        assert _step(office, item, done.name).status_code == 302
        with renamed.app_context():
            assert _load(item_id).is_done
            assert decisions.open_action_items() == []
    finally:
        with renamed.app_context():
            db.session.remove()
            db.engine.dispose()
