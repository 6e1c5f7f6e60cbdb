"""Feedback triage on the workflow engine (workflows/rueckmeldung.yaml).

No state or transition is named here: they are found by the flags the
application asks (new, in_triage, passed, duplicate, answered), so the tests
hold for a consistently renamed definition, which the last test proves.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import ROLE_EMAILS, login, make_test_app
from decisions.test_action_item_workflow import renamed_workflows
from sqlalchemy import select

from netzwerk.audit.models import AuditEvent
from netzwerk.database import utcnow
from netzwerk.extensions import db
from netzwerk.feedback import services
from netzwerk.feedback.models import Feedback
from netzwerk.governance.models import Body
from netzwerk.workflow import services as workflow

from .conftest import choice_id, form_data, receipt_code, status_page, submit, user

CONFLICT = "Jemand anderes hat diesen Vorgang zwischenzeitlich geändert."
NOT_POSSIBLE = "Dieser Schritt ist im aktuellen Status nicht möglich."
SIMILAR = "Eine ähnliche Rückmeldung gab es schon."
# The guard says why (workflow registry: has_answer).
NO_ANSWER = "Es gibt noch keine Antwort, die veröffentlicht werden könnte."


def _load(feedback_id: int) -> Feedback:
    db.session.expire_all()
    found = db.session.get(Feedback, feedback_id)
    assert found is not None
    return found


def _buttons(client: Any, feedback_id: int) -> set[str]:
    html = client.get(f"/verwaltung/rueckmeldungen/{feedback_id}").get_data(as_text=True)
    return set(re.findall(r'name="step" value="([a-z0-9_]+)"', html))


def _categorise(client: Any, app: Any, feedback_id: int) -> Any:
    with app.app_context():
        category = choice_id("category", "counselling")
    return client.post(
        f"/verwaltung/rueckmeldungen/{feedback_id}/einordnen",
        data={"category": str(category), "district": "None", "target_group": "None", "tags": ""},
    )


def test_new_feedback_starts_new_under_the_engine(app_ctx, seeded):
    feedback = _load(submit().id)
    assert feedback.state == workflow.definition_of(feedback).initial
    assert feedback.is_new and feedback.version == 0 and feedback.considered_at is None
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.object_type == "feedback", AuditEvent.object_id == feedback.id
        )
    )
    assert event is not None and event.action == "workflow.start" and event.actor_id is None


def test_categorising_takes_the_step_out_of_new(app, client_as, seeded):
    with app.app_context():
        fb_id = submit().id
    assert _categorise(client_as("office"), app, fb_id).status_code == 302
    with app.app_context():
        feedback = _load(fb_id)
        assert not feedback.is_new and feedback.has_flag("in_triage")
        assert feedback.version == 1 and feedback.considered_at == feedback.state_entered_at
        assert db.session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "workflow.transition", AuditEvent.object_id == fb_id
            )
        )
    # Categorising again changes the data, not the state.
    assert _categorise(client_as("office"), app, fb_id).status_code == 302
    with app.app_context():
        assert _load(fb_id).version == 1


def test_the_panel_offers_only_steps_that_need_no_data(app, client_as, seeded):
    with app.app_context():
        feedback = _load(submit().id)
        definition = workflow.definition_of(feedback)
        plain = {
            t.name
            for t in definition.transitions_from(feedback.state)
            if t.when is None and "office" in t.by
        }
        guarded = {t.name for t in definition.transitions_from(feedback.state) if t.when}
        fb_id = feedback.id
    assert plain and guarded
    assert _buttons(client_as("office"), fb_id) == plain
    assert client_as("member").get(f"/verwaltung/rueckmeldungen/{fb_id}").status_code == 403


def test_only_office_and_admin_may_take_triage_steps(app_ctx, seeded, demo):
    feedback = _load(submit().id)
    step = next(t for t in workflow.available_transitions(user(), feedback))
    for role in ("member", "chair", "lead"):
        other = user(ROLE_EMAILS[role])
        assert workflow.available_transitions(other, feedback) == []
        with pytest.raises(workflow.TransitionNotAllowed):
            services.fire_feedback(other, feedback.id, step.transition.name)
    assert _load(feedback.id).version == 0
    services.fire_feedback(user(ROLE_EMAILS["admin"]), feedback.id, step.transition.name)
    assert _load(feedback.id).version == 1


def test_steps_that_need_data_or_start_elsewhere_are_refused(app, client_as, seeded):
    with app.app_context():
        feedback = _load(submit().id)
        definition = workflow.definition_of(feedback)
        answered = workflow.transitions_to_flag(feedback, "answered")[0]
        elsewhere = [
            t for t in definition.transitions.values() if feedback.state not in t.from_states
        ]
        fb_id = feedback.id
    assert answered.when and elsewhere
    office = client_as("office")

    def step(name: str) -> str:
        response = office.post(
            f"/verwaltung/rueckmeldungen/{fb_id}/schritt/{name}",
            data={f"t-{name}-version": "0"},
        )
        assert response.status_code == 302
        return office.get(f"/verwaltung/rueckmeldungen/{fb_id}").get_data(as_text=True)

    assert NO_ANSWER in step(answered.name)  # no answer written: nothing to publish
    for transition in elsewhere:
        assert NOT_POSSIBLE in step(transition.name)
    with app.app_context():
        assert _load(fb_id).version == 0 and _load(fb_id).answered_at is None


def test_duplicate_and_back_by_the_panel(app, client, client_as, seeded):
    code = receipt_code(client.post("/rueckmeldung/de/", data=form_data(app)).get_data(True))
    with app.app_context():
        original = submit(text="Mehr Sprachkurse")
        fb_id = db.session.scalar(
            select(Feedback.id).where(Feedback.receipt_code == code.replace("-", ""))
        )
        original_code = original.receipt_code
    office = client_as("office")
    response = office.post(
        f"/verwaltung/rueckmeldungen/{fb_id}/doppelt",
        data={"original": original_code, "version": "0"},
    )
    assert response.status_code == 302
    with app.app_context():
        feedback = _load(fb_id)
        assert feedback.is_duplicate and feedback.duplicate_of_id == original.id
        assert feedback.considered_at is not None
        back = [
            t
            for t in workflow.definition_of(feedback).transitions_from(feedback.state)
            if "duplicate" not in workflow.definition_of(feedback).states[t.to].flags
            and t.when is None
        ]
    status = status_page(client, "de", code).get_data(as_text=True)
    assert SIMILAR in status
    assert {t.name for t in back} <= _buttons(office, fb_id) and back
    name = back[0].name
    office.post(
        f"/verwaltung/rueckmeldungen/{fb_id}/schritt/{name}", data={f"t-{name}-version": "1"}
    )
    with app.app_context():
        feedback = _load(fb_id)
        assert not feedback.is_duplicate and feedback.duplicate_of_id is None
        assert feedback.version == 2
    assert SIMILAR not in status_page(client, "de", code).get_data(True)


def test_answer_is_a_step_and_then_only_corrected(app, client, client_as, seeded, clock):
    code = receipt_code(client.post("/rueckmeldung/de/", data=form_data(app)).get_data(True))
    with app.app_context():
        fb_id = db.session.scalar(select(Feedback.id))
    office = client_as("office")
    response = office.post(
        f"/verwaltung/rueckmeldungen/{fb_id}/antwort",
        data={"answer": "Es gibt ab Herbst Abendkurse.", "version": "0"},
    )
    assert response.status_code == 302
    with app.app_context():
        feedback = _load(fb_id)
        assert feedback.is_answered and feedback.version == 1
        assert feedback.answered_at == feedback.state_entered_at
        assert feedback.considered_at == feedback.answered_at
        assert workflow.available_transitions(user(), feedback) == []
    assert _buttons(office, fb_id) == set()
    status = status_page(client, "de", code).get_data(as_text=True)
    assert "Es gibt ab Herbst Abendkurse." in status
    response = office.post(
        f"/verwaltung/rueckmeldungen/{fb_id}/antwort",
        data={"answer": "Es gibt ab Oktober Abendkurse.", "version": "1"},
    )
    assert response.status_code == 302
    with app.app_context():
        feedback = _load(fb_id)
        assert feedback.answer == "Es gibt ab Oktober Abendkurse." and feedback.version == 1
    html = office.get("/verwaltung/rueckmeldungen/?status=answered").get_data(as_text=True)
    assert f"/verwaltung/rueckmeldungen/{fb_id}" in html
    html = office.get("/verwaltung/rueckmeldungen/?status=new").get_data(as_text=True)
    assert f"/verwaltung/rueckmeldungen/{fb_id}" not in html


def test_a_stale_form_gets_the_conflict_message_not_500(app, client_as, seeded):
    with app.app_context():
        fb_id = submit().id
        original_code = submit(text="Früher").receipt_code
    office = client_as("office")
    assert _categorise(office, app, fb_id).status_code == 302  # version 0 -> 1
    response = office.post(
        f"/verwaltung/rueckmeldungen/{fb_id}/doppelt",
        data={"original": original_code, "version": "0"},
    )
    assert response.status_code == 409
    assert CONFLICT in response.get_data(as_text=True)
    with app.app_context():
        feedback = _load(fb_id)
        assert feedback.duplicate_of_id is None and not feedback.is_duplicate
    response = office.post(
        f"/verwaltung/rueckmeldungen/{fb_id}/antwort", data={"answer": "Antwort", "version": "0"}
    )
    assert response.status_code == 409
    with app.app_context():
        assert _load(fb_id).answer is None


def test_passing_to_a_body_takes_the_step_once(app, client_as, seeded):
    with app.app_context():
        fb_id = submit().id
        bk = db.session.scalar(select(Body.id).where(Body.short_name == "BK"))
    office = client_as("office")

    def pass_on(title: str) -> None:
        response = office.post(
            "/verwaltung/rueckmeldungen/weitergeben",
            data={"feedback_ids": [str(fb_id)], "body_id": str(bk), "title": title},
        )
        assert response.status_code == 302

    pass_on("Erste Weitergabe")
    with app.app_context():
        feedback = _load(fb_id)
        assert feedback.has_flag("passed") and feedback.version == 1
        assert feedback.considered_at is not None
    pass_on("Zweite Weitergabe")  # again: only the referral
    with app.app_context():
        feedback = _load(fb_id)
        assert feedback.version == 1 and len(feedback.referrals) == 2
    html = office.get("/verwaltung/rueckmeldungen/?status=passed").get_data(as_text=True)
    assert f"/verwaltung/rueckmeldungen/{fb_id}" in html


def test_renamed_states_and_transitions_keep_the_triage_working(
    app, demo, seeded, database_url, tmp_path
):
    directory = renamed_workflows(tmp_path, ("rueckmeldung.yaml",))
    renamed = make_test_app(database_url, NETZWERK_WORKFLOW_DIR=str(directory))
    try:
        client = renamed.test_client()
        code = receipt_code(
            client.post("/rueckmeldung/de/", data=form_data(renamed)).get_data(True)
        )
        with renamed.app_context():
            feedback = db.session.scalar(select(Feedback))
            assert feedback.state.startswith("umbenannt_") and feedback.is_new
            fb_id = feedback.id
        office = renamed.test_client()
        login(office, ROLE_EMAILS["office"])
        assert _categorise(office, renamed, fb_id).status_code == 302
        response = office.post(
            f"/verwaltung/rueckmeldungen/{fb_id}/antwort",
            data={"answer": "Danke für den Hinweis.", "version": "1"},
        )
        assert response.status_code == 302
        with renamed.app_context():
            feedback = _load(fb_id)
            assert feedback.is_answered and feedback.answered_at <= utcnow()
        status = status_page(client, "de", code).get_data(as_text=True)
        assert "Danke für den Hinweis." in status
    finally:
        with renamed.app_context():
            db.session.remove()
            db.engine.dispose()


def test_another_original_changes_the_link_not_the_state(app, client_as, seeded):
    with app.app_context():
        fb_id = submit().id
        first, second = submit(text="Erste"), submit(text="Zweite")
        codes = (first.receipt_code, second.receipt_code)
        second_id = second.id
    office = client_as("office")
    for code, version in zip(codes, ("0", "1"), strict=True):
        response = office.post(
            f"/verwaltung/rueckmeldungen/{fb_id}/doppelt",
            data={"original": code, "version": version},
        )
        assert response.status_code == 302
    with app.app_context():
        feedback = _load(fb_id)
        assert feedback.is_duplicate and feedback.duplicate_of_id == second_id
        assert feedback.version == 1
