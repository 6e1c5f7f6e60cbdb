from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import Form
from ..governance.models import MajorityRule
from .models import ElectionRule, Poll, PollKind, PollMethod, PollOptions


class VoteForm(Form):
    value = RadioField(
        _l("Your vote"), choices=[], validators=[InputRequired(_l("Please choose one option."))]
    )
    seat = HiddenField()
    # "1" in a secret poll: which statement the ballot tries first (the
    # statements check the poll's kind themselves; see cast_session_ballot).
    secret = HiddenField()
    submit = SubmitField(_l("Cast vote"))

    @classmethod
    def for_poll(cls, poll: Poll, seat_id: int | None = None, **kwargs: object) -> VoteForm:
        prefix = f"poll{poll.id}" + (f"-seat{seat_id}" if seat_id else "")
        form = cls(prefix=prefix, **kwargs)  # type: ignore[arg-type]
        form.value.choices = [(v.value, v.label) for v in poll.values]
        form.value.label.text = str(_l("Your vote on “%(title)s”", title=poll.title))
        if seat_id is not None and not form.seat.data:
            form.seat.data = str(seat_id)
        form.secret.data = "1" if poll.is_secret else ""
        return form


class CircularResolutionForm(Form):
    body_id = SelectField(_l("Body"), coerce=int, validators=[InputRequired()])
    subject_id = SelectField(
        _l("Paper"),
        coerce=int,
        description=_l("Only papers waiting for a decision are listed."),
        validators=[InputRequired()],
    )
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please give a title.")), Length(max=300)]
    )
    question = TextAreaField(
        _l("Proposed resolution"),
        description=_l("The text the members vote on."),
        validators=[Optional(), Length(max=20000)],
    )
    closes_at = DateTimeLocalField(
        _l("Deadline"),
        format="%Y-%m-%dT%H:%M",
        description=_l("Date and time (Berlin time) when the vote closes by itself."),
        validators=[InputRequired(_l("Please give a valid date and time."))],
    )
    kind = SelectField(
        _l("Kind of vote"),
        choices=PollKind.choices(),
        default=PollKind.OPEN.value,
    )
    options = SelectField(
        _l("Options"),
        choices=PollOptions.choices(),
        default=PollOptions.YES_NO_ABSTAIN.value,
    )
    majority_rule = SelectField(
        _l("Majority"),
        choices=[("", _l("As set for the body")), *MajorityRule.choices()],
        default="",
        validators=[Optional()],
    )
    submit = SubmitField(_l("Start circular resolution"))


class CloseForm(Form):
    submit = SubmitField(_l("Close the vote now"))


class MeetingPollForm(Form):
    """Opening a vote on an agenda item of a meeting in session."""

    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please give a title.")), Length(max=300)]
    )
    question = TextAreaField(
        _l("Proposed resolution"),
        description=_l("The text the members vote on."),
        validators=[Optional(), Length(max=20000)],
    )
    kind = SelectField(
        _l("Kind of vote"),
        choices=PollKind.choices(),
        default=PollKind.OPEN.value,
    )
    options = SelectField(
        _l("Options"),
        choices=PollOptions.choices(),
        default=PollOptions.YES_NO_ABSTAIN.value,
    )
    majority_rule = SelectField(
        _l("Majority"),
        choices=[("", _l("As set for the body")), *MajorityRule.choices()],
        default="",
        validators=[Optional()],
    )
    method = SelectField(
        _l("How the votes are taken"),
        choices=PollMethod.choices(),
        default=PollMethod.ELECTRONIC.value,
        description=_l(
            "By show of hands the minute-taker enters the counts; mixed: the room by hand, "
            "members online electronically."
        ),
    )
    submit = SubmitField(_l("Open the vote"))


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _count(label: object) -> IntegerField:
    return IntegerField(
        label,  # type: ignore[arg-type]
        default=0,
        validators=[
            InputRequired(_l("Please enter a whole number, 0 or more.")),
            NumberRange(min=0, max=100_000, message=_l("Please enter a whole number, 0 or more.")),
        ],
    )


class HandCountForm(Form):
    """The counts of a show of hands (and, for a named vote, the names)."""

    yes = _count(_l("Yes"))
    no = _count(_l("No"))
    abstain = _count(_l("Abstentions"))
    names_yes = MultiCheckboxField(_l("Named: yes"), coerce=int, choices=[], validate_choice=False)
    names_no = MultiCheckboxField(_l("Named: no"), coerce=int, choices=[], validate_choice=False)
    names_abstain = MultiCheckboxField(
        _l("Named: abstentions"), coerce=int, choices=[], validate_choice=False
    )
    submit = SubmitField(_l("Record the counts"))


class AmendmentForm(Form):
    proposer = StringField(_l("Proposed by"), validators=[Optional(), Length(max=200)])
    text = TextAreaField(
        _l("Amended resolution"),
        description=_l("The wording that replaces the proposed resolution if adopted."),
        validators=[DataRequired(_l("Please enter the text of the amendment.")), Length(max=20000)],
    )
    submit = SubmitField(_l("Record the amendment"))


class ElectionForm(Form):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please give a title.")), Length(max=300)]
    )
    seats = IntegerField(
        _l("Seats"),
        default=1,
        validators=[
            InputRequired(_l("Please enter the number of seats.")),
            NumberRange(min=1, max=50, message=_l("Between 1 and 50 seats, please.")),
        ],
    )
    rule = SelectField(
        _l("Election rule"),
        choices=ElectionRule.choices(),
        default=ElectionRule.ABSOLUTE_RUNOFF.value,
    )
    members = MultiCheckboxField(
        _l("Candidates from the body"), coerce=int, choices=[], validate_choice=False
    )
    names = TextAreaField(
        _l("Other candidates"),
        description=_l("One name per line."),
        validators=[Optional(), Length(max=5000)],
    )
    submit = SubmitField(_l("Open the election"))


class ElectionBallotForm(Form):
    choice = MultiCheckboxField(_l("Your vote"), coerce=int, choices=[], validate_choice=False)
    submit = SubmitField(_l("Cast vote"))


class ConfirmForm(Form):
    submit = SubmitField(_l("Confirm"))
