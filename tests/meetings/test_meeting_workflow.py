"""The meeting's workflow is the YAML's: roles (``by:``), steps, effects and
guards come from the definition; the code asks flags only.

- the chair opens and closes a meeting from its page (``by: [..., chair]``),
  a plain member sees no step and cannot take one;
- a body chooses "Sitzung mit Tagesordnungsfreigabe" on the admin page:
  its new meetings need the release of the agenda before the invitations,
  other bodies keep the default;
- renaming every state and transition of sitzung.yaml breaks nothing.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import login, make_test_app
from sqlalchemy import func, select

from netzwerk.extensions import db
from netzwerk.mail.models import OutboxMail
from netzwerk.meetings import access, agenda, invitations
from netzwerk.meetings.models import AgendaItem, Meeting
from netzwerk.minutes import services as minutes_services
from netzwerk.workflow import services as workflow
from netzwerk.workflow.catalog import default_directory

from .helpers import OFFICE, body, fresh, meeting, paper_for_decision, reach, user

FREIGABE = "sitzung_mit_freigabe"


def _steps(page: str, meeting_id: int) -> list[str]:
    """The steps the meeting page offers as buttons (their form actions)."""
    return re.findall(rf'action="/sitzungen/{meeting_id}/status/([^"]+)"', page)


def _post_step(client: Any, meeting_id: int, step: str, comment: str = "") -> Any:
    with client.application.app_context():
        version = fresh(meeting_id).version
        db.session.remove()
    return client.post(
        f"/sitzungen/{meeting_id}/status/{step}",
        data={"comment": comment, "version": str(version)},
    )


def _mails(meeting_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(OutboxMail)
            .where(OutboxMail.reason.like(f"meeting:{meeting_id}:invitation%"))
        )
        or 0
    )


# --- roles come from the definition ------------------------------------------------------


def test_the_chair_opens_and_closes_the_meeting_a_member_cannot(app, client_as):
    """The demo mayor chairs the Vorstandskonferenz: sitzung.yaml lets the
    chair open and close, so the page shows exactly those buttons and the
    POST takes them; a plain member sees none and is refused."""
    chair, member = client_as("chair"), client_as("member")
    with app.app_context():
        meeting_id = meeting("VK", days=0.2).id
        invitations.send_invitations(user(OFFICE), fresh(meeting_id), reason="kurzfristig")
        open_steps = [
            a.transition.name
            for a in workflow.available_transitions(user("chair"), fresh(meeting_id))
        ]
        db.session.remove()
    assert open_steps  # the chair may open the invited meeting

    page = chair.get(f"/sitzungen/{meeting_id}").get_data(as_text=True)
    assert _steps(page, meeting_id) == open_steps
    assert "Sitzung eröffnen" in page
    assert "Sitzung absagen" not in page  # cancelling is the office's (by: [office, admin])

    member_page = member.get(f"/sitzungen/{meeting_id}")
    assert (
        member_page.status_code == 200
        and _steps(member_page.get_data(as_text=True), meeting_id) == []
    )
    _post_step(member, meeting_id, open_steps[0])
    with app.app_context():
        assert access.is_awaiting(fresh(meeting_id))  # the member was refused
        db.session.remove()

    response = _post_step(chair, meeting_id, open_steps[0])
    assert response.status_code == 302
    with app.app_context():
        assert access.has_flag(fresh(meeting_id), "in_session")
        db.session.remove()

    # In session, the chair records the attendance too; the member may not.
    page = chair.get(f"/sitzungen/{meeting_id}").get_data(as_text=True)
    assert f"/sitzungen/{meeting_id}/anwesenheit" in page
    assert chair.get(f"/sitzungen/{meeting_id}/anwesenheit").status_code == 200
    assert member.get(f"/sitzungen/{meeting_id}/anwesenheit").status_code == 403

    (close_step,) = _steps(page, meeting_id)
    assert "Sitzung schließen" in page
    _post_step(member, meeting_id, close_step)
    with app.app_context():
        assert access.has_flag(fresh(meeting_id), "in_session")
        db.session.remove()
    assert _post_step(chair, meeting_id, close_step).status_code == 302
    with app.app_context():
        closed = fresh(meeting_id)
        assert access.has_flag(closed, "closed") and not access.has_flag(closed, "in_session")
        db.session.remove()
    page = chair.get(f"/sitzungen/{meeting_id}").get_data(as_text=True)
    assert _steps(page, meeting_id) == []
    assert chair.get(f"/sitzungen/{meeting_id}/anwesenheit").status_code == 403


def test_the_office_sends_the_invitations_with_the_button_and_a_reason(app, client_as):
    """The step into "invited" is a button too; below the notice period its
    guard (notice_period_kept) needs the reason, given as the comment."""
    office = client_as("office")
    with app.app_context():
        meeting_id = meeting("VK", days=20).id
        db.session.remove()
    page = office.get(f"/sitzungen/{meeting_id}").get_data(as_text=True)
    with app.app_context():
        (invite,) = [t.name for t in workflow.transitions_to_flag(fresh(meeting_id), "invited")]
        db.session.remove()
    assert invite in _steps(page, meeting_id)
    response = _post_step(office, meeting_id, invite)
    page = office.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        invited = fresh(meeting_id)
        assert access.is_awaiting(invited) and invited.agenda_frozen
        count = _mails(meeting_id)
        assert count > 0
        db.session.remove()
    assert f"{count} Einladungen" in html.unescape(page)

    with app.app_context():
        short_id = meeting("VK", days=2).id
        db.session.remove()
    page = office.get(f"/sitzungen/{short_id}").get_data(as_text=True)
    assert invite not in _steps(page, short_id)  # the guard holds only with a reason
    _post_step(office, short_id, invite)
    with app.app_context():
        assert access.is_planned(fresh(short_id)) and _mails(short_id) == 0
        db.session.remove()
    _post_step(office, short_id, invite, comment="Dringende Haushaltsfrage")
    with app.app_context():
        invited = fresh(short_id)
        assert access.is_awaiting(invited) and _mails(short_id) > 0
        assert invited.short_notice_reason == "Dringende Haushaltsfrage"
        db.session.remove()


# --- a second meeting workflow, chosen per body ------------------------------------------


def _choose_for(admin: Any, body_id: int, workflow_name: str) -> None:
    """Choose the workflow for the body's slot "meeting" on the admin page."""
    page = admin.get(f"/verwaltung/workflows/{body_id}").get_data(as_text=True)
    selects = re.findall(r'<select[^>]*name="(slot_\d+)"[^>]*>(.*?)</select>', page, re.S)
    (field,) = [name for name, options in selects if f'value="{workflow_name}"' in options]
    response = admin.post(f"/verwaltung/workflows/{body_id}", data={field: workflow_name})
    assert response.status_code == 302


def test_a_body_chooses_the_meeting_workflow_with_agenda_release(app, client_as):
    admin, office, chair = client_as("admin"), client_as("office"), client_as("chair")
    with app.app_context():
        vk, bk = body("VK").id, body("BK").id
        db.session.remove()
    _choose_for(admin, vk, FREIGABE)

    with app.app_context():
        assert workflow.workflow_for(vk, "meeting").name == FREIGABE
        default = workflow.workflow_for(None, "meeting").name
        assert default != FREIGABE and workflow.workflow_for(bk, "meeting").name == default
        released = meeting("VK", days=20)
        other = meeting("BK", days=20)
        assert released.workflow_name == FREIGABE and other.workflow_name == default
        assert access.is_planned(released) and access.is_planned(other)
        agenda.add_free_item(user(OFFICE), released, title="Haushalt")
        # Other bodies keep the default: the invitations go out at once.
        assert invitations.send_invitations(user(OFFICE), other) > 0
        assert access.is_awaiting(fresh(other.id))
        # This body's meeting needs the release of the agenda first.
        with pytest.raises(access.MeetingError):
            invitations.send_invitations(user(OFFICE), fresh(released.id))
        assert access.is_planned(fresh(released.id)) and _mails(released.id) == 0
        meeting_id = released.id
        db.session.remove()

    page = office.get(f"/sitzungen/{meeting_id}/einladung").get_data(as_text=True)
    assert 'id="invitation-not-yet"' in page
    refused = office.post(f"/sitzungen/{meeting_id}/einladung", data={"invite-reason": ""})
    assert refused.status_code == 422

    # The chair releases the agenda from the meeting page (by: [chair, office, admin]).
    page = chair.get(f"/sitzungen/{meeting_id}").get_data(as_text=True)
    assert "Tagesordnung freigeben" in page
    (release,) = _steps(page, meeting_id)
    assert _post_step(chair, meeting_id, release).status_code == 302
    with app.app_context():
        current = fresh(meeting_id)
        assert access.is_planned(current) and current.agenda_frozen  # released, not yet invited
        assert access.state_title(current) == "Tagesordnung freigegeben"
        late = agenda.add_free_item(user(OFFICE), current, title="Nachtrag")
        assert late.late  # the released agenda is frozen: changes are marked
        db.session.remove()

    response = office.post(f"/sitzungen/{meeting_id}/einladung", data={"invite-reason": ""})
    assert response.status_code == 302
    with app.app_context():
        invited = fresh(meeting_id)
        assert access.is_awaiting(invited) and _mails(meeting_id) > 0
        assert invited.workflow_name == FREIGABE
        db.session.remove()


# --- renaming every state and transition breaks nothing ---------------------------------


def _rename_meeting_workflow(directory: Path, suffix: str) -> None:
    path = directory / "sitzung.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def new(name: str) -> str:
        return f"{name}{suffix}"

    data["initial"] = new(data["initial"])
    data["states"] = {new(name): state for name, state in data["states"].items()}
    transitions = {}
    for name, step in data["transitions"].items():
        sources = step["from"] if isinstance(step["from"], list) else [step["from"]]
        step["from"] = [new(s) for s in sources]
        step["to"] = new(step["to"])
        transitions[new(name)] = step
    data["transitions"] = transitions
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture
def renamed_app(app, demo, database_url, tmp_path):  # type: ignore[no-untyped-def]
    directory = tmp_path / "workflows"
    shutil.copytree(default_directory(), directory)
    _rename_meeting_workflow(directory, "_x")
    renamed = make_test_app(database_url, NETZWERK_WORKFLOW_DIR=str(directory))
    yield renamed
    with renamed.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_meeting_runs_end_to_end_with_every_name_renamed(renamed_app):
    office_client = renamed_app.test_client()
    login(office_client, OFFICE)
    chair_client = renamed_app.test_client()
    login(chair_client, "ob@osnabrueck.example")
    with renamed_app.app_context():
        definition = workflow.workflow_for(body("VK").id, "meeting")
        assert all(name.endswith("_x") for name in definition.states)
        assert all(name.endswith("_x") for name in definition.transitions)

        planned = meeting("VK", days=20)
        assert planned.state.endswith("_x") and access.is_planned(planned)
        agenda.add_free_item(user(OFFICE), planned, title="Bericht")
        meeting_id = planned.id
        db.session.remove()

    # Invite through the invitation page: the effects freeze and send.
    response = office_client.post(f"/sitzungen/{meeting_id}/einladung", data={"invite-reason": ""})
    assert response.status_code == 302
    with renamed_app.app_context():
        invited = fresh(meeting_id)
        assert access.is_awaiting(invited) and invited.agenda_frozen and _mails(meeting_id) > 0
        # The agenda after the invitation: nothing is put on it automatically
        # any more (the scheduler takes planned meetings only), an item added
        # by hand is marked late.
        paper = paper_for_decision("VK", title="Nachgereichte Vorlage")
        assert not agenda.agenda_scheduler("paper", paper)
        db.session.commit()
        assert not db.session.scalar(select(AgendaItem.id).where(AgendaItem.paper_id == paper.id))
        assert agenda.add_free_item(user(OFFICE), fresh(meeting_id), title="Nachtrag").late
        assert meeting_id in {m.id for m in access.upcoming_meetings(user("chair"), 10)}
        db.session.remove()

    # The chair opens and closes from the page.
    for flag in ("in_session", "closed"):
        page = chair_client.get(f"/sitzungen/{meeting_id}").get_data(as_text=True)
        (step,) = _steps(page, meeting_id)
        assert step.endswith("_x")
        assert _post_step(chair_client, meeting_id, step).status_code == 302
        with renamed_app.app_context():
            assert access.has_flag(fresh(meeting_id), flag)
            db.session.remove()

    with renamed_app.app_context():
        closed = fresh(meeting_id)
        with pytest.raises(access.MeetingError):  # a closed meeting's agenda is final
            agenda.add_free_item(user(OFFICE), closed, title="Zu spät")
        minutes = minutes_services.start_minutes(user(OFFICE), closed, user(OFFICE).person_id)
        assert minutes_services.is_editable(minutes)
        # meeting_closed holds: the minutes may leave the draft.
        assert workflow.available_transitions(user(OFFICE), minutes)
        ics = office_client.get(f"/sitzungen/{meeting_id}/sitzung.ics").get_data(as_text=True)
        assert "STATUS:CONFIRMED" in ics
        db.session.remove()


def test_minutes_leave_the_draft_only_after_the_meeting_closed(app_ctx, demo):
    """The guard meeting_closed (protokoll.yaml) hides the step while the
    meeting is in session; once it is closed, the step is offered."""
    held = reach(fresh(meeting("VK", days=0.2).id), "in_session", comment="kurzfristig")
    minutes = minutes_services.start_minutes(user(OFFICE), held, user(OFFICE).person_id)
    assert workflow.available_transitions(user(OFFICE), minutes) == []
    reach(fresh(held.id), "closed")
    minutes = minutes_services.get_minutes(minutes.id)
    assert minutes is not None
    assert workflow.available_transitions(user(OFFICE), minutes)


def test_cancelled_meetings_are_cancelled_in_the_calendar(app_ctx, demo):
    planned = meeting("VK", days=20)
    invitations.send_invitations(user(OFFICE), planned)
    cancelled = reach(fresh(planned.id), "cancelled", comment="Raum fehlt")
    from netzwerk.meetings.ics import meeting_ics
    from netzwerk.timeutil import utcnow

    text = meeting_ics(cancelled, agenda.agenda(cancelled), now=utcnow()).decode()
    assert "STATUS:CANCELLED" in text
    assert db.session.get(Meeting, planned.id) is not None
