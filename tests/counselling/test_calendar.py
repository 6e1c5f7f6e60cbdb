"""Counselling dates by the app's clock: follow-ups fall due on their day in
Berlin, contacts of today are accepted, personal details are kept for the
retention period, the waiting-loop mark follows the order of events.

Each test runs at every instant of tests/conftest.py's CALENDAR_INSTANTS and
moves the frozen clock instead of passing a time to the services.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from netzwerk.counselling import jobs, services
from netzwerk.counselling.models import CounsellingCase, PersonalDetails
from netzwerk.extensions import db
from netzwerk.timeutil import LOCAL_TZ, local_today

from .conftest import COUNSELLOR, first_offer_id, make_case, user_id

pytestmark = pytest.mark.calendar


def next_local_midnight() -> datetime:
    """A minute after the coming midnight in Berlin (aware)."""
    return datetime.combine(local_today() + timedelta(days=1), time(0, 1), LOCAL_TZ)


def refer(case_id: int, actor: int, follow_up_days: int) -> int:
    today = local_today()
    data = services.ReferralData(
        first_offer_id(), None, today, today + timedelta(days=follow_up_days)
    )
    return services.create_referral(case_id, data, actor).id


def test_follow_up_falls_due_at_midnight_in_berlin(app_ctx, counselling_demo, clock):
    actor = user_id(COUNSELLOR)
    case_id = services.create_case(
        services.ContactData(
            contact_date=local_today(),
            channel="in_person",
            language="ar",
            age_group="18_24",
            situation="school_leaver_without_place",
            outcome="referred",
            topics=["vocational_training"],
        ),
        actor,
    )
    referral_id = refer(case_id, actor, follow_up_days=1)
    # Not due today; the next follow-up of a waiting referral must lie ahead.
    assert jobs.remind_due_follow_ups() == 0
    assert services.due_follow_ups(actor) == []
    with pytest.raises(services.CounsellingError):
        services.record_follow_up(referral_id, "waiting", None, local_today(), actor)

    # Past midnight in Berlin (on New Year's Eve, UTC still has the old day).
    clock.move_to(next_local_midnight())
    assert jobs.remind_due_follow_ups() == 1
    assert jobs.remind_due_follow_ups() == 0
    assert [d.referral_id for d in services.due_follow_ups(actor)] == [referral_id]
    # A contact of the new day is no contact in the future.
    services.create_case(make_contact_today(), actor)
    with pytest.raises(services.CounsellingError):
        services.create_case(make_contact_today(days=1), actor)

    # Waiting: due again on the new date, a reminder again on that day.
    services.record_follow_up(
        referral_id, "waiting", None, local_today() + timedelta(days=1), actor
    )
    assert services.due_follow_ups(actor) == []
    clock.move_to(next_local_midnight())
    assert jobs.remind_due_follow_ups() == 1
    services.record_follow_up(referral_id, "arrived", local_today(), None, actor)
    assert services.due_follow_ups(actor) == []


def make_contact_today(days: int = 0) -> services.ContactData:
    return services.ContactData(
        contact_date=local_today() + timedelta(days=days),
        channel="phone",
        language="de",
        age_group="25_34",
        situation="school_leaver_without_place",
        outcome="referred",
        topics=["vocational_training"],
    )


def test_personal_details_are_kept_for_the_retention_period(app, app_ctx, counselling_demo, clock):
    old_case = make_case(None)
    services.record_personal_details(old_case, "Person", "0541 1", True, None)
    clock.shift(timedelta(days=10))
    young_case = make_case(None)
    services.record_personal_details(young_case, "Person", "0541 2", True, None)
    kept = timedelta(days=services.retention_days())
    clock.shift(kept - timedelta(days=10, minutes=1))
    assert jobs.purge_expired_personal_details() == 0
    clock.shift(timedelta(minutes=2))
    assert jobs.purge_expired_personal_details() == 1
    assert db.session.scalars(select(PersonalDetails.case_id)).all() == [young_case]
    assert services.case_exists(old_case) is not None  # the pseudonymous case stays
    clock.shift(timedelta(days=10))
    assert jobs.purge_expired_personal_details() == 1
    assert db.session.scalars(select(PersonalDetails.case_id)).all() == []


def test_waiting_loop_mark_follows_the_order_of_events(app_ctx, counselling_demo, clock):
    """A referral after a non-arrival marks the case; after the mark is
    cleared, only a non-arrival recorded later counts."""
    actor = user_id(COUNSELLOR)
    case_id = services.create_case(make_contact_today(), actor)

    def flagged() -> bool:
        db.session.expire_all()
        case = db.session.get(CounsellingCase, case_id)
        return case.waiting_loop_at is not None

    first = refer(case_id, actor, follow_up_days=1)
    clock.move_to(next_local_midnight())
    services.record_follow_up(first, "not_arrived", None, None, actor)
    assert not flagged()
    second = refer(case_id, actor, follow_up_days=7)
    assert flagged()
    clock.shift(timedelta(hours=1))
    assert services.clear_waiting_loop(case_id, "Geklärt im Gespräch.", actor) is True
    # The old non-arrival is resolved with the mark: a new referral does not mark.
    clock.shift(timedelta(minutes=1))
    refer(case_id, actor, follow_up_days=7)
    assert not flagged()
    # A non-arrival recorded after the clearing, followed by a referral, marks again.
    clock.shift(timedelta(days=1))
    services.record_follow_up(second, "not_arrived", None, None, actor)
    assert flagged()
