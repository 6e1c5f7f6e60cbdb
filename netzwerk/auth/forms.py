from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import Form
from .services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

NEW_PASSWORD_HINT = _l(
    "At least 12 characters, not easy to guess: not your name or e-mail address, no common "
    "password, no long runs of one character. A sentence you can remember works well."
)


class LoginForm(Form):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    submit = SubmitField(_l("Log in"))


class LoginCodeForm(Form):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l(
            "The six digits your authenticator app shows now, or one of your recovery codes."
        ),
        render_kw={"inputmode": "text", "autocapitalize": "off", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Confirm"))


def _new_password_field(label: object) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l("The password must have at least 12 characters."),
            ),
        ],
        description=NEW_PASSWORD_HINT,
    )


class PasswordChangeForm(Form):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    new_password = _new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class ForgotPasswordForm(Form):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Send link"))


class ResetPasswordForm(Form):
    password = _new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Set password"))


class TwoFactorConfirmForm(Form):
    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("The six digits the app shows for Netzwerk."),
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )
    submit = SubmitField(_l("Turn on two-factor login"))


class RecoveryCodesForm(Form):
    code = StringField(_l("Code from the app"), validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Make new recovery codes"))


class TwoFactorRemoveForm(Form):
    password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    code = StringField(_l("Code from the app"), validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Turn off two-factor login"))


class LogoutForm(Form):
    submit = SubmitField(_l("Log out"))
