"""Workflow pages: list, detail with SVG diagram and source, choice per body."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.governance.models import Body
from netzwerk.workflow.catalog import get_catalog
from netzwerk.workflow.diagram import render_svg
from netzwerk.workflow.models import BodyWorkflow

SVG = "{http://www.w3.org/2000/svg}"


def test_anonymous_is_sent_to_login(client):
    for url in (
        "/workflows/",
        "/workflows/beschlussvorlage",
        "/workflows/beschlussvorlage/diagramm.svg",
        "/verwaltung/workflows/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_list_is_for_staff(client_as):
    html = client_as("office").get("/workflows/").get_data(as_text=True)
    assert "Beschlussvorlage mit Vorberatung" in html
    assert "Umlaufverfahren" in html
    assert client_as("member").get("/workflows/").status_code == 403


def test_detail_shows_diagram_and_source(client_as):
    html = client_as("office").get("/workflows/beschlussvorlage").get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert "In Prüfung durch das Bildungsbüro" in html
    assert "workflow: beschlussvorlage" in html  # the YAML source
    # Members may read how their papers move, too.
    assert client_as("member").get("/workflows/beschlussvorlage").status_code == 200
    assert client_as("member").get("/workflows/gibt_es_nicht").status_code == 404


def test_svg_file_is_well_formed_with_a_box_per_state_and_labelled_arrows(client_as, app):
    response = client_as("office").get("/workflows/beschlussvorlage/diagramm.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.get_data())
    with app.app_context():
        definition = get_catalog().get("beschlussvorlage")
    states = {g.get("data-state") for g in root.iter(f"{SVG}g") if g.get("class") == "state"}
    assert states == set(definition.states)
    texts = {"".join(t.itertext()) for t in root.iter(f"{SVG}text")}
    for transition in definition.transitions.values():
        assert transition.label in texts
    assert root.find(f"{SVG}title").text == definition.title


def test_every_shipped_diagram_renders(app):
    with app.app_context():
        for definition in get_catalog().sorted():
            svg = str(render_svg(definition))
            ET.fromstring(svg)  # well-formed
            assert svg.count('class="state"') == len(definition.states)


def test_diagram_escapes_titles(app):
    with app.app_context():
        definition = get_catalog().get("protokoll")
    from dataclasses import replace

    state = replace(definition.states["entwurf"], title='<script>alert("x")</script>')
    hostile = replace(definition, states={**definition.states, "entwurf": state})
    svg = str(render_svg(hostile))
    assert "<script>" not in svg
    ET.fromstring(svg)


def _slot_field(form_html: str, label: str) -> str:
    """The name of the select whose label is ``label``."""
    match = re.search(rf'<label for="(slot_\d+)"[^>]*>{re.escape(label)}</label>', form_html)
    assert match, label
    return match.group(1)


def test_the_office_chooses_a_workflow_per_body_among_those_made_for_the_slot(client_as, app):
    office = client_as("office")
    html = office.get("/verwaltung/workflows/").get_data(as_text=True)
    assert "Vorstandskonferenz" in html and "Beschlussvorlage mit Vorberatung" in html
    with app.app_context():
        vk_id = db.session.scalar(select(Body.id).where(Body.short_name == "VK"))
    form = office.get(f"/verwaltung/workflows/{vk_id}").get_data(as_text=True)
    field = _slot_field(form, "Beschlussvorlage")
    select_html = form.split(f'name="{field}"', 1)[1].split("</select>", 1)[0]
    assert 'value="beschlussvorlage"' in select_html
    assert 'value="informationsvorlage"' not in select_html  # made for another slot

    response = office.post(f"/verwaltung/workflows/{vk_id}", data={field: "informationsvorlage"})
    assert response.status_code in (200, 422)
    assert "Keine gültige Auswahl" in response.get_data(as_text=True) or (
        "Not a valid choice" in response.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.scalars(select(BodyWorkflow)).all() == []

    response = office.post(f"/verwaltung/workflows/{vk_id}", data={field: "beschlussvorlage"})
    assert response.status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(BodyWorkflow)).all()
        assert [(r.body_id, r.applies_to, r.workflow_name) for r in rows] == [
            (vk_id, "paper:resolution", "beschlussvorlage")
        ]
    assert client_as("member").get("/verwaltung/workflows/").status_code == 403


def test_admin_sections_link_the_workflow_pages(client_as):
    html = client_as("admin").get("/verwaltung/").get_data(as_text=True)
    assert "/workflows/" in html and "/verwaltung/workflows/" in html


def test_notifications_page_lists_and_marks_read(client_as, app):
    from netzwerk.notifications.models import Notification

    member = client_as("member")
    with app.app_context():
        vk_id = db.session.scalar(select(Body.id).where(Body.short_name == "VK"))
    member.post(
        "/vorlagen/neu",
        data={"title": "Lesepaten", "kind": "resolution", "body_id": vk_id, "text": "Text"},
    )
    with app.app_context():
        from netzwerk.papers.models import Paper

        paper_id = db.session.scalar(select(Paper.id))
    member.post(f"/vorlagen/{paper_id}/schritt/einreichen", data={"t-einreichen-version": "0"})
    office = client_as("office")
    html = office.get("/benachrichtigungen").get_data(as_text=True)
    assert "Lesepaten" in html and "Eingereicht" in html
    assert f'href="/vorlagen/{paper_id}"' in html
    assert office.post("/benachrichtigungen").status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(Notification)).all()
        office_rows = [r for r in rows if r.read_at is not None]
        assert office_rows and all(r.read_at for r in office_rows)
    assert "Lesepaten" not in member.get("/benachrichtigungen").get_data(as_text=True)


def test_a_step_whose_condition_fails_says_why_instead_of_a_button(client_as, app):
    member = client_as("member")
    with app.app_context():
        vk_id = db.session.scalar(select(Body.id).where(Body.short_name == "VK"))
    member.post(
        "/vorlagen/neu",
        data={"title": "Noch ohne Text", "kind": "resolution", "body_id": vk_id, "text": ""},
    )
    with app.app_context():
        from netzwerk.papers.models import Paper

        paper_id = db.session.scalar(select(Paper.id).where(Paper.title == "Noch ohne Text"))
    html = member.get(f"/vorlagen/{paper_id}").get_data(as_text=True)
    assert "Noch nicht möglich" in html and "Der Text ist noch leer." in html
    assert 'value="einreichen"' not in html
