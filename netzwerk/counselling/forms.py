from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form, optional_id
from ..governance.models import ORGANISATION_KIND_LABELS
from .services import REASON_MAX, today
from .vocab import (
    MIGRATION,
    AgeGroup,
    Arrival,
    Channel,
    Language,
    Outcome,
    Situation,
    TargetGroup,
    Topic,
)


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (rendered in a fieldset by our macro)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


class OfferSearchForm(Form):
    """The public search (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)])
    language = SelectField(_l("Language"), validators=[Optional()])
    target_group = SelectField(_l("For whom"), validators=[Optional()])
    kind = SelectField(_l("Kind of institution"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = _blank(_l("All languages")) + Language.choices()
        self.target_group.choices = _blank(_l("All target groups")) + TargetGroup.choices()
        self.kind.choices = _blank(_l("All kinds")) + [
            (kind.value, label) for kind, label in ORGANISATION_KIND_LABELS.items()
        ]


class OfferForm(Form):
    organisation_id = SelectField(
        _l("Organisation"), coerce=optional_id, validators=[InputRequired()]
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    target_groups = MultiCheckboxField(_l("For whom"), choices=TargetGroup.choices())
    languages = MultiCheckboxField(_l("Languages"), choices=Language.choices())
    contact = StringField(_l("Contact person"), validators=[Optional(), Length(max=200)])
    contact_email = EmailField(
        _l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)]
    )
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=50)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    district = StringField(_l("District"), validators=[Optional(), Length(max=100)])
    action_field_id = SelectField(_l("Action field"), coerce=optional_id, validators=[Optional()])
    active = BooleanField(_l("Active (shown in the public directory)"), default=True)
    submit = SubmitField(_l("Save offer"))

    def __init__(
        self,
        organisations: list[tuple[int, str]],
        action_fields: list[tuple[int, str]],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = [(None, _l("Please choose"))] + organisations  # type: ignore[assignment,operator]
        self.action_field_id.choices = [(None, _l("No action field"))] + action_fields  # type: ignore[assignment,operator]

    def validate_organisation_id(self, field: Any) -> None:
        if field.data is None:
            raise ValidationError(_l("Please choose an organisation."))


class ContactForm(Form):
    contact_date = DateField(
        _l("Date of the contact"), validators=[InputRequired()], default=lambda: today()
    )
    channel = SelectField(_l("Channel"), choices=Channel.choices(), validators=[InputRequired()])
    language = SelectField(
        _l("Language of the counselling"),
        choices=Language.choices(),
        validators=[InputRequired()],
    )
    age_group = SelectField(
        _l("Age group"), choices=AgeGroup.choices(), validators=[InputRequired()]
    )
    situation = SelectField(
        _l("Situation"), choices=Situation.choices(), validators=[InputRequired()]
    )
    topics = MultiCheckboxField(_l("Topics"), choices=Topic.choices())
    outcome = SelectField(_l("Outcome"), choices=Outcome.choices(), validators=[InputRequired()])
    district = SelectField(_l("District (optional)"), validators=[Optional()])
    migration = SelectField(
        _l("Migration background (optional, only if the person wants to say)"),
        description=_l(
            "Voluntary. Ask only if the person agrees; they may decline. Purpose: the "
            "Bildungsbüro counts, never per person, whether counselling reaches people "
            "who immigrated or whose parents did. Shown only as totals of at least five."
        ),
        validators=[Optional()],
    )
    submit = SubmitField(_l("Save contact"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from ..monitoring.districts import choices

        self.district.choices = choices(no_answer=_l("No answer"))
        self.migration.choices = [("", _l("No answer"))] + list(MIGRATION.items())


class ReferralForm(Form):
    offer_id = SelectField(_l("Offer"), coerce=optional_id, validators=[Optional()])
    organisation_id = SelectField(
        _l("Or an institution without a listed offer"),
        coerce=optional_id,
        validators=[Optional()],
    )
    referred_on = DateField(
        _l("Referred on"), validators=[InputRequired()], default=lambda: today()
    )
    follow_up_on = DateField(
        _l("Follow up on"),
        validators=[InputRequired()],
        default=lambda: today() + timedelta(days=14),
        description=_l("On this day you will be reminded to ask whether the person arrived."),
    )
    submit = SubmitField(_l("Refer"))

    def __init__(
        self,
        offers: list[tuple[int, str]],
        organisations: list[tuple[int, str]],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.offer_id.choices = [(None, _l("No offer"))] + offers  # type: ignore[assignment,operator]
        self.organisation_id.choices = [(None, _l("No institution"))] + organisations  # type: ignore[assignment,operator]


class FollowUpForm(Form):
    arrival = RadioField(
        _l("Did the person arrive?"), choices=Arrival.choices(), validators=[InputRequired()]
    )
    arrived_on = DateField(
        _l("Arrived on"),
        validators=[Optional()],
        description=_l("Only when the person arrived."),
    )
    next_follow_up_on = DateField(
        _l("Next follow-up on"),
        validators=[Optional()],
        description=_l("Only when the person is still waiting."),
    )
    submit = SubmitField(_l("Save follow-up"))


class PersonalDetailsForm(Form):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    contact = StringField(
        _l("Contact details"),
        validators=[Optional(), Length(max=300)],
        description=_l("Phone number or e-mail address."),
    )
    consent = BooleanField(
        _l("The person has consented to storing these details."),
        description=_l("Without consent nothing is stored. The details are deleted automatically."),
    )
    submit = SubmitField(_l("Save personal details"))


class ClearWaitingLoopForm(Form):
    """Clear the waiting-loop mark of a resolved case (the reason is audited)."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(_l("Please give a reason.")),
            Length(max=REASON_MAX),
        ],
        description=_l(
            "Why is the waiting loop resolved? The reason stays in the audit trail: "
            "please no names or contact details."
        ),
    )
    submit = SubmitField(_l("Clear the mark"))


class ConfirmForm(Form):
    """A bare POST (delete, (de)activate, remove) protected by CSRF."""


class StaffForm(Form):
    email = EmailField(
        _l("E-mail address of the account"),
        validators=[DataRequired(), Email(), Length(max=254)],
    )
    submit = SubmitField(_l("Add to counselling staff"))


class CaseSearchForm(Form):
    class Meta:
        csrf = False

    code = SearchField(_l("Case code"), validators=[Optional(), Length(max=30)])


class FiguresFilterForm(Form):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("Until"), validators=[Optional()])

    def validate_end(self, field: Any) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end lies before the start."))
