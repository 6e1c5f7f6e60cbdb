"""The paper forms: a paper, its attachments and consultations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from ..forms import Form


class PaperForm(Form):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=300)]
    )
    kind = RadioField(
        _l("Kind of paper"), validators=[InputRequired(_l("Please choose a kind of paper."))]
    )
    body_id = SelectField(
        _l("Submitted to"),
        coerce=int,
        description=_l("The body whose members deal with the paper."),
        validate_choice=True,
    )
    text = TextAreaField(
        _l("Text"),
        validators=[Length(max=100_000)],
        description=_l("The paper's text; it is needed before you can submit."),
    )
    public = BooleanField(_l("Public once decided"))


class PaperEditForm(Form):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=300)]
    )
    text = TextAreaField(_l("Text"), validators=[Length(max=100_000)])
    public = BooleanField(_l("Public once decided"))


# --- attachments and consultations ------------------------------------------------


class AttachmentForm(Form):
    file = FileField(
        _l("File"),
        validators=[FileRequired(_l("Please choose a file."))],
        description=_l("PDF, ODT, DOCX, XLSX, PNG, JPEG, CSV or TXT."),
    )
    submit = SubmitField(_l("Attach file"))


class ConsultationForm(Form):
    body_id = SelectField(_l("Body"), coerce=int, validate_choice=True)
    role = SelectField(_l("Role"), validate_choice=True)
    submit = SubmitField(_l("Add consultation"))


class ConsultationResultForm(Form):
    result = SelectField(_l("Result"), validate_choice=True)
    submit = SubmitField(_l("Record result"))


class ButtonForm(Form):
    """A bare POST button (CSRF only)."""
