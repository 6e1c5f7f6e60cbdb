"""Forms of the education report."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (rendered in a fieldset by our macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ReportForm(Form):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=200)])
    year_from = IntegerField(
        _l("First year"), validators=[InputRequired(), NumberRange(min=1990, max=2100)]
    )
    year_to = IntegerField(
        _l("Last year"), validators=[InputRequired(), NumberRange(min=1990, max=2100)]
    )
    chapters = TextAreaField(
        _l("Chapters"),
        description=_l("One per line, e.g. Frühkindliche Bildung, Übergang Schule–Beruf"),
        validators=[InputRequired(), Length(max=4000)],
    )


class ChapterForm(Form):
    title = StringField(_l("Chapter title"), validators=[InputRequired(), Length(max=200)])
    commentary = TextAreaField(_l("Commentary"), validators=[Optional(), Length(max=20000)])
    indicators = MultiCheckboxField(_l("Indicators"), validators=[Optional()])
    show_map = BooleanField(_l("Map by district"), default=True)
    show_chart = BooleanField(_l("Chart"), default=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from ..monitoring.indicators import all_codes

        self.indicators.choices = [(c, n) for c, n in all_codes()]


class NewChapterForm(Form):
    title = StringField(_l("New chapter"), validators=[InputRequired(), Length(max=200)])


class ConfirmForm(Form):
    pass
