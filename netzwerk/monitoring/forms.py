"""Forms of the monitoring pages."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

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
        description=_l("Separated by commas (codes such as district)"),
        validators=[Optional(), Length(max=200)],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])


class ImportForm(Form):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Please choose a file."))],
    )


class DistrictForm(Form):
    class Meta:
        csrf = False

    was = SelectField(_l("Figure"), validators=[Optional()], validate_choice=False)
    jahr = StringField(
        _l("Year"),
        description=_l("YYYY; empty: all years (counts) or the latest year (indicators)"),
        validators=[Optional(), Regexp(r"^\d{4}$", message=_l("Use YYYY."))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from . import districts, indicators

        district_codes = [
            (i.code, str(i.name))
            for i in indicators.PROVIDERS.values()
            if i.dimension == "district"
        ] + [
            (i.code, i.name)
            for i in indicators.imported_indicators()
            if "district" in i.dimension_list
        ]
        self.was.choices = [(k, str(v)) for k, v in districts.MEASURES.items()] + district_codes

    def validate_was(self, field: Any) -> None:
        if field.data and field.data not in {k for k, _v in field.choices}:
            raise ValidationError(str(_l("Please choose one of the options.")))


class StatisticsImportForm(Form):
    file = FileField(
        _l("Table (CSV export of the regional database)"),
        description=_l(
            "Semicolon-separated, German numbers, header block; a header row beginning "
            "with “Jahr” and “Stadtteil”."
        ),
    )
    # The checked file, sent back from the preview to import it (base64).
    payload = HiddenField()


class CombinedIndicatorForm(Form):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=60)])
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=40)], default="%")
    numerator = SelectField(_l("Numerator"), validators=[InputRequired()], validate_choice=False)
    denominator = SelectField(
        _l("Denominator"), validators=[InputRequired()], validate_choice=False
    )
    factor = DecimalField(
        _l("Factor"),
        description=_l("100 for a percentage"),
        default=100,
        places=None,
        validators=[InputRequired(), NumberRange(min=0.000001, max=1000000)],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from . import indicators

        options = indicators.all_codes()
        self.numerator.choices = options
        self.denominator.choices = options
