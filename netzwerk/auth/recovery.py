"""Reset links: a new password (and, sent by an administrator, a new second
factor) only through a link mailed to the account's own address.

Nobody sets another person's password.  A link is valid once and for
``NETZWERK_PASSWORD_RESET_MINUTES`` (default 60); only its SHA-256 is
stored.  Sending one, and using it, is written to the audit trail, and the
owner gets a mail both times.  Using it ends every session of the account.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from ..audit.services import record
from ..database import utcnow, write_transaction
from ..extensions import db
from ..mail.services import queue_mail
from ..timeutil import format_local
from . import throttle
from .models import PasswordResetToken, RecoveryCode, User
from .services import (
    AccountError,
    check_new_password,
    hash_password,
    normalise_email,
    revoke_all_sessions,
)

DEFAULT_MINUTES = 60


def lifetime() -> timedelta:
    return timedelta(
        minutes=int(current_app.config.get("NETZWERK_PASSWORD_RESET_MINUTES") or DEFAULT_MINUTES)
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_counselling_staff(user: User) -> bool:
    """Whether the account is on the counselling staff (active or not: an
    entry gives its rights back the moment the login is reactivated)."""
    from ..counselling.models import CounsellingStaff

    return (
        db.session.scalar(select(CounsellingStaff.id).where(CounsellingStaff.user_id == user.id))
        is not None
    )


def holds_more_rights_than_office(user: User) -> bool:
    return user.is_admin or is_counselling_staff(user)


def reset_refusal(actor: User, user: User, *, second_factor: bool = False) -> str | None:
    """Why ``actor`` may not send ``user`` a reset link (None: they may).

    Administrators may send one to anyone; the Bildungsbüro only to accounts
    with no more rights than its own (not to administrators or counselling
    staff), and never one that also resets the second factor."""
    if not actor.is_staff:
        return _("Only administrators and the Bildungsbüro manage logins.")
    if actor.is_admin:
        return None
    if second_factor:
        return _("Only administrators may reset a second factor.")
    if user.is_admin:
        return _("Only administrators may reset the login of an administrator.")
    if is_counselling_staff(user):
        return _("Only administrators may reset the login of counselling staff.")
    return None


def _link(token: str) -> str:
    from ..mail.links import absolute_url  # from NETZWERK_BASE_URL, never the request's host

    return absolute_url("auth.reset_password", token=token)


def issue_reset(user: User, *, actor: User | None = None, second_factor: bool = False) -> str:
    """Create a reset link for the user, mail it to the account's address and
    record it; earlier unused links of the account stop working.  Returns the
    raw token (for the tests; nobody else ever sees it)."""
    token = secrets.token_urlsafe(32)
    with write_transaction():
        now = utcnow()
        expires = now + lifetime()
        db.session.execute(
            delete(PasswordResetToken).where(
                PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None)
            )
        )
        db.session.add(
            PasswordResetToken(
                user_id=user.id,
                token_hash=_hash(token),
                created_at=now,
                expires_at=expires,
                created_by_id=actor.id if actor else None,
                resets_second_factor=second_factor,
            )
        )
        record(
            "user.password_reset_sent",
            "user",
            user.id,
            actor_id=actor.id if actor else None,
            data={"second_factor": second_factor, "by_staff": actor is not None},
        )
        _queue_link_mail(user, token, expires, actor, second_factor)
    return token


def _queue_link_mail(
    user: User, token: str, expires: datetime, actor: User | None, second_factor: bool
) -> None:
    greeting = _("Hello %(name)s,", name=user.person.full_name)
    if actor is None:
        why = _(
            "someone asked for a new password for your Netzwerk account on the login page "
            "(probably you)."
        )
    else:
        why = _(
            "%(name)s of the administration has sent you a link to set a new password "
            "for your Netzwerk account.",
            name=actor.person.full_name,
        )
    what = _("Open this link to choose a new password:")
    validity = _(
        "The link works once, until %(time)s. After using it you are logged out on every device.",
        time=format_local(expires),
    )
    lines = [greeting, "", why, "", what, _link(token), "", validity]
    if second_factor:
        lines += [
            "",
            _(
                "Using the link also removes your second factor (authenticator app and "
                "recovery codes); set it up again afterwards."
            ),
        ]
    lines += [
        "",
        _(
            "If you did not expect this mail, ignore it: your password stays as it is. "
            "Tell the Bildungsbüro if it happens again."
        ),
    ]
    queue_mail(user.email, _("Netzwerk: set a new password"), "\n".join(lines))


def request_reset(email: str) -> None:
    """ "Forgot password": mail a link if an active account has the address.

    The caller answers the same whatever happens here; the work done is
    about the same too (a token is made, hashed and a transaction written),
    so the time does not tell either.  At most ``NETZWERK_RESET_MAIL_LIMIT``
    links per address and hour (default 3)."""
    address = normalise_email(email)
    user = db.session.scalar(select(User).where(User.email == address))
    blocked = throttle.is_blocked(address, throttle.RESET_MAIL)
    throttle.note_failure(address, throttle.RESET_MAIL)
    if user is not None and user.active and user.person.active and not blocked:
        issue_reset(user)
        return
    # The same kind of work as issue_reset: a token, its hash, a transaction.
    _hash(secrets.token_urlsafe(32))
    with write_transaction():
        db.session.execute(
            select(PasswordResetToken.id).where(PasswordResetToken.token_hash == "").limit(1)
        )


def valid_token(token: str) -> PasswordResetToken | None:
    """The unused, unexpired link of an active account, or None."""
    if not token or len(token) > 200:
        return None
    found = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _hash(token))
    )
    if found is None or found.used_at is not None or found.expires_at <= utcnow():
        return None
    if not found.user.active:
        return None
    return found


def complete_reset(token: str, new_password: str) -> User:
    """Set the new password through a link: the link is used up, every
    session of the account ends, a second-factor reset removes the factor;
    recorded, and the owner is told by mail."""
    found = valid_token(token)
    if found is None:
        raise AccountError(_("This link is not valid (any more). Ask for a new one."))
    user = found.user
    check_new_password(new_password, user)
    new_hash = hash_password(new_password)
    with write_transaction():
        now = utcnow()
        # Used once: of two requests with the same link, one wins.
        used = db.session.execute(
            update(PasswordResetToken)
            .where(
                PasswordResetToken.id == found.id,
                PasswordResetToken.used_at.is_(None),
                PasswordResetToken.expires_at > now,
            )
            .values(used_at=now)
        )
        if used.rowcount != 1:  # type: ignore[attr-defined]
            raise AccountError(_("This link is not valid (any more). Ask for a new one."))
        user.password_hash = new_hash
        user.password_changed_at = now
        revoke_all_sessions(user)
        second_factor = bool(found.resets_second_factor)
        if second_factor:
            user.totp_secret_sealed = None
            user.totp_enabled_at = None
            user.totp_last_step = None
            db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        record(
            "user.password_reset",
            "user",
            user.id,
            actor_id=None,
            data={"link_by": found.created_by_id, "second_factor_removed": second_factor},
        )
        lines = [
            _("Hello %(name)s,", name=user.person.full_name),
            "",
            _(
                "the password of your Netzwerk account was changed at %(time)s with a reset "
                "link; every login session has ended.",
                time=format_local(now),
            ),
        ]
        if second_factor:
            lines.append(_("Your second factor was removed; set it up again after logging in."))
        lines += [
            "",
            _("If that was not you, tell the Bildungsbüro at once."),
        ]
        queue_mail(user.email, _("Netzwerk: your password was changed"), "\n".join(lines))
    return user
