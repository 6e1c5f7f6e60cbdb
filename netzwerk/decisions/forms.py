from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from ..forms import Form, optional_id
from .models import DecisionOutcome


def safe_int(value: object) -> int:
    """0 for "none" (the "–" choice, sent as ``0``, or nothing); -1 for
    garbage (then not a valid choice, never a 500)."""
    if value in (0, "0"):
        return 0
    return optional_id(value) or 0


class RegisterFilterForm(Form):
    class Meta:
        csrf = False

    body = SelectField(_l("Body"), coerce=safe_int, validators=[Optional()], default=0)
    year = SelectField(_l("Year"), coerce=safe_int, validators=[Optional()], default=0)
    outcome = SelectField(
        _l("Outcome"),
        choices=[("", _l("All")), *DecisionOutcome.choices()],
        validators=[Optional()],
        default="",
    )
    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])


class ActionItemForm(Form):
    title = StringField(
        _l("Action"), validators=[DataRequired(_l("Please give a title.")), Length(max=300)]
    )
    responsible_person_id = SelectField(
        _l("Responsible person"), coerce=safe_int, validators=[Optional()]
    )
    responsible_organisation_id = SelectField(
        _l("Responsible organisation"), coerce=safe_int, validators=[Optional()]
    )
    due_date = DateField(_l("Due date"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save"))

    def set_choices(
        self, persons: list[tuple[int, str]], organisations: list[tuple[int, str]]
    ) -> None:
        self.responsible_person_id.choices = [(0, "–"), *persons]
        self.responsible_organisation_id.choices = [(0, "–"), *organisations]


class CorrectionForm(Form):
    """A correction (Berichtigung) of a decision's text, with its note."""

    text = TextAreaField(
        _l("Corrected text of the decision"),
        validators=[DataRequired(_l("Please give the corrected text.")), Length(max=20000)],
    )
    note = TextAreaField(
        _l("What is corrected, and why"),
        validators=[
            DataRequired(_l("Please say what the correction is about.")),
            Length(max=2000),
        ],
    )
    version = HiddenField()
    submit = SubmitField(_l("Record the correction"))

    def expected_version(self) -> int | None:
        return optional_id(self.version.data)
