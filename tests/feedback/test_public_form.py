"""The public form: languages, direction, submitting, receipt code, status page."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from netzwerk.extensions import db
from netzwerk.feedback import services
from netzwerk.feedback.models import Feedback, FeedbackContact
from netzwerk.timeutil import local_today

from .conftest import form_data, receipt_code, status_page

LANGS = {
    "de": ("de", "ltr", "Ihre Rückmeldung zur Bildung in Osnabrück"),
    "ls": ("de", "ltr", "Ihre Meinung zum Lernen in Osnabrück"),
    "en": ("en", "ltr", "Your feedback on education in Osnabrück"),
    "tr": ("tr", "ltr", "eğitim hakkındaki geri bildiriminiz"),
    "ar": ("ar", "rtl", "ملاحظاتك حول التعليم في أوسنابروك"),
    "ru": ("ru", "ltr", "Ваш отзыв об образовании в Оснабрюке"),
    "uk": ("uk", "ltr", "Ваш відгук про освіту в Оснабрюку"),
}


@pytest.mark.parametrize("key", list(LANGS))
def test_form_renders_in_each_language_with_lang_and_dir(client, key):
    lang, direction, heading = LANGS[key]
    response = client.get(f"/rueckmeldung/{key}/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert heading in html
    # The language switcher names every language in itself, with its lang attribute.
    assert re.search(r'lang="ar" hreflang="ar"[^>]*>العربية</a>', html)
    assert re.search(r'lang="tr" hreflang="tr"[^>]*>Türkçe</a>', html)
    assert re.search(rf'hreflang="{lang}" aria-current="true">', html)
    # Need categories come from the database, labelled in the page's language.
    expected = {"ar": "دورات اللغة", "tr": "Dil kursları", "en": "Language courses"}
    assert expected.get(key, "Sprach") in html or key in ("de", "ls", "ru", "uk")


def test_browser_preference_chooses_the_language(client):
    response = client.get("/rueckmeldung/", headers={"Accept-Language": "uk, de;q=0.5"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/rueckmeldung/uk/")
    fallback = client.get("/rueckmeldung/", headers={"Accept-Language": "ja"})
    assert fallback.headers["Location"].endswith("/rueckmeldung/de/")


def test_unknown_language_is_404(client):
    assert client.get("/rueckmeldung/xx/").status_code == 404


def test_submit_shows_receipt_code_and_stores_feedback(app, client, seeded):
    response = client.post("/rueckmeldung/tr/", data=form_data(app))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    code = receipt_code(html)
    assert len(code) == 14 and code.count("-") == 2
    assert all(ch in services.CODE_ALPHABET + "-" for ch in code)
    with app.app_context():
        feedback = db.session.scalar(select(Feedback))
        assert feedback is not None
        assert feedback.language == "tr" and feedback.channel == "online"
        assert services.format_code(feedback.receipt_code) == code
        assert db.session.scalar(select(func.count()).select_from(FeedbackContact)) == 0


def test_missing_choices_are_shown_next_to_the_fields_in_the_language(app, client, seeded):
    response = client.post("/rueckmeldung/ar/", data={"text": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (
        '<p class="error" id="category-error">يرجى اختيار واحد.</p>' in html
    )  # "Please choose one."
    assert 'id="rating-error"' in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Feedback)) == 0


def test_contact_details_need_explicit_consent(app, client, seeded):
    response = client.post("/rueckmeldung/de/", data=form_data(app, contact_email="a@example.org"))
    assert response.status_code == 400
    assert "nur mit Ihrer Zustimmung" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Feedback)) == 0

    response = client.post(
        "/rueckmeldung/de/",
        data=form_data(app, contact_email="a@example.org", contact_consent="y"),
    )
    assert response.status_code == 200
    with app.app_context():
        contact = db.session.scalar(select(FeedbackContact))
        assert contact is not None and contact.email == "a@example.org"
        feedback = db.session.get(Feedback, contact.feedback_id)
        assert feedback is not None and "a@example.org" not in feedback.text


def test_optional_questions_are_stored(app, client, seeded):
    response = client.post(
        "/rueckmeldung/ru/",
        data=form_data(app, age_group="27_44", migration="self", languages_spoken=["ru", "de"]),
    )
    assert response.status_code == 200
    with app.app_context():
        feedback = db.session.scalar(select(Feedback))
        assert feedback is not None
        assert (feedback.age_group, feedback.migration) == ("27_44", "self")
        assert feedback.spoken == ["de", "ru"]


def test_honeypot_stores_nothing(app, client, seeded):
    response = client.post("/rueckmeldung/de/", data=form_data(app, website="http://spam"))
    assert response.status_code == 400
    assert "receipt-code" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Feedback)) == 0


def test_status_page_and_export_by_receipt_code(app, client, seeded):
    code = receipt_code(client.post("/rueckmeldung/en/", data=form_data(app)).get_data(True))
    page = status_page(client, "ar", code.lower().replace("-", " "))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'dir="rtl"' in html and "وردت بتاريخ" in html  # "Received on ..."
    assert page.headers["Cache-Control"] == "no-store"
    assert status_page(client, "en", "AAAA-AAAA-AAAA").status_code == 404

    export = client.post("/rueckmeldung/en/auskunft", data={"code": code})
    assert export.status_code == 200
    assert export.mimetype == "application/json"
    data = json.loads(export.get_data(as_text=True))
    assert data["receipt_code"] == code
    assert data["text"] == "Es gibt zu wenige Sprachkurse am Abend."
    assert data["category"] == "Sprachkurse"
    assert data["created_at"] == local_today().isoformat()  # the day, no time


def test_the_receipt_code_never_travels_in_a_url(app, client, seeded):
    thanks = client.post("/rueckmeldung/tr/", data=form_data(app)).get_data(as_text=True)
    code = receipt_code(thanks)
    # The thanks page offers a button that posts the code, with CSRF; no link has it.
    assert code not in " ".join(re.findall(r'href="([^"]*)"', thanks))
    button = re.search(
        r'<form method="post" action="/rueckmeldung/tr/status">(.*?)</form>', thanks, re.S
    )
    assert button and 'name="csrf_token"' in button.group(1)
    hidden = re.search(r'<input[^>]*name="code"[^>]*>', button.group(1))
    assert hidden and 'type="hidden"' in hidden.group(0) and f'value="{code}"' in hidden.group(0)
    assert "Geri bildirimime ne olduğunu gör" in button.group(1)
    # A GET with ?code= reveals nothing: the empty form, as without it.
    for query in (code, code.replace("-", "")):
        got = client.get(f"/rueckmeldung/tr/status?code={query}")
        html = got.get_data(as_text=True)
        assert got.status_code == 200
        assert code not in html and 'id="status-heading"' not in html
        assert '<form method="post" action="/rueckmeldung/tr/status"' in html
    # Found by POST: no link on the page carries the code either.
    html = status_page(client, "tr", code).get_data(as_text=True)
    assert 'id="status-heading"' in html
    assert code not in " ".join(re.findall(r'(?:href|action)="([^"]*)"', html))
    # Without the CSRF token the post is refused.
    bare = client.post("/rueckmeldung/tr/status", data={"code": code}, csrf=False)
    assert bare.status_code == 400 and code not in bare.get_data(as_text=True)


WRONG_CODE = {
    "de": "Wir haben keine Rückmeldung mit diesem Code gefunden.",
    "ls": "Wir finden keine Rückmeldung mit diesem Code.",
    "en": "We found no feedback with this code. Please check the code.",
    "tr": "Bu koda sahip bir geri bildirim bulamadık.",
    "ar": "لم نجد ملاحظات بهذا الرمز.",
    "ru": "Мы не нашли отзыв с этим кодом.",
    "uk": "Ми не знайшли відгук із цим кодом.",
}


@pytest.mark.parametrize("key", list(LANGS))
def test_a_wrong_code_is_an_error_next_to_the_field_in_each_language(client, seeded, key):
    lang, direction, _heading = LANGS[key]
    for code, status in (("AAAA-AAAA-AAAA", 404), ("zu kurz", 400), ("²" * 12, 404)):
        response = status_page(client, key, code)
        html = response.get_data(as_text=True)
        assert response.status_code == status, code
        assert f'<html lang="{lang}" dir="{direction}">' in html
        error = re.search(r'<p class="error" id="code-error">([^<]*)</p>', html)
        assert error and WRONG_CODE[key] in error.group(1), (key, code)
        assert 'aria-invalid="true"' in html and 'id="status-heading"' not in html
    empty = status_page(client, key, "")
    assert empty.status_code == 400 and 'id="code-error"' in empty.get_data(as_text=True)


def test_export_with_a_wrong_code_shows_the_form_with_the_error(client, seeded):
    response = client.post("/rueckmeldung/uk/auskunft", data={"code": "AAAA-AAAA-AAAA"})
    assert response.status_code == 404 and "Location" not in response.headers
    html = response.get_data(as_text=True)
    assert 'id="code-error"' in html and WRONG_CODE["uk"] in html


def test_privacy_notice_in_each_language(client):
    for key, needle in {
        "de": "IP-Adresse",
        "en": "IP address",
        "ar": "عنوان IP",
        "tr": "IP adresinizi",
        "ru": "IP-адрес",
        "uk": "IP-адресу",
        "ls": "Computer oder Handy",
    }.items():
        response = client.get(f"/rueckmeldung/{key}/datenschutz")
        assert response.status_code == 200
        assert needle in response.get_data(as_text=True), key


def test_receipt_codes_are_unambiguous_and_random():
    codes = {services.new_receipt_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 12 and set(c) <= set(services.CODE_ALPHABET) for c in codes)
    assert not set("01IOLSZ25B8G6") & set(services.CODE_ALPHABET)
    assert services.normalise_code("acde fhjk-mnpq") == "ACDEFHJKMNPQ"
    assert services.normalise_code("short") == ""
