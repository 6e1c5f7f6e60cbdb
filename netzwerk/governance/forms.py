"""Forms of the governance administration.

Every text field passes the shared validators below: surrounding blanks are
stripped and lengths match the columns; control characters (NUL above all:
PostgreSQL refuses it) are refused by the base form, as in every form
(netzwerk.forms.Form).  Choices of
select fields are strings; views fill them and services convert and check.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    IntegerField,
    PasswordField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..auth.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from ..forms import Form
from .models import (
    BODY_KIND_LABELS,
    MAJORITY_RULE_LABELS,
    MEMBERSHIP_ROLE_LABELS,
    ORGANISATION_KIND_LABELS,
    QUORUM_RULE_LABELS,
    MembershipRole,
)

MAX_LONG_TEXT = 10000


def strip_filter(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def clean_search(value: str | None, max_length: int = 100) -> str:
    """A search term from the query string: no control characters, bounded."""
    if not value:
        return ""
    cleaned = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cs"))
    return cleaned.strip()[:max_length]


def _required() -> DataRequired:
    return DataRequired(message=_l("Please fill in this field."))


def text_field(label: Any, max_length: int, required: bool = False, **kwargs: Any) -> StringField:
    validators: list[Any] = [_required()] if required else [Optional()]
    validators += [Length(max=max_length, message=_l("At most %(max)d characters, please."))]
    validators += kwargs.pop("validators", [])
    return StringField(label, validators=validators, filters=[strip_filter], **kwargs)


def long_text_field(label: Any, max_length: int = MAX_LONG_TEXT, **kwargs: Any) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[
            Optional(),
            Length(max=max_length, message=_l("At most %(max)d characters, please.")),
        ],
        filters=[strip_filter],
        **kwargs,
    )


try:  # WTForms >= 3.3 wants SelectChoice objects; older versions take tuples.
    from wtforms.fields.choices import SelectChoice as _SelectChoice

    def choice(value: str, label: Any) -> Any:
        return _SelectChoice(value=value, label=label)

except ImportError:  # pragma: no cover - older WTForms

    def choice(value: str, label: Any) -> Any:
        return (value, label)


def choice_list(labels: dict[Any, Any]) -> list[Any]:
    return [choice(key.value, label) for key, label in labels.items()]


def optional_choices(pairs: Iterable[tuple[int, str]], empty_label: Any = None) -> list[Any]:
    """Select choices with an empty first option; values are ids as strings."""
    return [choice("", empty_label or _l("– none –"))] + [choice(str(k), v) for k, v in pairs]


def int_or_none(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


class ConfirmForm(Form):
    """A bare form for buttons that change state (CSRF only)."""


class SearchForm(Form):
    """The search and filter form of list pages (GET, no CSRF)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), filters=[strip_filter])


class OrganisationSearchForm(SearchForm):
    kind = SelectField(_l("Kind"), choices=[], validate_choice=False)


class PersonSearchForm(SearchForm):
    status = SelectField(
        _l("Status"),
        choices=[
            choice("active", _l("active")),
            choice("inactive", _l("deactivated")),
            choice("all", _l("all")),
        ],
        validate_choice=False,
    )


def url_or_empty(form: FlaskForm, field: Field) -> None:
    if field.data and not re.match(r"^https?://[^\s/$.?#][^\s]*$", field.data, re.IGNORECASE):
        raise ValidationError(_l("Please enter a web address starting with http:// or https://."))


EMAIL_INPUT = {"type": "email"}


def _email_validators() -> list[Any]:
    return [Email(message=_l("Please enter a valid e-mail address."))]


class OrganisationForm(Form):
    name = text_field(_l("Name"), 200, required=True)
    short_name = text_field(_l("Short name"), 40)
    kind = SelectField(
        _l("Kind"),
        choices=choice_list(ORGANISATION_KIND_LABELS),
        validators=[InputRequired(message=_l("Please choose a kind."))],
    )
    address = text_field(_l("Address"), 300)
    website = text_field(_l("Website"), 300, validators=[url_or_empty])
    email = text_field(
        _l("E-mail address"), 254, validators=_email_validators(), render_kw=EMAIL_INPUT
    )
    phone = text_field(_l("Phone"), 50)
    description = long_text_field(_l("Description"))
    submit = SubmitField(_l("Save"))


class PersonForm(Form):
    title = text_field(_l("Title"), 40, description=_l("For example Dr. or Prof. Dr."))
    first_name = text_field(_l("First name"), 100, required=True)
    last_name = text_field(_l("Last name"), 100, required=True)
    email = text_field(
        _l("E-mail address"), 254, validators=_email_validators(), render_kw=EMAIL_INPUT
    )
    phone = text_field(_l("Phone"), 50)
    function = text_field(_l("Function"), 200)
    organisation_id = SelectField(_l("Organisation"), choices=[], default="")
    submit = SubmitField(_l("Save"))


def _password_field(label: Any) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            _required(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l("Between %(min)d and %(max)d characters, please."),
            ),
        ],
        description=_l("At least 12 characters. Tell the person and ask them to change it."),
    )


class AccountCreateForm(Form):
    email = text_field(
        _l("E-mail address for the login"),
        254,
        required=True,
        validators=_email_validators(),
        render_kw=EMAIL_INPUT,
    )
    password = _password_field(_l("Initial password"))
    is_office = BooleanField(_l("Bildungsbüro (may run the administration)"))
    is_admin = BooleanField(_l("Administrator"))
    submit = SubmitField(_l("Create login"))


class AccountRolesForm(Form):
    is_office = BooleanField(_l("Bildungsbüro (may run the administration)"))
    is_admin = BooleanField(_l("Administrator"))
    submit = SubmitField(_l("Save roles"))


class ResetLinkForm(Form):
    """Staff send a reset link to the account's own address; nobody sets
    another person's password."""

    second_factor = BooleanField(
        _l("Also reset the second factor (lost phone)"),
        description=_l(
            "Only administrators. The link then also removes the authenticator app "
            "and the recovery codes."
        ),
    )
    submit = SubmitField(_l("Send reset link"))


SHORT_NAME_PATTERN = r"^\w[\w .\-/]*$"


class BodyForm(Form):
    name = text_field(_l("Name"), 200, required=True)
    short_name = text_field(
        _l("Short name"),
        20,
        required=True,
        validators=[
            Regexp(
                SHORT_NAME_PATTERN,
                message=_l("Letters, digits, spaces, dots, hyphens and slashes only."),
            )
        ],
        description=_l("Unique; used in decision numbers, for example VK."),
    )
    kind = SelectField(
        _l("Kind"),
        choices=choice_list(BODY_KIND_LABELS),
        validators=[InputRequired(message=_l("Please choose a kind."))],
    )
    parent_id = SelectField(_l("Part of (parent body)"), choices=[], default="")
    action_field_id = SelectField(_l("Action field"), choices=[], default="")
    description = long_text_field(_l("Description"))
    notice_days = IntegerField(
        _l("Notice period in days"),
        default=7,
        validators=[
            InputRequired(message=_l("Please enter a number of days.")),
            NumberRange(min=0, max=365, message=_l("Between 0 and 365 days, please.")),
        ],
    )
    quorum_rule = SelectField(
        _l("Quorum"),
        choices=choice_list(QUORUM_RULE_LABELS),
        validators=[InputRequired(message=_l("Please choose a quorum rule."))],
    )
    majority_rule = SelectField(
        _l("Default majority rule"),
        choices=choice_list(MAJORITY_RULE_LABELS),
        validators=[InputRequired(message=_l("Please choose a majority rule."))],
    )
    public = BooleanField(_l("Public (shown in public interfaces)"), default=True)
    submit = SubmitField(_l("Save"))


def _check_voting_right(form: FlaskForm, field: Field) -> None:
    role = form.role.data
    if (
        field.data
        and role in {r.value for r in MembershipRole}
        and not MembershipRole(role).may_vote
    ):
        raise ValidationError(
            _l("Only the chair, the vice chair and members can have a voting right.")
        )


class MembershipForm(Form):
    person_id = SelectField(
        _l("Person"),
        choices=[],
        validators=[InputRequired(message=_l("Please choose a person."))],
    )
    role = SelectField(
        _l("Role"),
        choices=choice_list(MEMBERSHIP_ROLE_LABELS),
        default=MembershipRole.MEMBER.value,
        validators=[InputRequired(message=_l("Please choose a role."))],
    )
    voting_right = BooleanField(
        _l("Voting right"),
        validators=[_check_voting_right],
        description=_l("Only for chair, vice chair and members."),
    )
    organisation_id = SelectField(_l("On behalf of (organisation)"), choices=[], default="")
    deputy_of_id = SelectField(
        _l("Deputy of"),
        choices=[],
        default="",
        description=_l("A current member of this body whom this person stands in for."),
    )
    start_date = DateField(
        _l("Start date"),
        validators=[InputRequired(message=_l("Please enter a date."))],
    )
    end_date = DateField(_l("End date"), validators=[Optional()])
    note = text_field(_l("Note"), 300)
    submit = SubmitField(_l("Save membership"))

    def validate_end_date(self, field: Field) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date must not be before the start date."))


class MembershipEditForm(MembershipForm):
    """Editing keeps the person; everything else may change."""

    person_id = None  # type: ignore[assignment]


class MembershipEndForm(Form):
    end_date = DateField(
        _l("Last day of the membership"),
        validators=[InputRequired(message=_l("Please enter a date."))],
    )
    submit = SubmitField(_l("End membership"))


class ActionFieldForm(Form):
    name = text_field(_l("Name"), 200, required=True)
    slug = text_field(
        _l("Short address (slug)"),
        80,
        validators=[
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                message=_l("Lower-case letters a–z, digits and single hyphens only."),
            )
        ],
        description=_l(
            "Part of web addresses, for example demokratie-kultur. "
            "Left empty, it is made from the name."
        ),
    )
    description = long_text_field(_l("Description"))
    position = IntegerField(
        _l("Position in lists"),
        default=0,
        validators=[
            InputRequired(message=_l("Please enter a number.")),
            NumberRange(min=0, max=10000, message=_l("Between 0 and 10000, please.")),
        ],
    )
    submit = SubmitField(_l("Save"))
