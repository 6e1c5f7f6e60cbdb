from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form, optional_id
from .vocab import REPORT_INTERVALS, TARGET_GROUPS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProjectForm(Form):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=200)]
    )
    action_field_id = SelectField(
        _l("Action field"),
        coerce=int,
        validators=[InputRequired(_l("Please choose an action field."))],
    )
    goals = TextAreaField(
        _l("Goals"),
        validators=[Length(max=20000)],
        description=_l("What the project wants to achieve; needed before it can be submitted."),
    )
    target_groups = MultiCheckboxField(
        _l("Target groups"), choices=[(k, v) for k, v in TARGET_GROUPS.items()]
    )
    lead_person_id = SelectField(
        _l("Project lead"),
        coerce=int,
        validators=[InputRequired(_l("Please choose a project lead with a login."))],
    )
    start_date = DateField(
        _l("Start date"),
        validators=[Optional()],
        description=_l("Date (DD.MM.YYYY or YYYY-MM-DD)."),
    )
    end_date = DateField(_l("End date"), validators=[Optional()])
    budget = StringField(
        _l("Budget in euros"),
        validators=[Optional(), Length(max=30)],
        description=_l("Optional, e.g. 12500,00."),
    )
    report_interval_months = SelectField(
        _l("Status reports"),
        coerce=int,
        choices=[(k, v) for k, v in REPORT_INTERVALS.items()],
        default=3,
    )
    deciding_body_id = SelectField(
        _l("Deciding body"),
        coerce=optional_id,
        description=_l("The body that approves the project."),
    )
    parent_id = SelectField(
        _l("Part of the project"),
        coerce=optional_id,
        description=_l("Choose a project if this one is a sub-project."),
    )
    weight = IntegerField(
        _l("Weight within the parent project"),
        default=1,
        validators=[
            InputRequired(_l("Please enter a whole number from 1 to 1000.")),
            NumberRange(1, 1000, _l("Please enter a whole number from 1 to 1000.")),
        ],
    )
    public = BooleanField(_l("Show publicly once approved"))
    submit = SubmitField(_l("Save project"))


class PartnerForm(Form):
    organisation_id = SelectField(
        _l("Organisation"),
        coerce=optional_id,
        validators=[InputRequired(_l("Please choose an organisation."))],
    )
    role = StringField(
        _l("Role in the project"),
        validators=[Length(max=100)],
        description=_l("E.g. SME partner, school partner; empty: the kind of organisation."),
    )
    contact_person_id = SelectField(_l("Contact person"), coerce=optional_id)
    submit = SubmitField(_l("Add partner"))


class MilestoneForm(Form):
    title = StringField(
        _l("Milestone"), validators=[DataRequired(_l("Please enter a title.")), Length(max=200)]
    )
    due_date = DateField(_l("Due on"), validators=[InputRequired(_l("Please enter a due date."))])
    weight = IntegerField(
        _l("Weight"),
        default=1,
        description=_l("How much the milestone counts towards the project's progress (1–1000)."),
        validators=[
            InputRequired(_l("Please enter a whole number from 1 to 1000.")),
            NumberRange(1, 1000, _l("Please enter a whole number from 1 to 1000.")),
        ],
    )
    progress = IntegerField(
        _l("Progress in percent"),
        default=0,
        validators=[
            InputRequired(_l("Please enter a whole number from 0 to 100.")),
            NumberRange(0, 100, _l("Please enter a whole number from 0 to 100.")),
        ],
    )
    lead_person_id = SelectField(
        _l("Responsible"),
        coerce=optional_id,
        description=_l("Reminded when the milestone is overdue; empty: the project lead."),
    )
    submit = SubmitField(_l("Save milestone"))


class ReportForm(Form):
    report_date = DateField(
        _l("Report date"), validators=[InputRequired(_l("Please enter a date."))]
    )
    text = TextAreaField(
        _l("Report"),
        validators=[DataRequired(_l("Please write the report.")), Length(max=50000)],
    )
    submit = SubmitField(_l("File status report"))


def indicator_field(label: str) -> IntegerField:
    return IntegerField(
        label,
        description=_l("Total so far (whole number)."),
        validators=[
            Optional(),
            NumberRange(0, 10_000_000, _l("Please enter a whole number from 0 to 10,000,000.")),
        ],
    )


def report_form_class(indicators: list[tuple[str, str]]) -> type[ReportForm]:
    """A report form with one number field per configured indicator."""

    class _Form(ReportForm):
        pass

    for code, label in indicators:
        setattr(_Form, f"value_{code}", indicator_field(label))
    return _Form


class ImportForm(Form):
    file = FileField(_l("CSV file"), validators=[DataRequired(_l("Please choose a file."))])
    submit = SubmitField(_l("Import"))


class ConfirmForm(Form):
    submit = SubmitField(_l("Remove"))


class FilterForm(Form):
    class Meta:
        csrf = False

    state = SelectField(_l("Status"), validators=[Optional()])
    partner_kind = SelectField(_l("Partner kind"), validators=[Optional()])
    target_group = SelectField(_l("Target group"), validators=[Optional()])
