"""Validation of what a person enters on the public form.

Every message here is shown on the public pages and is translated into all
seven languages of the form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from ..extensions import db
from ..forms import MAX_ID
from ..rules import RuleError
from .models import FeedbackChoice
from .vocab import AGE_GROUPS, MIGRATION, SPOKEN_LANGUAGES

MAX_TEXT = 4000


class FeedbackError(RuleError):
    """A feedback rule was broken."""


@dataclass
class FeedbackInput:
    category_id: int | None
    rating: int | None
    text: str = ""
    district_id: int | None = None
    target_group_id: int | None = None
    age_group: str | None = None
    migration: str | None = None
    languages_spoken: list[str] = field(default_factory=list)
    contact_consent: bool = False
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""


def check_choice(choice_id: int | None, kind: str, field_name: str, required: bool) -> None:
    if choice_id is None:
        if required:
            raise FeedbackError(_("Please choose one."), field_name)
        return
    found = db.session.get(FeedbackChoice, choice_id) if 0 < choice_id <= MAX_ID else None
    if found is None or found.kind != kind or not found.active:
        raise FeedbackError(_("Please choose one of the options."), field_name)


def validate_input(data: FeedbackInput) -> FeedbackInput:
    check_choice(data.category_id, "category", "category", True)
    if data.rating not in (1, 2, 3, 4, 5):
        raise FeedbackError(_("Please choose how well the need is met."), "rating")
    data.text = (data.text or "").replace("\x00", "").strip()
    if len(data.text) > MAX_TEXT:
        raise FeedbackError(_("Please write at most 4000 characters."), "text")
    check_choice(data.district_id, "district", "district", False)
    check_choice(data.target_group_id, "target_group", "target_group", False)
    if data.age_group and data.age_group not in AGE_GROUPS:
        raise FeedbackError(_("Please choose one of the options."), "age_group")
    if data.migration and data.migration not in MIGRATION:
        raise FeedbackError(_("Please choose one of the options."), "migration")
    if any(code not in SPOKEN_LANGUAGES for code in data.languages_spoken):
        raise FeedbackError(_("Please choose one of the options."), "languages_spoken")
    data.contact_name = (data.contact_name or "").replace("\x00", "").strip()[:200]
    data.contact_email = (data.contact_email or "").replace("\x00", "").strip()[:254]
    data.contact_phone = (data.contact_phone or "").replace("\x00", "").strip()[:50]
    has_contact = bool(data.contact_name or data.contact_email or data.contact_phone)
    if has_contact and not data.contact_consent:
        raise FeedbackError(
            _("We store contact details only with your consent. Tick the box or leave them empty."),
            "contact_consent",
        )
    if data.contact_consent and not (data.contact_email or data.contact_phone):
        raise FeedbackError(_("Please give an e-mail address or a phone number."), "contact_email")
    if data.contact_email and ("@" not in data.contact_email or " " in data.contact_email):
        raise FeedbackError(_("Please check the e-mail address."), "contact_email")
    return data
