"""Forms of the funding pages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from ..forms import Form, optional_id


class BudgetForm(Form):
    source = SelectField(_l("Funding source"), validators=[InputRequired()])
    amount = StringField(
        _l("Budget (euros)"),
        description=_l("e.g. 12.500,00"),
        validators=[InputRequired(), Length(max=30)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from .services import SOURCE_LABELS

        self.source.choices = [(k, str(v)) for k, v in SOURCE_LABELS.items()]


class SpendingForm(Form):
    source = SelectField(_l("Funding source"), validators=[InputRequired()])
    spent_on = DateField(_l("Date"), validators=[InputRequired()])
    amount = StringField(
        _l("Amount (euros)"),
        description=_l("e.g. 1.234,50"),
        validators=[InputRequired(), Length(max=30)],
    )
    purpose = StringField(_l("Purpose"), validators=[Optional(), Length(max=300)])
    status_report = SelectField(
        _l("Status report"), coerce=optional_id, validators=[Optional()], validate_choice=False
    )

    def __init__(self, *args: Any, reports: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from .services import SOURCE_LABELS

        self.source.choices = [(k, str(v)) for k, v in SOURCE_LABELS.items()]
        self.status_report.choices = [(None, _l("none"))] + [
            (r.id, r.report_date.strftime("%d.%m.%Y")) for r in reports
        ]


class ProofForm(Form):
    class Meta:
        csrf = False

    von = DateField(_l("From"), validators=[InputRequired()])
    bis = DateField(_l("To"), validators=[InputRequired()])
