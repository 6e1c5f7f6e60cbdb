from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..forms import Form
from ..governance.models import MajorityRule
from .models import Poll, PollKind, PollOptions


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
        choices=[(k.value, k.label) for k in PollKind],
        default=PollKind.OPEN.value,
    )
    options = SelectField(
        _l("Options"),
        choices=[(o.value, o.label) for o in PollOptions],
        default=PollOptions.YES_NO_ABSTAIN.value,
    )
    majority_rule = SelectField(
        _l("Majority"),
        choices=[("", _l("As set for the body"))] + [(r.value, r.label) for r in MajorityRule],
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
        choices=[(k.value, k.label) for k in PollKind],
        default=PollKind.OPEN.value,
    )
    options = SelectField(
        _l("Options"),
        choices=[(o.value, o.label) for o in PollOptions],
        default=PollOptions.YES_NO_ABSTAIN.value,
    )
    majority_rule = SelectField(
        _l("Majority"),
        choices=[("", _l("As set for the body"))] + [(r.value, r.label) for r in MajorityRule],
        default="",
        validators=[Optional()],
    )
    submit = SubmitField(_l("Open the vote"))
