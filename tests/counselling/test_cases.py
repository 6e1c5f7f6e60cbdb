"""Pseudonymous cases, contacts, personal details, referrals, waiting loops, audit."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from netzwerk.audit.models import AuditEvent
from netzwerk.audit.services import verify_chain
from netzwerk.counselling import services
from netzwerk.counselling.models import (
    CounsellingCase,
    CounsellingContact,
    PersonalDetails,
    Referral,
)
from netzwerk.extensions import db

from .conftest import COUNSELLOR, first_offer_id, make_case, user_id

NOW = datetime.fromisoformat("2026-03-20T09:00:00+00:00")
CODE = re.compile(r"^[A-HJ-NP-Z2-9]{5}-[A-HJ-NP-Z2-9]{5}$")


def _events(action: str, case_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == action,
                AuditEvent.object_type == "counselling_case",
                AuditEvent.object_id == case_id,
            )
        )
    )


def _refer(case_id: int, actor: int | None, offer_id: int | None = None, **kw):  # type: ignore[no-untyped-def]
    data = services.ReferralData(
        offer_id=offer_id if offer_id is not None else first_offer_id(),
        organisation_id=kw.get("organisation_id"),
        referred_on=kw.get("referred_on", date(2026, 3, 2)),
        follow_up_on=kw.get("follow_up_on", date(2026, 3, 16)),
    )
    return services.create_referral(case_id, data, actor, now=NOW)


def test_case_codes_are_random_and_carry_no_name(app_ctx, counselling_demo):
    codes = {services.new_case_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(CODE.match(code) for code in codes)
    case_id = make_case(None)
    case = db.session.get(CounsellingCase, case_id)
    assert case is not None and CODE.match(case.code)
    assert case.personal_details is None
    assert {c.name for c in CounsellingCase.__table__.columns} == {
        "id",
        "code",
        "created_at",
        "created_by_id",
        "waiting_loop_at",
        "waiting_loop_cleared_at",
    }


def test_counsellor_opens_a_case_through_the_form(app, counsellor):
    response = counsellor.post(
        "/beratung/faelle/neu",
        data={
            "contact_date": "2026-03-02",
            "channel": "outreach",
            "language": "uk",
            "age_group": "25_34",
            "situation": "career_change",
            "outcome": "information_given",
            "topics": ["recognition", "language_course"],
        },
    )
    assert response.status_code == 302
    case_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    html = counsellor.get(f"/beratung/faelle/{case_id}").get_data(as_text=True)
    assert "Aufsuchend" in html and "Ukrainisch" in html and "Beruflicher Wechsel" in html
    assert "Anerkennung ausländischer Abschlüsse" in html
    with app.app_context():
        contact = db.session.scalar(select(CounsellingContact))
        assert contact is not None
        assert contact.counsellor_id == user_id(COUNSELLOR)
        assert sorted(t.code for t in contact.topics) == ["language_course", "recognition"]


def test_contact_in_the_future_is_refused(counsellor):
    response = counsellor.post(
        "/beratung/faelle/neu",
        data={
            "contact_date": "2999-01-01",
            "channel": "phone",
            "language": "de",
            "age_group": "18_24",
            "situation": "other",
            "outcome": "other",
        },
    )
    assert response.status_code == 422
    assert "Das Datum liegt in der Zukunft." in response.get_data(as_text=True)


def test_personal_details_only_with_consent_and_apart(app, counsellor):
    with app.app_context():
        case_id = make_case(user_id(COUNSELLOR))
    url = f"/beratung/faelle/{case_id}/personendaten"
    refused = counsellor.post(url, data={"name": "Amal K.", "contact": "0541 123"})
    assert refused.status_code == 422
    assert "nur mit Einwilligung" in refused.get_data(as_text=True)
    assert 'value="Amal K."' in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(PersonalDetails).count() == 0

    ok = counsellor.post(url, data={"name": "Amal K.", "contact": "0541 123", "consent": "y"})
    assert ok.status_code == 302
    with app.app_context():
        details = db.session.scalar(select(PersonalDetails))
        assert details is not None and details.case_id == case_id
        assert details.consent_at is not None
        assert len(_events("personal_details_recorded", case_id)) == 1
    assert "Amal K." in counsellor.get(f"/beratung/faelle/{case_id}").get_data(as_text=True)

    assert counsellor.post(f"{url}/loeschen").status_code == 302
    with app.app_context():
        assert db.session.query(PersonalDetails).count() == 0
        assert len(_events("personal_details_deleted", case_id)) == 1


def test_new_referral_after_a_failed_one_flags_a_waiting_loop(app_ctx, counselling_demo):
    actor = user_id(COUNSELLOR)
    case_id = make_case(actor)
    first = _refer(case_id, actor)
    case = db.session.get(CounsellingCase, case_id)
    assert case is not None and not case.flagged
    services.record_follow_up(first.id, "not_arrived", None, None, actor, now=NOW)
    db.session.expire_all()
    assert not db.session.get(CounsellingCase, case_id).flagged  # type: ignore[union-attr]
    _refer(case_id, actor, referred_on=date(2026, 3, 18), follow_up_on=date(2026, 4, 1))
    db.session.expire_all()
    case = db.session.get(CounsellingCase, case_id)
    assert case is not None and case.flagged
    assert len(_events("case_flagged_waiting_loop", case_id)) == 1
    rows = services.list_cases(flagged_only=True)
    assert [r.id for r in rows] == [case_id]


def test_referral_after_an_arrived_one_is_no_waiting_loop(app_ctx, counselling_demo):
    actor = user_id(COUNSELLOR)
    case_id = make_case(actor)
    first = _refer(case_id, actor)
    services.record_follow_up(first.id, "arrived", date(2026, 3, 10), None, actor, now=NOW)
    _refer(case_id, actor)
    db.session.expire_all()
    assert not db.session.get(CounsellingCase, case_id).flagged  # type: ignore[union-attr]
    assert services.list_cases(flagged_only=True) == []


def test_not_arrived_recorded_after_a_later_referral_flags_too(app_ctx, counselling_demo):
    actor = user_id(COUNSELLOR)
    case_id = make_case(actor)
    first = _refer(case_id, actor)
    _refer(case_id, actor)
    services.record_follow_up(first.id, "not_arrived", None, None, actor, now=NOW)
    db.session.expire_all()
    assert db.session.get(CounsellingCase, case_id).flagged  # type: ignore[union-attr]


def test_follow_up_rules(app_ctx, counselling_demo):
    actor = user_id(COUNSELLOR)
    case_id = make_case(actor)
    referral = _refer(case_id, actor)
    with pytest.raises(services.CounsellingError) as err:
        services.record_follow_up(referral.id, "arrived", None, None, actor, now=NOW)
    assert err.value.field == "arrived_on"
    with pytest.raises(services.CounsellingError):
        services.record_follow_up(referral.id, "arrived", date(2026, 3, 1), None, actor, now=NOW)
    with pytest.raises(services.CounsellingError) as err:
        services.record_follow_up(referral.id, "waiting", None, None, actor, now=NOW)
    assert err.value.field == "next_follow_up_on"
    with pytest.raises(services.CounsellingError):
        services.record_follow_up(referral.id, "maybe", None, None, actor, now=NOW)
    services.record_follow_up(referral.id, "waiting", None, date(2026, 4, 3), actor, now=NOW)
    db.session.expire_all()
    stored = db.session.get(Referral, referral.id)
    assert stored is not None
    assert stored.arrival == "waiting" and stored.follow_up_on == date(2026, 4, 3)
    assert stored.is_open
    services.record_follow_up(referral.id, "arrived", date(2026, 3, 19), None, actor, now=NOW)
    db.session.expire_all()
    stored = db.session.get(Referral, referral.id)
    assert stored is not None and stored.arrived_on == date(2026, 3, 19) and not stored.is_open


def test_referral_to_an_institution_without_offer(app_ctx, counselling_demo):
    from netzwerk.governance.models import Organisation

    actor = user_id(COUNSELLOR)
    case_id = make_case(actor)
    org = db.session.scalar(select(Organisation).where(Organisation.name == "Jobcenter Osnabrück"))
    assert org is not None
    referral = services.create_referral(
        case_id,
        services.ReferralData(
            offer_id=None,
            organisation_id=org.id,
            referred_on=date(2026, 3, 2),
            follow_up_on=date(2026, 3, 9),
        ),
        actor,
        now=NOW,
    )
    assert referral.organisation_id == org.id and referral.offer_id is None
    with pytest.raises(services.CounsellingError) as err:
        services.create_referral(
            case_id,
            services.ReferralData(None, None, date(2026, 3, 2), date(2026, 3, 9)),
            actor,
            now=NOW,
        )
    assert err.value.field == "offer_id"


def test_reading_a_case_writes_an_audit_event(app, counsellor):
    with app.app_context():
        actor = user_id(COUNSELLOR)
        case_id = make_case(actor)
    assert counsellor.get(f"/beratung/faelle/{case_id}").status_code == 200
    export = counsellor.get(f"/beratung/faelle/{case_id}/export.csv")
    assert export.status_code == 200
    assert export.mimetype == "text/csv"
    assert "Arabisch" in export.get_data(as_text=True)
    with app.app_context():
        reads = _events("case_read", case_id)
        assert len(reads) == 2
        assert all(e.actor_id == actor for e in reads)
        # The change that opened the case is in the trail too, and the chain holds.
        assert len(_events("case_created", case_id)) == 1
        assert len(_events("contact_added", case_id)) == 1
        assert verify_chain() is None
    assert counsellor.get("/beratung/faelle/999999").status_code == 404
    with app.app_context():
        assert (
            db.session.scalar(select(AuditEvent.id).where(AuditEvent.object_id == 999999)) is None
        )


def test_every_change_to_a_case_is_audited(app, counsellor):
    with app.app_context():
        actor = user_id(COUNSELLOR)
        case_id = make_case(actor)
    counsellor.post(
        f"/beratung/faelle/{case_id}/kontakt",
        data={
            "contact_date": "2026-03-03",
            "channel": "video",
            "language": "de",
            "age_group": "35_49",
            "situation": "re_entry",
            "outcome": "referred",
        },
    )
    counsellor.post(
        f"/beratung/faelle/{case_id}/weitervermittlung",
        data={
            "offer_id": str(first_offer_id_in(app)),
            "organisation_id": "None",
            "referred_on": "2026-03-03",
            "follow_up_on": "2026-03-17",
        },
    )
    with app.app_context():
        referral_id = db.session.scalar(select(Referral.id))
    counsellor.post(
        f"/beratung/weitervermittlungen/{referral_id}/nachfassen", data={"arrival": "unknown"}
    )
    with app.app_context():
        actions = [
            e.action
            for e in db.session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.object_id == case_id, AuditEvent.object_type == "counselling_case"
                )
                .order_by(AuditEvent.id)
            )
        ]
    assert actions == [
        "case_created",
        "contact_added",
        "contact_added",
        "referral_created",
        "follow_up_recorded",
    ]


def first_offer_id_in(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return first_offer_id()


def test_case_list_and_search_by_code(app, counsellor):
    with app.app_context():
        case_id = make_case(user_id(COUNSELLOR))
        code = db.session.get(CounsellingCase, case_id).code  # type: ignore[union-attr]
        make_case(user_id(COUNSELLOR))
    html = counsellor.get("/beratung/faelle/?code=" + code.replace("-", "").lower()).get_data(
        as_text=True
    )
    assert code in html
    assert html.count("/beratung/faelle/" + str(case_id)) == 1
    assert "Keine Fälle gefunden." in counsellor.get("/beratung/faelle/?code=%25O0%25").get_data(
        as_text=True
    )


def test_case_list_query_count_is_flat(app, counsellor, count_queries):
    with app.app_context():
        make_case(user_id(COUNSELLOR))
    with count_queries() as few:
        counsellor.get("/beratung/faelle/")
    with app.app_context():
        for _ in range(8):
            make_case(user_id(COUNSELLOR))
    with count_queries() as many:
        counsellor.get("/beratung/faelle/")
    assert many.count == few.count


def test_the_case_export_neutralises_formulas_in_what_people_typed(app, counsellor):
    """CSV injection: a name or contact typed as a spreadsheet formula is
    exported as text (an apostrophe in front), never as a formula."""
    with app.app_context():
        case_id = make_case(user_id(COUNSELLOR))
    counsellor.post(
        f"/beratung/faelle/{case_id}/personendaten",
        data={
            "name": '=HYPERLINK("http://evil.example","x")',
            "contact": "+49 541 1",
            "consent": "y",
        },
    )
    export = counsellor.get(f"/beratung/faelle/{case_id}/export.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff")), delimiter=";"))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert "'+49 541 1" in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_district_and_migration_background_are_optional_and_checked(app, counsellor):
    data = {
        "contact_date": "2026-03-02",
        "channel": "phone",
        "language": "de",
        "age_group": "18_24",
        "situation": "other",
        "outcome": "other",
    }
    form = counsellor.get("/beratung/faelle/neu").get_data(as_text=True)
    assert "Migrationshintergrund" in form and "nie für einzelne Personen" in form
    bad = counsellor.post(
        "/beratung/faelle/neu", data={**data, "district": "atlantis", "migration": "maybe"}
    )
    assert bad.status_code in (400, 422)
    ok = counsellor.post(
        "/beratung/faelle/neu", data={**data, "district": "haste", "migration": "parents"}
    )
    assert ok.status_code == 302
    without = counsellor.post("/beratung/faelle/neu", data=data)
    assert without.status_code == 302
    with app.app_context():
        contacts = list(
            db.session.scalars(select(CounsellingContact).order_by(CounsellingContact.id))
        )
        assert [(c.district, c.migration) for c in contacts] == [("haste", "parents"), (None, None)]
