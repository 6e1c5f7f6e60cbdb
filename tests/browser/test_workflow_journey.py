"""Browser acceptance tests of the workflow engine (issue 3)."""

from __future__ import annotations

import re


def test_office_opens_a_workflow_diagram(
    page, live_server, login_browser, assert_no_axe_violations
):
    login_browser(page, live_server, "office")
    page.goto(live_server + "/verwaltung/")
    page.get_by_role("link", name=re.compile(r"^Workflows$")).click()
    page.wait_for_url(re.compile(r"/workflows/$"))
    page.get_by_role("link", name="Beschlussvorlage mit Vorberatung").click()
    page.wait_for_url(re.compile(r"/workflows/beschlussvorlage$"))

    diagram = page.get_by_role("img", name="Beschlussvorlage mit Vorberatung")
    assert diagram.is_visible()
    box = diagram.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200
    # States and transitions are labelled in the SVG itself (no JavaScript).
    svg_text = diagram.text_content() or ""
    assert "In Prüfung durch das Bildungsbüro" in svg_text
    assert "Der Vorstandskonferenz vorlegen" in svg_text
    # The definition is shown next to the diagram.
    assert "workflow: beschlussvorlage" in page.locator("pre.workflow-source").inner_text()
    assert_no_axe_violations(page)


def test_member_submits_a_paper_and_sees_it_in_the_history(
    page, live_server, login_browser, assert_no_axe_violations
):
    login_browser(page, live_server, "member")
    page.goto(live_server + "/vorlagen/")
    page.get_by_role("link", name="Neue Vorlage").click()
    page.wait_for_url(re.compile(r"/vorlagen/neu$"))
    assert_no_axe_violations(page)

    page.get_by_label("Titel").fill("Ganztagsangebote an Grundschulen ausbauen")
    page.get_by_label("Beschlussvorlage").check()
    page.get_by_label("Eingereicht bei").select_option(label="Vorstandskonferenz")
    page.get_by_label("Text", exact=True).fill(
        "Die Vorstandskonferenz möge beschließen, die Ganztagsangebote auszubauen."
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Speichern").click()
    assert re.search(r"/vorlagen/\d+$", page.url)
    assert page.locator(".workflow-state .badge").inner_text() == "Entwurf"

    with page.expect_navigation():
        page.get_by_role("button", name="Einreichen").click()
    assert page.locator(".workflow-state .badge").inner_text() == "Eingereicht"
    history = page.get_by_role("region", name="Verlauf")
    entries = history.locator("ol.timeline > li")
    assert entries.count() == 2
    last = entries.nth(1).inner_text()
    assert "Einreichen" in last
    assert "Entwurf → Eingereicht" in last
    assert "Ahlers" in last
    # The author may no longer submit; only withdrawing is left.
    assert page.get_by_role("button", name="Einreichen").count() == 0
    assert page.get_by_role("button", name="Zurückziehen").count() == 1
    assert_no_axe_violations(page)
