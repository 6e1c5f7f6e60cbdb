"""Forms of the monitoring pages."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from ..forms import Form
from .dashboard import DIMENSIONS

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class DashboardFilterForm(Form):
    class Meta:
        csrf = False

    von = StringField(
        _l("From month"),
        description=_l("YYYY-MM"),
        validators=[Optional(), Regexp(MONTH, message=_l("Use YYYY-MM."))],
    )
    bis = StringField(
        _l("To month"),
        description=_l("YYYY-MM"),
        validators=[Optional(), Regexp(MONTH, message=_l("Use YYYY-MM."))],
    )
    verlauf = SelectField(
        _l("Over time by"),
        validators=[Optional()],
        choices=list(DIMENSIONS.items()),
        default="category",
    )

    def validate_bis(self, field: Any) -> None:
        if (
            field.data
            and self.von.data
            and re.match(MONTH, field.data)
            and re.match(MONTH, self.von.data)
            and field.data < self.von.data
        ):
            raise ValidationError(str(_l("The end lies before the start.")))


class IndicatorForm(Form):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=60)])
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=40)])
    source = StringField(_l("Source"), validators=[Optional(), Length(max=300)])
    dimensions = StringField(
        _l("Dimensions"),
        description=_l("Separated by commas, e.g. district, age_group"),
        validators=[Optional(), Length(max=200)],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])


class ImportForm(Form):
    file = FileField(
        _l("CSV file"),
        description=_l(
            "Columns: indicator, period (YYYY or YYYY-MM), value; optional: dimension, dimension_value."  # noqa: E501
        ),
        validators=[FileRequired(message=_l("Please choose a file."))],
    )
