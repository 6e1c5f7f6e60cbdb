"""What became of a feedback: the chain on the status page, the mails to
its sender, the summary and its human translation, the public figures."""

from __future__ import annotations

from collections.abc import Hashable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from netzwerk.audit.models import AuditEvent
from netzwerk.extensions import db
from netzwerk.feedback import outcomes, summaries
from netzwerk.feedback.models import Feedback
from netzwerk.feedback.results import protect_table
from netzwerk.feedback.validation import FeedbackError
from netzwerk.mail.models import OutboxMail

from .outcome_helpers import OFFICE, action_item, decide, pass_to_bk_meeting, staff, submit


def _news_mails(address: str = "ayse@example.org") -> list[OutboxMail]:
    return list(
        db.session.scalars(
            select(OutboxMail).where(OutboxMail.recipient == address).order_by(OutboxMail.id)
        )
    )


def test_the_chain_reaches_decision_and_action_item_and_tells_the_sender(app_ctx, demo):
    feedback = submit("tr")
    meeting_id, item_id = pass_to_bk_meeting(feedback.id)
    decision = decide(meeting_id, item_id)
    assert decision.agenda_item_id == item_id
    action_item(decision.id)
    db.session.expire_all()
    found = db.session.get(Feedback, feedback.id)
    steps = outcomes.outcomes(found)
    assert [s.kind for s in steps] == ["decision", "action_item"]
    assert steps[0].adopted is True
    mails = _news_mails()
    assert len(mails) == 2  # the decision, the action item
    assert all(m.subject == "Geri bildiriminizle ilgili yenilikler" for m in mails)
    assert "karar verdi ve onayladı" in mails[0].body
    assert "Bir önlem kararlaştırıldı" in mails[1].body
    assert found.receipt_code not in mails[0].body  # the code is never mailed
    assert "/rueckmeldung/tr/status" in mails[0].body


def test_no_mail_without_an_address_and_none_twice(app_ctx, demo):
    silent = submit("de", email=None)
    meeting_id, item_id = pass_to_bk_meeting(silent.id)
    decide(meeting_id, item_id)
    assert (
        db.session.scalar(select(OutboxMail.id).where(OutboxMail.reason.like("feedback-news:%")))
        is None
    )
    feedback = db.session.get(Feedback, silent.id)
    assert not outcomes.notify_sender(feedback, "x", lambda: "y")


def test_a_rejected_decision_says_so_in_plain_words(app_ctx, demo):
    feedback = submit("en")
    meeting_id, item_id = pass_to_bk_meeting(feedback.id)
    decide(meeting_id, item_id, value="no")
    steps = outcomes.outcomes(db.session.get(Feedback, feedback.id))
    assert steps[0].adopted is False
    assert "did not agree" in _news_mails()[0].body


def test_the_status_page_shows_the_chain_in_the_senders_language(app, demo, client):
    with app.app_context():
        feedback = submit("ar")
        code = feedback.receipt_code
        meeting_id, item_id = pass_to_bk_meeting(feedback.id)
        decision = decide(meeting_id, item_id)
        action_item(decision.id)
        db.session.remove()
    html = client.post("/rueckmeldung/ar/status", data={"code": code}).get_data(as_text=True)
    assert 'dir="rtl"' in html
    assert "ووافقت" in html  # agreed
    assert "سيُتخذ إجراء" in html  # an action item
    # Leichte Sprache, for the same code
    html = client.post("/rueckmeldung/ls/status", data={"code": code}).get_data(as_text=True)
    assert "Die Antwort ist: Ja." in html and "Jetzt wird etwas getan" in html


def test_summary_written_in_german_and_translated_by_a_person(app, demo, client):
    with app.app_context():
        feedback = submit("tr")
        feedback_id, code = feedback.id, feedback.receipt_code
        office = staff(OFFICE)
        with pytest.raises(FeedbackError):
            summaries.save_translation(
                office, feedback_id, language="tr", text="Metin", translator="Elif Demir"
            )
        summaries.write_summary(office, feedback_id, "Die VHS bietet ab März Abendkurse an.")
        db.session.remove()
    html = client.post("/rueckmeldung/tr/status", data={"code": code}).get_data(as_text=True)
    assert "Die VHS bietet ab März Abendkurse an." in html
    assert "Bu metin Almancadır" in html  # not translated yet: said so
    with app.app_context():
        summaries.save_translation(
            staff(OFFICE),
            feedback_id,
            language="tr",
            text="Halk eğitim merkezi Mart'tan itibaren akşam kursları sunuyor.",
            translator="Elif Demir",
        )
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "feedback.summary_translated")
        )
        assert event is not None and "Elif Demir" in event.data
        db.session.remove()
    html = client.post("/rueckmeldung/tr/status", data={"code": code}).get_data(as_text=True)
    assert "akşam kursları sunuyor" in html
    assert "Çeviren: Elif Demir." in html
    assert 'lang="tr"' in html


def test_a_changed_german_summary_drops_stale_translations(app_ctx, demo):
    feedback = submit("ru")
    office = staff(OFFICE)
    summaries.write_summary(office, feedback.id, "Erste Fassung.")
    summaries.save_translation(
        office, feedback.id, language="ru", text="Первая версия.", translator="Olena K."
    )
    summaries.write_summary(office, feedback.id, "Zweite Fassung.")
    view = outcomes.summary_for(db.session.get(Feedback, feedback.id))
    assert view is not None and view.language == "de" and view.text == "Zweite Fassung."
    with pytest.raises(FeedbackError):
        summaries.save_translation(office, feedback.id, language="xx", text="t", translator="n")


def test_staff_pages_write_summary_and_translation(app, demo, client_as):
    with app.app_context():
        feedback_id = submit("uk").id
        db.session.remove()
    office = client_as("office")
    assert office.get(f"/verwaltung/rueckmeldungen/{feedback_id}").status_code == 200
    bad = office.post(f"/verwaltung/rueckmeldungen/{feedback_id}/zusammenfassung", data={})
    assert bad.status_code == 400
    ok = office.post(
        f"/verwaltung/rueckmeldungen/{feedback_id}/zusammenfassung",
        data={"summary": "Es gibt mehr Kurse."},
    )
    assert ok.status_code == 302
    missing = office.post(
        f"/verwaltung/rueckmeldungen/{feedback_id}/uebersetzung",
        data={"language": "uk", "translation": "Є більше курсів.", "translator": ""},
    )
    assert missing.status_code == 400
    assert (
        client_as("lead")
        .post(f"/verwaltung/rueckmeldungen/{feedback_id}/zusammenfassung", data={"summary": "x"})
        .status_code
        == 403
    )


# --- the public figures --------------------------------------------------------------


def _reveals(column: dict[Hashable, int], hidden: dict[Hashable, bool], k: int) -> bool:
    """Could a reader compute a hidden small figure from the total and the
    shown ones, knowing that hidden figures are 1..k-1 or at least k?  By
    enumeration (brute force, independent of the code under test)."""
    hidden_keys = [key for key, h in hidden.items() if h]
    if not hidden_keys:
        return False
    rest = sum(column[key] for key in hidden_keys)
    options = {
        key: list(range(1, k)) if 0 < column[key] < k else list(range(k, rest + 1))
        for key in hidden_keys
    }
    # every assignment of the hidden cells within the rule's bounds summing to ``rest``
    possible: dict[Hashable, set[int]] = {key: set() for key in hidden_keys}

    def walk(i: int, left: int, chosen: list[int]) -> None:
        if i == len(hidden_keys):
            if left == 0:
                for key, value in zip(hidden_keys, chosen, strict=True):
                    possible[key].add(value)
            return
        for value in options[hidden_keys[i]]:
            if value > left:
                break
            walk(i + 1, left - value, [*chosen, value])

    walk(0, rest, [])
    return any(0 < column[key] < k and len(possible[key]) < 2 for key in hidden_keys)


@settings(max_examples=25, deadline=None)
@given(
    columns=st.lists(
        st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=5),
        min_size=1,
        max_size=2,
    )
)
def test_suppression_hides_small_figures_and_what_would_reveal_them(columns):
    """k >= 5: every figure 1..4 is hidden, and no column total minus the
    shown figures pins down a hidden one."""
    k = 5
    rows = list(range(max(len(c) for c in columns)))
    measures = tuple(f"m{i}" for i in range(len(columns)))
    counts = {
        (row, measures[i]): (column[row] if row < len(column) else 0)
        for i, column in enumerate(columns)
        for row in rows
    }
    cells, totals = protect_table(counts, rows, measures, k)
    for (row, measure), cell in cells.items():
        assert cell.value == counts[(row, measure)]
        if 0 < cell.value < k:
            assert cell.hidden
    for measure in measures:
        if totals[measure].hidden:
            continue
        column = {row: counts[(row, measure)] for row in rows}
        hidden = {row: cells[(row, measure)].hidden for row in rows}
        assert not _reveals(column, hidden, k), (column, hidden)


def test_the_public_figures_page_in_every_language(app, demo, client):
    with app.app_context():
        for _n in range(6):
            submit("tr")
        meeting_id, item_id = pass_to_bk_meeting(
            db.session.scalar(select(Feedback.id).order_by(Feedback.id))
        )
        decide(meeting_id, item_id)
        db.session.remove()
    for lang in ("de", "ls", "en", "tr", "ar", "ru", "uk"):
        response = client.get(f"/rueckmeldung/{lang}/ergebnisse")
        assert response.status_code == 200, lang
    html = client.get("/rueckmeldung/de/ergebnisse").get_data(as_text=True)
    assert "Was aus Ihren Rückmeldungen wurde" in html
    # six received in Turkish are shown; the one passed and decided is hidden
    assert "<td>6</td>" in html
    assert "&lt; 5" in html
    assert "<td>1</td>" not in html
