"""Browser acceptance test of the partner portal (issue 23): a project lead
invites a school's contact person, who reports without an account; the lead
accepts it into a status report; the revoked link answers with a clear page."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.mail.services import send_pending


def _body(message) -> str:
    return message.get_payload(decode=True).decode()


def test_partner_reports_lead_accepts_revoked_link_is_clear(
    page, browser, app, live_server, login_browser, assert_no_axe_violations, smtp_server
):
    from projects.helpers import make_project, org, user

    from netzwerk.governance.models import Person
    from netzwerk.projects import portfolio, services
    from netzwerk.timeutil import local_today

    with app.app_context():
        lead = user("lead")
        project = make_project(title="Forscherklassen Schinkel")
        school = org("Gesamtschule Schinkel")
        services.add_partner(lead, project, organisation_id=school.id, role="Schulpartner")
        services.add_milestone(
            lead,
            project,
            title="Erste Forscherwoche",
            due_date=local_today() + timedelta(days=14),
            weight=2,
            partner_organisation_id=school.id,
        )
        services.add_milestone(
            lead, project, title="Ausstellung", due_date=local_today() + timedelta(days=90)
        )
        contact = db.session.scalar(select(Person).where(Person.organisation_id == school.id))
        project_id, contact_id, contact_email = project.id, contact.id, contact.email
        db.session.commit()
        db.session.remove()

    # 1. The project lead invites the school's contact person.
    login_browser(page, live_server, "lead")
    page.goto(live_server + f"/projekte/{project_id}")
    page.get_by_role("link", name="Partnerportal").click()
    page.wait_for_url(re.compile(r"/partnerportal$"))
    assert_no_axe_violations(page)
    page.locator("#partner_id").select_option(label="Gesamtschule Schinkel")
    page.locator("#contact_person_id").select_option(value=str(contact_id))
    with page.expect_navigation():
        page.get_by_role("button", name="Persönlichen Link senden").click()
    assert contact_email in page.locator(".flash, [role=status], main").first.inner_text()
    with app.app_context():
        send_pending()
    invitation = next(m for m in smtp_server.messages if m["To"] == contact_email)
    path = re.search(r"https?://[^/\s]+(/partner/\S+)", _body(invitation)).group(1)
    link = live_server.rstrip("/") + path

    # 2. The contact opens the link in a fresh browser and confirms with the mailed code.
    partner_context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    partner_context.set_default_timeout(15_000)
    partner = partner_context.new_page()
    partner.goto(link)
    assert partner.locator("input[name=password]").count() == 0
    with partner.expect_navigation():
        partner.get_by_role("button", name="Bestätigungscode an mich senden").click()
    with app.app_context():
        send_pending()
    code_mail = [m for m in smtp_server.messages if m["To"] == contact_email][-1]
    code = re.search(r"\b(\d{6})\b", _body(code_mail)).group(1)
    partner.get_by_label("Bestätigungscode").fill(code)
    with partner.expect_navigation():
        partner.get_by_role("button", name="Bestätigen").click()
    assert partner.get_by_role("heading", name="Ihre Meilensteine").is_visible()
    assert_no_axe_violations(partner)
    # Participant numbers for a report period, then the school's milestone.
    start = local_today() - timedelta(days=14)
    partner.get_by_label("Zeitraum vom").fill(start.isoformat())
    partner.get_by_label("Zeitraum bis").fill(local_today().isoformat())
    partner.locator("#participants").fill("56")
    with partner.expect_navigation():
        partner.get_by_role("button", name="Teilnehmendenzahlen senden").click()
    assert "Teilnehmendenzahlen wurden gesendet" in partner.content()
    with partner.expect_navigation():
        partner.get_by_role("button", name="„Erste Forscherwoche“ als erreicht bestätigen").click()
    assert "Meilenstein wurde bestätigt" in partner.content()

    # 3. The lead accepts both into a status report: progress and reach change.
    with app.app_context():
        progress_before = portfolio.compute_progress().get(project_id)
        reach_before = portfolio.latest_values([project_id]).get(project_id, {})
        db.session.remove()
    assert progress_before == 0 and not reach_before
    page.goto(live_server + f"/projekte/{project_id}/partnerportal")
    entries = page.get_by_role("region", name="Was Partner eingetragen haben")
    assert "56 Teilnehmende" in entries.inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="In einen Sachstandsbericht übernehmen").click()
    assert re.search(rf"/projekte/{project_id}$", page.url)
    with app.app_context():
        assert portfolio.compute_progress()[project_id] > 0
        assert portfolio.latest_values([project_id])[project_id]["participants"] == 56
        db.session.remove()
    assert "56" in page.get_by_role("region", name="Reichweite").inner_text()
    assert_no_axe_violations(page)

    # 4. The lead revokes the link: the partner's next visit gets a clear page.
    page.goto(live_server + f"/projekte/{project_id}/partnerportal")
    with page.expect_navigation():
        page.get_by_role("button", name="Link widerrufen").click()
    response = partner.goto(link)
    assert response.status == 410
    assert partner.get_by_role("heading", name="Dieser Link wurde widerrufen").is_visible()
    assert partner.locator("input[name=password]").count() == 0
    assert_no_axe_violations(partner)
    partner_context.close()
