"""The second factor: time-based one-time codes (TOTP, RFC 6238) and
one-time recovery codes.

Required for administrators, the Bildungsbüro and counselling staff when
``NETZWERK_REQUIRE_2FA`` is on (the default; the test app and the demo turn
it off), optional for everyone else.  The QR code of the enrolment page is
drawn here as inline SVG: the secret never leaves the server for a
third-party service.  The secret is stored encrypted (:mod:`.sealed`, bound
to its account); recovery codes are stored as hashes and work once.
A lost factor is reset only through an administrator's reset link
(:mod:`.recovery`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..audit.services import record
from ..database import utcnow, write_transaction
from ..extensions import db
from . import sealed
from .models import RecoveryCode, User

log = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
VALID_WINDOW = 1  # one step of 30 s either side: clocks of phones drift


def requirement_on() -> bool:
    """``NETZWERK_REQUIRE_2FA``; unset: on, except in demo mode."""
    configured = current_app.config.get("NETZWERK_REQUIRE_2FA")
    if configured is None:
        return not current_app.config.get("NETZWERK_DEMO")
    return bool(configured)


def required_for(user: User) -> bool:
    """Whether the account must use a second factor: administrators, the
    Bildungsbüro and counselling staff, while the requirement is on."""
    if not requirement_on():
        return False
    if user.is_admin or user.is_office:
        return True
    from .recovery import is_counselling_staff

    return is_counselling_staff(user)


def _issuer() -> str:
    return str(current_app.config.get("NETZWERK_TOTP_ISSUER") or "Netzwerk")


def _context(user: User) -> str:
    return f"user:{user.id}:totp"


def secret_of(user: User) -> str | None:
    """The account's TOTP secret, opened; None when it has none or it does
    not open (the secret key changed without keeping the old one among
    ``SECRET_KEY_FALLBACKS``: then only a recovery code or an
    administrator's reset link helps).  A secret sealed with an old key is
    sealed again with the current one."""
    stored = user.totp_secret_sealed
    if not stored:
        return None
    try:
        secret, stale = sealed.unseal(stored, _context(user))
    except sealed.SealError:
        log.error("the TOTP secret of user %s does not open with the secret key", user.id)
        return None
    if stale:
        with write_transaction():
            user.totp_secret_sealed = sealed.seal(secret, _context(user))
    return secret


def _store_secret(user: User, secret: str | None) -> None:
    """Inside the caller's transaction."""
    user.totp_secret_sealed = sealed.seal(secret, _context(user)) if secret else None


def pending_secret(user: User) -> str:
    """The secret being enrolled (a new one unless one is pending)."""
    if user.totp_secret_sealed and user.totp_enabled_at is None:
        pending = secret_of(user)
        if pending:
            return pending
    secret = pyotp.random_base32()
    with write_transaction():
        _store_secret(user, secret)
        user.totp_enabled_at = None
        user.totp_last_step = None
    return secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=_issuer())


def qr_svg(uri: str, title: str) -> str:
    """The QR code of ``uri`` as inline SVG markup (drawn locally)."""
    return str(
        segno.make(uri, error="m").svg_inline(
            scale=4, border=4, dark="#000", light="#fff", title=title, svgclass="qr-code"
        )
    )


def _matching_step(secret: str, code: str) -> int | None:
    """The time step whose code ``code`` is (within the window), or None."""
    totp = pyotp.TOTP(secret)
    now = utcnow()
    for offset in (0, -1, 1)[: 2 * VALID_WINDOW + 1]:
        moment = now + timedelta(seconds=offset * totp.interval)
        if hmac.compare_digest(totp.at(moment), code):
            return int(totp.timecode(moment))
    return None


def _clean_code(code: str) -> str:
    return "".join(ch for ch in code if not ch.isspace() and ch != "-").lower()


def _verify_totp(user: User, secret: str, code: str) -> bool:
    """A valid code of a step after the last one used (a code works once)."""
    code = _clean_code(code)
    if len(code) != 6 or not code.isdigit():
        return False
    step = _matching_step(secret, code)
    if step is None:
        return False
    with write_transaction():
        # Of two requests with one code, one wins.
        changed = db.session.execute(
            update(User)
            .where(
                User.id == user.id,
                (User.totp_last_step.is_(None)) | (User.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    set_committed_value(user, "totp_last_step", step)
    return True


def _code_hash(user_id: int, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{_clean_code(code)}".encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _replace_recovery_codes(user: User) -> list[str]:
    """Inside the caller's transaction."""
    codes = [_new_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    now = utcnow()
    for code in codes:
        db.session.add(
            RecoveryCode(user_id=user.id, code_hash=_code_hash(user.id, code), created_at=now)
        )
    return codes


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Turn the pending secret on when ``code`` is one of its codes; returns
    the new recovery codes (shown once), or None for a wrong code."""
    if user.totp_enabled_at is not None:
        return None
    secret = secret_of(user)
    if not secret:
        return None
    if not _verify_totp(user, secret, code):
        return None
    with write_transaction():
        user.totp_enabled_at = utcnow()
        codes = _replace_recovery_codes(user)
        record("user.second_factor_enrolled", "user", user.id, actor_id=user.id)
    return codes


def new_recovery_codes(user: User) -> list[str]:
    with write_transaction():
        codes = _replace_recovery_codes(user)
        record("user.recovery_codes_renewed", "user", user.id, actor_id=user.id)
    return codes


def remaining_recovery_codes(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def _use_recovery_code(user: User, code: str) -> bool:
    cleaned = _clean_code(code)
    if len(cleaned) != 10:
        return False
    with write_transaction():
        used = db.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _code_hash(user.id, cleaned),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=utcnow())
        )
        if used.rowcount != 1:  # type: ignore[attr-defined]
            return False
        record("user.recovery_code_used", "user", user.id, actor_id=user.id)
    return True


def check_second_factor(user: User, code: str) -> bool:
    """A current code of the authenticator app, or an unused recovery code."""
    if not user.has_second_factor or not code or len(code) > 40:
        return False
    secret = secret_of(user)
    if secret and _verify_totp(user, secret, code):
        return True
    return _use_recovery_code(user, code)


def remove(user: User) -> None:
    """The owner turns the (optional) second factor off."""
    with write_transaction():
        _store_secret(user, None)
        user.totp_enabled_at = None
        user.totp_last_step = None
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        record("user.second_factor_removed", "user", user.id, actor_id=user.id)
