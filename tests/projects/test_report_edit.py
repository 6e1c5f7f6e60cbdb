"""Editing a filed status report: author and staff only, the rules of filing,
an audit record, and the reach figures follow the edit."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netzwerk.audit.models import AuditEvent
from netzwerk.extensions import db
from netzwerk.monitoring.indicators import PROVIDERS, Period
from netzwerk.projects import portfolio, services
from netzwerk.projects.models import Project, ReportValue, StatusReport
from projects.helpers import field, make_project, user

pytestmark = pytest.mark.usefixtures("demo")


def _running_project_with_report(app, by: str = "lead", **values: int) -> tuple[int, int]:
    """A running project of the demo lead with one report filed by ``by``."""
    with app.app_context():
        project = make_project(title="Solarwerkstatt")
        db.session.execute(
            Project.__table__.update().where(Project.id == project.id).values(state="laufend")
        )
        db.session.commit()
        project = db.session.get(Project, project.id)
        report = services.add_report(
            user(by),
            project,
            report_date=date(2026, 3, 10),
            text="Erster Bericht.",
            values=values or {"participants": 40, "events": 2},
        )
        ids = (project.id, report.id)
        db.session.remove()
    return ids


def _report(app, report_id: int) -> dict[str, object]:
    with app.app_context():
        report = db.session.get(StatusReport, report_id)
        assert report is not None
        row = {
            "report_date": report.report_date,
            "text": report.text,
            "values": {v.code: v.value for v in report.values},
        }
        db.session.remove()
    return row


def _audit(app, action: str) -> list[tuple[int | None, dict]]:
    with app.app_context():
        rows = [
            (e.actor_id, json.loads(e.data))
            for e in db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.id)
        ]
        db.session.remove()
    return rows


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "report_date": "2026-03-12",
        "text": "Korrigierter Bericht.",
        "value_participants": "45",
        "value_events": "",
        "value_schools": "3",
    }
    data.update(overrides)
    return data


def test_author_edits_own_report(app, client_as):
    project_id, report_id = _running_project_with_report(app)
    lead = client_as("lead")
    page = lead.get(f"/projekte/{project_id}").get_data(as_text=True)
    url = f"/projekte/berichte/{report_id}/bearbeiten"
    assert url in page
    form_page = lead.get(url)
    assert form_page.status_code == 200
    html = form_page.get_data(as_text=True)
    assert "Sachstandsbericht bearbeiten" in html
    assert "Erster Bericht." in html and 'value="40"' in html and 'value="2026-03-10"' in html

    response = lead.post(url, data=_form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/projekte/{project_id}")
    assert _report(app, report_id) == {
        "report_date": date(2026, 3, 12),
        "text": "Korrigierter Bericht.",
        # "events" left empty: removed; "schools" added; "participants" changed.
        "values": {"participants": 45, "schools": 3},
    }
    with app.app_context():
        lead_id = user("lead").id
        report = db.session.get(StatusReport, report_id)
        assert report.author_person_id == user("lead").person_id  # the author stays the author
        assert report.updated_by_person_id == user("lead").person_id
        assert report.updated_at is not None
        lead_name = report.author.full_name
        db.session.remove()
    page = lead.get(f"/projekte/{project_id}").get_data(as_text=True)
    assert f"Erstellt von {lead_name} am" in page
    assert f"zuletzt korrigiert von {lead_name} am" in page
    assert _audit(app, "project.report_updated") == [
        (
            lead_id,
            {
                "report_id": report_id,
                "report_date": ["2026-03-10", "2026-03-12"],
                "values": [
                    {"participants": 40, "events": 2},
                    {"participants": 45, "schools": 3},
                ],
                "text_changed": True,
            },
        )
    ]


def test_staff_edits_the_report_of_someone_else(app, client_as):
    _project_id, report_id = _running_project_with_report(app)
    office = client_as("office")
    response = office.post(
        f"/projekte/berichte/{report_id}/bearbeiten", data=_form(text="Vom Büro ergänzt.")
    )
    assert response.status_code == 302
    assert _report(app, report_id)["text"] == "Vom Büro ergänzt."
    with app.app_context():
        office_id = user("office").id
        db.session.remove()
    assert [actor for actor, _data in _audit(app, "project.report_updated")] == [office_id]
    with app.app_context():
        report = db.session.get(StatusReport, report_id)
        assert report.author_person_id == user("lead").person_id
        assert report.updated_by_person_id == user("office").person_id
        db.session.remove()


def test_saving_a_report_unchanged_changes_nothing(app, client_as):
    project_id, report_id = _running_project_with_report(app)
    lead = client_as("lead")
    url = f"/projekte/berichte/{report_id}/bearbeiten"
    unchanged = _form(
        report_date="2026-03-10",
        text="Erster Bericht.",
        value_participants="40",
        value_events="2",
        value_schools="",
    )
    response = lead.post(url, data=unchanged)
    assert response.status_code == 302
    page = lead.get(f"/projekte/{project_id}").get_data(as_text=True)
    assert "Am Sachstandsbericht wurde nichts geändert." in page
    assert "zuletzt korrigiert" not in page
    assert _audit(app, "project.report_updated") == []
    with app.app_context():
        report = db.session.get(StatusReport, report_id)
        assert report.updated_at is None and report.updated_by_person_id is None
        db.session.remove()


@pytest.mark.parametrize("role", ["member", "chair"])
def test_others_may_read_but_not_edit(app, client_as, role):
    project_id, report_id = _running_project_with_report(app)
    before = _report(app, report_id)
    other = client_as(role)
    url = f"/projekte/berichte/{report_id}/bearbeiten"
    assert other.get(f"/projekte/{project_id}").status_code == 200
    assert url not in other.get(f"/projekte/{project_id}").get_data(as_text=True)
    assert other.get(url).status_code == 403
    assert other.post(url, data=_form()).status_code == 403
    assert _report(app, report_id) == before
    assert _audit(app, "project.report_updated") == []


def test_the_lead_may_not_edit_a_report_filed_by_staff(app, client_as):
    project_id, report_id = _running_project_with_report(app, by="office")
    lead = client_as("lead")
    url = f"/projekte/berichte/{report_id}/bearbeiten"
    assert url not in lead.get(f"/projekte/{project_id}").get_data(as_text=True)
    assert lead.post(url, data=_form()).status_code == 403
    assert client_as("office").get(url).status_code == 200


def test_anonymous_and_missing_reports(app, client, client_as):
    _project_id, report_id = _running_project_with_report(app)
    response = client.get(f"/projekte/berichte/{report_id}/bearbeiten")
    assert response.status_code in (302, 401)
    assert client_as("office").get("/projekte/berichte/999999/bearbeiten").status_code == 404


def test_no_edits_once_the_project_is_final(app, client_as):
    project_id, report_id = _running_project_with_report(app)
    with app.app_context():
        db.session.execute(
            Project.__table__.update().where(Project.id == project_id).values(state="abgeschlossen")
        )
        db.session.commit()
    for role in ("lead", "office"):
        assert client_as(role).get(f"/projekte/berichte/{report_id}/bearbeiten").status_code == 403


def test_bad_input_is_shown_next_to_the_fields_and_nothing_changes(app, client_as):
    _project_id, report_id = _running_project_with_report(app)
    before = _report(app, report_id)
    response = client_as("lead").post(
        f"/projekte/berichte/{report_id}/bearbeiten",
        data=_form(report_date="2026-02-30", text="   ", value_participants="-5"),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for name in ("report_date", "text", "value_participants"):
        assert f'id="{name}-error"' in html, name
    assert _report(app, report_id) == before
    # The service's own rule (outside the form's range check) is shown at its field too.
    response = client_as("lead").post(
        f"/projekte/berichte/{report_id}/bearbeiten", data=_form(report_date="1900-01-01")
    )
    assert response.status_code == 422
    assert 'id="report_date-error"' in response.get_data(as_text=True)
    assert _report(app, report_id) == before


def test_the_service_applies_the_rules_of_filing(app_ctx):
    project = make_project()
    report = services.add_report(
        user("lead"), project, report_date=date(2026, 3, 1), text="a", values={"participants": 1}
    )
    cases = [
        ({"report_date": None}, "report_date"),
        ({"report_date": date(2101, 1, 1)}, "report_date"),
        ({"text": " "}, "text"),
        ({"text": "a\x00b"}, "text"),
        ({"values": {"participants": -1}}, "participants"),
        ({"values": {"participants": True}}, "participants"),
        ({"values": {"participants": "12"}}, "participants"),
        ({"values": {"nonsense": 1}}, "nonsense"),
    ]
    for change, field_name in cases:
        kwargs = {"report_date": date(2026, 3, 2), "text": "b", "values": {}} | change
        with pytest.raises(services.ProjectError) as err:
            services.update_report(user("lead"), report, **kwargs)
        assert err.value.field == field_name, change
    with pytest.raises(services.ProjectError) as err:
        services.update_report(
            user("member"), report, report_date=date(2026, 3, 2), text="b", values={}
        )
    assert err.value.field is None
    db.session.expire_all()
    assert report.text == "a" and report.report_date == date(2026, 3, 1)
    assert [(v.code, v.value) for v in report.values] == [("participants", 1)]


def test_reach_figures_use_the_edited_values(app_ctx):
    project = make_project()
    first = services.add_report(
        user("lead"), project, report_date=date(2026, 3, 10), text="a", values={"participants": 40}
    )
    services.add_report(
        user("lead"), project, report_date=date(2026, 4, 10), text="b", values={"participants": 65}
    )
    provider = PROVIDERS["project_reach_new"].provider
    name = field().name
    assert provider(Period("2026-03")) == {name: 40.0, "": 40.0}

    services.update_report(
        user("lead"), first, report_date=date(2026, 3, 10), text="a", values={"participants": 50}
    )
    assert portfolio.latest_values([project.id], before=date(2026, 4, 1)) == {
        project.id: {"participants": 50}
    }
    assert provider(Period("2026-03")) == {name: 50.0, "": 50.0}
    assert provider(Period("2026-04")) == {name: 15.0, "": 15.0}

    # Moved to February, the first report's participants count there.
    services.update_report(
        user("office"), first, report_date=date(2026, 2, 20), text="a", values={"participants": 50}
    )
    assert provider(Period("2026-02")) == {name: 50.0, "": 50.0}
    assert provider(Period("2026-03")) == {name: 0.0, "": 0.0}
    # The portfolio's reach of the project is the latest report's value.
    assert portfolio.latest_values([project.id]) == {project.id: {"participants": 65}}
    assert db.session.query(ReportValue).filter_by(report_id=first.id).count() == 1


text_or_junk = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", " ", "-1", "101", "1e9", "abc", "\x00", "2026-13-45", "99999999999999"]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    report_date=text_or_junk,
    text=text_or_junk,
    participants=text_or_junk,
    events=text_or_junk,
)
def test_the_edit_form_never_fails_on_bad_input(
    app, client_as, report_date, text, participants, events
):
    with app.app_context():
        report_id = db.session.query(StatusReport.id).limit(1).scalar()
    if report_id is None:
        _project_id, report_id = _running_project_with_report(app)
    before = _report(app, report_id)
    response = client_as("lead").post(
        f"/projekte/berichte/{report_id}/bearbeiten",
        data={
            "report_date": report_date,
            "text": text,
            "value_participants": participants,
            "value_events": events,
        },
    )
    assert response.status_code in (302, 422)
    after = _report(app, report_id)
    if response.status_code == 422:
        assert after == before
    else:
        assert str(after["text"]).strip()
        assert all(0 <= v <= 10_000_000 for v in after["values"].values())  # type: ignore[attr-defined]


def test_a_value_of_an_indicator_no_longer_asked_for_is_kept(app_ctx):
    project = make_project()
    report = services.add_report(
        user("lead"), project, report_date=date(2026, 3, 1), text="a", values={"events": 4}
    )
    # Filed under an earlier configuration with an indicator the form no longer shows.
    db.session.add(ReportValue(report_id=report.id, code="workshops", value=7))
    db.session.commit()
    services.update_report(user("lead"), report, report_date=date(2026, 3, 1), text="a", values={})
    db.session.expire_all()
    assert {v.code: v.value for v in report.values} == {"workshops": 7}
