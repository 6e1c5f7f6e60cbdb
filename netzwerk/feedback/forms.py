"""Forms of the public feedback pages (every label is translated into all seven
languages; staff forms live in staff_forms.py)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form, optional_id
from .vocab import AGE_GROUPS, MIGRATION, RATING_LABELS, SPOKEN_LANGUAGES


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _required_int(value: Any) -> int | None:
    return optional_id(value)


class ChoiceRequired:
    """A required choice, with the message in the catalogue of the public pages."""

    field_flags = {"required": True}

    def __call__(self, form: FlaskForm, field: Any) -> None:
        if field.data in (None, "", -1):
            raise ValidationError(str(_l("Please choose one.")))


class FeedbackForm(Form):
    """The public feedback form.  Choices are set from the database per request."""

    removes_control_characters = True  # validation.py removes NUL bytes

    category = RadioField(
        _l("What is your feedback about?"),
        coerce=_required_int,
        validators=[ChoiceRequired()],
        validate_choice=False,
    )
    rating = RadioField(
        _l("How well is this need met in Osnabrück today?"),
        coerce=_required_int,
        validators=[ChoiceRequired()],
        validate_choice=False,
        choices=[(n, label) for n, label in RATING_LABELS.items()],
    )
    text = TextAreaField(
        _l("Your feedback in your own words"),
        description=_l(
            "What do you need? What is missing? Please do not write names or addresses here."
        ),
        validators=[
            Optional(),
            Length(max=4000, message=_l("Please write at most 4000 characters.")),
        ],
    )
    district = SelectField(
        _l("District"), coerce=optional_id, validators=[Optional()], validate_choice=False
    )
    target_group = SelectField(
        _l("For whom?"), coerce=optional_id, validators=[Optional()], validate_choice=False
    )
    age_group = SelectField(
        _l("Your age (optional)"), validators=[Optional()], validate_choice=False
    )
    migration = SelectField(
        _l("Did you or your parents immigrate to Germany? (optional)"),
        description=_l(
            "Voluntary: you may skip it. Why we ask: to see whether education offers reach "
            "people who immigrated or whose parents did. We only count answers in groups "
            "of at least five, never per person."
        ),
        validators=[Optional()],
        validate_choice=False,
    )
    languages_spoken = MultiCheckboxField(
        _l("Which languages do you speak? (optional)"),
        validators=[Optional()],
        validate_choice=False,
    )
    contact_consent = BooleanField(
        _l("I agree that the Bildungsbüro stores my contact details to answer me."),
        description=_l(
            "Only if you want an answer. We delete your contact details automatically after some time."  # noqa: E501
        ),
    )
    contact_name = StringField(_l("Name (optional)"), validators=[Optional(), Length(max=200)])
    contact_email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)])
    contact_phone = StringField(_l("Phone"), validators=[Optional(), Length(max=50)])
    # Honeypot: people never see or fill it; bots do.
    website = StringField(_l("Please leave this field empty"), validators=[Optional()])

    def __init__(self, *args: Any, locale_key: str = "de", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from . import services

        self.category.choices = services.choice_options("category", locale_key)
        no_answer = [(None, _l("No answer"))]
        self.district.choices = no_answer + services.choice_options("district", locale_key)
        self.target_group.choices = no_answer + services.choice_options("target_group", locale_key)
        self.age_group.choices = [("", _l("No answer"))] + list(AGE_GROUPS.items())
        self.migration.choices = [("", _l("No answer"))] + list(MIGRATION.items())
        self.languages_spoken.choices = list(SPOKEN_LANGUAGES.items())

    def to_input(self) -> Any:
        from .validation import FeedbackInput

        return FeedbackInput(
            category_id=self.category.data,
            rating=self.rating.data,
            text=self.text.data or "",
            district_id=self.district.data,
            target_group_id=self.target_group.data,
            age_group=self.age_group.data or None,
            migration=self.migration.data or None,
            languages_spoken=list(self.languages_spoken.data or []),
            contact_consent=bool(self.contact_consent.data),
            contact_name=self.contact_name.data or "",
            contact_email=self.contact_email.data or "",
            contact_phone=self.contact_phone.data or "",
        )


class CodeForm(Form):
    """The receipt code, posted (with CSRF) to the status page and to the data
    export: a code never travels in a URL, where logs, the browser's history
    and the Referer header would keep it."""

    # A wrong code of any kind gets the one message of the public catalogues
    # (normalise_code drops control characters with every other non-letter).
    removes_control_characters = True

    code = StringField(
        _l("Your receipt code"),
        description=_l("12 characters, for example ACDE-FHJK-MNPQ"),
        validators=[
            InputRequired(message=_l("Please enter your receipt code.")),
            Length(
                max=40, message=_l("We found no feedback with this code. Please check the code.")
            ),
        ],
    )
