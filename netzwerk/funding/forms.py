"""Forms of the funding pages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, FieldList, FormField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from ..forms import Form, optional_id
from ..rules import RuleError


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


# --- spending lines of a status report ---------------------------------------------------------

MAX_SPENDING_LINES = 6


def spending_lines_field(sources: list[tuple[str, str]], recorded: int = 0) -> FieldList:
    """The optional spending lines of a status report form: one per funding
    source of the project's budget (that source chosen) and one more; the
    funding service checks them (``services.spending_lines``)."""

    class SpendingLineForm(Form):
        class Meta:
            csrf = False  # part of the report form, which has the token

        source = SelectField(
            _l("Funding source"),
            choices=[("", _l("– choose –")), *sources],
            validate_choice=False,  # the service says which sources count
        )
        amount = StringField(
            _l("Amount (euros)"),
            description=_l("e.g. 1.234,50"),
            validators=[Optional(), Length(max=30)],
        )
        purpose = StringField(_l("Purpose"), validators=[Optional(), Length(max=200)])

    # Enough lines for what a report being corrected already records.
    count = max(min(len(sources) + 1, MAX_SPENDING_LINES), recorded)
    return FieldList(
        FormField(SpendingLineForm),
        label=_l("Spending"),
        min_entries=count,
        max_entries=count,
        default=[{"source": code} for code, _label in sources[:count]],
    )


def spending_rows(form: Any) -> list[dict[str, Any]] | None:
    """The lines as the funding service takes them (None: the form has none,
    the project no budget)."""
    lines = getattr(form, "spending", None)
    return list(lines.data) if lines is not None else None


def fill_spending_lines(form: Any, recorded: list[Any]) -> None:
    """Show the spending a report records in its lines (the rest empty)."""
    from .services import german_amount

    lines = getattr(form, "spending", None)
    if lines is None or not recorded:
        return
    for entry, spent in zip(lines.entries, recorded, strict=False):
        entry.form.source.data = spent.source
        entry.form.amount.data = german_amount(spent.amount)
        entry.form.purpose.data = spent.purpose
    for entry in lines.entries[len(recorded) :]:
        entry.form.source.data = ""


def show_spending_error(form: Any, exc: RuleError) -> bool:
    """Put the error of a spending line (``spending-<i>-<field>``) next to its
    field; False when it names no field of a line."""
    lines = getattr(form, "spending", None)
    parts = (exc.field or "").split("-")
    if lines is None or len(parts) != 3 or parts[0] != lines.name or not parts[1].isdigit():
        return False
    index = int(parts[1])
    if index >= len(lines.entries):
        return False
    target = lines.entries[index].form._fields.get(parts[2])
    if target is None:
        return False
    target.errors = [*target.errors, str(exc)]
    lines.errors = [entry.errors for entry in lines.entries]
    return True
