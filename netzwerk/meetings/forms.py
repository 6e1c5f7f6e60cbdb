from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length


class PaperForm(FlaskForm):
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


class PaperEditForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=300)]
    )
    text = TextAreaField(_l("Text"), validators=[Length(max=100_000)])
    public = BooleanField(_l("Public once decided"))
