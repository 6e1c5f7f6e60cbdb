"""Feedback in two languages (#20, item 5): the German working translation
beside the original, the paper that carries both, the answer mailed in the
sender's language, and tags that show what was stored."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from netzwerk.audit.models import AuditEvent
from netzwerk.extensions import db
from netzwerk.feedback import services, working
from netzwerk.feedback.models import Feedback, FeedbackChoice, FeedbackWorkingTranslation
from netzwerk.feedback.validation import FeedbackError, FeedbackInput
from netzwerk.governance.models import Body
from netzwerk.mail.models import OutboxMail
from netzwerk.papers.models import Paper
from netzwerk.rules import BIDI_CONTROLS

from .conftest import choice_id, status_page
from .outcome_helpers import OFFICE, staff

ARABIC = "نحتاج إلى دورات لغة في المساء."
GERMAN = "Wir brauchen Sprachkurse am Abend."
TRANSLATOR = "Samira Haddad (Dolmetscherin)"


def submit(
    language: str, *, text: str = "Akşamları daha fazla kurs olmalı.", email: str | None = None
) -> Feedback:
    services.ensure_default_choices()
    data = FeedbackInput(
        category_id=choice_id("category", "language_courses"),
        rating=2,
        text=text,
        contact_consent=email is not None,
        contact_email=email or "",
    )
    return services.submit_feedback(data, language=language)


def _translated(feedback_id: int, text: str = GERMAN, translator: str = TRANSLATOR) -> None:
    working.save_working_translation(staff(OFFICE), feedback_id, text=text, translator=translator)


def _pass(feedback_id: int) -> Paper:
    bk = db.session.scalar(select(Body).where(Body.short_name == "BK"))
    assert bk is not None
    referrals = services.pass_to_body(
        staff(OFFICE), [feedback_id], body_id=bk.id, title="Rückmeldungen zu Sprachkursen"
    )
    paper = db.session.get(Paper, referrals[0].paper_id)
    assert paper is not None
    return paper


def _mails(address: str = "ayse@example.org") -> list[OutboxMail]:
    return list(
        db.session.scalars(
            select(OutboxMail).where(OutboxMail.recipient == address).order_by(OutboxMail.id)
        )
    )


# --- 1. the working translation ----------------------------------------------------------


def test_working_translation_is_kept_with_its_translator_corrected_and_audited(app_ctx, demo):
    feedback = submit("ar", text=ARABIC)
    _translated(feedback.id, "Sprachkurse am Abend fehlen.")
    _translated(feedback.id, GERMAN, "Samira Haddad")
    stored = db.session.get(FeedbackWorkingTranslation, feedback.id)
    assert stored is not None
    assert (stored.text, stored.translator) == (GERMAN, "Samira Haddad")
    assert stored.entered_by_id == staff(OFFICE).id and stored.translated_at is not None
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "feedback.working_translation_saved")
        .order_by(AuditEvent.id)
    ).all()
    data = [json.loads(e.data or "{}") for e in events]
    assert [d["corrected"] for d in data] == [False, True]
    assert data[-1]["translator"] == "Samira Haddad"
    assert db.session.get(Feedback, feedback.id).text == ARABIC  # the original stays
    with pytest.raises(FeedbackError) as unchanged:
        _translated(feedback.id, GERMAN, "Samira Haddad")
    assert unchanged.value.field == "working_text"
    with pytest.raises(FeedbackError) as nobody:
        _translated(feedback.id, "Anders.", "   ")
    assert nobody.value.field == "working_translator"


@pytest.mark.parametrize("language", ["de", "ls"])
def test_german_feedback_needs_no_working_translation(app_ctx, demo, language):
    feedback = submit(language, text="Mehr Abendkurse")
    with pytest.raises(FeedbackError) as refused:
        _translated(feedback.id)
    assert refused.value.field == "working_text"
    assert db.session.scalar(select(func.count()).select_from(FeedbackWorkingTranslation)) == 0


def test_triage_page_shows_the_original_beside_its_translation(app, client_as):
    with app.app_context():
        arabic = submit("ar", text=ARABIC).id
        german = submit("de", text="Mehr Abendkurse").id
        db.session.remove()
    office = client_as("office")
    url = f"/verwaltung/rueckmeldungen/{arabic}"
    page = office.get(url).get_data(as_text=True)
    assert re.search(r'<p [^>]*lang="ar" dir="rtl">' + ARABIC + "</p>", page)
    assert "Original (Arabisch)" in page
    assert "Eine deutsche Arbeitsübersetzung liegt noch nicht vor." in page
    missing = office.post(
        f"{url}/arbeitsuebersetzung", data={"working_text": GERMAN, "working_translator": ""}
    )
    assert missing.status_code == 400
    assert "Bitte nennen Sie, wer übersetzt hat." in missing.get_data(as_text=True)
    ok = office.post(
        f"{url}/arbeitsuebersetzung",
        data={"working_text": GERMAN, "working_translator": TRANSLATOR},
    )
    assert ok.status_code == 302
    page = office.get(url).get_data(as_text=True)
    assert re.search(r'<p [^>]*lang="de" dir="ltr">' + GERMAN + "</p>", page)
    assert "Übersetzt von Samira Haddad (Dolmetscherin), gespeichert am" in page
    # German feedback: no working translation offered.
    page = office.get(f"/verwaltung/rueckmeldungen/{german}").get_data(as_text=True)
    assert "Arbeitsübersetzung speichern" not in page
    refused = client_as("member").post(
        f"{url}/arbeitsuebersetzung", data={"working_text": "x", "working_translator": "y"}
    )
    assert refused.status_code == 403


# --- 2. the paper carries both --------------------------------------------------------------


def _arabic_paper() -> Paper:
    feedback = submit("ar", text=ARABIC + "\n\nZweiter Absatz.", email="samir@example.org")
    _translated(feedback.id)
    return _pass(feedback.id)


def test_the_paper_carries_the_original_and_the_credited_translation(app_ctx, demo):
    text = _arabic_paper().text
    assert "Original auf Arabisch:\n\n" + ARABIC + "\nZweiter Absatz." in text
    assert "Deutsche Arbeitsübersetzung von Samira Haddad (Dolmetscherin) (" in text
    assert text.endswith(GERMAN)
    assert "samir@example.org" not in text  # never contact details


def test_the_paper_page_marks_the_original_with_its_language(app, client_as):
    with app.app_context():
        paper_id = _arabic_paper().id
        db.session.commit()
        db.session.remove()
    page = client_as("office").get(f"/vorlagen/{paper_id}").get_data(as_text=True)
    assert f'<p lang="ar" dir="rtl">{ARABIC}\nZweiter Absatz.</p>' in page
    assert f"<p>{GERMAN}</p>" in page


def test_a_paper_says_when_there_is_no_translation_yet(app_ctx, demo):
    paper = _pass(submit("tr", text="Akşam kursu yok.").id)
    assert "Original auf Türkisch:\n\nAkşam kursu yok." in paper.text
    assert "Eine deutsche Arbeitsübersetzung liegt noch nicht vor." in paper.text


def test_a_translation_older_than_the_redaction_is_checked_before_passing(app_ctx, demo):
    feedback = submit("ar", text=ARABIC + " Ich heiße Samir Mansour.")
    _translated(feedback.id, GERMAN + " Ich heiße Samir Mansour.")
    services.redact(staff(OFFICE), feedback.id, ARABIC)
    with pytest.raises(FeedbackError) as refused:
        _pass(feedback.id)
    assert refused.value.field == "feedback_ids"
    _translated(feedback.id, GERMAN)  # checked and saved again
    assert "Samir Mansour" not in _pass(feedback.id).text


# --- 3. the answer reaches the sender in their language -----------------------------------


def test_a_german_answer_with_translation_is_mailed_in_the_senders_language(app_ctx, demo):
    feedback = submit("tr", email="ayse@example.org")
    code = services.format_code(feedback.receipt_code)
    reply = {
        "language": "de",
        "translation": "Mart ayından itibaren iki akşam kursu var.",
        "translator": "Ayşe Demir",
    }
    services.answer(staff(OFFICE), feedback.id, "Ab März gibt es zwei Abendkurse.", **reply)
    (mail,) = _mails()
    assert mail.subject == "Geri bildiriminizle ilgili yenilikler"
    assert "Eğitim Bürosu (Bildungsbüro) geri bildiriminizi yanıtladı:" in mail.body
    assert "Mart ayından itibaren iki akşam kursu var." in mail.body
    assert "Çeviren: Ayşe Demir." in mail.body
    assert "Abendkurse" not in mail.body
    assert feedback.receipt_code not in mail.body and code not in mail.body
    # The same answer again is no second mail; a correction is.
    services.answer(staff(OFFICE), feedback.id, "Ab März gibt es zwei Abendkurse.", **reply)
    assert len(_mails()) == 1
    services.answer(staff(OFFICE), feedback.id, "Mart ayından itibaren üç akşam kursu var.")
    mails = _mails()
    assert len(mails) == 2 and "üç akşam kursu" in mails[1].body
    stored = db.session.get(Feedback, feedback.id)
    assert (stored.answer_language, stored.answer_translation) == ("tr", None)


def test_the_status_page_shows_the_translation_with_its_credit(app, demo, client):
    with app.app_context():
        feedback = submit("ar")
        feedback_id = feedback.id
        code = services.format_code(feedback.receipt_code)
        services.answer(
            staff(OFFICE),
            feedback.id,
            "Ab März gibt es Abendkurse.",
            language="de",
            translation="ستكون هناك دورات مسائية ابتداءً من مارس.",
            translator="Samira Haddad",
        )
        assert db.session.scalar(select(func.count()).select_from(OutboxMail)) == 0  # no consent
        db.session.commit()
        db.session.remove()
    page = status_page(client, "ar", code).get_data(as_text=True)
    assert 'lang="ar" dir="rtl">ستكون هناك دورات مسائية ابتداءً من مارس.<' in page
    assert "ترجمة: Samira Haddad." in page
    assert "Ab März" not in page
    with app.app_context():  # corrected in the sender's language: no credit
        services.answer(staff(OFFICE), feedback_id, "هناك ثلاث دورات.", language="ar")
        db.session.commit()
        db.session.remove()
    page = status_page(client, "ar", code).get_data(as_text=True)
    assert 'lang="ar" dir="rtl">هناك ثلاث دورات.<' in page and "ترجمة:" not in page


def test_an_answer_is_refused_without_translation_or_with_the_receipt_code(app_ctx, demo):
    feedback = submit("uk", email="ayse@example.org")
    office = staff(OFFICE)
    cases = [
        ({"language": "de"}, "answer_translation"),
        ({"language": "de", "translation": "Відповідь."}, "answer_translator"),
        ({"language": "en"}, "answer_language"),
        ({"text": f"Ihr Code: {services.format_code(feedback.receipt_code)}"}, "answer"),
        (
            {
                "language": "de",
                "translation": f"Код {feedback.receipt_code.lower()}",
                "translator": "Olena",
            },
            "answer_translation",
        ),
    ]
    for kwargs, field in cases:
        text = kwargs.pop("text", "Die Antwort.")
        with pytest.raises(FeedbackError) as refused:
            services.answer(office, feedback.id, text, **kwargs)
        assert refused.value.field == field
    assert db.session.get(Feedback, feedback.id).answer is None
    assert _mails() == []


def test_the_answer_form_takes_german_with_a_translation(app, client_as):
    with app.app_context():
        feedback = submit("ru", email="ayse@example.org")
        feedback_id, version = feedback.id, feedback.version
        db.session.commit()
        db.session.remove()
    office = client_as("office")
    url = f"/verwaltung/rueckmeldungen/{feedback_id}"
    page = office.get(url).get_data(as_text=True)
    assert '<option selected value="ru">Russisch</option>' in page
    data = {"answer": "Es gibt mehr Kurse.", "answer_language": "de", "version": str(version)}
    missing = office.post(f"{url}/antwort", data=data)
    assert missing.status_code == 400
    assert "Bitte tragen Sie die Übersetzung" in missing.get_data(as_text=True)
    data |= {"answer_translation": "Курсов будет больше.", "answer_translator": "Olga Petrova"}
    assert office.post(f"{url}/antwort", data=data).status_code == 302
    with app.app_context():
        stored = db.session.get(Feedback, feedback_id)
        assert stored is not None and stored.is_answered
        assert (stored.answer_language, stored.answer_translator) == ("de", "Olga Petrova")
        (mail,) = _mails()
        assert "Курсов будет больше." in mail.body and "Перевод: Olga Petrova." in mail.body


# --- 4. tags show what was stored ------------------------------------------------------------


def test_tags_are_stored_once_and_shown_as_first_written(app, client_as):
    with app.app_context():
        feedback_id = submit("de", text="Mehr Abendkurse").id
        category = db.session.get(Feedback, feedback_id).category_id
        db.session.remove()
    office = client_as("office")
    url = f"/verwaltung/rueckmeldungen/{feedback_id}"
    data = {"category": str(category), "district": "None", "target_group": "None"}
    saved = office.post(
        f"{url}/einordnen", data=data | {"tags": "Eltern, eltern ,  Abend   Kurse,,"}
    )
    assert saved.status_code == 302
    page = office.get(url).get_data(as_text=True)
    assert "Gespeichert. Schlagwörter: Abend Kurse, Eltern" in page
    assert 'value="Abend Kurse, Eltern"' in page
    assert '<span class="badge">Eltern</span>' in page
    # Another feedback typing it otherwise gets the stored title.
    with app.app_context():
        other = submit("de", text="Elternabend").id
        services.categorise(
            staff(OFFICE),
            other,
            category_id=category,
            district_id=None,
            target_group_id=None,
            tags="ELTERN",
        )
        assert [t.label for t in services.get_feedback(other).tags] == ["Eltern"]
    too_long = office.post(f"{url}/einordnen", data=data | {"tags": "Eltern, " + "x" * 61})
    assert too_long.status_code == 400
    assert "ist zu lang: höchstens 60 Zeichen" in too_long.get_data(as_text=True)
    with app.app_context():
        kept = services.get_feedback(feedback_id)
        assert [t.label for t in kept.tags] == ["Abend Kurse", "Eltern"]  # unchanged
    triage = office.get("/verwaltung/rueckmeldungen/?tag=gibt+es+nicht").get_data(as_text=True)
    assert "Keine Rückmeldung hat dieses Schlagwort." in triage
    found = office.get("/verwaltung/rueckmeldungen/?tag=abend++kurse").get_data(as_text=True)
    assert "Mehr Abendkurse" in found and "Keine Rückmeldung hat dieses" not in found


def test_an_inactive_entry_stays_shown_and_stored(app, client_as):
    with app.app_context():
        feedback = submit("de", text="Mehr Abendkurse")
        feedback_id, category_id = feedback.id, feedback.category_id
        choice = db.session.get(FeedbackChoice, category_id)
        choice.active = False
        db.session.commit()
        label = choice.label("de")
        db.session.remove()
    office = client_as("office")
    url = f"/verwaltung/rueckmeldungen/{feedback_id}"
    page = office.get(url).get_data(as_text=True)
    assert f'<option selected value="{category_id}">{label} (nicht mehr angeboten)' in page
    data = {"category": str(category_id), "district": "None", "target_group": "None"}
    assert office.post(f"{url}/einordnen", data=data | {"tags": ""}).status_code == 302
    with app.app_context():
        assert db.session.get(Feedback, feedback_id).category_id == category_id


# --- bad input in the translation field -------------------------------------------------------


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.sampled_from(["", "   ", "\x00", "a\x00b", "\u202eevil", "x" * 4001, "\u200f" * 3]),
    ),
    translator=st.one_of(st.text(max_size=40), st.just("x" * 201)),
)
def test_bad_input_in_the_translation_field_is_refused_or_stored_clean(
    app_ctx, demo, text, translator
):
    feedback_id = db.session.scalar(select(Feedback.id).where(Feedback.language == "ar"))
    if feedback_id is None:
        feedback_id = submit("ar", text=ARABIC).id
    try:
        item = working.save_working_translation(
            staff(OFFICE), feedback_id, text=text, translator=translator
        )
    except FeedbackError as exc:
        assert exc.field in ("working_text", "working_translator")
        return
    assert item.text.strip() and item.translator.strip()
    assert "\x00" not in item.text and len(item.text) <= 4000
    assert not any(ch in BIDI_CONTROLS for ch in item.text + item.translator)
