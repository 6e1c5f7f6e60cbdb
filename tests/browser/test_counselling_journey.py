"""Browser acceptance test of counselling (issue 8).

A counsellor logs a contact and refers the person to an offer; the follow-up
falls due (the test runs the scheduler job with a controlled "now"); the
counsellor records "not arrived" and refers again; the case is flagged as a
possible waiting loop; the figures page shows the rates.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from netzwerk.counselling import jobs, services
from netzwerk.counselling.demo import load_counselling_demo
from netzwerk.counselling.models import CounsellingCase, Offer, Referral
from netzwerk.database import utcnow
from netzwerk.extensions import db
from netzwerk.timeutil import local_today


@pytest.fixture
def counselling_server(app, live_server):  # type: ignore[no-untyped-def]
    """The live server with demo offers, the demo counsellor and earlier referrals.

    Fifteen earlier referrals (6 arrived, 5 not arrived, 4 not followed up yet)
    make the rates large enough to be shown despite the suppression of small
    groups (with the journey's own: 6 arrived, 6 not arrived, 5 open).
    """
    with app.app_context():
        load_counselling_demo()
        offer_id = db.session.scalar(select(Offer.id).order_by(Offer.id))
        assert offer_id is not None
        start = local_today() - timedelta(days=60)
        for i in range(15):
            case_id = services.create_case(
                services.ContactData(
                    contact_date=start,
                    channel="in_person",
                    language="de",
                    age_group="18_24",
                    situation="school_leaver_without_place",
                    outcome="referred",
                ),
                None,
            )
            referral = services.create_referral(
                case_id,
                # The open ones are followed up later, not due today.
                services.ReferralData(
                    offer_id, None, start, start + timedelta(days=14 if i < 11 else 90)
                ),
                None,
            )
            if i < 6:
                arrived = start + timedelta(days=3 + i)
                services.record_follow_up(referral.id, "arrived", arrived, None, None)
            elif i < 11:
                services.record_follow_up(referral.id, "not_arrived", None, None, None)
        db.session.remove()
    return live_server


def test_counsellor_journey_to_a_flagged_waiting_loop(
    app, page, counselling_server, login_browser, assert_no_axe_violations
):
    base = counselling_server
    login_browser(page, base, "office")

    # 1. Log a contact: a new pseudonymous case.
    page.goto(base + "/beratung/")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Neuen Kontakt erfassen").click()
    page.wait_for_url(re.compile(r"/beratung/faelle/neu$"))
    page.get_by_label("Kontaktweg").select_option(label="Telefon")
    page.get_by_label("Sprache der Beratung").select_option(label="Arabisch")
    page.get_by_label("Altersgruppe").select_option(label="18 bis 24")
    page.get_by_label("Lebenslage").select_option(label="Schulabgang ohne Anschluss")
    page.get_by_label("Berufsausbildung").check()
    page.get_by_label("Ergebnis").select_option(label="Weitervermittelt")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Kontakt speichern").click()
    page.wait_for_url(re.compile(r"/beratung/faelle/\d+$"))
    case_id = int(page.url.rsplit("/", 1)[1])
    heading = page.get_by_role("heading", level=1).inner_text()
    code = heading.replace("Fall", "").strip()
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", code), heading
    assert "Arabisch" in page.locator("main").inner_text()

    # 2. Refer the person to an offer (follow-up in 14 days by default).
    page.get_by_role("link", name="Weitervermitteln").click()
    page.get_by_label("Angebot", exact=True).select_option(
        label="Berufseinstiegsschule (BES) – Berufsbildende Schulen am Pottgraben"
    )
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Weitervermitteln").click()
    page.wait_for_url(re.compile(rf"/beratung/faelle/{case_id}$"))
    assert "Berufseinstiegsschule (BES)" in page.locator("main").inner_text()
    assert "Keine Nachfassungen fällig." in _start_page(page, base)

    # 3. The follow-up falls due: the scheduler's job runs with "now" in 15 days.
    with app.app_context():
        assert jobs.remind_due_follow_ups(utcnow() + timedelta(days=15)) == 1
        assert jobs.remind_due_follow_ups(utcnow() + timedelta(days=15)) == 0
        # The day has come: the work list is computed from the referral's date.
        referral = db.session.scalar(select(Referral).where(Referral.case_id == case_id))
        referral.follow_up_on = local_today()
        referral_id = referral.id
        db.session.commit()
        db.session.remove()
    # The counsellor's notification links to the follow-up, without case data.
    page.goto(f"{base}/benachrichtigungen")
    notes = page.locator("main").inner_text()
    assert "Nachfassung" in notes and code not in notes
    assert (
        page.locator(f'a[href="/beratung/weitervermittlungen/{referral_id}/nachfassen"]').count()
        == 1
    )
    text = _start_page(page, base)
    assert "Fällige Nachfassungen" in text and code in text

    # 4. Record "not arrived".
    due = page.get_by_role("region", name="Fällige Nachfassungen")
    due.get_by_role("link", name=re.compile("Nachfassung erfassen")).click()
    page.wait_for_url(re.compile(r"/nachfassen$"))
    page.get_by_label("Nicht angekommen").check()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Nachfassung speichern").click()
    page.wait_for_url(re.compile(rf"/beratung/faelle/{case_id}$"))
    assert "Nicht angekommen" in page.locator("main").inner_text()
    assert "Keine Nachfassungen fällig." in _start_page(page, base)

    # 5. Refer again: the case is flagged as a possible waiting loop.
    page.goto(f"{base}/beratung/faelle/{case_id}")
    page.get_by_role("link", name="Weitervermitteln").click()
    page.get_by_label("Angebot", exact=True).select_option(
        label="U25-Beratung: Ausbildung statt Warteschleife – Jobcenter Osnabrück"
    )
    page.get_by_role("button", name="Weitervermitteln").click()
    page.wait_for_url(re.compile(rf"/beratung/faelle/{case_id}$"))
    main = page.locator("main").inner_text()
    assert "Mögliche Warteschleife" in main
    assert_no_axe_violations(page)
    with app.app_context():
        case = db.session.get(CounsellingCase, case_id)
        assert case is not None and case.flagged
        db.session.remove()

    page.get_by_role("link", name="Mögliche Warteschleifen").first.click()
    page.wait_for_url(re.compile(r"/warteschleifen$"))
    assert code in page.locator("main").inner_text()

    # 6. The figures show the rates: 6 of 12 followed-up referrals arrived.
    page.get_by_role("link", name="Kennzahlen", exact=True).click()
    page.wait_for_url(re.compile(r"/beratung/kennzahlen$"))
    table = page.get_by_role("table", name="Weitervermittlungen und ihre Nachfassungen")
    rows = table.inner_text()
    assert "Anteil angekommen (Prozent der nachgefassten Weitervermittlungen)\t50,0 %" in rows
    assert "Nachgefasst\t12" in rows
    assert "Median der Tage bis zum Ankommen\t5,5" in rows
    assert "Mögliche Warteschleifen\t< 5" in rows
    assert_no_axe_violations(page)


def _start_page(page, base: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(base + "/beratung/")
    return str(page.locator("main").inner_text())


def test_public_offer_directory_is_accessible(page, counselling_server, assert_no_axe_violations):
    page.goto(counselling_server + "/angebote/?language=ar")
    assert "Integrationskurse und Deutschkurse" in page.locator("main").inner_text()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Integrationskurse und Deutschkurse").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Integrationskurse und Deutschkurse"
    assert_no_axe_violations(page)
