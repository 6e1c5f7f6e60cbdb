"""Changing personal details: the stored ones are prefilled, a refused form keeps the input."""

from __future__ import annotations

from datetime import datetime
from html import escape

import pytest
from sqlalchemy import select

from netzwerk.audit.models import AuditEvent
from netzwerk.counselling import services
from netzwerk.counselling.models import CounsellingStaff, PersonalDetails
from netzwerk.extensions import db

from .conftest import COUNSELLOR, make_case, user_id

CONSENT_AT = datetime.fromisoformat("2026-03-02T10:30:00+00:00")
NAME = "Amal K."
CONTACT = "0541 123-45"


def _reads(case_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "personal_details_read",
                AuditEvent.object_type == "counselling_case",
                AuditEvent.object_id == case_id,
            )
        )
    )


def _value(text: str) -> str:
    """How an input's value attribute carries ``text``."""
    return f'value="{escape(text)}"'


@pytest.fixture
def stored_case(app, counselling_demo) -> int:  # type: ignore[no-untyped-def]
    """A case with stored personal details."""
    with app.app_context():
        case_id = make_case(user_id(COUNSELLOR))
        services.record_personal_details(
            case_id, NAME, CONTACT, True, user_id(COUNSELLOR), now=CONSENT_AT
        )
        db.session.remove()
    return case_id


def test_the_service_reads_the_stored_details_back(app_ctx, stored_case):
    actor = user_id(COUNSELLOR)
    stored = services.read_personal_details(stored_case, actor)
    assert stored is not None
    assert (stored.name, stored.contact) == (NAME, CONTACT)
    assert stored.consent_at == CONSENT_AT
    reads = _reads(stored_case)
    assert [(e.actor_id, e.object_id) for e in reads] == [(actor, stored_case)]


def test_the_service_reads_nothing_for_a_pseudonymous_case(app_ctx, counselling_demo):
    case_id = make_case(None)
    assert services.read_personal_details(case_id, None) is None
    assert _reads(case_id) == []  # nothing was shown, so nothing is logged
    with pytest.raises(services.NotFound):
        services.read_personal_details(case_id + 1000, None)


def test_stored_details_are_prefilled(app, counsellor, stored_case):
    response = counsellor.get(f"/beratung/faelle/{stored_case}/personendaten")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _value(NAME) in html
    assert _value(CONTACT) in html
    # Consent is asked again (saving records it anew), and the page says when it was given.
    assert "checked" not in html
    assert "Die Einwilligung wurde am 02.03.2026" in html
    with app.app_context():
        assert len(_reads(stored_case)) == 1


def test_a_pseudonymous_case_opens_an_empty_form(app, counsellor, counselling_demo):
    with app.app_context():
        case_id = make_case(user_id(COUNSELLOR))
    html = counsellor.get(f"/beratung/faelle/{case_id}/personendaten").get_data(as_text=True)
    assert 'name="name" type="text" value=""' in html
    assert "Die Einwilligung wurde am" not in html
    with app.app_context():
        assert _reads(case_id) == []


def test_saving_the_prefilled_form_changes_only_what_was_changed(app, counsellor, stored_case):
    url = f"/beratung/faelle/{stored_case}/personendaten"
    counsellor.get(url)
    response = counsellor.post(url, data={"name": NAME, "contact": "0541 999", "consent": "y"})
    assert response.status_code == 302
    with app.app_context():
        details = db.session.scalar(select(PersonalDetails))
        assert details is not None
        assert (details.name, details.contact) == (NAME, "0541 999")
        assert details.consent_at > CONSENT_AT  # consent given again


def test_a_refused_form_shows_what_was_typed_not_what_is_stored(app, counsellor, stored_case):
    url = f"/beratung/faelle/{stored_case}/personendaten"
    typed = {"name": "Amal Karimi", "contact": "amal@example.org"}  # consent not ticked
    response = counsellor.post(url, data=typed)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "nur mit Einwilligung" in html
    assert _value("Amal Karimi") in html and _value("amal@example.org") in html
    assert NAME not in html and CONTACT not in html
    with app.app_context():
        details = db.session.scalar(select(PersonalDetails))
        assert details is not None and (details.name, details.contact) == (NAME, CONTACT)
        assert _reads(stored_case) == []  # the refused form showed no stored data


def test_fields_left_empty_stay_empty_when_the_form_is_refused(app, counsellor, stored_case):
    url = f"/beratung/faelle/{stored_case}/personendaten"
    response = counsellor.post(url, data={"consent": "y"})  # name and contact sent empty
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte geben Sie einen Namen oder Kontaktdaten ein." in html
    assert NAME not in html and CONTACT not in html
    with app.app_context():
        details = db.session.scalar(select(PersonalDetails))
        assert details is not None and (details.name, details.contact) == (NAME, CONTACT)


@pytest.mark.parametrize("role", ["member", "chair", "lead"])
def test_others_see_no_stored_details(app, client_as, stored_case, role):
    response = client_as(role).get(f"/beratung/faelle/{stored_case}/personendaten")
    assert response.status_code == 403
    assert NAME not in response.get_data(as_text=True)
    with app.app_context():
        assert _reads(stored_case) == []


def test_office_without_the_counselling_flag_sees_no_stored_details(app, client_as, stored_case):
    with app.app_context():
        db.session.execute(db.delete(CounsellingStaff))
        db.session.commit()
        db.session.remove()
    response = client_as("office").get(f"/beratung/faelle/{stored_case}/personendaten")
    assert response.status_code == 403
    assert NAME not in response.get_data(as_text=True)
    with app.app_context():
        assert _reads(stored_case) == []


def test_anonymous_visitors_are_sent_to_the_login(client, stored_case):
    response = client.get(f"/beratung/faelle/{stored_case}/personendaten")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
