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


def _district_choices() -> list[tuple[str, object]]:
    from ..monitoring.districts import choices

    return choices(no_answer=_l("none"))


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
    district = SelectField(_l("District of the venue"), choices=lambda: _district_choices())
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
    partner_organisation_id = SelectField(
        _l("Owned by the partner"),
        coerce=optional_id,
        description=_l("The partner organisation that confirms it in the partner portal."),
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


def report_form_class(
    indicators: list[tuple[str, str]],
    spending_sources: list[tuple[str, str]] | None = None,
    recorded_lines: int = 0,
) -> type[ReportForm]:
    """A report form with one number field per configured indicator (and,
    given the project's funding sources, its spending lines: at least as many
    as the report being corrected records)."""

    class _Form(ReportForm):
        pass

    for code, label in indicators:
        setattr(_Form, f"value_{code}", indicator_field(label))
    if spending_sources:
        from ..funding.forms import spending_lines_field

        _Form.spending = spending_lines_field(spending_sources, recorded_lines)  # type: ignore[attr-defined]
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


# --- the partner portal ----------------------------------------------------------


class InviteForm(Form):
    partner_id = SelectField(
        _l("Partner"), coerce=optional_id, validators=[InputRequired(_l("Please choose."))]
    )
    contact_person_id = SelectField(
        _l("Contact person"),
        coerce=optional_id,
        validators=[InputRequired(_l("Please choose."))],
        description=_l("Persons of the partner organisation with an e-mail address."),
    )
    submit = SubmitField(_l("Send personal link"))


class RevokeForm(Form):
    submit = SubmitField(_l("Revoke link"))


class AcceptForm(Form):
    entry_ids = SelectMultipleField(
        _l("Entries"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    text = TextAreaField(
        _l("Text of the status report"),
        validators=[Length(max=50000)],
        description=_l("Optional; the accepted entries are listed below it."),
    )
    submit = SubmitField(_l("Accept into a status report"))


class SendCodeForm(Form):
    submit = SubmitField(_l("Send me a confirmation code"))


class CodeForm(Form):
    code = StringField(
        _l("Confirmation code"),
        validators=[DataRequired(_l("Please enter the code from the e-mail.")), Length(max=20)],
        description=_l("Six digits, from the e-mail we sent you."),
    )
    submit = SubmitField(_l("Confirm"))


class ParticipantsForm(Form):
    period_start = DateField(
        _l("Period from"), validators=[InputRequired(_l("Please enter a date."))]
    )
    period_end = DateField(_l("Period to"), validators=[InputRequired(_l("Please enter a date."))])
    participants = IntegerField(
        _l("Participants"),
        validators=[
            InputRequired(_l("Please enter a whole number from 0 to 10,000,000.")),
            NumberRange(0, 10_000_000, _l("Please enter a whole number from 0 to 10,000,000.")),
        ],
    )
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Send participant numbers"))


class MilestoneConfirmForm(Form):
    milestone_id = IntegerField(validators=[InputRequired()])
    note = StringField(_l("Note"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Milestone reached"))


class EvidenceForm(Form):
    file = FileField(_l("File"), validators=[DataRequired(_l("Please choose a file."))])
    note = StringField(_l("What does it show?"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Upload evidence"))


class CountersignForm(Form):
    confirm = BooleanField(
        _l("I countersign the cooperation agreement for my organisation."),
        validators=[DataRequired(_l("Please confirm the agreement."))],
    )
    submit = SubmitField(_l("Countersign"))


class FeedbackLinkForm(Form):
    feedback = StringField(
        _l("Feedback (number or receipt code)"),
        validators=[DataRequired(_l("Please enter a number or receipt code.")), Length(max=40)],
    )
    submit = SubmitField(_l("Link feedback"))


class ProposeOrganisationForm(Form):
    name = StringField(
        _l("Name of the organisation"),
        validators=[DataRequired(_l("Please enter the name.")), Length(max=200)],
    )
    kind = SelectField(_l("Kind"), validators=[InputRequired(_l("Please choose."))])
    role = StringField(_l("Role in the project"), validators=[Length(max=100)])
    website = StringField(_l("Website"), validators=[Length(max=300)])
    email = StringField(_l("E-mail"), validators=[Length(max=254)])
    submit = SubmitField(_l("Propose organisation"))


class ConfirmProposalForm(Form):
    submit = SubmitField(_l("Confirm organisation"))
