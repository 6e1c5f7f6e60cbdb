from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ..extensions import limiter
from . import services
from .access import public
from .forms import LoginForm, LogoutForm, PasswordChangeForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only follow a relative path on this site after login."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
            # Browsers drop tabs and newlines ("/\t/evil" becomes "//evil").
            and not any(ord(c) < 32 or ord(c) == 127 for c in target)
        ):
            return target
    return url_for("main.index")


def _login_limit() -> str:
    return str(current_app.config["NETZWERK_LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            form.password.errors.append(_("E-mail address or password is not correct."))
        else:
            next_url = _safe_next(request.args.get("next"))
            # A fresh session: nothing from before the login survives.
            session.clear()
            services.start_session(user)
            login_user(user, remember=False)
            session[services.SESSION_USER_ID_KEY] = user.id
            session.permanent = True
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return redirect(next_url)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    form = LogoutForm()
    if form.validate_on_submit():
        services.end_session(current_user.get_id())
        logout_user()
        session.clear()
        flash(_("You have been logged out."), "info")
        return redirect(url_for("auth.login"))
    return redirect(url_for("main.index"))


@bp.route("/konto/passwort", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user._get_current_object(),
                form.current_password.data or "",
                form.new_password.data or "",
            )
        except services.AccountError as exc:
            form.current_password.errors.append(str(exc))
        else:
            flash(
                _("Your password has been changed. Other devices have been logged out."), "success"
            )
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)
