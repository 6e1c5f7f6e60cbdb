from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from ..forms import Form


class TransitionForm(Form):
    """One button of the workflow panel (with a comment field where allowed)."""

    version = HiddenField()
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class BodyWorkflowForm(Form):
    """One select per slot; built dynamically (see ``body_workflow_form``)."""


def body_workflow_form(
    slots: list[tuple[str, str, list[tuple[str, str]]]], data: dict[str, str]
) -> BodyWorkflowForm:
    """A form with one SelectField per slot: (slot, label, [(name, title)])."""

    class _Form(BodyWorkflowForm):
        pass

    for index, (slot, label, options) in enumerate(slots):
        field = SelectField(
            label,
            choices=[("", _l("Default of the installation"))] + options,
            default=data.get(slot, ""),
            validators=[Optional()],
        )
        setattr(_Form, f"slot_{index}", field)
    form = _Form()
    form.slot_names = {f"slot_{i}": slot for i, (slot, _label, _opts) in enumerate(slots)}  # type: ignore[attr-defined]
    return form
