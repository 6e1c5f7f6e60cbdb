"""Who sees and edits what; bad input on the forms; reminders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from meetings.helpers import berlin

from netzwerk.database import utcnow
from netzwerk.extensions import db
from netzwerk.mail.models import OutboxMail
from netzwerk.notifications.models import Notification
from netzwerk.projects import jobs, reminders, services
from netzwerk.projects.models import Milestone, Project, StatusReport
from netzwerk.timeutil import local_today
from netzwerk.workflow import services as wf
from projects.helpers import field, make_project, org, submit, user


def _project(app, **kw):
    with app.app_context():
        project_id = make_project(**kw).id
        db.session.remove()
        return project_id


def _approve_directly(app, project_id, public=True):
    """Move a project to "laufend" for access tests (bypassing the vote on purpose)."""
    with app.app_context():
        db.session.execute(
            Project.__table__.update()
            .where(Project.id == project_id)
            .values(state="laufend", public=public)
        )
        db.session.commit()


def test_anonymous_sees_only_public_approved_projects(app, demo, client):
    secret = _project(app, title="Geheimidee")
    shown = _project(app, title="Offenes Projekt")
    _approve_directly(app, shown, public=True)
    hidden = _project(app, title="Internes Projekt")
    _approve_directly(app, hidden, public=False)
    assert client.get(f"/projekte/{secret}").status_code == 404
    assert client.get(f"/projekte/{hidden}").status_code == 404
    response = client.get(f"/projekte/{shown}")
    assert response.status_code == 200
    assert "Offenes Projekt" in response.get_data(as_text=True)
    listing = client.get("/projekte/aktionsfeld/wirtschaft-umwelt-technik").get_data(as_text=True)
    assert "Offenes Projekt" in listing
    assert "Internes Projekt" not in listing and "Geheimidee" not in listing
    export = client.get("/projekte/export.csv").get_data(as_text=True)
    assert "Offenes Projekt" in export and "Internes Projekt" not in export


def test_members_read_but_cannot_edit(app, client_as):
    idea = _project(app, title="Idee der Leitung")
    running = _project(app, title="Laufendes Projekt")
    _approve_directly(app, running, public=False)
    member = client_as("member")
    assert member.get(f"/projekte/{idea}").status_code == 403  # others' drafts
    assert member.get(f"/projekte/{running}").status_code == 200
    assert member.get(f"/projekte/{running}/meilensteine/neu").status_code == 403
    assert member.get(f"/projekte/{idea}/bearbeiten").status_code == 403
    response = member.post(
        f"/projekte/{running}/berichte/neu",
        data={"report_date": "2026-03-01", "text": "fremd"},
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.query(StatusReport).count() == 0


def test_lead_edits_a_draft_and_staff_always(app, client_as):
    idea = _project(app)
    lead = client_as("lead")
    assert lead.get(f"/projekte/{idea}/bearbeiten").status_code == 200
    with app.app_context():
        submit(db.session.get(Project, idea))
    assert lead.get(f"/projekte/{idea}/bearbeiten").status_code == 403
    assert client_as("office").get(f"/projekte/{idea}/bearbeiten").status_code == 200
    # The lead still manages milestones of a submitted project.
    assert lead.get(f"/projekte/{idea}/meilensteine/neu").status_code == 200


def test_lead_cannot_name_someone_else_as_lead(app, client_as):
    lead = client_as("lead")
    with app.app_context():
        other = user("member").person_id
        field_id = field().id
    response = lead.post(
        "/projekte/neu",
        data={
            "title": "Fremd",
            "action_field_id": field_id,
            "lead_person_id": other,
            "weight": 1,
            "report_interval_months": 3,
        },
    )
    assert response.status_code == 422
    with app.app_context():
        assert db.session.query(Project).count() == 0


def test_partner_page_lists_projects(app, client_as):
    pid = _project(app, title="Solarwerkstatt")
    with app.app_context():
        solar = org("Hasetal Solartechnik GmbH")
        services.add_partner(
            user("lead"), db.session.get(Project, pid), organisation_id=solar.id, role="KMU-Partner"
        )
        org_id = solar.id
        with pytest.raises(services.ProjectError) as err:
            services.add_partner(
                user("lead"), db.session.get(Project, pid), organisation_id=org_id, role="doppelt"
            )
        assert err.value.field == "organisation_id"
    page = client_as("member").get(f"/projekte/partner/{org_id}")
    assert page.status_code == 200
    assert "Solarwerkstatt" not in page.get_data(as_text=True)  # an idea: lead and staff only
    page = client_as("lead").get(f"/projekte/partner/{org_id}").get_data(as_text=True)
    assert "Solarwerkstatt" in page and "KMU-Partner" in page


text_or_junk = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", " ", "-1", "101", "1e9", "abc", "\x00", "2026-13-45", "99999999999999"]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    title=text_or_junk,
    budget=text_or_junk,
    start=text_or_junk,
    end=text_or_junk,
    weight=text_or_junk,
    field_id=text_or_junk,
)
def test_project_form_never_fails_on_bad_input(
    client_as, app, title, budget, start, end, weight, field_id
):
    lead = client_as("lead")
    with app.app_context():
        before = db.session.query(Project).count()
    response = lead.post(
        "/projekte/neu",
        data={
            "title": title,
            "budget": budget,
            "start_date": start,
            "end_date": end,
            "weight": weight,
            "action_field_id": field_id,
            "lead_person_id": "x",
            "report_interval_months": weight,
        },
    )
    assert response.status_code in (302, 422)
    with app.app_context():
        after = db.session.query(Project).count()
    assert after == before + (1 if response.status_code == 302 else 0)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    progress=text_or_junk,
    weight=text_or_junk,
    due=text_or_junk,
    participants=text_or_junk,
    text=text_or_junk,
)
def test_milestone_and_report_forms_never_fail_on_bad_input(
    client_as, app, progress, weight, due, participants, text
):
    with app.app_context():
        pid = db.session.query(Project.id).filter_by(title="Fuzz").scalar()
        if pid is None:
            pid = make_project(title="Fuzz").id
    lead = client_as("lead")
    response = lead.post(
        f"/projekte/{pid}/meilensteine/neu",
        data={"title": "M", "due_date": due, "weight": weight, "progress": progress},
    )
    assert response.status_code in (302, 422)
    response = lead.post(
        f"/projekte/{pid}/berichte/neu",
        data={"report_date": due, "text": text, "value_participants": participants},
    )
    assert response.status_code in (302, 422)
    with app.app_context():
        for m in db.session.query(Milestone):
            assert 0 <= m.progress <= 100 and m.weight >= 1
        for r in db.session.query(StatusReport):
            assert r.text.strip()
            assert all(v.value >= 0 for v in r.values)


def test_bad_milestone_shows_message_next_to_field(app, client_as):
    pid = _project(app)
    response = client_as("lead").post(
        f"/projekte/{pid}/meilensteine/neu",
        data={"title": "Werkstatt", "due_date": "2026-05-01", "weight": "0", "progress": "120"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="progress-error"' in page and 'id="weight-error"' in page
    assert 'value="Werkstatt"' in page


def test_overdue_milestone_reminded_once_with_a_mail(app, demo):
    with app.app_context():
        p = make_project()
        today = date(2026, 6, 1)
        m = services.add_milestone(
            user("lead"),
            p,
            title="Laborausstattung",
            due_date=today - timedelta(days=2),
            weight=2,
            progress=30,
        )
        # Not active yet (an idea): no reminder.
        assert reminders.remind_overdue_milestones(today) == 0
        _approve_directly(app, p.id)
        assert reminders.remind_overdue_milestones(today) == 1
        assert reminders.remind_overdue_milestones(today) == 0
        assert reminders.remind_overdue_milestones(today + timedelta(days=1)) == 0
        note = db.session.query(Notification).filter_by(kind="milestone_overdue").one()
        assert note.person_id == p.lead_person_id
        assert (note.object_type, note.object_id, note.url) == (
            "project",
            p.id,
            f"/projekte/{p.id}",
        )
        assert note.dedup_key == f"ms-overdue:{m.id}:{m.due_date.isoformat()}:{p.lead_person_id}"
        assert "Laborausstattung" in note.message
        mails = db.session.query(OutboxMail).filter(OutboxMail.reason.like("ms-overdue:%")).all()
        assert len(mails) == 1 and mails[0].recipient == "projekt@osnabrueck.example"
        assert "Laborausstattung" in mails[0].subject


def test_due_report_reminded_once(app, demo):
    with app.app_context():
        p = make_project(start_date=date(2026, 1, 1), report_interval_months=1)
        _approve_directly(app, p.id)
        assert reminders.remind_due_reports(date(2026, 1, 31)) == 0  # due 1 Feb
        assert reminders.remind_due_reports(date(2026, 2, 1)) == 1
        assert reminders.remind_due_reports(date(2026, 2, 2)) == 0
        services.add_report(
            user("lead"),
            db.session.get(Project, p.id),
            report_date=date(2026, 2, 3),
            text="Lief gut.",
            values={},
        )
        assert reminders.remind_due_reports(date(2026, 2, 20)) == 0
        assert reminders.remind_due_reports(date(2026, 3, 3)) == 1
        assert (
            db.session.query(OutboxMail).filter(OutboxMail.reason.like("report-due:%")).count() == 2
        )
        notes = db.session.query(Notification).filter_by(kind="report_due").all()
        assert len(notes) == 2 and {n.person_id for n in notes} == {p.lead_person_id}


@pytest.mark.calendar
def test_the_reminder_job_counts_days_in_berlin(app, demo, client_as, clock):
    """The hourly job: a milestone due today is overdue from 00:30 tomorrow
    in Berlin (still today in UTC), and the project page says so; a monthly
    report is due on the day a month after the start (the last day of a
    shorter month at most) and reminded from its first minute in Berlin –
    each once."""
    with app.app_context():
        today = local_today()
        p = make_project(
            start_date=today, end_date=today + timedelta(days=400), report_interval_months=1
        )
        services.add_milestone(
            user("lead"), p, title="Werkstatt eingerichtet", due_date=today, weight=1, progress=0
        )
        _approve_directly(app, p.id)
        due = services.next_report_due(db.session.get(Project, p.id), None)
        assert due == services.add_months(today, 1)
        assert jobs.send_reminders() == {"milestones": 0, "reports": 0}
        page = f"/projekte/{p.id}"
        assert "überfällig" not in client_as("lead").get(page).get_data(as_text=True)
        clock.move_to(berlin(today + timedelta(days=1), 0, 30))
        assert utcnow().date() == today
        assert "überfällig" in client_as("lead").get(page).get_data(as_text=True)
        assert jobs.send_reminders() == {"milestones": 1, "reports": 0}
        clock.move_to(berlin(due - timedelta(days=1), 23, 30))
        assert jobs.send_reminders() == {"milestones": 0, "reports": 0}
        clock.move_to(berlin(due, 0, 30))
        assert utcnow().date() == due - timedelta(days=1)
        assert jobs.send_reminders() == {"milestones": 0, "reports": 1}
        clock.shift(timedelta(hours=1))
        assert jobs.send_reminders() == {"milestones": 0, "reports": 0}
        note = db.session.query(Notification).filter_by(kind="report_due").one()
        assert due.strftime("%d.%m.%Y") in note.message


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 12, 31), 1, date(2027, 1, 31)),  # over the year's end
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 10, 25), 6, date(2027, 4, 25)),
    ],
)
def test_report_interval_adds_calendar_months(day, months, expected):
    assert services.add_months(day, months) == expected


def test_workflow_history_and_panel_on_the_page(app, client_as):
    pid = _project(app)
    lead = client_as("lead")
    page = lead.get(f"/projekte/{pid}").get_data(as_text=True)
    assert "Beantragen" in page
    response = lead.post(f"/projekte/{pid}/schritt/beantragen", data={"t-beantragen-version": "0"})
    assert response.status_code == 302
    page = lead.get(f"/projekte/{pid}").get_data(as_text=True)
    assert "Projektantrag: MINT-Forscherwerkstatt" in page
    with app.app_context():
        assert wf.history(db.session.get(Project, pid))[-1].to_title == "Beantragt"
