from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import Form
from .services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class LoginForm(Form):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    submit = SubmitField(_l("Log in"))


class PasswordChangeForm(Form):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=_l("At least 12 characters. A sentence you can remember works well."),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class LogoutForm(Form):
    submit = SubmitField(_l("Log out"))
