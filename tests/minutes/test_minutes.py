"""Minutes: composed from the meeting, approved and frozen, archived as PDF/A."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from meetings.helpers import berlin
from sqlalchemy import func, select

from netzwerk.audit.models import AuditEvent
from netzwerk.decisions import services as decisions
from netzwerk.decisions.models import ActionItem, Decision
from netzwerk.extensions import db
from netzwerk.governance.models import Body
from netzwerk.meetings import access, agenda, attendance, invitations, places, planning
from netzwerk.meetings.models import AgendaItem, AttendanceStatus
from netzwerk.minutes import render, services
from netzwerk.minutes.demo import ITEMS, load_minutes_demo
from netzwerk.minutes.models import Minutes, MinutesDocument, PdfCache
from netzwerk.minutes.text import render_summary
from netzwerk.timeutil import local_today, to_local, utcnow

from .helpers import (
    OFFICE,
    approve,
    decisions_json,
    fresh_meeting,
    fresh_minutes,
    held_meeting_with_minutes,
    pdf_attachments,
    pdf_meta,
    pdf_objects,
    pdf_text,
    user,
)


def _present_names(meeting) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        line.membership.person.full_name
        for line in attendance.roster(meeting)
        if line.status == AttendanceStatus.PRESENT.value
    ]


# --- acceptance: 12 agenda items with votes ------------------------------------------------


def test_pdf_of_twelve_items_has_everything_and_is_archival(app_ctx, demo):
    meeting, minutes = held_meeting_with_minutes()
    items = list(db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)))
    assert len(items) == 12
    numbers = list(
        db.session.scalars(select(Decision.number).where(Decision.meeting_id == meeting.id))
    )
    assert len(numbers) == sum(1 for *_x, vote, _p in ITEMS if vote)
    minutes = approve(minutes)
    pdf = services.minutes_pdf(minutes)
    assert pdf.frozen
    text = pdf_text(pdf.data)
    for item in items:
        assert " ".join(item.title.split()) in text, item.title
    for number in numbers:
        assert number in text
    for decision in db.session.scalars(select(Decision).where(Decision.meeting_id == meeting.id)):
        assert (
            f"Ja: {decision.yes_count} · Nein: {decision.no_count} · "
            f"Enthaltungen: {decision.abstain_count}"
        ) in text
    names = _present_names(meeting)
    assert len(names) >= 6
    for name in names:
        assert name in text, name
    assert "Seite 1 von" in text and "ENTWURF" not in text
    meta = pdf_meta(pdf.data)
    assert 'pdfaid:part="3"' in meta and 'pdfaid:conformance="B"' in meta
    assert "<rdf:li>de</rdf:li>" in meta  # dc:language
    assert "Protokoll der Sitzung" in meta  # dc:title
    objects = pdf_objects(pdf.data)
    assert b"/Lang (de)" in objects and b"/StructTreeRoot" in objects
    payload = decisions_json(pdf.data)
    assert sorted(d["number"] for d in payload["decisions"]) == sorted(numbers)
    first = payload["decisions"][0]
    assert {"yes", "no", "abstain"} <= set(first["votes"]) and first["agenda_item"]["title"]
    assert any(d["action_items"] for d in payload["decisions"])


def test_draft_is_marked_and_lists_attendance_groups(app_ctx, demo):
    meeting, minutes = held_meeting_with_minutes()
    pdf = services.minutes_pdf(minutes)
    assert not pdf.frozen
    text = pdf_text(pdf.data)
    assert "ENTWURF" in text and "nicht genehmigt" in text
    for heading in ("Anwesend", "Entschuldigt", "Abwesend", "Gäste", "Tagesordnung"):
        assert heading in text
    assert "Dr. Hannah Brinkmann" in text  # the guest
    assert "Protokollführung" in text and "Sabine Kortmann" in text
    assert "Einfache Mehrheit" in text and "Angenommen" in text and "Abgelehnt" in text


def test_deputy_is_listed_as_deputy(app_ctx, demo):
    from .helpers import user as get_user

    bk = db.session.scalar(
        select(Body).where(Body.short_name == "BK")  # type: ignore[attr-defined]
    )
    office = get_user(OFFICE)
    start = utcnow()
    meeting = planning.create_meeting(
        office,
        body_id=bk.id,
        starts_at=start,
        location_id=places.create_location(office, name="Stadthaus", address="", room="").id,
    )
    invitations.send_invitations(office, fresh_meeting(meeting.id), reason="kurz")
    invitations.fire_to_flag(office, fresh_meeting(meeting.id), "in_session")
    meeting = fresh_meeting(meeting.id)
    roster = attendance.roster(meeting)
    deputy = next(line.membership for line in roster if line.membership.deputy_of_id)
    attendance.set_attendance(
        office, meeting, {deputy.id: "present", deputy.deputy_of_id: "excused"}
    )
    snapshot = services.compose(fresh_meeting(meeting.id))
    deputies = snapshot["attendance"]["deputies"]
    assert deputies and deputies[0]["name"] == deputy.person.full_name
    assert deputies[0]["deputy_for"] == deputy.deputy_of.person.full_name


# --- freezing, checksum, corrections ------------------------------------------------------------


def test_approval_freezes_the_pdf_and_its_checksum(app_ctx, demo):
    meeting, minutes = held_meeting_with_minutes()
    minutes = approve(minutes)
    assert services.is_approved(minutes) and minutes.approved_at is not None
    doc = db.session.scalar(select(MinutesDocument).where(MinutesDocument.minutes_id == minutes.id))
    assert doc.sha256 == hashlib.sha256(doc.data).hexdigest()
    before = services.minutes_pdf(minutes)
    # The meeting's data changes afterwards: a guest, an action item's text.
    attendance.add_guest(user(OFFICE), fresh_meeting(meeting.id), "Nachträglicher Gast", None)
    item = db.session.scalar(select(ActionItem))
    decisions.update_action_item(
        item.id,
        title=f"{item.title} (geändert)",
        responsible_person_id=item.responsible_person_id,
        responsible_organisation_id=None,
        due_date=item.due_date,
        notes="Nachtrag",
    )
    after = services.minutes_pdf(fresh_minutes(minutes.id))
    assert after.sha256 == before.sha256 == doc.sha256 and after.data == before.data
    assert "Nachträglicher Gast" not in pdf_text(after.data)
    assert db.session.scalar(select(func.count()).select_from(MinutesDocument)) == 1
    # The audit trail has the approval, done by the engine.
    approvals = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "minutes",
            AuditEvent.object_id == minutes.id,
            AuditEvent.to_state == minutes.state,
        )
    ).all()
    assert len(approvals) == 1


def test_approved_pdf_is_served_with_its_checksum(app, demo, client_as):
    with app.app_context():
        meeting, minutes = held_meeting_with_minutes()
        minutes = approve(minutes)
        sha = services.documents(minutes)["full"].sha256
        minutes_id, meeting_id = minutes.id, meeting.id
    office = client_as("office")
    response = office.get(f"/protokolle/{minutes_id}/protokoll.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert hashlib.sha256(response.data).hexdigest() == sha
    assert response.headers["ETag"] == f'"{sha}"'
    assert response.headers["X-Content-SHA256"] == sha
    assert response.headers["Repr-Digest"].startswith("sha-256=:")
    again = office.get(
        f"/protokolle/{minutes_id}/protokoll.pdf", headers={"If-None-Match": f'"{sha}"'}
    )
    assert again.status_code == 304
    page = office.get(f"/sitzungen/{meeting_id}/protokoll")
    assert sha in page.get_data(as_text=True)


def test_correction_is_version_two_naming_version_one(app_ctx, demo):
    _meeting, minutes = held_meeting_with_minutes()
    minutes = approve(minutes)
    v1_sha = services.documents(minutes)["full"].sha256
    with pytest.raises(services.MinutesError):
        services.start_correction(user(OFFICE), minutes, "   ")
    v2 = services.start_correction(user(OFFICE), minutes, "Tippfehler in TOP 3 berichtigt")
    v2 = fresh_minutes(v2.id)
    assert v2.version_no == 2 and v2.corrects_id == minutes.id and services.is_editable(v2)
    assert services.entries(v2).keys() == services.entries(minutes).keys()
    with pytest.raises(services.MinutesError):  # only the newest version is corrected
        services.start_correction(user(OFFICE), fresh_minutes(minutes.id), "noch einmal")
    draft_text = pdf_text(services.minutes_pdf(v2).data)
    assert "Fassung 2" in draft_text and "berichtigt Fassung 1" in draft_text
    assert v1_sha in draft_text
    v2 = approve(v2)
    text = pdf_text(services.minutes_pdf(v2).data)
    assert "berichtigt Fassung 1" in text and v1_sha in text
    assert services.documents(fresh_minutes(minutes.id))["full"].sha256 == v1_sha


def test_approval_needs_a_closed_meeting_and_quorum(app_ctx, demo):
    from netzwerk.workflow.services import TransitionNotAllowed

    meeting, minutes = held_meeting_with_minutes()
    office = user(OFFICE)
    services.fire_transition(office, minutes, "in_umlauf_geben", None, minutes.version)
    minutes = fresh_minutes(minutes.id)
    with pytest.raises(TransitionNotAllowed):  # no open meeting of the body: no quorum
        services.fire_transition(office, minutes, "genehmigen", None, minutes.version)
    assert db.session.scalar(select(func.count()).select_from(MinutesDocument)) == 0
    still = fresh_minutes(minutes.id)
    assert not services.is_editable(still) and not services.is_approved(still)


def test_schedule_approval_puts_item_on_next_agenda(app_ctx, demo):
    from .helpers import open_approving_meeting

    _meeting, minutes = held_meeting_with_minutes()
    nxt = open_approving_meeting(minutes)
    titles = [line.item.title for line in agenda.flatten(agenda.agenda(nxt))]
    assert any(t.startswith("Genehmigung des Protokolls der Sitzung VK") for t in titles)
    with pytest.raises(services.MinutesError):
        services.schedule_approval(user(OFFICE), fresh_minutes(minutes.id), nxt.id)


# --- the draft cache ------------------------------------------------------------------------


def test_draft_is_rendered_again_only_when_the_data_changed(app_ctx, demo, monkeypatch):
    meeting, minutes = held_meeting_with_minutes()
    calls = []
    real = render.minutes_pdf

    def counting(snapshot, *, archival=True):  # type: ignore[no-untyped-def]
        calls.append(snapshot["version"])
        return real(snapshot, archival=archival)

    monkeypatch.setattr(render, "minutes_pdf", counting)
    first = services.minutes_pdf(minutes)
    second = services.minutes_pdf(fresh_minutes(minutes.id))
    assert len(calls) == 1 and first.sha256 == second.sha256
    attendance.add_guest(user(OFFICE), fresh_meeting(meeting.id), "Neuer Gast", "VHS")
    third = services.minutes_pdf(fresh_minutes(minutes.id))
    assert len(calls) == 2 and third.fingerprint != first.fingerprint
    assert "Neuer Gast" in pdf_text(third.data)
    assert db.session.scalar(select(func.count()).select_from(PdfCache)) == 1


# --- summaries: never markup ------------------------------------------------------------------

EVIL = (
    '<script>alert("x")</script> <img src="file:///etc/passwd"> '
    '<img src="http://example.org/track.png"> <a rel="attachment" href="file:///etc/passwd">a</a>'
    "\n\n**wichtig**"
)


def test_summary_with_html_is_text_in_page_and_pdf(app, demo, client_as, monkeypatch):
    from netzwerk import pdf as pdfmod

    fetched: list[str] = []
    real = pdfmod.static_only_fetcher

    def spying(folder):  # type: ignore[no-untyped-def]
        fetcher = real(folder)
        original = fetcher.fetch

        def fetch(url, headers=None):  # type: ignore[no-untyped-def]
            fetched.append(url)
            return original(url, headers)

        fetcher.fetch = fetch
        return fetcher

    monkeypatch.setattr(pdfmod, "static_only_fetcher", spying)
    with app.app_context():
        meeting, minutes = held_meeting_with_minutes()
        item_id = agenda.flatten(agenda.agenda(meeting))[0].item.id
        services.save_summaries(user(OFFICE), minutes, {item_id: (EVIL, 1)})
        minutes_id, meeting_id = minutes.id, meeting.id
    office = client_as("office")
    page = office.get(f"/sitzungen/{meeting_id}/protokoll").get_data(as_text=True)
    assert "<script>alert" not in page and '<img src="file' not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    response = office.get(f"/protokolle/{minutes_id}/protokoll.pdf")
    text = pdf_text(response.data)
    assert '<script>alert("x")</script>' in text and 'src="file:///etc/passwd"' in text
    assert "**wichtig**" not in text and "wichtig" in text
    assert "root:" not in text
    assert set(pdf_attachments(response.data)) == {"beschluesse.json"}
    assert not [u for u in fetched if not u.startswith("https://netzwerk.invalid/static/")]


def test_fetcher_refuses_everything_but_static_files(app):
    from pathlib import Path

    from netzwerk.pdf import FetchRefused, static_only_fetcher
    from netzwerk.pdf import render as render_pdf

    fetcher = static_only_fetcher(Path(app.static_folder))
    assert (
        b"minutes-autosave"
        not in fetcher.fetch("https://netzwerk.invalid/static/js/minutes-autosave.js").read()[:0]
        or True
    )
    ok = fetcher.fetch("https://netzwerk.invalid/static/js/minutes-autosave.js")
    assert b"autosave" in ok.read()
    for url in (
        "file:///etc/passwd",
        "http://example.org/x.png",
        "https://example.org/static/css/app.css",
        "https://netzwerk.invalid/static/../../../../etc/passwd",
        "https://netzwerk.invalid/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "https://netzwerk.invalid/etc/passwd",
        "data:text/plain,hallo",
        "ftp://example.org/x",
    ):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    # Raw HTML (never user content) that asks for files: nothing is embedded.
    with app.app_context():
        data = render_pdf(
            '<html lang="de"><body><a rel="attachment" href="file:///etc/passwd">x</a>'
            '<img src="file:///etc/passwd"><link rel="stylesheet" href="http://example.org/a.css">'
            "</body></html>"
        )
    assert pdf_attachments(data) == {}


@given(st.text(max_size=300))
@settings(max_examples=150, deadline=None)
def test_render_summary_never_lets_markup_through(text):
    html = str(render_summary(text))
    stripped = re.sub(r"</?(p|br|ul|ol|li|strong)>", "", html)
    assert "<" not in stripped and ">" not in stripped


def test_render_summary_light_syntax():
    html = str(render_summary("Absatz eins\nZeile zwei\n\n- a\n- **b**\n\n1. x\n2. y"))
    assert html == (
        "<p>Absatz eins<br>Zeile zwei</p><ul><li>a</li><li><strong>b</strong></li></ul>"
        "<ol><li>x</li><li>y</li></ol>"
    )


# --- concurrent editors ---------------------------------------------------------------------------


def test_second_editor_gets_a_conflict_and_nothing_is_lost(app_ctx, demo):
    meeting, minutes = held_meeting_with_minutes()
    item_id = agenda.flatten(agenda.agenda(meeting))[1].item.id
    revision = services.entries(minutes)[item_id].revision
    first = services.save_summaries(user(OFFICE), minutes, {item_id: ("Fassung A", revision)})
    assert first.saved == [item_id] and not first.conflicts
    second = services.save_summaries(
        user("ob@osnabrueck.example") if False else user(OFFICE),
        fresh_minutes(minutes.id),
        {item_id: ("Fassung B", revision)},
    )
    assert second.saved == [] and len(second.conflicts) == 1
    conflict = second.conflicts[0]
    assert conflict.mine == "Fassung B" and conflict.theirs == "Fassung A"
    assert services.entries(fresh_minutes(minutes.id))[item_id].summary == "Fassung A"
    third = services.save_summaries(
        user(OFFICE), fresh_minutes(minutes.id), {item_id: ("A und B", conflict.revision)}
    )
    assert third.saved == [item_id]


def test_conflict_in_the_browser_form_shows_both_texts(app, demo, client_as):
    with app.app_context():
        meeting, minutes = held_meeting_with_minutes()
        item_id = agenda.flatten(agenda.agenda(meeting))[1].item.id
        revision = services.entries(minutes)[item_id].revision
        minutes_id = minutes.id
    office = client_as("office")
    url = f"/protokolle/{minutes_id}/zusammenfassungen"
    key = f"m-summary_{item_id}"
    rev = f"m-revision_{item_id}"
    ok = office.post(url, data={key: "Text von A", rev: str(revision)})
    assert ok.status_code == 302
    clash = office.post(url, data={key: "Text von B", rev: str(revision)})
    assert clash.status_code == 409
    body = clash.get_data(as_text=True)
    assert "Text von A" in body and "Text von B" in body
    auto = office.post(
        url, data={key: "Text von C", rev: str(revision)}, headers={"X-Requested-With": "fetch"}
    )
    assert auto.status_code == 409 and auto.json["conflicts"] == [item_id]
    fine = office.post(
        url, data={key: "Text von C", rev: str(revision + 1)}, headers={"X-Requested-With": "fetch"}
    )
    assert fine.status_code == 200 and fine.json["revisions"][str(item_id)] == revision + 2


def test_summaries_cannot_change_after_circulation(app_ctx, demo):
    meeting, minutes = held_meeting_with_minutes()
    services.fire_transition(user(OFFICE), minutes, "in_umlauf_geben", None, minutes.version)
    item_id = agenda.flatten(agenda.agenda(meeting))[0].item.id
    with pytest.raises(services.MinutesError):
        services.save_summaries(user(OFFICE), fresh_minutes(minutes.id), {item_id: ("neu", 1)})


# --- access ----------------------------------------------------------------------------------------


def test_access_to_minutes_of_a_non_public_meeting(app, demo, client_as, client):
    with app.app_context():
        _meeting, minutes = held_meeting_with_minutes()
        minutes = approve(minutes)
        minutes_id, meeting_id = minutes.id, minutes.meeting_id
    assert client.get(f"/sitzungen/{meeting_id}/protokoll").status_code == 302
    assert client.get(f"/protokolle/{minutes_id}/protokoll.pdf").status_code == 302
    assert client.get(f"/oeffentlich/protokolle/{minutes_id}").status_code == 404
    assert client.get(f"/oeffentlich/protokolle/{minutes_id}/protokoll.pdf").status_code == 404
    outsider = client_as("lead")  # not a member of the Vorstandskonferenz
    assert outsider.get(f"/sitzungen/{meeting_id}/protokoll").status_code == 403
    assert outsider.get(f"/protokolle/{minutes_id}/protokoll.pdf").status_code == 403
    member = client_as("member")
    assert member.get(f"/sitzungen/{meeting_id}/protokoll").status_code == 200
    assert member.get(f"/protokolle/{minutes_id}/protokoll.pdf").status_code == 200
    # A member may read but not edit or approve.
    assert (
        member.post(f"/protokolle/{minutes_id}/berichtigung", data={"reason": "x"}).status_code
        == 403
    )


def test_public_approved_minutes_are_readable_without_login(app, demo, client):
    with app.app_context():
        meeting, minutes = held_meeting_with_minutes()
        from netzwerk.database import write_transaction

        with write_transaction():
            # Public minutes need a public meeting of a public body (visibility policy).
            fresh = fresh_meeting(meeting.id)
            fresh.public = True
            fresh.body.public = True
        draft_id = minutes.id
    assert client.get(f"/oeffentlich/protokolle/{draft_id}").status_code == 404  # not approved
    with app.app_context():
        minutes = approve(fresh_minutes(draft_id))
        docs = services.documents(minutes)
        assert set(docs) == {"full", "public"}  # two non-public items: a public edition
        public_sha = docs["public"].sha256
    page = client.get(f"/oeffentlich/protokolle/{draft_id}")
    assert page.status_code == 200 and public_sha in page.get_data(as_text=True)
    response = client.get(f"/oeffentlich/protokolle/{draft_id}/protokoll.pdf")
    assert response.status_code == 200 and response.headers["ETag"] == f'"{public_sha}"'
    text = pdf_text(response.data)
    assert "Personalangelegenheit" not in text and "Sprachförderung in Kitas" in text
    listing = client.get("/oeffentlich/protokolle/").get_data(as_text=True)
    assert f"/oeffentlich/protokolle/{draft_id}" in listing


def test_designated_minute_taker_may_edit(app, demo, client_as):
    from netzwerk.governance.models import Person

    with app.app_context():
        meeting, minutes = held_meeting_with_minutes()
        ahlers = db.session.scalar(select(Person).where(Person.last_name == "Ahlers"))
        item_id = agenda.flatten(agenda.agenda(meeting))[0].item.id
        revision = services.entries(minutes)[item_id].revision
        minutes_id = minutes.id
    member = client_as("member")  # Dr. Ahlers
    url = f"/protokolle/{minutes_id}/zusammenfassungen"
    data = {f"m-summary_{item_id}": "Von Frau Ahlers", f"m-revision_{item_id}": str(revision)}
    assert member.post(url, data=dict(data)).status_code == 403
    with app.app_context():
        services.set_minute_taker(user(OFFICE), fresh_minutes(minutes_id), ahlers.id)
    assert member.post(url, data=dict(data)).status_code == 302
    with app.app_context():
        assert services.entries(fresh_minutes(minutes_id))[item_id].summary == "Von Frau Ahlers"


# --- pages, invitation, CLI, demo --------------------------------------------------------------------


def test_office_starts_minutes_from_the_page(app, demo, client_as):
    from netzwerk.minutes.demo import hold_demo_meeting

    with app.app_context():
        meeting_id = hold_demo_meeting().id
        person_id = user(OFFICE).person_id
    office = client_as("office")
    page = office.get(f"/sitzungen/{meeting_id}/protokoll")
    assert page.status_code == 200 and "Protokoll beginnen" in page.get_data(as_text=True)
    bad = office.post(f"/sitzungen/{meeting_id}/protokoll/anlegen", data={"person_id": "999999"})
    assert bad.status_code == 422
    ok = office.post(f"/sitzungen/{meeting_id}/protokoll/anlegen", data={"person_id": person_id})
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Minutes)) == 1
    again = office.post(f"/sitzungen/{meeting_id}/protokoll/anlegen", data={"person_id": person_id})
    assert again.status_code == 422


def test_invitation_pdf_has_the_agenda(app, demo, client_as):
    with app.app_context():
        meeting, _minutes = held_meeting_with_minutes()
        titles = [line.item.title for line in agenda.flatten(agenda.agenda(meeting))]
        meeting_id = meeting.id
    response = client_as("member").get(f"/sitzungen/{meeting_id}/einladung.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Einladung" in text and "Seite 1 von" in text
    for title in titles:
        assert " ".join(title.split()) in text


def test_cli_renders_minutes(app, demo, tmp_path):
    with app.app_context():
        meeting, _minutes = held_meeting_with_minutes()
        meeting_id = meeting.id
    target = tmp_path / "protokoll.pdf"
    result = app.test_cli_runner().invoke(
        args=["netzwerk", "minutes", "render", str(meeting_id), "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF") and "sha256" in result.output
    missing = app.test_cli_runner().invoke(
        args=["netzwerk", "minutes", "render", "999999", "-o", str(target)]
    )
    assert missing.exit_code != 0


@pytest.mark.calendar
def test_demo_loader_is_idempotent(app_ctx, demo):
    assert load_minutes_demo() is True
    assert load_minutes_demo() is False
    minutes = db.session.scalars(select(Minutes)).all()
    assert len(minutes) == 1
    meeting = fresh_meeting(minutes[0].meeting_id)
    assert access.has_flag(meeting, "closed") and len(agenda.flatten(agenda.agenda(meeting))) == 12
    # Three weeks before today on the app's clock, at 16:00 in Osnabrück;
    # numbered in its year in Berlin, its action items due after today.
    start = to_local(meeting.starts_at)
    assert (start.date(), start.hour) == (local_today() - timedelta(days=21), 16)
    assert meeting.year == start.year
    assert {d.year for d in db.session.scalars(select(Decision))} == {start.year}
    due = list(db.session.scalars(select(ActionItem.due_date)))
    assert due and min(due) > local_today()


@pytest.mark.calendar
def test_minutes_of_a_meeting_after_midnight_carry_the_berlin_date(app, demo, client_as, clock):
    """A meeting on 1 January from 00:30 to 01:30 in Osnabrück (23:30 UTC on
    31 December): its minutes, its decision and the choice of the meeting that
    approves them carry the Berlin date and the new year."""
    from netzwerk.voting import services as voting
    from netzwerk.voting.meeting import open_meeting_poll

    from .helpers import berlin_meeting

    with app.app_context():
        year = local_today().year + 1
        office = user(OFFICE)
        starts = berlin(date(year, 1, 1), 0, 30)
        meeting = berlin_meeting(starts, ends=starts + timedelta(hours=1))
        item = agenda.add_free_item(office, meeting, title="Neujahrsempfang")
        invitations.send_invitations(office, fresh_meeting(meeting.id), reason="Neujahr")
        clock.move_to(starts)
        invitations.fire_to_flag(office, fresh_meeting(meeting.id), "in_session")
        meeting = fresh_meeting(meeting.id)
        voters = [
            line.membership for line in attendance.roster(meeting) if line.membership.voting_right
        ]
        attendance.set_attendance(office, meeting, {m.id: "present" for m in voters})
        poll = open_meeting_poll(office, fresh_meeting(meeting.id), item.id, title="Empfang")
        for membership in voters:
            voting.cast_ballot(poll.id, membership.person_id, "yes")
        voting.close_poll(poll.id, office)
        clock.move_to(starts + timedelta(hours=1))
        invitations.fire_to_flag(office, fresh_meeting(meeting.id), "closed")
        minutes = services.start_minutes(office, fresh_meeting(meeting.id), office.person_id)
        snapshot = services.compose(fresh_meeting(meeting.id), fresh_minutes(minutes.id))
        assert (snapshot["number"], snapshot["date"]) == (f"VK 1/{year}", f"01.01.{year}")
        assert snapshot["time"] == "00:30 – 01:30"
        (decision,) = snapshot["decisions"]
        assert decision["number"] == f"VK/{year}/B001"
        assert decision["decided_at"].startswith(f"{year}-01-01T00:")
        # The next meeting, just after midnight too: offered by its Berlin date.
        berlin_meeting(berlin(date(year, 2, 1), 0, 15))
        meeting_id = meeting.id
    page = client_as("office").get(f"/sitzungen/{meeting_id}/protokoll")
    assert page.status_code == 200
    assert f"VK 2/{year} – 01.02.{year}" in page.get_data(as_text=True)
