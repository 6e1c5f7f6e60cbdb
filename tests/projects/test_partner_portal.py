"""The partner portal: invitations, the mailed code, what partners enter, and
the project lead's acceptance (services), and the personal link's pages."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from netzwerk.audit.models import AuditEvent
from netzwerk.database import utcnow
from netzwerk.extensions import db
from netzwerk.governance.models import Person
from netzwerk.mail.models import OutboxMail
from netzwerk.projects import partner_portal as portal
from netzwerk.projects import portfolio, services
from netzwerk.projects.models import Milestone, PartnerEntry, PartnerInvitation
from netzwerk.timeutil import local_today
from projects.helpers import make_project, org, user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SCHOOL = "Gesamtschule Schinkel"


def _setup() -> dict[str, int]:
    """A project with the school as partner, one milestone of the school's
    and one of nobody's, and another project with a school milestone."""
    lead = user("lead")
    project = make_project()
    school = org(SCHOOL)
    partner = services.add_partner(lead, project, organisation_id=school.id, role="Schulpartner")
    own = services.add_milestone(
        lead,
        project,
        title="Forscherwoche",
        due_date=local_today() + timedelta(days=10),
        partner_organisation_id=school.id,
    )
    services.add_milestone(
        lead, project, title="Ausstellung", due_date=local_today() + timedelta(days=60)
    )
    other = make_project(title="Anderes Projekt")
    services.add_partner(lead, other, organisation_id=school.id, role="Schulpartner")
    foreign = services.add_milestone(
        lead,
        other,
        title="Fremder Meilenstein",
        due_date=local_today() + timedelta(days=10),
        partner_organisation_id=school.id,
    )
    contact = db.session.scalar(select(Person).where(Person.organisation_id == school.id))
    assert contact is not None and contact.email
    return {
        "project": project.id,
        "partner": partner.id,
        "own": own.id,
        "foreign": foreign.id,
        "contact": contact.id,
    }


def _invite(ids: dict[str, int], **kw) -> tuple[PartnerInvitation, str]:
    project = services.get_project(ids["project"])
    return portal.invite(
        user("lead"), project, partner_id=ids["partner"], contact_person_id=ids["contact"], **kw
    )


def _confirmed(ids: dict[str, int]) -> tuple[PartnerInvitation, str]:
    invitation, token = _invite(ids)
    code = portal.send_code(invitation)
    portal.confirm_code(invitation, code)
    return invitation, token


# --- invitations -----------------------------------------------------------------------


def test_invitation_mails_a_link_and_stores_only_the_hash(app_ctx, demo):
    ids = _setup()
    invitation, token = _invite(ids)
    mail = db.session.scalar(select(OutboxMail).order_by(OutboxMail.id.desc()))
    assert mail.recipient == invitation.email
    assert f"/partner/{token}" in mail.body
    assert invitation.token_hash != token and token not in invitation.token_hash
    assert portal.open_link(token).id == invitation.id
    assert db.session.scalar(
        select(AuditEvent.id).where(AuditEvent.action == "project.partner_invited")
    )


def test_only_a_contact_of_the_partner_organisation_can_be_invited(app_ctx, demo):
    ids = _setup()
    stranger = db.session.scalar(select(Person.id).where(Person.organisation_id != org(SCHOOL).id))
    project = services.get_project(ids["project"])
    with pytest.raises(services.ProjectError) as refused:
        portal.invite(user("lead"), project, partner_id=ids["partner"], contact_person_id=stranger)
    assert refused.value.field == "contact_person_id"
    with pytest.raises(services.ProjectError):  # not the lead: no invitation
        portal.invite(
            user("member"), project, partner_id=ids["partner"], contact_person_id=ids["contact"]
        )


def test_expired_revoked_and_unknown_links_are_refused(app_ctx, demo):
    ids = _setup()
    invitation, token = _invite(ids, days=1)
    with pytest.raises(portal.LinkRefused) as refused:
        portal.open_link(token, now=utcnow() + timedelta(days=2))
    assert refused.value.reason == "expired"
    with pytest.raises(portal.LinkRefused) as refused:
        portal.open_link(token + "x")
    assert refused.value.reason == "unknown"
    portal.revoke(user("lead"), services.get_project(ids["project"]), invitation.id)
    with pytest.raises(portal.LinkRefused) as refused:
        portal.open_link(token)
    assert refused.value.reason == "revoked"


# --- the code ---------------------------------------------------------------------------


def test_the_code_works_once_and_wrong_codes_are_counted(app_ctx, demo):
    ids = _setup()
    invitation, _token = _invite(ids)
    code = portal.send_code(invitation)
    assert code in db.session.scalar(select(OutboxMail.body).order_by(OutboxMail.id.desc()))
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(portal.PortalError):
        portal.confirm_code(invitation, wrong)
    assert db.session.get(PartnerInvitation, invitation.id).code_attempts == 1
    key = portal.confirm_code(invitation, code)
    assert portal.has_session(db.session.get(PartnerInvitation, invitation.id), key)
    with pytest.raises(portal.PortalError, match="nicht mehr gültig"):
        portal.confirm_code(invitation, code)  # reused


def test_five_wrong_codes_void_the_code_and_an_old_code_expires(app_ctx, demo):
    ids = _setup()
    invitation, _token = _invite(ids)
    code = portal.send_code(invitation)
    wrong = "000000" if code != "000000" else "111111"
    for _attempt in range(portal.MAX_CODE_ATTEMPTS):
        with pytest.raises(portal.PortalError):
            portal.confirm_code(invitation, wrong)
    with pytest.raises(portal.PortalError, match="nicht mehr gültig"):
        portal.confirm_code(invitation, code)  # even the right one: void now
    code = portal.send_code(invitation)
    with pytest.raises(portal.PortalError, match="abgelaufen"):
        portal.confirm_code(invitation, code, now=utcnow() + timedelta(minutes=16))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(typed=st.one_of(st.text(max_size=30), st.integers(), st.none()))
def test_any_typed_code_is_refused_without_error(app_ctx, demo, typed):
    """Whatever is typed, a code that was not sent never opens the portal."""
    invitation = db.session.scalar(select(PartnerInvitation))
    if invitation is None:
        invitation, _token = _invite(_setup())
    portal.send_code(invitation)
    normalised = portal.normalise_code(typed)
    assert normalised == "" or re.fullmatch(r"\d{6}", normalised)
    try:
        portal.confirm_code(invitation, typed)
    except portal.PortalError:
        pass
    else:  # only the sent code opens it: guessing one in 25 tries would be 1 in 40,000
        pytest.fail("a guessed code was accepted")


# --- what the partner enters ---------------------------------------------------------------


def test_another_projects_or_an_unowned_milestone_is_refused(app_ctx, demo):
    ids = _setup()
    invitation, _token = _confirmed(ids)
    unowned = db.session.scalar(select(Milestone.id).where(Milestone.title == "Ausstellung"))
    for milestone_id in (ids["foreign"], unowned, 10**9):
        with pytest.raises(portal.PortalError, match="nicht einer Ihrer Organisation"):
            portal.confirm_milestone(invitation, milestone_id)
    assert db.session.scalar(select(func.count(PartnerEntry.id))) == 0
    portal.confirm_milestone(invitation, ids["own"])
    with pytest.raises(portal.PortalError, match="schon bestätigt"):
        portal.confirm_milestone(invitation, ids["own"])


def test_participant_numbers_need_a_sound_period(app_ctx, demo):
    ids = _setup()
    invitation, _token = _confirmed(ids)
    today = local_today()
    with pytest.raises(portal.PortalError) as refused:
        portal.record_participants(
            invitation, period_start=today, period_end=today - timedelta(days=1), participants=5
        )
    assert refused.value.field == "period_end"
    with pytest.raises(portal.PortalError) as refused:
        portal.record_participants(
            invitation, period_start=today, period_end=today, participants=-1
        )
    assert refused.value.field == "participants"
    assert db.session.scalar(select(func.count(PartnerEntry.id))) == 0


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(number=st.one_of(st.integers(min_value=-(10**12), max_value=10**12), st.booleans()))
def test_participant_numbers_are_whole_numbers_in_range(app_ctx, demo, number):
    invitation = db.session.scalar(select(PartnerInvitation))
    if invitation is None:
        invitation, _token = _confirmed(_setup())
    today = local_today()
    before = db.session.scalar(select(func.count(PartnerEntry.id)))
    valid = not isinstance(number, bool) and 0 <= number <= 10_000_000
    try:
        portal.record_participants(
            invitation, period_start=today, period_end=today, participants=number
        )
    except portal.PortalError as exc:
        assert not valid and exc.field == "participants"
        assert db.session.scalar(select(func.count(PartnerEntry.id))) == before
    else:
        assert valid


def test_evidence_has_the_checks_of_paper_attachments(app_ctx, demo, app):
    ids = _setup()
    invitation, _token = _confirmed(ids)
    with pytest.raises(portal.PortalError, match="nicht erlaubt|passt nicht"):
        portal.upload_evidence(invitation, "liste.pdf", b"MZ\x90\x00binary")
    with pytest.raises(portal.PortalError, match="passt nicht"):
        portal.upload_evidence(invitation, "foto.pdf", PNG)
    app.config["PROJECTS_EVIDENCE_MAX_MB"] = 0.00001  # about 10 bytes
    try:
        with pytest.raises(portal.PortalError, match="zu groß"):
            portal.upload_evidence(invitation, "foto.png", PNG)
    finally:
        app.config.pop("PROJECTS_EVIDENCE_MAX_MB")
    assert db.session.scalar(select(func.count(PartnerEntry.id))) == 0
    entry = portal.upload_evidence(invitation, "foto\u202egnp.png", PNG, note="Forscherwoche")
    assert entry.content_type == "image/png" and "\u202e" not in entry.filename


def test_countersigning_is_audited_once(app_ctx, demo):
    ids = _setup()
    invitation, _token = _confirmed(ids)
    with pytest.raises(portal.PortalError):
        portal.countersign(invitation, confirmed=False)
    partner = portal.countersign(invitation, confirmed=True)
    assert partner.agreement_signed_at is not None
    assert partner.agreement_signed_by
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "project.agreement_countersigned")
    )
    assert event is not None and json.loads(event.data)["partner_id"] == ids["partner"]
    with pytest.raises(portal.PortalError, match="bereits gegengezeichnet"):
        portal.countersign(invitation, confirmed=True)


# --- the project lead accepts -----------------------------------------------------------------


def test_accepting_entries_changes_progress_and_reach(app_ctx, demo):
    ids = _setup()
    invitation, _token = _confirmed(ids)
    project = services.get_project(ids["project"])
    services.add_report(
        user("lead"),
        project,
        report_date=local_today() - timedelta(days=30),
        text="Start.",
        values={"participants": 40},
    )
    today = local_today()
    numbers = portal.record_participants(
        invitation, period_start=today - timedelta(days=20), period_end=today, participants=25
    )
    milestone = portal.confirm_milestone(invitation, ids["own"])
    progress_before = portfolio.compute_progress()[ids["project"]]
    with pytest.raises(services.ProjectError):  # only the lead (or staff)
        portal.accept_entries(user("member"), project, [numbers.id])
    result = portal.accept_entries(
        user("lead"), project, [numbers.id, milestone.id], text="Die Schule meldet."
    )
    assert result.participants_added == 25 and result.milestones_reached == 1
    assert portfolio.latest_values([ids["project"]])[ids["project"]]["participants"] == 65
    assert portfolio.compute_progress()[ids["project"]] > progress_before
    assert "Gesamtschule Schinkel" in result.report.text
    assert portal.pending_entries(ids["project"]) == []
    with pytest.raises(services.ProjectError):  # accepted once only
        portal.accept_entries(user("lead"), project, [numbers.id])


# --- the pages ------------------------------------------------------------------------------------


def _ids(app) -> dict[str, int]:
    with app.app_context():
        ids = _setup()
        db.session.remove()
    return ids


def _token(app, ids, **kw) -> str:
    with app.app_context():
        _invitation, token = _invite(ids, **kw)
        db.session.remove()
    return token


def _last_code(app) -> str:
    with app.app_context():
        body = db.session.scalar(select(OutboxMail.body).order_by(OutboxMail.id.desc()))
        db.session.remove()
    return re.search(r"\b(\d{6})\b", body).group(1)


def _open_portal(client, app, token) -> None:
    client.get(f"/partner/{token}")
    assert client.post(f"/partner/{token}/code", data={}).status_code == 302
    response = client.post(f"/partner/{token}/bestaetigen", data={"code": _last_code(app)})
    assert response.status_code == 302


def test_refused_links_answer_with_a_clear_page(app, demo, client):
    ids = _ids(app)
    expired = _token(app, ids, days=1)
    revoked = _token(app, ids)
    with app.app_context():
        invitation = db.session.scalar(select(PartnerInvitation).order_by(PartnerInvitation.id))
        invitation.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        last = db.session.scalar(select(PartnerInvitation).order_by(PartnerInvitation.id.desc()))
        portal.revoke(user("lead"), services.get_project(ids["project"]), last.id)
        db.session.remove()
    for token, status, words in (
        ("nichtda", 404, "nicht gültig"),
        (expired, 410, "abgelaufen"),
        (revoked, 410, "widerrufen"),
    ):
        for response in (
            client.get(f"/partner/{token}"),
            client.post(f"/partner/{token}/teilnehmende", data={"participants": "5"}),
        ):
            html = response.get_data(as_text=True)
            assert response.status_code == status, token
            assert words in html
            assert 'name="password"' not in html


def test_the_code_page_then_the_portal_and_a_reused_code(app, demo, client):
    ids = _ids(app)
    token = _token(app, ids)
    page = client.get(f"/partner/{token}")
    assert page.status_code == 200 and "Bestätigungscode" in page.get_data(as_text=True)
    # Without the confirmed code nothing can be entered.
    refused = client.post(f"/partner/{token}/teilnehmende", data={"participants": "5"})
    assert refused.status_code == 403
    client.post(f"/partner/{token}/code", data={})
    code = _last_code(app)
    ok = client.post(f"/partner/{token}/bestaetigen", data={"code": code})
    assert ok.status_code == 302
    portal_page = client.get(f"/partner/{token}").get_data(as_text=True)
    assert "Forscherwoche" in portal_page and "Fremder Meilenstein" not in portal_page
    other = app.test_client()
    other.get(f"/partner/{token}")
    reused = other.post(f"/partner/{token}/bestaetigen", data={"code": code})
    assert reused.status_code == 422
    assert "nicht mehr gültig" in reused.get_data(as_text=True)


def test_another_projects_milestone_and_an_oversized_upload_change_nothing(app, demo, client):
    ids = _ids(app)
    token = _token(app, ids)
    _open_portal(client, app, token)
    response = client.post(f"/partner/{token}/meilenstein", data={"milestone_id": ids["foreign"]})
    assert response.status_code == 422
    assert "nicht einer Ihrer Organisation" in response.get_data(as_text=True)
    app.config["PROJECTS_EVIDENCE_MAX_MB"] = 0.00001
    try:
        response = client.post(
            f"/partner/{token}/nachweis",
            data={"file": (__import__("io").BytesIO(PNG), "foto.png")},
            content_type="multipart/form-data",
        )
    finally:
        app.config.pop("PROJECTS_EVIDENCE_MAX_MB")
    assert response.status_code == 422
    assert "zu groß" in response.get_data(as_text=True)
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = client.post(
            f"/partner/{token}/nachweis",
            data={"file": (__import__("io").BytesIO(PNG * 100), "foto.png")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    assert 'name="password"' not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(PartnerEntry.id))) == 0
        db.session.remove()


def test_the_lead_page_invites_and_revokes(app, demo, client_as):
    ids = _ids(app)
    lead = client_as("lead")
    page = lead.get(f"/projekte/{ids['project']}/partnerportal")
    assert page.status_code == 200
    response = lead.post(
        f"/projekte/{ids['project']}/partnerportal/einladen",
        data={"partner_id": ids["partner"], "contact_person_id": ids["contact"]},
    )
    assert response.status_code == 302
    with app.app_context():
        invitation = db.session.scalar(select(PartnerInvitation))
        invitation_id = invitation.id
        db.session.remove()
    response = lead.post(
        f"/projekte/{ids['project']}/partnerportal/{invitation_id}/widerrufen", data={}
    )
    assert response.status_code == 302
    assert client_as("member").get(f"/projekte/{ids['project']}/partnerportal").status_code == 403
    bad = lead.post(
        f"/projekte/{ids['project']}/partnerportal/einladen",
        data={"partner_id": ids["partner"], "contact_person_id": "999999"},
    )
    assert bad.status_code == 422


def test_code_entry_is_rate_limited(extra_app, demo):
    limited = extra_app(RATELIMIT_ENABLED=True, PROJECTS_PARTNER_CODE_LIMIT="3 per minute")
    ids = _ids(limited)
    token = _token(limited, ids)
    client = limited.test_client()
    client.get(f"/partner/{token}")
    statuses = [
        client.post(f"/partner/{token}/bestaetigen", data={"code": "123456"}).status_code
        for _ in range(5)
    ]
    assert statuses[-1] == 429


@pytest.mark.calendar
def test_a_link_expires_after_its_days(app_ctx, demo, clock):
    ids = _setup()
    _invitation, token = _invite(ids, days=3)
    clock.shift(timedelta(days=2, hours=23))
    assert portal.open_link(token)
    clock.shift(timedelta(hours=2))
    with pytest.raises(portal.LinkRefused):
        portal.open_link(token)
