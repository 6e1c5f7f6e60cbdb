"""The German working translation of a feedback written in another language.

Staff (or a translator they name) enter it during triage; it is stored with
the person who translated it and when, shown beside the original on the
triage page, and carried by a paper the feedback is passed on with.  Only
the latest version is kept; every save is audited (who translated it, and
whether it corrected an earlier version).  Nothing is sent to a machine
translation service.  Feedback in German or Leichte Sprache needs none.

A redaction of the original after the translation was saved makes the
translation *stale*: it may still hold what was removed, so the feedback is
not passed on until the translation is checked and saved again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit.services import record
from ..auth.models import User
from ..database import utcnow, write_transaction
from ..extensions import db
from ..forms import MAX_ID
from ..rules import checked_text
from .languages import LANGUAGES
from .models import Feedback, FeedbackReferral, FeedbackWorkingTranslation
from .validation import MAX_TEXT, FeedbackError

#: Feedback in these languages is read as it is (Leichte Sprache is German).
GERMAN = frozenset({"de", "ls"})
MAX_TRANSLATOR = 200


def needs_translation(feedback: Feedback) -> bool:
    return feedback.language not in GERMAN


def is_stale(feedback: Feedback) -> bool:
    """The original was redacted after its translation was saved."""
    item = feedback.working_translation
    return bool(item and feedback.redacted_at and item.translated_at < feedback.redacted_at)


def save_working_translation(
    user: User, feedback_id: int, *, text: str, translator: str
) -> FeedbackWorkingTranslation:
    """Enter or correct the German working translation of a feedback."""
    body = checked_text(text, "working_text", MAX_TEXT, error=FeedbackError, required=True)
    name = checked_text(
        translator, "working_translator", MAX_TRANSLATOR, error=FeedbackError, required=True
    )
    with write_transaction():
        feedback = (
            db.session.scalar(select(Feedback).where(Feedback.id == feedback_id).with_for_update())
            if 0 < feedback_id <= MAX_ID
            else None
        )
        if feedback is None:
            raise FeedbackError(_("This feedback does not exist."))
        if not needs_translation(feedback):
            raise FeedbackError(
                _("This feedback is in German: it needs no working translation."), "working_text"
            )
        item = feedback.working_translation
        corrected = item is not None
        if item is None:
            item = FeedbackWorkingTranslation(feedback_id=feedback.id, text=body, translator=name)
            feedback.working_translation = item
        elif item.text == body and item.translator == name and not is_stale(feedback):
            raise FeedbackError(_("The text is unchanged."), "working_text")
        item.text = body
        item.translator = name
        item.translated_at = utcnow()
        item.entered_by_id = user.id
        db.session.flush()
        record(
            "feedback.working_translation_saved",
            "feedback",
            feedback.id,
            actor_id=user.id,
            data={"translator": name, "corrected": corrected},
        )
    return item


def check_passable(feedbacks: Iterable[Feedback]) -> None:
    """Refuse to pass on a feedback whose translation predates a redaction."""
    from .services import format_code

    for feedback in feedbacks:
        if is_stale(feedback):
            raise FeedbackError(
                _(
                    "The German working translation of feedback %(code)s is older than "
                    "its redaction: please check it and save it again.",
                    code=format_code(feedback.receipt_code),
                ),
                "feedback_ids",
            )


# --- the paper's text --------------------------------------------------------------


def one_paragraph(text: str) -> str:
    """A text as one paragraph of a paper (paragraphs are split at blank lines)."""
    return "\n".join(line.rstrip() for line in (text or "").splitlines() if line.strip())


#: The public languages by their names in the staff's (German) words.
LANGUAGE_NAMES = {
    "de": _l("German"),
    "ls": "Leichte Sprache",
    "en": _l("English"),
    "tr": _l("Turkish"),
    "ar": _l("Arabic"),
    "ru": _l("Russian"),
    "uk": _l("Ukrainian"),
}


def language_name(key: str) -> str:
    """The German name of a public language (for a paper, the triage page)."""
    name = LANGUAGE_NAMES.get(key)
    return str(name) if name is not None else key


def quote_paragraphs(feedback: Feedback) -> list[str]:
    """The paragraphs a paper quotes a feedback in another language with: the
    original under its language's name, then the German working translation
    credited to its translator (or that there is none yet)."""
    from ..timeutil import format_date

    parts = [
        _("Original in %(language)s:", language=language_name(feedback.language)),
        one_paragraph(feedback.text) or "–",
    ]
    item = feedback.working_translation
    if item is None:
        parts.append(_("There is no German working translation yet."))
    else:
        parts.append(
            _(
                "German working translation by %(name)s (%(date)s):",
                name=item.translator,
                date=format_date(item.translated_at),
            )
        )
        parts.append(one_paragraph(item.text))
    return parts


@dataclass(frozen=True)
class Paragraph:
    text: str
    lang: str | None = None  # BCP 47, where it is not the page's German
    dir: str | None = None


def paper_paragraphs(paper: Any) -> list[Paragraph]:
    """The paragraphs of a paper's text, those that quote a feedback's
    original in another language marked with its language and direction
    (for screen readers and right-to-left scripts).  Only the paper's own
    text is shown: the marks come from the feedback it was passed with."""
    text = paper.text or ""
    paragraphs = text.split("\n\n")
    originals: dict[str, Any] = {}
    if paper.id is not None and text:
        for language, original in db.session.execute(
            select(Feedback.language, Feedback.text)
            .join(FeedbackReferral, FeedbackReferral.feedback_id == Feedback.id)
            .where(FeedbackReferral.paper_id == paper.id, Feedback.language.not_in(GERMAN))
        ):
            if language in LANGUAGES and original:
                originals[one_paragraph(original)] = LANGUAGES[language]
    result = []
    for para in paragraphs:
        lang = originals.get(para)
        result.append(Paragraph(para, lang.html_lang, lang.direction) if lang else Paragraph(para))
    return result
