"""Staff entry and triage: categorise, tag, redact, duplicates, answer, pass to a body."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from netzwerk.audit.models import AuditEvent
from netzwerk.database import utcnow
from netzwerk.extensions import db
from netzwerk.feedback import jobs, services
from netzwerk.feedback.models import Feedback, FeedbackContact, FeedbackReferral
from netzwerk.governance.models import Body
from netzwerk.papers.models import Paper
from netzwerk.timeutil import LOCAL_TZ, local_today, to_local

from .conftest import choice_id, form_data, receipt_code, status_page, submit, user


def test_staff_pages_need_staff(client, client_as, seeded):
    for url in ("/verwaltung/rueckmeldungen/", "/verwaltung/rueckmeldungen/neu", "/monitoring/"):
        assert client.get(url).status_code == 302  # anonymous: to the login
        assert client_as("member").get(url).status_code == 403


def test_staff_entry_records_channel_and_actor(app, client_as, seeded):
    office = client_as("office")
    data = form_data(app, channel="event", language="ar", received_on="2026-01-15")
    response = office.post("/verwaltung/rueckmeldungen/neu", data=data)
    assert response.status_code == 302
    with app.app_context():
        feedback = db.session.scalar(select(Feedback))
        assert feedback is not None
        assert (feedback.channel, feedback.language) == ("event", "ar")
        assert feedback.entered_by_id == user().id
        assert to_local(feedback.created_at).date().isoformat() == "2026-01-15"


def test_triage_list_filters(app, client_as, seeded):
    with app.app_context():
        submit(category="school", text="Schulweg unsicher")
        submit(category="childcare", text="Kita-Platz fehlt")
    office = client_as("office")
    with app.app_context():
        school = choice_id("category", "school")
    html = office.get(f"/verwaltung/rueckmeldungen/?category={school}").get_data(as_text=True)
    assert "Schulweg unsicher" in html and "Kita-Platz fehlt" not in html
    html = office.get("/verwaltung/rueckmeldungen/?q=Kita").get_data(as_text=True)
    assert "Kita-Platz fehlt" in html and "Schulweg unsicher" not in html


def test_categorise_and_tag(app, client_as, seeded):
    with app.app_context():
        fb_id = submit().id
        cat = choice_id("category", "counselling")
    office = client_as("office")
    response = office.post(
        f"/verwaltung/rueckmeldungen/{fb_id}/einordnen",
        data={
            "category": str(cat),
            "district": "None",
            "target_group": "None",
            "tags": "Abend, Eltern, abend",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        feedback = services.get_feedback(fb_id)
        assert feedback is not None and feedback.category_id == cat
        assert [t.name for t in feedback.tags] == ["abend", "eltern"]
        assert feedback.considered_at is not None
    html = office.get("/verwaltung/rueckmeldungen/?tag=eltern").get_data(as_text=True)
    assert "Mehr Ganztagsplätze" in html


def test_redaction_removes_the_text_and_is_audited(app, client_as, seeded):
    with app.app_context():
        fb_id = submit(
            text="Ich bin Erika Mustermann, Tel. 0541 123456, mein Kind braucht Hilfe"
        ).id
    office = client_as("office")
    response = office.post(
        f"/verwaltung/rueckmeldungen/{fb_id}/schwaerzen",
        data={"text": "Ich bin [Name], Tel. [entfernt], mein Kind braucht Hilfe"},
    )
    assert response.status_code == 302
    with app.app_context():
        feedback = db.session.get(Feedback, fb_id)
        assert feedback is not None and "Mustermann" not in feedback.text
        assert feedback.redacted_at is not None
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "feedback.redacted")
        )
        assert event is not None and event.actor_id == user().id and event.object_id == fb_id
        # Nothing of the removed text survives anywhere in the audit trail.
        for ev in db.session.scalars(select(AuditEvent)):
            assert "Mustermann" not in str(ev.data) and "Mustermann" not in (ev.comment or "")


def test_duplicate_links_to_the_original(app, client_as, seeded):
    with app.app_context():
        original = submit(text="Mehr Sprachkurse")
        copy = submit(text="Auch: mehr Sprachkurse")
        original_id, copy_id, code = original.id, copy.id, original.receipt_code
    office = client_as("office")
    assert (
        office.post(
            f"/verwaltung/rueckmeldungen/{copy_id}/doppelt", data={"original": code}
        ).status_code
        == 302
    )
    bad = office.post(
        f"/verwaltung/rueckmeldungen/{copy_id}/doppelt", data={"original": str(copy_id)}
    )
    assert bad.status_code == 400
    for junk in ("²", "9" * 5000):  # Unicode digits; more digits than int() reads
        answer = office.post(
            f"/verwaltung/rueckmeldungen/{copy_id}/doppelt", data={"original": junk}
        )
        assert answer.status_code == 400
    with app.app_context():
        assert db.session.get(Feedback, copy_id).duplicate_of_id == original_id  # type: ignore[union-attr]


def test_answer_appears_on_the_receipt_page(app, client, client_as, seeded):
    code = receipt_code(client.post("/rueckmeldung/ar/", data=form_data(app)).get_data(True))
    with app.app_context():
        fb_id = db.session.scalar(select(Feedback.id))
    office = client_as("office")
    office.post(
        f"/verwaltung/rueckmeldungen/{fb_id}/antwort",
        data={"answer": "Ab Herbst gibt es zwei neue Abendkurse."},
    )
    html = status_page(client, "ar", code).get_data(as_text=True)
    assert "Ab Herbst gibt es zwei neue Abendkurse." in html
    assert "رد مكتب التعليم" in html


def test_pass_to_bildungskonferenz_creates_paper_and_shows_on_receipt_page(
    app, client, client_as, seeded
):
    first = receipt_code(client.post("/rueckmeldung/tr/", data=form_data(app)).get_data(True))
    client.post("/rueckmeldung/de/", data=form_data(app, text="Zweite Rückmeldung"))
    with app.app_context():
        ids = list(db.session.scalars(select(Feedback.id).order_by(Feedback.id)))
        bk = db.session.scalar(select(Body.id).where(Body.name == "Bildungskonferenz"))
        db.session.add(
            FeedbackContact(feedback_id=ids[0], email="geheim@example.org", consent_at=utcnow())
        )
        db.session.commit()
    office = client_as("office")
    form = office.get(
        f"/verwaltung/rueckmeldungen/weitergeben?feedback_ids={ids[0]}&feedback_ids={ids[1]}"
    )
    assert form.status_code == 200
    response = office.post(
        "/verwaltung/rueckmeldungen/weitergeben",
        data={
            "feedback_ids": [str(i) for i in ids],
            "body_id": str(bk),
            "title": "Bedarf an Sprachkursen am Abend",
            "note": "Zur Kenntnis",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        paper = db.session.scalar(select(Paper))
        assert paper is not None and paper.body_id == bk and paper.kind == "information"
        assert "Es gibt zu wenige Sprachkurse am Abend." in paper.text
        assert "Zweite Rückmeldung" in paper.text
        assert "geheim@example.org" not in paper.text
        # The link both ways: feedback -> paper and paper -> feedback.
        assert [fb.id for fb in services.feedback_for_paper(paper.id)] == ids
        referrals = db.session.scalars(select(FeedbackReferral)).all()
        assert {(r.feedback_id, r.body_id, r.paper_id) for r in referrals} == {
            (ids[0], bk, paper.id),
            (ids[1], bk, paper.id),
        }
        assert [r.paper_id for r in services.referrals_to_body(bk)] == [paper.id, paper.id]
        paper_id = paper.id
    # The paper shows up for the body.
    assert "Bedarf an Sprachkursen am Abend" in office.get(f"/vorlagen/{paper_id}").get_data(True)
    status = status_page(client, "tr", first).get_data(as_text=True)
    assert "şu kurula iletildi: Bildungskonferenz" in status


@pytest.mark.calendar
def test_paper_dates_each_feedback_by_its_day_in_berlin(app, client, client_as, seeded, clock):
    """An hour after the instant: on New Year's Eve that is 00:30 on
    1 January in Berlin while UTC still counts the old year."""
    clock.shift(timedelta(hours=1))
    client.post("/rueckmeldung/de/", data=form_data(app))
    with app.app_context():
        fb_id = db.session.scalar(select(Feedback.id))
        bk = db.session.scalar(select(Body.id).where(Body.short_name == "BK"))
        today = local_today().strftime("%d.%m.%Y")
        utc_day = utcnow().strftime("%d.%m.%Y")
    response = client_as("office").post(
        "/verwaltung/rueckmeldungen/weitergeben",
        data={"feedback_ids": [str(fb_id)], "body_id": str(bk), "title": "Sprachkurse"},
    )
    assert response.status_code == 302
    with app.app_context():
        paper = db.session.scalar(select(Paper))
        assert f"vom {today}" in paper.text
        if utc_day != today:
            assert utc_day not in paper.text


@pytest.mark.calendar
def test_staff_entry_dates_feedback_by_the_day_received(app, client_as, seeded, clock):
    """Staff entry dates a feedback by the day it was received: midnight of
    that day in Berlin, never a time of day (nor a day after today)."""
    office = client_as("office")
    today = local_today()
    for received in (today, today - timedelta(days=1)):
        data = form_data(app, channel="event", language="de", received_on=received.isoformat())
        assert office.post("/verwaltung/rueckmeldungen/neu", data=data).status_code == 302
    tomorrow = form_data(app, channel="event", received_on=(today + timedelta(days=1)).isoformat())
    assert office.post("/verwaltung/rueckmeldungen/neu", data=tomorrow).status_code == 400
    with app.app_context():
        stored = db.session.scalars(select(Feedback).order_by(Feedback.id)).all()
        assert [to_local(f.created_at).date() for f in stored] == [today, today - timedelta(days=1)]
        for feedback in stored:
            midnight = datetime.combine(to_local(feedback.created_at).date(), time(0), LOCAL_TZ)
            assert feedback.created_at == midnight == feedback.state_entered_at


def test_pass_without_body_is_a_form_error(app, client_as, seeded):
    with app.app_context():
        fb_id = submit().id
    office = client_as("office")
    response = office.post(
        "/verwaltung/rueckmeldungen/weitergeben",
        data={"feedback_ids": [str(fb_id)], "body_id": "999999", "title": "x"},
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Paper)) == 0


@pytest.mark.calendar
def test_retention_job_deletes_old_contact_details_only(app_ctx, seeded, clock):
    """Contact details are kept for the retention period after the day of
    the consent (consent is dated by its day), not a minute less, and
    deleted by the next run after it."""
    days = timedelta(days=services.retention_days())
    old = submit(contact_consent=True, contact_email="alt@example.org")
    consented = to_local(old.contact.consent_at).date()
    assert consented == local_today()
    clock.shift(timedelta(days=30))
    new = submit(contact_consent=True, contact_email="neu@example.org")
    last_minute = datetime.combine(consented + days, time(23, 59), LOCAL_TZ)
    clock.move_to(last_minute)
    assert jobs.purge_expired_contacts() == 0
    clock.move_to(last_minute + timedelta(minutes=2))
    assert jobs.purge_expired_contacts() == 1
    db.session.expire_all()
    assert db.session.get(FeedbackContact, old.id) is None
    assert db.session.get(FeedbackContact, new.id) is not None
    assert db.session.get(Feedback, old.id) is not None  # the feedback itself stays
    assert jobs.purge_expired_contacts() == 0
    assert "feedback.contact_retention" in __import__("netzwerk.scheduler").scheduler.JOBS


def test_lists_are_configurable_with_labels_per_language(app, client, client_as, seeded):
    office = client_as("office")
    response = office.post(
        "/verwaltung/rueckmeldungen/listen/category/neu",
        data={
            "code": "digital",
            "position": "20",
            "active": "y",
            "label_de": "Digitales Lernen",
            "label_ar": "التعلم الرقمي",
        },
    )
    assert response.status_code == 302
    assert "التعلم الرقمي" in client.get("/rueckmeldung/ar/").get_data(as_text=True)
    assert "Digitales Lernen" in client.get("/rueckmeldung/tr/").get_data(as_text=True)
    dup = office.post(
        "/verwaltung/rueckmeldungen/listen/category/neu",
        data={"code": "digital", "label_de": "Noch einmal"},
    )
    assert dup.status_code == 400


def _meeting(app, short_name: str, days: int = 14) -> int:
    from netzwerk.auth.models import User
    from netzwerk.meetings import planning

    with app.app_context():
        office = db.session.scalar(select(User).where(User.email == "buero@osnabrueck.example"))
        body = db.session.scalar(select(Body).where(Body.short_name == short_name))
        meeting = planning.create_meeting(
            office,
            body_id=body.id,
            starts_at=utcnow() + timedelta(days=days),
            online_link="https://meet.osnabrueck.example/bk",
            public=True,
        )
        return meeting.id


def test_passed_feedback_shows_up_on_the_bildungskonferenz_agenda(app, client, client_as, seeded):
    from netzwerk.meetings.models import AgendaItem

    code = receipt_code(client.post("/rueckmeldung/ar/", data=form_data(app)).get_data(True))
    meeting_id = _meeting(app, "BK")
    with app.app_context():
        fb_id = db.session.scalar(select(Feedback.id))
        bk = db.session.scalar(select(Body.id).where(Body.short_name == "BK"))
    office = client_as("office")
    form = office.get(f"/verwaltung/rueckmeldungen/weitergeben?feedback_ids={fb_id}")
    assert f'value="{meeting_id}"' in form.get_data(as_text=True)
    response = office.post(
        "/verwaltung/rueckmeldungen/weitergeben",
        data={
            "feedback_ids": [str(fb_id)],
            "body_id": str(bk),
            "meeting_id": str(meeting_id),
            "title": "Sprachkurse am Abend",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        item = db.session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id))
        assert item is not None and item.paper is not None
        assert item.paper.title == "Sprachkurse am Abend"
        referral = db.session.scalar(select(FeedbackReferral))
        assert referral.agenda_item_id == item.id and referral.paper_id == item.paper_id
    # The meeting's page lists the item, and the receipt page says so.
    assert "Sprachkurse am Abend" in office.get(f"/sitzungen/{meeting_id}").get_data(True)
    status = status_page(client, "de", code).get_data(as_text=True)
    assert "Auf der Tagesordnung der Sitzung von Bildungskonferenz am" in status


def test_meeting_of_another_body_writes_nothing(app, client_as, seeded):
    with app.app_context():
        fb_id = submit().id
        bk = db.session.scalar(select(Body.id).where(Body.short_name == "BK"))
    vk_meeting = _meeting(app, "VK")
    office = client_as("office")
    response = office.post(
        "/verwaltung/rueckmeldungen/weitergeben",
        data={
            "feedback_ids": [str(fb_id)],
            "body_id": str(bk),
            "meeting_id": str(vk_meeting),
            "title": "x",
        },
    )
    assert response.status_code == 400
    assert "Bitte wählen Sie eine Sitzung dieses Gremiums." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Paper)) == 0
        assert db.session.scalar(select(func.count()).select_from(FeedbackReferral)) == 0
