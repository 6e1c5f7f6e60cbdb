"""Paper pages: list, create, detail with state, buttons and history."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from meetings.helpers import berlin, move_on_to, paper_for_decision
from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.governance.models import Body
from netzwerk.papers.models import Paper
from netzwerk.timeutil import local_today, utcnow


def _body_id(app, short_name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Body.id).where(Body.short_name == short_name))


def _create(
    client, app, title="Sprachförderung in Kitas", body="VK", kind="resolution", text="Text"
):
    return client.post(
        "/vorlagen/neu",
        data={"title": title, "kind": kind, "body_id": _body_id(app, body), "text": text},
    )


def _paper(app) -> Paper:
    with app.app_context():
        paper = db.session.scalar(select(Paper).order_by(Paper.id.desc()))
        db.session.expunge_all()
        return paper


def test_anonymous_is_sent_to_login(client):
    for url in ("/vorlagen/", "/vorlagen/neu", "/vorlagen/1"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_member_creates_submits_and_sees_history(client_as, app):
    member = client_as("member")
    response = _create(member, app)
    assert response.status_code == 302
    paper = _paper(app)
    assert paper.state == "entwurf" and paper.title == "Sprachförderung in Kitas"
    html = member.get(f"/vorlagen/{paper.id}").get_data(as_text=True)
    assert "Entwurf" in html
    # Exactly the author's buttons: submit and withdraw.
    actions = re.findall(r'action="/vorlagen/\d+/schritt/(\w+)"', html)
    assert sorted(actions) == ["einreichen", "zurueckziehen"]

    response = member.post(
        f"/vorlagen/{paper.id}/schritt/einreichen", data={"t-einreichen-version": "0"}
    )
    assert response.status_code == 302
    html = member.get(f"/vorlagen/{paper.id}").get_data(as_text=True)
    assert 'data-state="eingereicht"' in html
    assert "Einreichen" in html  # the history entry names the step
    assert re.findall(r'action="/vorlagen/\d+/schritt/(\w+)"', html) == ["zurueckziehen"]


def test_office_sees_its_buttons_and_required_comment_is_enforced(client_as, app):
    member = client_as("member")
    _create(member, app)
    paper = _paper(app)
    member.post(f"/vorlagen/{paper.id}/schritt/einreichen", data={"t-einreichen-version": "0"})
    office = client_as("office")
    html = office.get(f"/vorlagen/{paper.id}").get_data(as_text=True)
    assert sorted(re.findall(r'action="/vorlagen/\d+/schritt/(\w+)"', html)) == [
        "direkt_pruefen",
        "vorberatung_beginnen",
        "zurueckgeben",
    ]
    response = office.post(
        f"/vorlagen/{paper.id}/schritt/zurueckgeben",
        data={"t-zurueckgeben-version": "1", "t-zurueckgeben-comment": ""},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="t-zurueckgeben-comment-error"' in html
    assert _paper(app).state == "eingereicht"

    response = office.post(
        f"/vorlagen/{paper.id}/schritt/zurueckgeben",
        data={"t-zurueckgeben-version": "1", "t-zurueckgeben-comment": "Bitte Kosten angeben"},
    )
    assert response.status_code == 302
    assert _paper(app).state == "entwurf"
    html = office.get(f"/vorlagen/{paper.id}").get_data(as_text=True)
    assert "Bitte Kosten angeben" in html


def test_stale_page_gets_the_conflict_message(client_as, app):
    member = client_as("member")
    _create(member, app)
    paper = _paper(app)
    member.post(f"/vorlagen/{paper.id}/schritt/einreichen", data={"t-einreichen-version": "0"})
    response = member.post(
        f"/vorlagen/{paper.id}/schritt/zurueckziehen",
        data={"t-zurueckziehen-version": "0"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "zwischenzeitlich" in html or "in the meantime" in html
    assert _paper(app).state == "eingereicht"


def test_step_not_allowed_for_user_changes_nothing(client_as, app):
    member = client_as("member")
    _create(member, app)
    paper = _paper(app)
    lead = client_as("lead")  # no seat in the VK, not the author
    assert lead.get(f"/vorlagen/{paper.id}").status_code == 403
    office = client_as("office")
    response = office.post(
        f"/vorlagen/{paper.id}/schritt/einreichen", data={"t-einreichen-version": "0"}
    )
    assert response.status_code == 302
    assert _paper(app).state == "entwurf"


def test_member_cannot_submit_to_a_body_they_do_not_sit_in(client_as, app):
    lead = client_as("lead")  # chairs AG ÜSB, member of the BK, not in the VK
    response = _create(lead, app, body="VK")
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(
        as_text=True
    ) or "gültige" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Paper.id)) is None
    assert _create(lead, app, body="BK").status_code == 302


def test_list_shows_only_visible_papers(client_as, app):
    member = client_as("member")
    _create(member, app, title="Vorlage für die VK")
    lead = client_as("lead")
    _create(lead, app, title="Vorlage für die BK", body="BK")
    assert "Vorlage für die VK" not in lead.get("/vorlagen/").get_data(as_text=True)
    html = client_as("office").get("/vorlagen/").get_data(as_text=True)
    assert "Vorlage für die VK" in html and "Vorlage für die BK" in html


def test_author_edits_only_while_editable(client_as, app):
    member = client_as("member")
    _create(member, app)
    paper = _paper(app)
    response = member.post(
        f"/vorlagen/{paper.id}/bearbeiten", data={"title": "Neuer Titel", "text": "Neuer Text"}
    )
    assert response.status_code == 302
    assert _paper(app).title == "Neuer Titel"
    member.post(f"/vorlagen/{paper.id}/schritt/einreichen", data={"t-einreichen-version": "0"})
    assert member.get(f"/vorlagen/{paper.id}/bearbeiten").status_code == 403


def test_list_query_count_is_flat(client_as, app, count_queries):
    member = client_as("member")
    _create(member, app, title="Eins")
    with count_queries() as few:
        member.get("/vorlagen/")
    for i in range(6):
        _create(member, app, title=f"Vorlage {i}", kind="information" if i % 2 else "resolution")
    with count_queries() as many:
        member.get("/vorlagen/")
    assert many.count <= few.count + 1


def test_bad_input_never_500_and_never_half_written(client_as, app):
    member = client_as("member")

    @settings(max_examples=25, deadline=None)
    @given(title=st.text(max_size=400), kind=st.text(max_size=15), body=st.text(max_size=5))
    def check(title, kind, body):
        with app.app_context():
            before = db.session.query(Paper).count()
        response = member.post(
            "/vorlagen/neu", data={"title": title, "kind": kind, "body_id": body, "text": "x"}
        )
        assert response.status_code in (200, 302)
        with app.app_context():
            after = db.session.query(Paper).count()
        assert after == before + (1 if response.status_code == 302 else 0)

    check()


@pytest.mark.calendar
def test_papers_are_numbered_per_body_and_year_in_berlin(app_ctx, demo, clock):
    """A paper gets its number when it is put before the body: per body, per
    year in Berlin.  Just after midnight on 1 January (still 31 December in
    UTC) the numbers start again."""
    year = local_today().year
    move_on_to(clock, berlin(date(year, 12, 31), 23, 40))
    first = paper_for_decision("VK", "Erste Vorlage")
    second = paper_for_decision("VK", "Zweite Vorlage")
    other = paper_for_decision("BK", "Vorlage der Bildungskonferenz")
    assert (first.number, second.number) == (f"VK/{year}/001", f"VK/{year}/002")
    assert other.number == f"BK/{year}/001"
    clock.move_to(berlin(date(year + 1, 1, 1), 0, 30))
    assert utcnow().year == year
    assert paper_for_decision("VK", "Neujahrsvorlage").number == f"VK/{year + 1}/001"
