"""The summary for a feedback's sender: written once in German by the
Bildungsbüro, translated by people (staff or a translator, named on the
status page), never by a machine service.  Staff pages only; what the
sender sees is ``outcomes.summary_for``."""

from __future__ import annotations

from flask_babel import gettext as _

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..forms import MAX_ID
from ..rules import checked_text
from .languages import LANGUAGES
from .models import Feedback, FeedbackSummary, FeedbackSummaryTranslation
from .outcomes import notify_sender
from .validation import FeedbackError

MAX_SUMMARY = 4000


def _summary_news() -> str:
    from .outcomes import summary_news

    return summary_news()


def _feedback(feedback_id: int) -> Feedback:
    found = db.session.get(Feedback, feedback_id) if 0 < feedback_id <= MAX_ID else None
    if found is None:
        raise FeedbackError(_("This feedback does not exist."))
    return found


def write_summary(user: User, feedback_id: int, text: str) -> FeedbackSummary:
    """The citizen-facing summary in German (written once; corrections allowed).

    A changed German text makes earlier translations stale: they are removed
    (the audit trail keeps that they existed)."""
    body = checked_text(text, "summary", MAX_SUMMARY, error=FeedbackError, required=True)
    feedback = _feedback(feedback_id)
    with write_transaction():
        summary = db.session.get(FeedbackSummary, feedback.id)
        dropped = 0
        if summary is None:
            summary = FeedbackSummary(feedback_id=feedback.id, text=body)
            db.session.add(summary)
        elif summary.text == body:
            raise FeedbackError(_("The text is unchanged."), "summary")
        else:
            dropped = len(summary.translations)
            summary.translations.clear()
            summary.text = body
        summary.written_at = utcnow()
        summary.written_by_id = user.id
        db.session.flush()
        record(
            "feedback.summary_written",
            "feedback",
            feedback.id,
            actor_id=user.id,
            data={"translations_removed": dropped},
        )
        notify_sender(feedback, "summary", _summary_news)
    return summary


def save_translation(
    user: User, feedback_id: int, *, language: str, text: str, translator: str
) -> FeedbackSummaryTranslation:
    """The summary in another public language, entered by a person and shown
    as translated by them.  Nothing is sent to a translation service."""
    if language not in LANGUAGES or language == "de":
        raise FeedbackError(_("Please choose one of the options."), "language")
    body = checked_text(text, "translation", MAX_SUMMARY, error=FeedbackError, required=True)
    name = checked_text(translator, "translator", 200, error=FeedbackError, required=True)
    feedback = _feedback(feedback_id)
    with write_transaction():
        summary = db.session.get(FeedbackSummary, feedback.id)
        if summary is None:
            raise FeedbackError(_("Please write the German summary first."), "translation")
        existing = {t.language: t for t in summary.translations}
        item = existing.get(language)
        if item is None:
            item = FeedbackSummaryTranslation(feedback_id=feedback.id, language=language)
            summary.translations.append(item)
        item.text = body
        item.translator = name
        item.entered_at = utcnow()
        item.entered_by_id = user.id
        db.session.flush()
        record(
            "feedback.summary_translated",
            "feedback",
            feedback.id,
            actor_id=user.id,
            data={"language": language, "translator": name},
        )
    return item
