"""Browser acceptance test of closing the loop (issue 23): a Turkish feedback
passed to the Bildungskonferenz leads to a decision and an action item; its
sender sees the chain in Turkish and gets a mail.

The vote in the meeting and the action item are taken through the services
(the voting and decisions journeys drive those pages)."""

from __future__ import annotations

import re
from email.header import decode_header, make_header

from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.mail.services import send_pending


def test_turkish_feedback_to_decision_and_action_item_with_mail(
    page, browser, app, live_server, login_browser, assert_no_axe_violations, smtp_server
):
    from feedback.outcome_helpers import action_item, decide
    from meetings.helpers import meeting

    from netzwerk.feedback.models import Feedback, FeedbackReferral

    with app.app_context():
        planned_id = meeting("BK").id
        db.session.remove()

    # 1. An anonymous person gives feedback in Turkish, with consent to mail.
    citizen = browser.new_context(locale="tr-TR", timezone_id="Europe/Berlin")
    citizen.set_default_timeout(15_000)
    anon = citizen.new_page()
    anon.goto(live_server + "/rueckmeldung/tr/")
    anon.get_by_label("Dil kursları").check()
    anon.get_by_label("2 – kötü karşılanıyor").check()
    anon.get_by_label("Kendi sözlerinizle geri bildiriminiz").fill(
        "Akşamları daha fazla Almanca kursu olmalı."
    )
    anon.get_by_label(
        "Eğitim Bürosunun bana yanıt vermek için iletişim bilgilerimi saklamasını kabul ediyorum."
    ).check()
    anon.get_by_label("E-posta").fill("ayse@example.org")
    anon.get_by_role("button", name="Geri bildirimi gönder").click()
    anon.wait_for_selector("#receipt-code")
    code = anon.locator("#receipt-code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)

    # 2. The Bildungsbüro passes it to the Bildungskonferenz, onto a meeting's agenda.
    with app.app_context():
        feedback_id = db.session.scalar(select(Feedback.id).order_by(Feedback.id.desc()))
        db.session.remove()
    login_browser(page, live_server, "office")
    page.goto(live_server + f"/verwaltung/rueckmeldungen/{feedback_id}")
    page.get_by_role("link", name="An ein Gremium weitergeben").click()
    page.locator("#body_id").select_option(label="Bildungskonferenz")
    page.locator("#meeting_id").select_option(value=str(planned_id))
    page.get_by_label("Titel der Vorlage").fill("Rückmeldungen zu Sprachkursen")
    with page.expect_navigation():
        page.get_by_role("button", name="An das Gremium weitergeben").click()
    assert re.search(rf"/verwaltung/rueckmeldungen/{feedback_id}$", page.url)

    # The agenda item is voted on and decided; an action item follows.
    with app.app_context():
        item_id = db.session.scalar(
            select(FeedbackReferral.agenda_item_id).where(
                FeedbackReferral.feedback_id == feedback_id
            )
        )
        decision = decide(planned_id, item_id)
        action_item(decision.id)
        db.session.commit()
        db.session.remove()

    # 3. The status page shows the chain in Turkish; the SMTP server got the mail.
    anon.goto(live_server + "/rueckmeldung/tr/status")
    anon.get_by_label("Alındı kodunuz").fill(code)
    anon.get_by_role("button", name="Durumu göster").click()
    anon.wait_for_selector("#status-heading")
    timeline = anon.locator("ol.timeline").inner_text()
    assert "Bildungskonferenz" in timeline
    assert "karar verdi ve onayladı" in timeline
    assert "Bir önlem kararlaştırıldı" in timeline
    assert code not in anon.url
    assert_no_axe_violations(anon)
    with app.app_context():
        send_pending()
    mails = [m for m in smtp_server.messages if m["To"] == "ayse@example.org"]
    assert mails, "no mail to the sender"
    subjects = {str(make_header(decode_header(m["Subject"]))) for m in mails}
    assert subjects == {"Geri bildiriminizle ilgili yenilikler"}
    body = mails[0].get_payload(decode=True).decode()
    assert "karar verdi ve onayladı" in body and code not in body
    citizen.close()
