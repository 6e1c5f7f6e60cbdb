"""Browser acceptance test of action-field projects (issue 6).

The Bildungsbüro puts the project's paper on the agenda of a Vorstands-
konferenz meeting and runs the vote there; the present members' ballots are
cast through the voting service; the scheduler job that follows decisions
runs in the test.
"""

from __future__ import annotations

import re
from datetime import timedelta

from ._journey_helpers import decide_in_a_vk_meeting


def _save(page, name="Speichern"):
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def test_project_from_idea_to_approval_progress_and_reach(
    app, page, browser, live_server, login_browser, assert_no_axe_violations
):

    from netzwerk.projects.services import add_months
    from netzwerk.timeutil import local_today

    # A year's project from the first of this month (the app's clock).
    start = local_today().replace(day=1)
    end = add_months(start, 12) - timedelta(days=1)

    # --- the project lead creates the project -------------------------------------
    login_browser(page, live_server, "lead")
    page.goto(live_server + "/projekte/")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Neues Projekt").first.click()
    page.wait_for_url(re.compile(r"/projekte/neu"))
    page.get_by_label("Titel").fill("Solar-Forscherclub Schinkel")
    page.get_by_label("Aktionsfeld").select_option(
        label="Wirtschaft, Umwelt, Technik und Wissenschaft"
    )
    page.get_by_label("Ziele").fill("Kinder bauen Solaranlagen und lernen Technikberufe kennen.")
    page.get_by_label("Kinder", exact=True).check()
    page.get_by_label("Jugendliche", exact=True).check()
    page.get_by_label("Beginn", exact=True).fill(start.isoformat())
    page.get_by_label("Ende", exact=True).fill(end.isoformat())
    page.get_by_label("Budget in Euro").fill("12500,00")
    page.get_by_label("Nach der Genehmigung öffentlich zeigen").check()
    assert_no_axe_violations(page)
    _save(page, "Projekt speichern")
    assert re.search(r"/projekte/\d+$", page.url)
    project_url = page.url
    project_id = int(project_url.rsplit("/", 1)[1])

    # --- two partners: an SME and a school -----------------------------------------
    for organisation, role in (
        ("Hasetal Solartechnik GmbH (KMU)", "KMU-Partner"),
        ("Gesamtschule Schinkel (Schule)", "Schulpartner"),
    ):
        page.get_by_role("link", name="Partner hinzufügen").click()
        page.locator("#organisation_id").select_option(label=organisation)
        page.get_by_label("Rolle im Projekt").fill(role)
        _save(page, "Partner hinzufügen")
    partners = page.get_by_role("region", name="Partner")
    assert "Hasetal Solartechnik GmbH" in partners.inner_text()
    assert "Gesamtschule Schinkel" in partners.inner_text()

    # --- three milestones --------------------------------------------------------------
    for title, months, weight in (
        ("Werkstatt eingerichtet", 1, "1"),
        ("Forscherwoche", 6, "2"),
        ("Ausstellung", 11, "1"),
    ):
        page.get_by_role("link", name="Meilenstein hinzufügen").click()
        page.get_by_label("Meilenstein").fill(title)
        page.get_by_label("Fällig am").fill(add_months(start, months).isoformat())
        page.get_by_label("Gewicht").fill(weight)
        _save(page, "Meilenstein speichern")
    assert page.locator("tr[data-milestone]").count() == 3

    # --- submission: the proposal goes to the Vorstandskonferenz as a paper ---------------
    _save(page, "Beantragen")
    assert page.locator(".workflow-state .badge").inner_text() == "Beantragt"
    approval_box = page.get_by_role("region", name="Genehmigung")
    assert "Antrag an die Vorstandskonferenz" in approval_box.inner_text()
    assert_no_axe_violations(page)

    # --- the Bildungsbüro reviews once: the paper goes before the Vorstandskonferenz ----------
    office_context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    office = office_context.new_page()
    login_browser(office, live_server, "office")
    office.goto(project_url)
    office.locator("#t-pruefen-comment").fill("Vollständig; ohne Vorberatung.")
    _save(office, "Prüfung abschließen")
    assert office.locator(".workflow-state .badge").inner_text() == "Geprüft"
    office.get_by_role("region", name="Genehmigung").get_by_role("link").first.click()
    office.wait_for_url(re.compile(r"/vorlagen/\d+$"))
    paper_id = int(office.url.rsplit("/", 1)[1])
    assert (
        office.locator(".workflow-state .badge").inner_text()
        == "Zur Entscheidung (Vorstandskonferenz)"
    )

    # Closing the vote approves the project in the same transaction: no job.
    decide_in_a_vk_meeting(office, live_server, app, paper_id)
    office_context.close()

    page.goto(project_url)
    assert page.locator(".workflow-state .badge").inner_text() == "Genehmigt"
    decision = page.locator(".project-decision")
    assert re.search(r"Beschluss VK/\d{4}/B\d{3} vom \d\d\.\d\d\.\d{4}", decision.inner_text())
    assert "Angenommen" in decision.inner_text()
    assert_no_axe_violations(page)

    # --- the lead updates a milestone and files a status report ---------------------------------
    page.get_by_role("link", name="Werkstatt eingerichtet").click()
    page.get_by_label("Fortschritt in Prozent").fill("100")
    _save(page, "Meilenstein speichern")
    page.get_by_role("link", name="Forscherwoche").click()
    page.get_by_label("Fortschritt in Prozent").fill("50")
    _save(page, "Meilenstein speichern")
    # (1*100 + 2*50 + 1*0) / 4 = 50 %
    assert "50,0 %" in page.locator("dd.project-progress").inner_text()

    page.get_by_role("link", name="Sachstandsbericht abgeben").click()
    page.locator("textarea#text").fill("Die Werkstatt läuft, zwei Klassen forschen.")
    page.get_by_label("Erreichte Teilnehmende").fill("42")
    page.get_by_label("Durchgeführte Veranstaltungen").fill("3")
    assert_no_axe_violations(page)
    _save(page, "Sachstandsbericht abgeben")
    assert (
        "Die Werkstatt läuft" in page.get_by_role("region", name="Sachstandsberichte").inner_text()
    )

    # --- the action field's page shows the new progress and reach ----------------------------------
    page.goto(live_server + "/projekte/aktionsfeld/wirtschaft-umwelt-technik")
    row = page.locator(f"tr[data-project='{project_id}']")
    assert "50,0 %" in row.locator(".project-progress").inner_text()
    reach = page.locator(".portfolio-reach")
    assert reach.locator("dd[data-indicator=participants]").inner_text() == "42"
    assert reach.locator("dd[data-indicator=events]").inner_text() == "3"
    assert_no_axe_violations(page)

    # Anonymous visitors see the approved public project, without the workflow panel.
    anonymous = browser.new_context(locale="de-DE")
    visitor = anonymous.new_page()
    visitor.goto(project_url)
    assert visitor.get_by_role("heading", name="Solar-Forscherclub Schinkel").is_visible()
    assert visitor.locator(".workflow-panel").count() == 0
    assert_no_axe_violations(visitor)
    anonymous.close()
