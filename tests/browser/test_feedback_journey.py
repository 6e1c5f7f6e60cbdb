"""Browser acceptance tests of the feedback system (issue 7)."""

from __future__ import annotations

import re

import pytest


def test_arabic_form_is_right_to_left_submits_and_shows_receipt_code(
    page, live_server_empty, assert_no_axe_violations
):
    page.goto(live_server_empty + "/rueckmeldung/ar/")
    html = page.locator("html")
    assert html.get_attribute("lang") == "ar"
    assert html.get_attribute("dir") == "rtl"
    direction = page.evaluate(
        "() => getComputedStyle(document.querySelector('form.feedback-form')).direction"
    )
    assert direction == "rtl"
    # Need category and rating, by their Arabic labels.
    page.get_by_label("دورات اللغة").check()  # language courses
    page.get_by_label("2 – ملباة بشكل ضعيف").check()  # rating 2
    page.get_by_label("ملاحظاتك بكلماتك الخاصة").fill("نحتاج إلى دورات لغة مسائية.")
    page.get_by_role("button", name="إرسال الملاحظات").click()
    page.wait_for_selector("#receipt-code")
    assert page.locator("h1").inner_text() == "شكرًا على ملاحظاتك"
    code = page.locator("#receipt-code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    assert page.locator("html").get_attribute("dir") == "rtl"
    # A button posts the code to the status page in Arabic; no link or URL carries it.
    assert code not in " ".join(
        page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    )
    page.get_by_role("button", name="اطّلع على ما حدث لملاحظاتي").click()
    page.wait_for_selector("#status-heading")
    assert "وردت بتاريخ" in page.locator("main").inner_text()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert code not in page.url and code.replace("-", "") not in page.url
    assert_no_axe_violations(page)
    # Asked for by hand with a wrong code: the error stands next to the field.
    page.get_by_label("رمز الإيصال الخاص بك").fill("AAAA-AAAA-AAAA")
    page.get_by_role("button", name="عرض الحالة").click()
    page.wait_for_selector("#code-error")
    assert page.locator("#code").get_attribute("aria-invalid") == "true"
    assert_no_axe_violations(page)


@pytest.mark.parametrize("lang", ["de", "ar", "tr"])
def test_form_has_no_wcag_violations(page, live_server_empty, assert_no_axe_violations, lang):
    page.goto(f"{live_server_empty}/rueckmeldung/{lang}/")
    assert page.locator("html").get_attribute("lang") == lang
    assert_no_axe_violations(page)


@pytest.mark.parametrize("lang", ["de", "ar", "tr"])
def test_form_with_errors_has_no_wcag_violations(
    page, live_server_empty, assert_no_axe_violations, lang
):
    page.goto(f"{live_server_empty}/rueckmeldung/{lang}/")
    page.locator("form.feedback-form button[type=submit]").click()
    page.wait_for_selector(".form-errors")
    assert_no_axe_violations(page)


@pytest.mark.parametrize(("browser_locale", "lang"), [("tr-TR", "tr"), ("ar", "ar")])
def test_form_fits_a_phone_screen(browser, live_server_empty, browser_locale, lang):
    """No horizontal scrolling on a phone, left to right and right to left
    (an element pushed sideways out of view would widen an RTL page)."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale=browser_locale)
    try:
        phone = context.new_page()
        phone.goto(live_server_empty + "/rueckmeldung/")
        assert phone.url.endswith(f"/rueckmeldung/{lang}/")  # chosen by the browser's language
        overflow = phone.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        # A full-page screenshot is as wide as the page's whole scrollable area.
        png = phone.screenshot(full_page=True)
        width = int.from_bytes(png[16:20], "big")
        assert width <= 360
    finally:
        context.close()
