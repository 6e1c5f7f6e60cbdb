"""Forms of the Bildungsbüro: staff entry, triage, referral, configurable lists."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..forms import Form, optional_id
from ..timeutil import local_today
from .forms import FeedbackForm, MultiCheckboxField
from .languages import LANGUAGES
from .vocab import CHANNEL_LABELS

# Who translated a text for the sender: a person, never a machine service.
TRANSLATOR_HELP = _l(
    "A person (staff or a translator); shown to the sender. "
    "No text is sent to a translation service."
)


class StaffFeedbackForm(FeedbackForm):
    """Staff entry: feedback gathered in counselling, at events, on paper, by phone."""

    channel = SelectField(
        _l("Channel"),
        validators=[InputRequired()],
        choices=[(k, v) for k, v in CHANNEL_LABELS.items() if k != "online"],
    )
    language = SelectField(
        _l("Language of the feedback"),
        validators=[InputRequired()],
        choices=[(k, lang.own_name) for k, lang in LANGUAGES.items()],
    )
    received_on = DateField(_l("Received on"), validators=[Optional()])

    def validate_received_on(self, field: Any) -> None:
        if field.data and field.data > local_today():
            raise ValidationError(str(_l("The date lies in the future.")))


class TriageFilterForm(Form):
    class Meta:
        csrf = False

    q = StringField(_l("Search text or receipt code"), validators=[Optional(), Length(max=100)])
    status = SelectField(
        _l("Status"),
        validators=[Optional()],
        choices=[
            ("", _l("All")),
            ("new", _l("New")),
            ("considered", _l("Considered")),
            ("passed", _l("Passed to a body")),
            ("answered", _l("Answered")),
            ("duplicate", _l("Duplicate")),
        ],
    )
    category = SelectField(_l("Category"), coerce=optional_id, validators=[Optional()])
    district = SelectField(_l("District"), coerce=optional_id, validators=[Optional()])
    target_group = SelectField(_l("Target group"), coerce=optional_id, validators=[Optional()])
    channel = SelectField(
        _l("Channel"),
        validators=[Optional()],
        choices=[("", _l("All"))] + list(CHANNEL_LABELS.items()),
    )
    language = SelectField(
        _l("Language"),
        validators=[Optional()],
        choices=[("", _l("All"))] + [(k, lang.own_name) for k, lang in LANGUAGES.items()],
    )
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=60)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from . import services

        every = [(None, _l("All"))]
        self.category.choices = every + services.choice_options("category", "de")
        self.district.choices = every + services.choice_options("district", "de")
        self.target_group.choices = every + services.choice_options("target_group", "de")


class CategoriseForm(Form):
    category = SelectField(_l("Category"), coerce=optional_id, validators=[InputRequired()])
    district = SelectField(_l("District"), coerce=optional_id, validators=[Optional()])
    target_group = SelectField(_l("Target group"), coerce=optional_id, validators=[Optional()])
    tags = StringField(
        _l("Tags"), description=_l("Separated by commas"), validators=[Optional(), Length(max=600)]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from . import services

        none = [(None, _l("No answer"))]
        self.category.choices = services.choice_options("category", "de")
        self.district.choices = none + services.choice_options("district", "de")
        self.target_group.choices = none + services.choice_options("target_group", "de")

    def keep_stored(self, feedback: Any) -> CategoriseForm:
        """Offer the stored entries too when they are no longer active: the
        form shows what is stored, and saving keeps it unless changed."""
        for field, choice in (
            (self.category, feedback.category),
            (self.district, feedback.district),
            (self.target_group, feedback.target_group),
        ):
            if choice is not None and not choice.active:
                label = _l("%(label)s (no longer offered)", label=choice.label("de"))
                field.choices = [*field.choices, (choice.id, label)]  # type: ignore[list-item]
        return self


class RedactForm(Form):
    text = TextAreaField(
        _l("Free text without personal data"),
        description=_l(
            "The removed text is deleted for good; the audit trail only notes the redaction."
        ),
        validators=[Optional(), Length(max=4000)],
        render_kw={"dir": "auto"},  # the original in its language's direction
    )


class VersionedForm(Form):
    """A form that takes a workflow step: carries the version the user saw."""

    version = HiddenField()

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class DuplicateForm(VersionedForm):
    original = StringField(
        _l("Original feedback (number or receipt code)"),
        validators=[InputRequired(), Length(max=40)],
    )


class AnswerForm(VersionedForm):
    answer = TextAreaField(
        _l("Answer"),
        description=_l(
            "Shown on the public receipt page of this feedback, and sent by e-mail "
            "when the sender left an address (never with the receipt code)."
        ),
        validators=[InputRequired(), Length(max=4000)],
        render_kw={"dir": "auto"},  # the sender's language or German
    )
    answer_language = SelectField(_l("Language of the answer"), validators=[Optional()])
    answer_translation = TextAreaField(
        _l("Translation of the answer into the sender's language"),
        description=_l("Needed when the answer is written in German."),
        validators=[Optional(), Length(max=4000)],
    )
    answer_translator = StringField(
        _l("Translated by"),
        description=TRANSLATOR_HELP,
        validators=[Optional(), Length(max=200)],
    )

    def for_feedback(self, feedback: Any) -> AnswerForm:
        """The sender's language, and German unless that is the sender's."""
        from .working import language_name

        keys = [feedback.language] + (["de"] if feedback.language != "de" else [])
        self.answer_language.choices = [(key, language_name(key)) for key in keys]
        if len(keys) == 1:  # nothing to translate
            del self.answer_translation
            del self.answer_translator
        else:  # the translation is typed in the sender's language and direction
            sender = LANGUAGES.get(feedback.language)
            if sender is not None:
                self.answer_translation.render_kw = {
                    "lang": sender.html_lang,
                    "dir": sender.direction,
                }
        return self


class WorkingTranslationForm(Form):
    working_text = TextAreaField(
        _l("German working translation"),
        validators=[InputRequired(_l("Please write the translation.")), Length(max=4000)],
        description=_l("For the triage and for a paper; the sender does not see it."),
    )
    working_translator = StringField(
        _l("Translated by"),
        validators=[InputRequired(_l("Please name who translated it.")), Length(max=200)],
        description=_l(
            "A person (staff or a translator), named wherever the translation is shown. "
            "No text is sent to a translation service."
        ),
    )


class PassForm(Form):
    body_id = SelectField(_l("Body"), coerce=optional_id, validators=[InputRequired()])
    title = StringField(_l("Title of the paper"), validators=[InputRequired(), Length(max=300)])
    note = TextAreaField(_l("Note for the body"), validators=[Optional(), Length(max=4000)])
    feedback_ids = MultiCheckboxField(_l("Feedback"), coerce=int, validators=[Optional()])
    meeting_id = SelectField(
        _l("Put on the agenda of"),
        coerce=optional_id,
        validators=[Optional()],
        description=_l("Optional: an upcoming meeting of the chosen body."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from . import services

        self.body_id.choices = [(b.id, b.name) for b in services.referral_bodies()]
        self.meeting_id.choices = [("", _l("no meeting yet"))] + [
            (m.id, label) for m, label in services.referral_meetings()
        ]


class ChoiceForm(Form):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=60)])
    position = IntegerField(
        _l("Position"), default=0, validators=[Optional(), NumberRange(0, 9999)]
    )
    active = BooleanField(_l("Active"), default=True)
    label_de = StringField(_l("German"), validators=[InputRequired(), Length(max=200)])
    label_ls = StringField("Leichte Sprache", validators=[Optional(), Length(max=200)])
    label_en = StringField(_l("English"), validators=[Optional(), Length(max=200)])
    label_tr = StringField(_l("Turkish"), validators=[Optional(), Length(max=200)])
    label_ar = StringField(_l("Arabic"), validators=[Optional(), Length(max=200)])
    label_ru = StringField(_l("Russian"), validators=[Optional(), Length(max=200)])
    label_uk = StringField(_l("Ukrainian"), validators=[Optional(), Length(max=200)])

    def labels(self) -> dict[str, str]:
        return {key: getattr(self, f"label_{key}").data or "" for key in LANGUAGES}


class SummaryForm(Form):
    summary = TextAreaField(
        _l("What became of it, for the sender (German)"),
        validators=[InputRequired(_l("Please write the summary.")), Length(max=4000)],
        description=_l(
            "Plain words, written once in German; the status page and the mail show it."
        ),
    )


class TranslationForm(Form):
    language = SelectField(
        _l("Language"),
        validators=[InputRequired()],
        choices=[(k, lang.own_name) for k, lang in LANGUAGES.items() if k != "de"],
    )
    translation = TextAreaField(
        _l("Translation of the summary"),
        validators=[InputRequired(_l("Please write the translation.")), Length(max=4000)],
    )
    translator = StringField(
        _l("Translated by"),
        validators=[InputRequired(_l("Please name who translated it.")), Length(max=200)],
        description=TRANSLATOR_HELP,
    )
