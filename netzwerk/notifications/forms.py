"""The form of the mail preferences."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectMultipleField, SubmitField
from wtforms.validators import InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form
from .preferences import DELIVERY_LABELS, TOPICS


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PreferenceForm(Form):
    delivery = RadioField(
        _l("Mails about notifications"),
        choices=list(DELIVERY_LABELS.items()),
        validators=[InputRequired(_l("Please choose how you want to receive mails."))],
    )
    topics = CheckboxesField(
        _l("Topics you want mails about"),
        choices=list(TOPICS.items()),
        description=_l(
            "Notifications of the other topics are shown only in Netzwerk. Invitations to "
            "meetings and links to reset your password are always sent."
        ),
    )
    submit = SubmitField(_l("Save"))
