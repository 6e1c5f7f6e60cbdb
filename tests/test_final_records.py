"""Final is final (#20): a concluded paper's attachments, approved minutes
(their minute-taker included), closed polls and decisions are not changed,
neither through the services nor through the pages; a decision's text is
corrected only by a Berichtigung, a new version with a note, audited; a
decision shows where it came from; decision and paper numbers differ."""

from __future__ import annotations

import io
import re

import pytest
from conftest import demo_body, demo_user
from meetings.helpers import paper_for_decision
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from voting.helpers import seat_persons, start_poll

from netzwerk.audit.models import AuditEvent
from netzwerk.decisions import services as decisions
from netzwerk.decisions.models import Decision, DecisionVersion
from netzwerk.extensions import db
from netzwerk.papers import files
from netzwerk.papers.models import Paper, PaperAttachment
from netzwerk.voting import hands
from netzwerk.voting import services as voting
from netzwerk.voting.models import Poll
from netzwerk.workflow import services as workflow

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _decide_paper(*, attach: bool = True) -> tuple[Paper, Decision]:
    """A resolution paper of the VK (with an attachment), decided by a
    circular resolution: the paper concluded, its decision recorded."""
    paper = paper_for_decision()
    if attach:
        files.add_attachment(demo_user("office"), paper, "antrag.pdf", PDF)
    vk = demo_body("VK")
    poll = start_poll(
        vk.id,
        subject_type="paper",
        subject_id=paper.id,
        title=paper.title,
        question="Die Vorstandskonferenz beschließt die Sprachförderung.",
    )
    for person in seat_persons(vk.id):
        voting.cast_ballot(poll.id, person, "yes")
    voting.close_poll(poll.id)
    db.session.expire_all()
    paper = db.session.get(Paper, paper.id)
    decision = db.session.scalar(select(Decision).where(Decision.poll_id == poll.id))
    assert paper is not None and decision is not None
    assert workflow.is_final(paper), paper.state
    return paper, decision


# --- papers ---------------------------------------------------------------------


def test_a_concluded_papers_attachments_cannot_be_added_or_removed(app_ctx, demo):
    paper, _decision = _decide_paper()
    office = demo_user("office")
    with pytest.raises(files.AttachmentError, match="abgeschlossen"):
        files.add_attachment(office, paper, "nachtrag.pdf", PDF + b"%nachtrag\n")
    attachment = db.session.scalar(select(PaperAttachment))
    assert attachment is not None
    with pytest.raises(files.AttachmentError, match="abgeschlossen"):
        files.remove_attachment(office, attachment)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PaperAttachment)) == 1


def test_the_paper_page_hides_the_controls_and_a_post_gets_the_message(app, client_as, demo):
    with app.app_context():
        paper, _decision = _decide_paper()
        paper_id = paper.id
        attachment_id = db.session.scalar(select(PaperAttachment.id))
    office = client_as("office")
    page = office.get(f"/vorlagen/{paper_id}").get_data(as_text=True)
    assert f"/vorlagen/{paper_id}/anlagen/{attachment_id}/entfernen" not in page
    assert f'action="/vorlagen/{paper_id}/anlagen"' not in page
    assert "ihre Anlagen sind endgültig" in page
    added = office.post(
        f"/vorlagen/{paper_id}/anlagen",
        data={"file": (io.BytesIO(PDF + b"%x\n"), "nachtrag.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert added.status_code == 200
    assert "können nicht mehr geändert werden" in added.get_data(as_text=True)
    removed = office.post(
        f"/vorlagen/{paper_id}/anlagen/{attachment_id}/entfernen", follow_redirects=True
    )
    assert removed.status_code == 200
    assert "können nicht mehr geändert werden" in removed.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PaperAttachment)) == 1


# --- minutes --------------------------------------------------------------------


def _approved_minutes():  # type: ignore[no-untyped-def]
    from minutes.helpers import approve, held_meeting_with_minutes

    _meeting, minutes = held_meeting_with_minutes()
    return approve(minutes)


def test_approved_minutes_keep_their_minute_taker_and_summaries(app_ctx, demo):
    from minutes.helpers import fresh_minutes

    from netzwerk.minutes import services as minutes_services

    minutes = _approved_minutes()
    office = demo_user("office")
    taker = minutes.minute_taker_person_id
    other = next(
        pid for pid, _name in minutes_services.minute_taker_choices(minutes.meeting) if pid != taker
    )
    with pytest.raises(minutes_services.MinutesError, match="genehmigt"):
        minutes_services.set_minute_taker(office, minutes, other)
    item_id = next(iter(minutes_services.entries(minutes)))
    with pytest.raises(minutes_services.MinutesError):
        minutes_services.save_summaries(office, minutes, {item_id: ("Neu geschrieben", 1)})
    with pytest.raises(minutes_services.MinutesError):
        minutes_services.schedule_approval(office, minutes, minutes.meeting_id)
    again = fresh_minutes(minutes.id)
    assert again.minute_taker_person_id == taker
    # The correction is the way: a new version, the approved one unchanged.
    correction = minutes_services.start_correction(office, again, "Name im TOP 3 berichtigt")
    assert correction.version_no == 2 and correction.corrects_id == minutes.id


def test_the_minutes_page_hides_the_minute_taker_form_once_approved(app, client_as, demo):
    with app.app_context():
        minutes = _approved_minutes()
        minutes_id, meeting_id = minutes.id, minutes.meeting_id
        taker = minutes.minute_taker_person_id
        other = next(
            p.id for p in [demo_user("chair").person, demo_user("office").person] if p.id != taker
        )
    office = client_as("office")
    page = office.get(f"/sitzungen/{meeting_id}/protokoll").get_data(as_text=True)
    assert f"/protokolle/{minutes_id}/protokollfuehrung" not in page
    answer = office.post(
        f"/protokolle/{minutes_id}/protokollfuehrung",
        data={"person_id": str(other)},
        follow_redirects=True,
    )
    assert answer.status_code == 200
    assert "ist genehmigt und kann nicht mehr geändert werden" in answer.get_data(as_text=True)
    with app.app_context():
        from minutes.helpers import fresh_minutes

        assert fresh_minutes(minutes_id).minute_taker_person_id == taker


# --- closed polls (already guarded before #20: services and database triggers) ---------


def test_a_closed_poll_refuses_ballots_counts_reopening_and_updates(app_ctx, demo):
    _paper, decision = _decide_paper(attach=False)
    poll = db.session.get(Poll, decision.poll_id)
    assert poll is not None and poll.is_closed
    member = demo_user("member")
    with pytest.raises(voting.PollNotOpen):
        voting.cast_ballot(poll.id, member.person_id, "no")
    with pytest.raises(voting.PollNotOpen):
        voting.close_poll(poll.id)
    with pytest.raises(voting.PollNotOpen):
        voting.open_poll(poll.id)
    with pytest.raises(voting.VotingError):
        hands.enter_counts(demo_user("office"), poll.id, yes=1, no=1)
    with pytest.raises(DBAPIError):  # the database itself refuses
        db.session.execute(Poll.__table__.update().where(Poll.id == poll.id).values(yes_count=0))
    db.session.rollback()


# --- decisions ------------------------------------------------------------------


def test_a_decision_cannot_be_changed_by_any_code_path(app_ctx, demo):
    _paper, decision = _decide_paper(attach=False)
    number, text = decision.number, decision.text
    decision.text = "Heimlich geändert"
    with pytest.raises(decisions.DecisionError, match="endgültig"):
        db.session.flush()
    db.session.rollback()
    decision = db.session.get(Decision, decision.id)
    decision.outcome = "rejected"
    with pytest.raises(decisions.DecisionError):
        db.session.flush()
    db.session.rollback()
    decision = db.session.get(Decision, decision.id)
    db.session.delete(decision)
    with pytest.raises(decisions.DecisionError):
        db.session.flush()
    db.session.rollback()
    db.session.expire_all()
    stored = db.session.get(Decision, decision.id)
    assert (stored.number, stored.text, stored.outcome) == (number, text, "adopted")


def test_a_correction_is_a_new_version_with_a_note_and_an_audit_event(app_ctx, demo):
    _paper, decision = _decide_paper(attach=False)
    original = decision.text
    office, member = demo_user("office"), demo_user("member")
    with pytest.raises(decisions.DecisionError):  # a member does not correct
        decisions.correct_decision(member, decision.id, text="Anders", note="weil")
    with pytest.raises(decisions.DecisionError) as empty_note:
        decisions.correct_decision(office, decision.id, text="Anders", note="  ")
    assert empty_note.value.field == "note"
    version = decisions.correct_decision(
        office,
        decision.id,
        text="Die Vorstandskonferenz beschließt die Sprachförderung in allen Kitas.",
        note="Schreibfehler im Beschlusstext berichtigt",
        expected_version=1,
    )
    assert version.version_no == 2
    with pytest.raises(decisions.DecisionError, match="inzwischen"):  # saw version 1
        decisions.correct_decision(
            office, decision.id, text="Noch anders", note="x", expected_version=1
        )
    db.session.expire_all()
    stored = db.session.get(Decision, decision.id)
    assert stored.text.endswith("in allen Kitas.")
    rows = decisions.text_versions(decision.id)
    assert [(v.version_no, v.text, v.note) for v in rows] == [
        (1, original, None),
        (2, stored.text, "Schreibfehler im Beschlusstext berichtigt"),
    ]
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "decision.corrected", AuditEvent.object_id == decision.id
        )
    )
    assert event is not None and event.actor_id == office.id
    assert event.comment == "Schreibfehler im Beschlusstext berichtigt"


def test_the_decision_page_shows_its_origin_and_corrects_by_a_form(app, client_as, client, demo):
    with app.app_context():
        from netzwerk.minutes.demo import hold_demo_meeting

        meeting = hold_demo_meeting(items=3)
        assert meeting is not None
        decision = db.session.scalar(select(Decision).where(Decision.meeting_id == meeting.id))
        assert decision is not None and decision.agenda_item_id is not None
        from netzwerk.meetings.models import AgendaItem

        item = db.session.get(AgendaItem, decision.agenda_item_id)
        paper = db.session.get(Paper, item.paper_id)
        ids = (decision.id, meeting.id, item.id, paper.id)
        texts = (meeting.number, item.title, paper.number, decision.text)
    decision_id, meeting_id, item_id, paper_id = ids
    meeting_number, item_title, paper_number, original = texts
    office = client_as("office")
    page = office.get(f"/beschluesse/{decision_id}").get_data(as_text=True)
    assert f'href="/sitzungen/{meeting_id}"' in page and meeting_number in page
    assert f'href="/sitzungen/{meeting_id}#item-{item_id}"' in page and item_title in page
    assert f'href="/vorlagen/{paper_id}"' in page and f"Vorlage {paper_number}" in page
    assert f"/beschluesse/{decision_id}/berichtigung" in page
    # A member of the body sees the origin but no correction form.
    member_page = client_as("member").get(f"/beschluesse/{decision_id}").get_data(as_text=True)
    assert f'href="/sitzungen/{meeting_id}"' in member_page
    assert f"/beschluesse/{decision_id}/berichtigung" not in member_page
    assert (
        client_as("member")
        .post(f"/beschluesse/{decision_id}/berichtigung", data={"text": "x", "note": "y"})
        .status_code
        == 403
    )
    # The meeting is not public: a visitor does not see the decision at all.
    assert client.get(f"/beschluesse/{decision_id}").status_code == 404
    # Bad input comes back next to the field, nothing stored.
    bad = office.post(
        f"/beschluesse/{decision_id}/berichtigung",
        data={"text": "Neuer Text", "note": "", "version": "1"},
    )
    assert bad.status_code == 422
    assert "Bitte geben Sie an, was berichtigt wird." in bad.get_data(as_text=True)
    done = office.post(
        f"/beschluesse/{decision_id}/berichtigung",
        data={"text": "Neuer Text des Beschlusses", "note": "Zahl berichtigt", "version": "1"},
        follow_redirects=True,
    )
    shown = done.get_data(as_text=True)
    assert done.status_code == 200 and "Fassung 2" in shown
    assert "Neuer Text des Beschlusses" in shown and "Zahl berichtigt" in shown
    assert original in shown  # the text as decided stays visible
    assert "Fassung 1 (wie beschlossen)" in shown
    stale = office.post(
        f"/beschluesse/{decision_id}/berichtigung",
        data={"text": "Dritter Text", "note": "noch einmal", "version": "1"},
    )
    assert stale.status_code == 409 and "inzwischen" in stale.get_data(as_text=True)
    with app.app_context():
        assert decisions.current_version_no(decision_id) == 2
        assert db.session.scalar(select(func.count()).select_from(DecisionVersion)) == 2


# --- numbers --------------------------------------------------------------------


@pytest.mark.calendar
def test_paper_and_decision_numbers_cannot_be_confused(app_ctx, demo):
    paper, decision = _decide_paper(attach=False)
    year = decision.year
    assert re.fullmatch(rf"VK/{year}/\d{{3}}", paper.number)
    assert re.fullmatch(rf"VK/{year}/B\d{{3}}", decision.number)
    same_seq = decisions.format_number("VK", year, int(paper.number.rsplit("/", 1)[1]))
    assert same_seq != paper.number
    assert paper.number not in same_seq and same_seq not in paper.number
    # The register's search for the paper's number does not find the decision.
    found = decisions.list_decisions(demo_user("office"), decisions.RegisterFilter(q=paper.number))
    assert decision not in found
    assert decision in decisions.list_decisions(
        demo_user("office"), decisions.RegisterFilter(q=decision.number)
    )


def test_a_visitor_sees_the_public_origin_only(app, client, demo):
    """A public decision of a public meeting: the visitor is linked to the
    public meeting page and item; a paper they may not see is neither
    linked nor named by its number."""
    from netzwerk.governance.models import Body
    from netzwerk.meetings.models import AgendaItem, Meeting
    from netzwerk.minutes.demo import hold_demo_meeting

    with app.app_context():
        meeting = hold_demo_meeting(items=6)
        assert meeting is not None
        found = db.session.scalars(
            select(Decision).where(Decision.meeting_id == meeting.id).order_by(Decision.seq)
        ).all()
        by_paper = next(d for d in found if d.subject_type == "paper")
        free = next(d for d in found if d.subject_type == "agenda_item")
        paper = db.session.get(Paper, by_paper.subject_id)
        assert paper is not None and not paper.public
        ids = (meeting.id, by_paper.id, free.id, free.agenda_item_id, paper.id, paper.number)
        # Made public behind the application's back (the decision rows are
        # final for the application itself).
        db.session.execute(
            Meeting.__table__.update().where(Meeting.id == meeting.id).values(public=True)
        )
        db.session.execute(
            Body.__table__.update().where(Body.id == meeting.body_id).values(public=True)
        )
        db.session.execute(
            Decision.__table__.update()
            .where(Decision.id.in_([by_paper.id, free.id]))
            .values(subject_public=True)
        )
        assert db.session.get(AgendaItem, free.agenda_item_id).public
        db.session.commit()
    meeting_id, paper_decision_id, free_id, item_id, paper_id, paper_number = ids
    page = client.get(f"/beschluesse/{free_id}").get_data(as_text=True)
    assert f'href="/sitzungen/oeffentlich/{meeting_id}"' in page
    assert f'href="/sitzungen/oeffentlich/{meeting_id}#item-{item_id}"' in page
    assert f'href="/sitzungen/{meeting_id}"' not in page and "/berichtigung" not in page
    page = client.get(f"/beschluesse/{paper_decision_id}").get_data(as_text=True)
    assert f"/vorlagen/{paper_id}" not in page and f"Vorlage {paper_number}" not in page
    assert f'href="/sitzungen/oeffentlich/{meeting_id}"' in page
