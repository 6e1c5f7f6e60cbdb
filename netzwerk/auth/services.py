"""Password hashing, login sessions and account rules."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, session
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from ..database import read_before_write, utcnow, write_transaction
from ..extensions import db
from .models import AuthSession, User

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

_HASHER_KEY = "netzwerk.password_hasher"


def _hasher() -> PasswordHasher:
    """The application's argon2id hasher: the library's defaults (RFC 9106
    low-memory profile).  Only an app created with ``ARGON2_PARAMETERS`` in its
    config mapping hashes otherwise – the tests do, with cheap ones; no
    environment variable can set them."""
    hasher = current_app.extensions.get(_HASHER_KEY)
    if hasher is None:
        hasher = PasswordHasher(**(current_app.config.get("ARGON2_PARAMETERS") or {}))
        current_app.extensions[_HASHER_KEY] = hasher
    return hasher  # type: ignore[no-any-return]


def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so both paths take as long."""
    key = _HASHER_KEY + ".dummy"
    if key not in current_app.extensions:
        current_app.extensions[key] = _hasher().hash("netzwerk-timing-equaliser")
    return current_app.extensions[key]  # type: ignore[no-any-return]


class AccountError(ValueError):
    """A rule of accounts was broken; the message is shown to the user,
    next to ``field`` when given."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher().hash(password)


def check_password_rules(password: str) -> None:
    from flask_babel import gettext as _

    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            "password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(_("The password is too long."), "password")


def check_new_password(
    password: str,
    user: User | None = None,
    *,
    names: tuple[str | None, ...] = (),
    email: str | None = None,
) -> None:
    """The rules of a password a person chooses: its length, and not easy to
    guess (see :mod:`.passwords`), knowing the names and address of the
    account's person.  Raises AccountError with the reason."""
    from .passwords import strength_problem

    check_password_rules(password)
    if user is not None:
        person = user.person
        names = (*names, person.first_name, person.last_name)
        email = email or user.email
    problem = strength_problem(password, names=names, email=email)
    if problem:
        raise AccountError(problem, "password")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active:
        with contextlib.suppress(VerificationError):
            _hasher().verify(_dummy_hash(), password)
        return None
    try:
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        with write_transaction():
            user.password_hash = _hasher().hash(password)
    return user


def start_session(user: User) -> str:
    """Create a server-side login session and return its raw token."""
    token = secrets.token_urlsafe(32)
    lifetime: timedelta = current_app.permanent_session_lifetime
    with write_transaction():
        now = utcnow()
        db.session.add(
            AuthSession(
                user_id=user.id,
                token_hash=_token_hash(token),
                created_at=now,
                expires_at=now + lifetime,
            )
        )
        user.last_login_at = now
    user._session_token = token
    return token


# Built once: a reused statement keeps SQLAlchemy's cache key memoised.
_SESSION_USER = (
    select(AuthSession.revoked_at, AuthSession.expires_at, User)
    .join(User, AuthSession.user_id == User.id)
    .where(AuthSession.token_hash == bindparam("token_hash"))
)
# Pages show the user's name in the header: load the person with the user.
_SESSION_USER_WITH_PERSON = _SESSION_USER.options(joinedload(User.person))


def load_session_user(token: str, *, with_person: bool = True) -> User | None:
    """The user behind a live session token, or None when revoked or expired.

    One query per request; ``with_person=False`` (a form post, answered with
    a redirect) leaves the person to load when needed.  On a writing request
    it is a short read transaction of its own (see ``read_before_write``), so
    the login check never holds SQLite's write lock.
    """
    statement = _SESSION_USER_WITH_PERSON if with_person else _SESSION_USER
    with read_before_write():
        row = db.session.execute(statement, {"token_hash": _token_hash(token)}).first()
    if row is None:
        return None
    revoked_at, expires_at, user = row
    if revoked_at is not None or expires_at <= utcnow():
        return None
    if not user.active:
        return None
    user._session_token = token
    return user


# The session cookie also carries the user's id (set at login), so that a
# statement can check a login without loading the user first: see
# live_session_user().
SESSION_USER_ID_KEY = "uid"


def live_session_user() -> Any:
    """A subquery ``(id, person_id)``: the user whose live session is
    ``:token_hash`` and whose id is ``:user_id``, at ``:now`` — the checks of
    :func:`load_session_user` (not revoked, not expired, account active) for a
    statement that authenticates within itself (the ballot).  Parameters:
    :func:`live_session_params`."""
    return (
        select(User.id, User.person_id)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(
            AuthSession.token_hash == bindparam("token_hash"),
            User.id == bindparam("user_id"),
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > bindparam("now"),
            User.active,
        )
        .subquery("live_login")
    )


def claimed_login() -> tuple[str, int] | None:
    """The login this request's session cookie claims: (session token, user
    id), as the login left them, from the same client (Flask-Login's
    identifier of address and user agent).  Not checked against the
    database: a statement built on :func:`live_session_user` does that.
    None when the cookie claims none (the caller checks the login the
    ordinary way, which also handles every unusual case)."""
    token = session.get("_user_id")
    user_id = session.get(SESSION_USER_ID_KEY)
    if not isinstance(token, str) or not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    if session.get("_id") != current_app.login_manager._session_identifier_generator():  # type: ignore[attr-defined]
        return None
    return token, user_id


def live_session_params(token: str, user_id: int, now: datetime) -> dict[str, Any]:
    return {"token_hash": _token_hash(token), "user_id": user_id, "now": now}


def end_session(token: str | None) -> None:
    if not token:
        return
    with write_transaction():
        db.session.execute(
            update(AuthSession)
            .where(AuthSession.token_hash == _token_hash(token), AuthSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def revoke_all_sessions(user: User, keep_token: str | None = None) -> None:
    """Revoke every live session of the user (inside the caller's transaction)."""
    stmt = update(AuthSession).where(
        AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
    )
    if keep_token:
        stmt = stmt.where(AuthSession.token_hash != _token_hash(keep_token))
    db.session.execute(stmt.values(revoked_at=utcnow()))


def change_password(user: User, current: str, new: str) -> None:
    from flask_babel import gettext as _

    try:
        _hasher().verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise AccountError(_("The current password is not correct."), "current_password") from None
    check_new_password(new, user)
    new_hash = hash_password(new)
    with write_transaction():
        user.password_hash = new_hash
        user.password_changed_at = utcnow()
        # Every other device is logged out; this one stays.
        revoke_all_sessions(user, keep_token=user._session_token)


def set_password(user: User, new: str) -> None:
    """Set a new password (inside a reset): every session of the user ends.
    Staff never call it: they send a reset link (see :mod:`.recovery`)."""
    check_new_password(new, user)
    new_hash = hash_password(new)
    with write_transaction():
        user.password_hash = new_hash
        user.password_changed_at = utcnow()
        revoke_all_sessions(user)


def set_active(user: User, active: bool) -> None:
    with write_transaction():
        user.active = active
        if not active:
            revoke_all_sessions(user)
