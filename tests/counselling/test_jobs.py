"""Scheduler jobs: follow-up reminders (idempotent) and retention of personal details."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from netzwerk.audit.models import AuditEvent
from netzwerk.auth.models import User
from netzwerk.counselling import jobs, services
from netzwerk.counselling.models import PersonalDetails
from netzwerk.extensions import db
from netzwerk.notifications.models import Notification
from netzwerk.scheduler import JOBS

from .conftest import COUNSELLOR, first_offer_id, make_case, user_id

REFERRED = datetime.fromisoformat("2026-03-02T10:00:00+00:00")


def _referral(actor: int, follow_up_on: date = date(2026, 3, 16)) -> tuple[int, int]:
    case_id = make_case(actor)
    referral = services.create_referral(
        case_id,
        services.ReferralData(first_offer_id(), None, date(2026, 3, 2), follow_up_on),
        actor,
        now=REFERRED,
    )
    return case_id, referral.id


def test_jobs_are_registered_for_the_scheduler(app):
    """counselling.init_app registers them (create_app, as the scheduler's)."""

    assert JOBS["counselling.follow_up_reminders"].func is jobs.remind_due_follow_ups
    assert JOBS["counselling.retention"].func is jobs.purge_expired_personal_details


def test_reminder_is_created_once_when_due(app_ctx, counselling_demo):
    actor = user_id(COUNSELLOR)
    _case_id, referral_id = _referral(actor)
    # Not due yet: the day before, in Berlin.
    assert jobs.remind_due_follow_ups(datetime.fromisoformat("2026-03-15T22:30:00+00:00")) == 0
    # 23:30 UTC on the 15th is already the 16th in Berlin.
    due = datetime.fromisoformat("2026-03-15T23:30:00+00:00")
    assert jobs.remind_due_follow_ups(due) == 1
    assert jobs.remind_due_follow_ups(due) == 0
    assert jobs.remind_due_follow_ups(due + timedelta(days=3)) == 0
    notes = db.session.scalars(select(Notification)).all()
    counsellor_person = db.session.get(User, actor).person_id
    assert [(n.person_id, n.object_id, n.url) for n in notes] == [
        (counsellor_person, referral_id, f"/beratung/weitervermittlungen/{referral_id}/nachfassen")
    ]
    # No case data in the notification: neither the case code nor the offer.
    case_code = db.session.scalar(select(services.CounsellingCase.code))
    assert case_code not in notes[0].message and "Angebot" not in notes[0].message
    due_list = services.due_follow_ups(actor, date(2026, 3, 16))
    assert [d.referral_id for d in due_list] == [referral_id]


def test_reminder_goes_to_the_outbox_once(app_ctx, counselling_demo):
    from netzwerk.mail.models import OutboxMail

    actor = user_id(COUNSELLOR)
    _referral(actor)
    due = datetime.fromisoformat("2026-03-17T08:00:00+00:00")
    jobs.remind_due_follow_ups(due)
    jobs.remind_due_follow_ups(due)
    mails = db.session.scalars(select(OutboxMail)).all()
    assert len(mails) == 1
    assert mails[0].recipient == COUNSELLOR
    # No case data in the mail: neither the case code nor the offer.
    case_code = db.session.scalar(select(services.CounsellingCase.code))
    assert case_code not in mails[0].body


def test_waiting_sets_a_new_due_date_and_a_new_reminder(app_ctx, counselling_demo):
    actor = user_id(COUNSELLOR)
    _case_id, referral_id = _referral(actor)
    jobs.remind_due_follow_ups(datetime.fromisoformat("2026-03-16T08:00:00+00:00"))
    services.record_follow_up(
        referral_id,
        "waiting",
        None,
        date(2026, 3, 30),
        actor,
        now=datetime.fromisoformat("2026-03-16T09:00:00+00:00"),
    )
    assert services.due_follow_ups(actor, date(2026, 3, 16)) == []  # recorded: not due
    assert jobs.remind_due_follow_ups(datetime.fromisoformat("2026-03-29T08:00:00+00:00")) == 0
    assert jobs.remind_due_follow_ups(datetime.fromisoformat("2026-03-30T08:00:00+00:00")) == 1
    assert jobs.remind_due_follow_ups(datetime.fromisoformat("2026-03-30T09:00:00+00:00")) == 0
    assert [d.due_on for d in services.due_follow_ups(actor, date(2026, 3, 30))] == [
        date(2026, 3, 30)
    ]
    assert db.session.scalar(select(db.func.count(Notification.id))) == 2


def test_closed_referrals_get_no_reminder(app_ctx, counselling_demo):
    actor = user_id(COUNSELLOR)
    _case_id, referral_id = _referral(actor)
    services.record_follow_up(referral_id, "unknown", None, None, actor, now=REFERRED)
    assert jobs.remind_due_follow_ups(datetime.fromisoformat("2026-04-01T08:00:00+00:00")) == 0


def test_due_follow_ups_show_on_the_counselling_start_page(app, counsellor):
    assert "Keine Nachfassungen fällig." in counsellor.get("/beratung/").get_data(as_text=True)
    with app.app_context():
        actor = user_id(COUNSELLOR)
        # Due since March (before today): a work list computed from the referrals.
        _case_id, referral_id = _referral(actor)
    html = counsellor.get("/beratung/").get_data(as_text=True)
    assert "Fällige Nachfassungen" in html
    assert f"/beratung/weitervermittlungen/{referral_id}/nachfassen" in html
    with app.app_context():
        jobs.remind_due_follow_ups(datetime.fromisoformat("2026-03-16T08:00:00+00:00"))
    html = counsellor.get("/benachrichtigungen").get_data(as_text=True)
    assert f'href="/beratung/weitervermittlungen/{referral_id}/nachfassen"' in html


def _details(case_id: int, consent_at: datetime) -> None:
    services.record_personal_details(case_id, "Person", "0541 1", True, None, now=consent_at)


def test_retention_deletes_old_details_and_keeps_young_ones(app_ctx, counselling_demo):
    now = datetime.fromisoformat("2026-09-01T03:00:00+00:00")
    old_case = make_case(None)
    young_case = make_case(None)
    _details(old_case, now - timedelta(days=181))
    _details(young_case, now - timedelta(days=179))
    assert jobs.purge_expired_personal_details(now) == 1
    remaining = db.session.scalars(select(PersonalDetails.case_id)).all()
    assert remaining == [young_case]
    purged = db.session.scalars(
        select(AuditEvent.object_id).where(AuditEvent.action == "personal_details_purged")
    ).all()
    assert purged == [old_case]
    # Idempotent: nothing more to do.
    assert jobs.purge_expired_personal_details(now) == 0
    # The case itself (pseudonymous) stays.
    assert services.case_exists(old_case) is not None


def test_retention_period_comes_from_the_configuration(app, app_ctx, counselling_demo):
    now = datetime.fromisoformat("2026-09-01T03:00:00+00:00")
    case_id = make_case(None)
    _details(case_id, now - timedelta(days=40))
    app.config["NETZWERK_COUNSELLING_RETENTION_DAYS"] = 30
    try:
        assert services.retention_days() == 30
        assert jobs.purge_expired_personal_details(now) == 1
    finally:
        app.config.pop("NETZWERK_COUNSELLING_RETENTION_DAYS")
    assert services.retention_days() == 180
