"""Forms of the minutes pages (CSRF on every one)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..forms import Form, optional_id
from .models import CorrectionRequestStatus
from .text import MAX_ANSWER, MAX_CORRECTION, MAX_SUMMARY


class StartForm(Form):
    person_id = SelectField(
        _l("Minute-taker"),
        coerce=int,
        validators=[InputRequired(_l("Please choose the minute-taker."))],
    )
    submit = SubmitField(_l("Start the minutes"))


class MinuteTakerForm(Form):
    person_id = SelectField(
        _l("Minute-taker"),
        coerce=int,
        validators=[InputRequired(_l("Please choose the minute-taker."))],
    )
    submit = SubmitField(_l("Save minute-taker"))


class ScheduleApprovalForm(Form):
    meeting_id = SelectField(
        _l("Meeting"),
        coerce=int,
        validators=[InputRequired(_l("Please choose a meeting."))],
        description=_l("“Approval of the minutes” is added to the agenda of this meeting."),
    )
    submit = SubmitField(_l("Put the approval on the agenda"))


class CorrectionForm(Form):
    reason = TextAreaField(
        _l("What is corrected?"),
        validators=[DataRequired(_l("Please say what the correction is about.")), Length(max=2000)],
    )
    submit = SubmitField(_l("Start a correction (new version)"))


class CorrectionRequestForm(Form):
    """A member's correction request while the minutes circulate.

    The agenda item is checked by the service (an item of this meeting),
    which says so beside the field; the select offers the meeting's items.
    """

    removes_control_characters = True  # text.clean() does, keeping the rest of a paste

    agenda_item_id = SelectField(
        _l("Agenda item"),
        coerce=optional_id,
        validate_choice=False,
        validators=[Optional()],
        description=_l("Leave empty for the minutes as a whole."),
    )
    text = TextAreaField(
        _l("Your correction"),
        validators=[
            DataRequired(_l("Please write what should be corrected.")),
            Length(
                max=MAX_CORRECTION, message=_l("A correction may have at most %(max)d characters.")
            ),
        ],
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Send the correction to the office"))

    def set_items(self, items: list[tuple[int, str]]) -> None:
        self.agenda_item_id.choices = [("", _l("The minutes as a whole")), *items]


class CorrectionAnswerForm(Form):
    """The office's answer to one correction request (prefixed with its id)."""

    removes_control_characters = True

    status = RadioField(
        _l("Answer"),
        choices=[
            (CorrectionRequestStatus.ACCEPTED, _l("Taken over")),
            (CorrectionRequestStatus.DECLINED, _l("Declined")),
        ],
        validators=[InputRequired(_l("Please choose an answer."))],
    )
    answer = TextAreaField(
        _l("Short answer to the sender"),
        validators=[
            Optional(),
            Length(max=MAX_ANSWER, message=_l("An answer may have at most %(max)d characters.")),
        ],
        description=_l("Required when the correction is declined."),
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Send the answer"))


class SummariesForm(Form):
    """One text area and one revision field per agenda item (built per meeting)."""

    removes_control_characters = True  # text.clean() does, keeping the rest of a paste

    item_ids: list[int]

    def summary_field(self, item_id: int) -> Any:
        return self[f"summary_{item_id}"]

    def revision_field(self, item_id: int) -> Any:
        return self[f"revision_{item_id}"]

    def submitted(self) -> dict[int, tuple[str, int]]:
        """{item id: (text, revision seen)} of the fields that were sent."""
        result: dict[int, tuple[str, int]] = {}
        for item_id in self.item_ids:
            text = self.summary_field(item_id).data
            if text is None:
                continue
            try:
                revision = int(self.revision_field(item_id).data or 0)
            except (TypeError, ValueError):
                revision = 0
            result[item_id] = (text, revision)
        return result


def summaries_form(
    items: list[tuple[int, str]],
    data: dict[int, tuple[str, int]] | None = None,
    formdata: Any = "request",
) -> SummariesForm:
    """Build the form for ``items`` = [(item id, label)]; ``data`` fills it on GET."""

    class _Form(SummariesForm):
        pass

    for item_id, label in items:
        setattr(
            _Form,
            f"summary_{item_id}",
            TextAreaField(
                label,
                validators=[Optional(), Length(max=MAX_SUMMARY)],
                description=_l(
                    "Blank line: new paragraph · “- ” at the start of lines: list · **bold**"
                ),
                render_kw={"rows": 6, "data-item": str(item_id)},
            ),
        )
        setattr(_Form, f"revision_{item_id}", HiddenField(render_kw={"data-revision": item_id}))
    kwargs: dict[str, Any] = {"prefix": "m"}
    if formdata != "request":
        kwargs["formdata"] = formdata
    form = _Form(**kwargs)
    form.item_ids = [item_id for item_id, _label in items]
    if data is not None:
        for item_id, (text, revision) in data.items():
            if item_id in form.item_ids:
                form.summary_field(item_id).data = text
                form.revision_field(item_id).data = str(revision)
    return form
