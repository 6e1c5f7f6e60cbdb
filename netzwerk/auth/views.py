from __future__ import annotations

import hashlib
import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
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

from ..audit.services import record
from ..database import utcnow, write_transaction
from ..extensions import db, limiter
from ..forms import show_error
from . import oidc, recovery, services, throttle, twofactor
from .access import public
from .forms import (
    ForgotPasswordForm,
    LoginCodeForm,
    LoginForm,
    LogoutForm,
    PasswordChangeForm,
    RecoveryCodesForm,
    ResetPasswordForm,
    TwoFactorConfirmForm,
    TwoFactorRemoveForm,
)
from .models import User

bp = Blueprint("auth", __name__)
# The login through the city's identity provider: registered by
# auth.init_app only when a provider is configured.
oidc_bp = Blueprint("oidc", __name__)

log = logging.getLogger(__name__)


def _safe_next(target: str | None) -> str:
    """Only follow a relative path on this site after login."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        # Browsers drop tabs and newlines ("/\t/evil" becomes "//evil").
        and not any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        try:
            parts = urlsplit(target)
        except ValueError:  # "/[" and the like: no URL at all
            return url_for("main.index")
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.index")


def _login_limit() -> str:
    return str(current_app.config["NETZWERK_LOGIN_RATE_LIMIT"])


# The Flask session between the password and the second factor: the account,
# when the password was right, where to go afterwards.  Signed, so not forged.
PENDING_KEY = "pending_2fa"
PENDING_SECONDS = 300
# Set at login for an account that must enrol a second factor first.
ENROL_KEY = "must_enrol_2fa"
# What such an account may reach before it has enrolled.
_ENROL_ENDPOINTS = frozenset({"auth.two_factor", "auth.logout", "static"})


def _throttled(form: LoginForm | LoginCodeForm, field: object) -> tuple[str, int]:
    field.errors.append(  # type: ignore[attr-defined]
        _(
            "Too many failed attempts. Please wait %(minutes)d minutes and try again.",
            minutes=throttle.window_minutes(),
        )
    )
    if isinstance(form, LoginForm):
        return _login_page(form, 429)
    return render_template("auth/login_code.html", form=form), 429


def _login_page(form: LoginForm, status: int = 200) -> tuple[str, int]:
    """The login page; with the identity provider's button when configured."""
    oidc_url = oidc_label = None
    if oidc.configured():
        oidc_url = url_for("oidc.start", next=request.args.get("next") or None)
        oidc_label = oidc.button_label()
    return (
        render_template("auth/login.html", form=form, oidc_url=oidc_url, oidc_label=oidc_label),
        status,
    )


def _audit_login(action: str, user: User | None, **data: object) -> None:
    with write_transaction():
        record(
            action, "user", user.id if user else None, actor_id=user.id if user else None, data=data
        )


def _complete_login(
    user: User, next_url: str, method: str = "password", second_factor: str | None = None
) -> Response:
    """Start the login session and record it (``method``: "password" or
    "oidc"; ``second_factor``: "local" after a code of the account's own
    authenticator app or a recovery code, "idp" when the identity provider
    stated that it asked for one, None without)."""
    # A fresh session: nothing from before the login survives.
    session.clear()
    services.start_session(user)
    login_user(user, remember=False)
    session[services.SESSION_USER_ID_KEY] = user.id
    session.permanent = True
    _audit_login("user.login", user, method=method, second_factor=second_factor)
    if second_factor is None and not user.has_second_factor and twofactor.required_for(user):
        session[ENROL_KEY] = True
        flash(
            _(
                "Your account manages other people's data: set up two-factor login "
                "before you continue."
            ),
            "info",
        )
        return redirect(url_for("auth.two_factor"))
    flash(_("Welcome, %(name)s.", name=user.display_name), "success")
    return redirect(next_url)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def login() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email = services.normalise_email(form.email.data or "")
        # Known and unknown addresses are counted and wait alike.
        if throttle.is_blocked(email):
            return _throttled(form, form.password)
        user = services.authenticate(email, form.password.data or "")
        if user is None:
            throttle.note_failure(email)
            form.password.errors.append(_("E-mail address or password is not correct."))
        elif not oidc.local_password_allowed(user):
            # Counted like a failure: the form is no oracle for staff passwords.
            throttle.note_failure(email)
            _audit_login("user.login_refused", user, method="password", reason="local_login_off")
            form.password.errors.append(
                _(
                    "Your account manages other people's data and logs in only through "
                    'the city login. Please use the button "%(label)s".',
                    label=oidc.button_label(),
                )
            )
        else:
            next_url = _safe_next(request.args.get("next"))
            if user.has_second_factor:
                _await_code(user, next_url, "password")
                return redirect(url_for("auth.login_code"))
            throttle.clear(email)
            return _complete_login(user, next_url)
    return _login_page(form)


def _await_code(user: User, next_url: str, method: str) -> None:
    """The first factor was right: the login waits for the code."""
    session.clear()
    session[PENDING_KEY] = {
        "uid": user.id,
        "at": utcnow().timestamp(),
        "next": next_url,
        "pw": _password_mark(user),
        "method": method,
    }


def _password_mark(user: User) -> str:
    """Changes with the password: a new password voids a half-done login."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _pending_user() -> tuple[User, str, str] | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    try:
        uid, at, next_url = int(pending["uid"]), float(pending["at"]), str(pending["next"])
    except (KeyError, TypeError, ValueError):
        return None
    method = "oidc" if pending.get("method") == "oidc" else "password"
    if not 0 <= utcnow().timestamp() - at <= PENDING_SECONDS:
        return None
    user = db.session.get(User, uid)
    if user is None or not user.active or not user.has_second_factor:
        return None
    if pending.get("pw") != _password_mark(user):
        return None
    return user, _safe_next(next_url), method


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def login_code() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    found = _pending_user()
    if found is None:
        # No password was given (or too long ago): back to the start.
        session.pop(PENDING_KEY, None)
        return render_template("auth/login_expired.html")
    user, next_url, method = found
    form = LoginCodeForm()
    if form.validate_on_submit():
        if throttle.is_blocked(user.email):
            return _throttled(form, form.code)
        if twofactor.check_second_factor(user, form.code.data or ""):
            throttle.clear(user.email)
            return _complete_login(user, next_url, method, second_factor="local")
        throttle.note_failure(user.email)
        form.code.errors.append(_("This code is not correct (or was used already)."))
    return render_template("auth/login_code.html", form=form)


@bp.before_app_request
def _enrolment_first() -> Response | None:
    """An account that must use a second factor and has none yet reaches
    nothing but the enrolment page (and logging out)."""
    if not session.get(ENROL_KEY) or request.endpoint in _ENROL_ENDPOINTS:
        return None
    if not current_user.is_authenticated or current_user.has_second_factor:
        session.pop(ENROL_KEY, None)
        return None
    return redirect(url_for("auth.two_factor"))


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


def _field_error(form: object, exc: services.AccountError, fields: dict[str, str]) -> None:
    """The service's error next to its field (``fields`` maps the service's
    field names to the form's)."""
    exc.field = fields.get(exc.field or "", exc.field)
    show_error(form, exc)  # type: ignore[arg-type]


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
            _field_error(form, exc, {"password": "new_password"})
        else:
            flash(
                _("Your password has been changed. Other devices have been logged out."), "success"
            )
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)


# --- forgotten password ----------------------------------------------------


@bp.route("/passwort-vergessen", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def forgot_password() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("auth.change_password"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        recovery.request_reset(form.email.data or "")
        # One answer, whether an account has the address or not.
        flash(
            _(
                "If an account has this address, a link to set a new password is on its way. "
                "It works once, for %(minutes)d minutes.",
                minutes=int(recovery.lifetime().total_seconds() // 60),
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/passwort-zuruecksetzen/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def reset_password(token: str) -> str | Response | tuple[str, int]:
    found = recovery.valid_token(token)
    if found is None:
        return render_template("auth/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            recovery.complete_reset(token, form.password.data or "")
        except services.AccountError as exc:
            if exc.field is None:  # the link was used meanwhile
                return render_template("auth/reset_invalid.html"), 404
            _field_error(form, exc, {})
        else:
            if current_user.is_authenticated:  # whoever was logged in here
                services.end_session(current_user.get_id())
                logout_user()
            session.clear()
            flash(
                _("Your new password is set; every session has ended. Please log in."),
                "success",
            )
            return redirect(url_for("auth.login"))
    return render_template(
        "auth/reset.html",
        form=form,
        account=found.user,
        second_factor=found.resets_second_factor,
    )


# --- second factor -----------------------------------------------------------


@bp.route("/konto/zwei-faktor", methods=["GET", "POST"])
@login_required
def two_factor() -> str | Response:
    user: User = current_user._get_current_object()
    required = twofactor.required_for(user)
    if not user.has_second_factor:
        form = TwoFactorConfirmForm()
        secret = twofactor.pending_secret(user)
        if form.validate_on_submit():
            codes = twofactor.confirm_enrolment(user, form.code.data or "")
            if codes is not None:
                session.pop(ENROL_KEY, None)
                flash(_("Two-factor login is on."), "success")
                return render_template("auth/recovery_codes.html", codes=codes)
            form.code.errors.append(_("This code is not correct. Try the next one the app shows."))
        uri = twofactor.provisioning_uri(user, secret)
        return render_template(
            "auth/two_factor_enrol.html",
            form=form,
            required=required,
            secret_groups=[secret[i : i + 4] for i in range(0, len(secret), 4)],
            qr_svg=twofactor.qr_svg(uri, _("QR code for the authenticator app")),
        )
    renew = RecoveryCodesForm(prefix="renew")
    remove = TwoFactorRemoveForm(prefix="off")
    if request.method == "POST":
        if renew.submit.data and renew.validate_on_submit():
            if twofactor.check_second_factor(user, renew.code.data or ""):
                codes = twofactor.new_recovery_codes(user)
                flash(_("New recovery codes are made; the old ones no longer work."), "success")
                return render_template("auth/recovery_codes.html", codes=codes)
            renew.code.errors.append(_("This code is not correct (or was used already)."))
        elif remove.submit.data and remove.validate_on_submit():
            if required:
                abort(403)
            if services.authenticate(user.email, remove.password.data or "") is None:
                remove.password.errors.append(_("The current password is not correct."))
            elif not twofactor.check_second_factor(user, remove.code.data or ""):
                remove.code.errors.append(_("This code is not correct (or was used already)."))
            else:
                twofactor.remove(user)
                flash(_("Two-factor login is off."), "success")
                return redirect(url_for("auth.two_factor"))
    return render_template(
        "auth/two_factor.html",
        renew=renew,
        remove=remove if not required else None,
        required=required,
        remaining=twofactor.remaining_recovery_codes(user),
    )


# --- login through the city's identity provider (OpenID Connect) -------------


def _oidc_message(error: oidc.OidcError) -> str:
    """What the login page says when the provider's login did not lead in."""
    if error.reason == "email_unverified":
        return _(
            "The city login has not confirmed your e-mail address, so it cannot be matched "
            "to a Netzwerk account. Please confirm the address with the city's IT, or log in "
            "with your Netzwerk password."
        )
    if error.reason in ("unknown_email", "no_email"):
        return _(
            "No Netzwerk account has the e-mail address of your city login. Accounts are not "
            "created automatically: please ask the Bildungsbüro for one."
        )
    if error.reason == "inactive":
        return _("Your Netzwerk account is deactivated. Please ask the Bildungsbüro.")
    if error.reason == "denied":
        return _("The login through the city login was cancelled.")
    if error.reason == "state":
        return _(
            "This login through the city login has expired or was started in another "
            "browser window. Please start it again."
        )
    return _(
        "The login through the city login could not be completed. Please try again; "
        "if it keeps failing, tell the Bildungsbüro."
    )


# Refusals that concern an account (or the proof of one) go to the audit
# trail; the others (an old tab, a cancelled login) only to the log.
_AUDITED_REFUSALS = frozenset(
    {"email_unverified", "unknown_email", "no_email", "inactive", "id_token"}
)


def _oidc_refused(error: oidc.OidcError) -> Response:
    log.warning(
        "login through the identity provider refused (%s) for %s: %s",
        error.reason,
        error.email or "-",
        error.detail or "-",
    )
    if error.reason in _AUDITED_REFUSALS:
        # No address in the append-only trail: the log, which rotates, has it.
        with write_transaction():
            record(
                "user.login_refused",
                "user",
                error.user.id if error.user else None,
                data={"method": "oidc", "reason": error.reason},
            )
    flash(_oidc_message(error), "error")
    return redirect(url_for("auth.login"))


def _callback_url() -> str:
    return url_for("oidc.callback", _external=True)


@oidc_bp.route("/login/oidc")
@limiter.limit(_login_limit)
@public
def start() -> Response:
    """Send the browser to the identity provider."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    try:
        target = oidc.begin(_callback_url(), _safe_next(request.args.get("next")))
    except oidc.OidcError as exc:
        return _oidc_refused(exc)
    return redirect(target)


@oidc_bp.route("/login/oidc/callback")
@limiter.limit(_login_limit)
@public
def callback() -> Response:
    """The provider sends the browser back here with a code (or an error)."""
    try:
        found = oidc.finish(request.args, _callback_url())
        user = oidc.match_account(found)
    except oidc.OidcError as exc:
        return _oidc_refused(exc)
    config = oidc.settings()
    assert config is not None  # finish() refused otherwise
    next_url = _safe_next(found.next_url)
    if found.second_factor_asserted(config):
        return _complete_login(user, next_url, "oidc", second_factor="idp")
    if user.has_second_factor:
        _await_code(user, next_url, "oidc")
        return redirect(url_for("auth.login_code"))
    return _complete_login(user, next_url, "oidc")
