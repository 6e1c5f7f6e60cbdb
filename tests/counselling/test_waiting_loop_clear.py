"""Clearing the waiting-loop mark of a resolved case: reason required, audited, set again."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from netzwerk.audit.models import AuditEvent
from netzwerk.audit.services import verify_chain
from netzwerk.counselling import services
from netzwerk.counselling.models import CounsellingCase, CounsellingStaff, Referral
from netzwerk.extensions import db

from .conftest import COUNSELLOR, first_offer_id, make_case, user_id

NOW = datetime.fromisoformat("2026-03-20T09:00:00+00:00")
LATER = NOW + timedelta(days=7)
CLEARED = "case_waiting_loop_cleared"
FLAGGED = "case_flagged_waiting_loop"


def _events(action: str, case_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == action,
                AuditEvent.object_type == "counselling_case",
                AuditEvent.object_id == case_id,
            )
            .order_by(AuditEvent.id)
        )
    )


def _refer(case_id: int, actor: int | None, day: int = 2, now: datetime = NOW) -> int:
    data = services.ReferralData(
        offer_id=first_offer_id(),
        organisation_id=None,
        referred_on=date(2026, 3, day),
        follow_up_on=date(2026, 3, day + 1),
    )
    return services.create_referral(case_id, data, actor, now=now).id


def _not_arrived(referral_id: int, actor: int | None, now: datetime = NOW) -> None:
    services.record_follow_up(referral_id, "not_arrived", None, None, actor, now=now)


def _flagged_at(case_id: int) -> datetime | None:
    db.session.expire_all()
    case = db.session.get(CounsellingCase, case_id)
    assert case is not None
    return case.waiting_loop_at


def make_looping_case(actor: int | None) -> int:
    """A case marked as a possible waiting loop: a referral after one that did not arrive."""
    case_id = make_case(actor)
    _not_arrived(_refer(case_id, actor), actor)
    _refer(case_id, actor, day=5)
    assert _flagged_at(case_id) is not None
    return case_id


@pytest.fixture
def looping_case(app, counselling_demo) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        case_id = make_looping_case(user_id(COUNSELLOR))
        db.session.remove()
    return case_id


# --- the rule -----------------------------------------------------------------


def test_clearing_needs_a_reason_and_is_audited(app_ctx, counselling_demo):
    actor = user_id(COUNSELLOR)
    case_id = make_looping_case(actor)
    flagged_at = _flagged_at(case_id)
    assert flagged_at is not None

    assert (
        services.clear_waiting_loop(case_id, "  Angekommen im Sprachkurs.  ", actor, now=LATER)
        is True
    )

    assert _flagged_at(case_id) is None
    assert db.session.get(CounsellingCase, case_id).waiting_loop_cleared_at == LATER
    assert services.list_cases(flagged_only=True) == []
    [event] = _events(CLEARED, case_id)
    assert event.actor_id == actor
    assert event.comment == "Angekommen im Sprachkurs."
    assert flagged_at.isoformat() in (event.data or "")
    assert verify_chain() is None


@pytest.mark.parametrize("reason", [None, "", "   \n "])
def test_a_marked_case_is_not_cleared_without_a_reason(app_ctx, counselling_demo, reason):
    actor = user_id(COUNSELLOR)
    case_id = make_looping_case(actor)
    with pytest.raises(services.CounsellingError) as err:
        services.clear_waiting_loop(case_id, reason, actor)
    assert err.value.field == "reason"
    assert _flagged_at(case_id) is not None
    assert _events(CLEARED, case_id) == []


def test_a_too_long_reason_is_refused(app_ctx, counselling_demo):
    actor = user_id(COUNSELLOR)
    case_id = make_looping_case(actor)
    with pytest.raises(services.CounsellingError) as err:
        services.clear_waiting_loop(case_id, "x" * (services.REASON_MAX + 1), actor)
    assert err.value.field == "reason"
    assert _flagged_at(case_id) is not None
    assert services.clear_waiting_loop(case_id, "x" * services.REASON_MAX, actor) is True


def test_clearing_an_unmarked_case_changes_nothing(app_ctx, counselling_demo):
    actor = user_id(COUNSELLOR)
    case_id = make_case(actor)
    assert services.clear_waiting_loop(case_id, "Erledigt.", actor) is False
    assert services.clear_waiting_loop(case_id, "", actor) is False  # no reason needed for nothing
    assert _events(CLEARED, case_id) == []
    with pytest.raises(services.NotFound):
        services.clear_waiting_loop(case_id + 1000, "Erledigt.", actor)


def test_clearing_twice_is_harmless(app_ctx, counselling_demo):
    actor = user_id(COUNSELLOR)
    case_id = make_looping_case(actor)
    assert services.clear_waiting_loop(case_id, "Geklärt.", actor) is True
    assert services.clear_waiting_loop(case_id, "Geklärt.", actor) is False
    assert len(_events(CLEARED, case_id)) == 1


def _last_referral(case_id: int) -> int:
    referral_id = db.session.scalars(
        select(Referral.id).where(Referral.case_id == case_id).order_by(Referral.id.desc())
    ).first()
    assert referral_id is not None
    return referral_id


def test_a_new_referral_after_a_failed_one_marks_the_case_again(app_ctx, counselling_demo):
    actor = user_id(COUNSELLOR)
    case_id = make_looping_case(actor)
    services.clear_waiting_loop(case_id, "Zweite Vermittlung läuft.", actor, now=NOW)
    _not_arrived(_last_referral(case_id), actor, now=LATER)
    assert _flagged_at(case_id) is None  # no new referral yet: no new loop
    _refer(case_id, actor, day=10, now=LATER)
    assert _flagged_at(case_id) is not None
    assert len(_events(FLAGGED, case_id)) == 2
    assert [r.id for r in services.list_cases(flagged_only=True)] == [case_id]


def test_non_arrivals_before_the_clearing_do_not_mark_the_case_again(app_ctx, counselling_demo):
    # The loop was looked at and resolved: a further referral is no new loop
    # because of the non-arrival that was resolved with it.
    actor = user_id(COUNSELLOR)
    case_id = make_looping_case(actor)  # its first referral did not arrive
    services.clear_waiting_loop(case_id, "Jugendberufsagentur übernimmt.", actor, now=LATER)
    _refer(case_id, actor, day=12, now=LATER + timedelta(days=1))
    assert _flagged_at(case_id) is None
    assert len(_events(FLAGGED, case_id)) == 1
    assert services.list_cases(flagged_only=True) == []


def test_saving_a_non_arrival_again_does_not_mark_the_case_again(app_ctx, counselling_demo):
    actor = user_id(COUNSELLOR)
    case_id = make_case(actor)
    first = _refer(case_id, actor)
    _refer(case_id, actor, day=3)
    _not_arrived(first, actor)  # a later referral exists: marked
    services.clear_waiting_loop(case_id, "Geklärt.", actor, now=LATER)
    _not_arrived(first, actor, now=LATER + timedelta(days=1))  # the same answer again
    assert _flagged_at(case_id) is None
    _refer(case_id, actor, day=20, now=LATER + timedelta(days=2))
    assert _flagged_at(case_id) is None
    assert len(_events(FLAGGED, case_id)) == 1


def test_not_arrived_before_a_later_referral_marks_the_case_again(app_ctx, counselling_demo):
    actor = user_id(COUNSELLOR)
    case_id = make_case(actor)
    first = _refer(case_id, actor)
    second = _refer(case_id, actor, day=3)
    _refer(case_id, actor, day=4)
    _not_arrived(first, actor)
    assert _flagged_at(case_id) is not None
    services.clear_waiting_loop(case_id, "Angekommen.", actor, now=NOW)
    _not_arrived(second, actor, now=LATER)  # a referral made later exists: a loop again
    assert _flagged_at(case_id) is not None
    assert len(_events(FLAGGED, case_id)) == 2


# --- the page and the route ---------------------------------------------------


def _url(case_id: int) -> str:
    return f"/beratung/faelle/{case_id}/markierung-aufheben"


def test_the_case_page_offers_clearing_only_for_a_marked_case(app, counsellor, looping_case):
    html = counsellor.get(f"/beratung/faelle/{looping_case}").get_data(as_text=True)
    assert f'action="{_url(looping_case)}"' in html
    assert "Markierung aufheben" in html
    assert '<label for="reason">Begründung' in html
    assert 'name="csrf_token"' in html
    with app.app_context():
        plain = make_case(user_id(COUNSELLOR))
    html = counsellor.get(f"/beratung/faelle/{plain}").get_data(as_text=True)
    assert "markierung-aufheben" not in html


def test_counsellor_clears_the_mark_with_a_reason(app, counsellor, looping_case):
    response = counsellor.post(_url(looping_case), data={"reason": "Ist angekommen."})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/beratung/faelle/{looping_case}")
    html = counsellor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Die Markierung als mögliche Warteschleife wurde aufgehoben." in html
    assert "markierung-aufheben" not in html
    assert "als mögliche Warteschleife wurde am" in html  # the case says since when
    assert "die Begründung steht im Protokoll." in html
    with app.app_context():
        assert _flagged_at(looping_case) is None
        [event] = _events(CLEARED, looping_case)
        assert event.actor_id == user_id(COUNSELLOR)
        assert event.comment == "Ist angekommen."


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "a\x00b"}])
def test_a_missing_or_bad_reason_is_shown_next_to_the_field(app, counsellor, looping_case, data):
    response = counsellor.post(_url(looping_case), data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'aria-describedby="reason-hint reason-error"' in html
    assert 'id="reason-error"' in html
    with app.app_context():
        assert _flagged_at(looping_case) is not None
        assert _events(CLEARED, looping_case) == []


def test_a_too_long_reason_keeps_what_was_typed(app, counsellor, looping_case):
    typed = "Lang " * 120
    response = counsellor.post(_url(looping_case), data={"reason": typed})
    assert response.status_code == 422
    assert typed.strip() in response.get_data(as_text=True)
    with app.app_context():
        assert _flagged_at(looping_case) is not None


@pytest.mark.parametrize("data", [{"reason": "Schon erledigt."}, {"reason": ""}, {}])
def test_clearing_an_unmarked_case_is_a_message_not_an_error(app, counsellor, looping_case, data):
    assert counsellor.post(_url(looping_case), data={"reason": "Geklärt."}).status_code == 302
    response = counsellor.post(_url(looping_case), data=data)
    assert response.status_code == 302
    html = counsellor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Dieser Fall ist nicht als mögliche Warteschleife markiert." in html
    with app.app_context():
        assert len(_events(CLEARED, looping_case)) == 1


def test_an_unknown_case_is_404(counsellor, counselling_demo):
    assert counsellor.post(_url(999999), data={"reason": "x"}).status_code == 404
    assert counsellor.post(_url(999999), data={}).status_code == 404


def test_a_post_without_csrf_token_is_refused(app, counsellor, looping_case):
    response = counsellor.post(_url(looping_case), data={"reason": "Geklärt."}, csrf=False)
    assert response.status_code == 400
    with app.app_context():
        assert _flagged_at(looping_case) is not None


@pytest.mark.parametrize("role", ["member", "chair", "lead"])
def test_others_cannot_clear_the_mark(app, client_as, looping_case, role):
    response = client_as(role).post(_url(looping_case), data={"reason": "Geklärt."})
    assert response.status_code == 403
    with app.app_context():
        assert _flagged_at(looping_case) is not None


def test_office_and_admin_without_the_counselling_flag_cannot_clear(app, client_as, looping_case):
    with app.app_context():
        db.session.execute(db.delete(CounsellingStaff))
        db.session.commit()
        db.session.remove()
    for role in ("office", "admin"):
        response = client_as(role).post(_url(looping_case), data={"reason": "Geklärt."})
        assert response.status_code == 403
    with app.app_context():
        assert _flagged_at(looping_case) is not None
        assert _events(CLEARED, looping_case) == []


def test_bad_input_never_fails_and_never_half_clears(app, counsellor, looping_case):
    from hypothesis import given

    from .test_bad_input import SETTINGS, form_data

    @SETTINGS
    @given(data=form_data(["reason"]))
    def check(data: dict) -> None:  # type: ignore[type-arg]
        with app.app_context():
            before = _flagged_at(looping_case)
            events_before = len(_events(CLEARED, looping_case))
        response = counsellor.post(_url(looping_case), data=data)
        assert response.status_code in (302, 422), (data, response.status_code)
        with app.app_context():
            after = _flagged_at(looping_case)
            events_after = len(_events(CLEARED, looping_case))
            if response.status_code == 422 or before is None:
                assert (after, events_after) == (before, events_before), data
            else:
                assert after is None and events_after == events_before + 1, data
            if after is None:  # mark it again for the next example
                case = db.session.get(CounsellingCase, looping_case)
                assert case is not None
                case.waiting_loop_at = NOW
                db.session.commit()

    check()
