"""Projects that came out of feedback: linked by the office, shown on the
sender's status page, the sender told by mail; evidence downloads."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.feedback import outcomes
from netzwerk.feedback import services as feedback_services
from netzwerk.feedback.models import Feedback, FeedbackChoice
from netzwerk.feedback.validation import FeedbackInput
from netzwerk.mail.models import OutboxMail
from netzwerk.projects import feedback_links, services
from projects.helpers import make_project, user


def _feedback(language: str = "uk") -> Feedback:
    feedback_services.ensure_default_choices()
    category = db.session.scalar(select(FeedbackChoice.id).where(FeedbackChoice.kind == "category"))
    return feedback_services.submit_feedback(
        FeedbackInput(
            category_id=category,
            rating=3,
            contact_consent=True,
            contact_email="olena@example.org",
        ),
        language=language,
    )


def test_a_linked_project_is_on_the_status_page_and_mailed(app_ctx, demo):
    feedback = _feedback()
    project = make_project(title="Sprachcafé")
    with pytest.raises(services.ProjectError):  # the office links, not the lead
        feedback_links.link_feedback(user("lead"), project, str(feedback.id))
    with pytest.raises(services.ProjectError) as refused:
        feedback_links.link_feedback(user("office"), project, "ZZZZ-ZZZZ-ZZZZ")
    assert refused.value.field == "feedback"
    feedback_links.link_feedback(
        user("office"), project, feedback_services.format_code(feedback.receipt_code)
    )
    with pytest.raises(services.ProjectError):  # once
        feedback_links.link_feedback(user("office"), project, str(feedback.id))
    steps = outcomes.outcomes(db.session.get(Feedback, feedback.id))
    assert [s.kind for s in steps] == ["project"]
    assert steps[0].title is None  # a draft project: nobody outside may read its title
    mail = db.session.scalar(select(OutboxMail).where(OutboxMail.recipient == "olena@example.org"))
    assert mail is not None and "У результаті з'явився проєкт." in mail.body


def test_the_lead_downloads_evidence_others_do_not(app, demo, client_as):
    from netzwerk.projects import partner_portal
    from projects.test_partner_portal import PNG, _confirmed, _setup

    with app.app_context():
        ids = _setup()
        invitation, _token = _confirmed(ids)
        entry = partner_portal.upload_evidence(invitation, "liste.png", PNG)
        entry_id = entry.id
        db.session.remove()
    url = f"/projekte/{ids['project']}/partnerportal/nachweis/{entry_id}"
    response = client_as("lead").get(url)
    assert response.status_code == 200 and response.data == PNG
    assert client_as("member").get(url).status_code == 403
    assert client_as("lead").get(url.replace(str(entry_id), "999999")).status_code == 404


def test_the_sender_hears_when_the_project_is_approved(app_ctx, demo, clock):
    from netzwerk.projects.demo import _fire_project, advance, flag
    from netzwerk.projects.models import Project
    from projects.helpers import decide_by_circular_resolution, submit

    feedback = _feedback("en")
    project = submit(make_project(title="Homework café", public=True))
    feedback_links.link_feedback(user("office"), project, str(feedback.id))
    decide_by_circular_resolution(clock, project.paper_id)
    db.session.expire_all()
    current = db.session.get(Project, project.id)
    assert advance(user("office"), current, flag("approved"), _fire_project)
    reasons = set(
        db.session.scalars(
            select(OutboxMail.reason).where(OutboxMail.recipient == "olena@example.org")
        )
    )
    assert f"feedback-news:{feedback.id}:project_approved:{project.id}" in reasons
    steps = outcomes.outcomes(db.session.get(Feedback, feedback.id))
    assert steps[0].approved and steps[0].title == "Homework café"  # public once approved


def test_the_project_page_links_feedback_for_the_office_only(app, demo, client_as):
    with app.app_context():
        feedback_id = _feedback().id
        project_id = make_project().id
        db.session.remove()
    url = f"/projekte/{project_id}/rueckmeldung"
    assert client_as("lead").post(url, data={"feedback": str(feedback_id)}).status_code == 403
    office = client_as("office")
    assert office.post(url, data={"feedback": "nichts"}).status_code == 422
    assert office.post(url, data={"feedback": str(feedback_id)}).status_code == 302
    assert "1 Rückmeldungen verknüpft" in office.get(f"/projekte/{project_id}").get_data(
        as_text=True
    )
