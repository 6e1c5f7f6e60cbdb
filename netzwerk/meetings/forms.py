"""The meeting forms: a meeting, its agenda, invitations, attendance, places."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..forms import Form, optional_id
from ..timeutil import LOCAL_TZ

# --- meetings ---------------------------------------------------------------------


class MeetingForm(Form):
    body_id = SelectField(_l("Body"), coerce=int, validate_choice=True)
    title = StringField(
        _l("Title"),
        validators=[Optional(), Length(max=300)],
        description=_l("Optional; without a title the meeting is named by its number."),
    )
    date = DateField(_l("Date"), validators=[InputRequired(_l("Please give a valid date."))])
    start_time = TimeField(
        _l("Start (Berlin time)"), validators=[InputRequired(_l("Please give a valid time."))]
    )
    end_time = TimeField(_l("End (Berlin time)"), validators=[Optional()])
    location_id = SelectField(
        _l("Place"), coerce=optional_id, validate_choice=True, validators=[Optional()]
    )
    online_link = StringField(
        _l("Online link"), validators=[Optional(), Length(max=500)], description=_l("https://…")
    )
    public = BooleanField(_l("Public meeting"))
    # Only on the edit form of an invited meeting (views._meeting_form).
    send_update = BooleanField(
        _l("Send the updated invitation to all invitees"),
        default=True,
        description=_l(
            "The invitations have been sent. When the time, place, online link or title "
            "changes, every invitee gets the updated invitation with its calendar entry."
        ),
    )
    submit = SubmitField(_l("Save meeting"))

    def times(self) -> tuple[datetime, datetime | None]:
        """Start and end as UTC (the form's date and times are Berlin time)."""
        assert self.date.data is not None and self.start_time.data is not None
        start = datetime.combine(self.date.data, self.start_time.data, LOCAL_TZ).astimezone(UTC)
        end = None
        if self.end_time.data is not None:
            end = datetime.combine(self.date.data, self.end_time.data, LOCAL_TZ).astimezone(UTC)
        return start, end


class LocationForm(Form):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=200)]
    )
    room = StringField(_l("Room"), validators=[Optional(), Length(max=100)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Add place"))


class LocationEditForm(LocationForm):
    # Only while invited meetings use the place (views.location_edit).
    send_updates = BooleanField(
        _l("Send the updated invitation for the invited meetings at this place"),
        default=True,
        description=_l("Their invitees get the changed place with a new calendar entry."),
    )
    submit = SubmitField(_l("Save place"))


class PaperItemForm(Form):
    paper_id = SelectField(_l("Paper"), coerce=int, validate_choice=True)
    parent_id = SelectField(
        _l("Sub-item of"),
        coerce=optional_id,
        validate_choice=True,
        validators=[Optional()],
    )
    public = BooleanField(_l("In the public part"))
    submit = SubmitField(_l("Put on the agenda"))


class FreeItemForm(Form):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Please enter a title.")), Length(max=300)]
    )
    text = TextAreaField(_l("Text"), validators=[Optional(), Length(max=20_000)])
    parent_id = SelectField(
        _l("Sub-item of"),
        coerce=optional_id,
        validate_choice=True,
        validators=[Optional()],
    )
    public = BooleanField(_l("In the public part"), default=True)
    submit = SubmitField(_l("Add item"))


class InvitationForm(Form):
    reason = TextAreaField(
        _l("Reason for the short notice"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Required when the notice period is not kept."),
    )
    submit = SubmitField(_l("Send invitations"))


class ResendForm(Form):
    reason = TextAreaField(_l("What has changed?"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Send again"))


class StatusForm(Form):
    version = HiddenField()
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class GuestForm(Form):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Please enter a name.")), Length(max=200)]
    )
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Add guest"))


class ButtonForm(Form):
    """A bare POST button (CSRF only)."""


# --- the cockpit ------------------------------------------------------------------------


class MomentForm(Form):
    """An arrival or departure at its real time (empty: now)."""

    at = StringField(
        _l("Time (HH:MM)"),
        validators=[Optional(), Length(max=8)],
        description=_l("Empty: now."),
    )


class DeputyForm(Form):
    member_id = SelectField(_l("Member"), coerce=optional_id, validate_choice=True)
    deputy_id = SelectField(_l("Deputy"), coerce=optional_id, validate_choice=True)
    at = StringField(
        _l("Present from (HH:MM)"),
        validators=[Optional(), Length(max=8)],
        description=_l("Empty: now."),
    )
    submit = SubmitField(_l("Record the deputy"))


class SpeakerForm(Form):
    person_id = SelectField(_l("Member"), coerce=optional_id, validate_choice=True)
    point_of_order = BooleanField(_l("Point of order"))
    submit = SubmitField(_l("Add to the speakers list"))


class SpeakingTimeForm(Form):
    minutes = IntegerField(
        _l("Speaking time (minutes)"),
        validators=[Optional(), NumberRange(1, 60, _l("Please give between 1 and 60 minutes."))],
        description=_l("Empty: no limit."),
    )
    submit = SubmitField(_l("Set speaking time"))


class OpenMeetingForm(Form):
    reason = TextAreaField(
        _l("Reason for opening early"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Required when the meeting is opened long before its start."),
    )
    submit = SubmitField(_l("Open the meeting"))
