from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, utcnow
from ..extensions import Model

if TYPE_CHECKING:
    from ..governance.models import Person


class User(Model):
    """A login account.  Every account belongs to a person of the network."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="RESTRICT"), unique=True
    )
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_office: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Second factor (TOTP, RFC 6238): the base32 secret, encrypted with a key
    # derived from the secret key (see .sealed and twofactor.secret_of), set
    # when enrolment starts; the factor counts only from ``totp_enabled_at``
    # on.  The time step of the last accepted code refuses a code used twice.
    totp_secret_sealed: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    person: Mapped[Person] = relationship(back_populates="user")
    sessions: Mapped[list[AuthSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    # Set by the user loader: the raw token of the login session in use.
    _session_token = cast("str | None", None)

    # --- Flask-Login protocol -------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self._session_token

    # --- convenience ----------------------------------------------------
    @property
    def display_name(self) -> str:
        return self.person.full_name

    @property
    def has_second_factor(self) -> bool:
        return self.totp_enabled_at is not None and bool(self.totp_secret_sealed)

    @property
    def is_staff(self) -> bool:
        """Administrator or Bildungsbüro: may run the administration."""
        return self.is_admin or self.is_office

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class AuthSession(Model):
    """A server-side login session.

    The cookie carries a random token; only its SHA-256 is stored.  Revoking
    the row (logout, password change, deactivation) makes a copied cookie
    useless.
    """

    __tablename__ = "auth_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="sessions")


class PasswordResetToken(Model):
    """A link that sets a new password: valid once, for a short time.

    Only the SHA-256 of the token is stored.  ``created_by_id`` is the staff
    member who sent it (None: the owner asked for it on the login page);
    ``resets_second_factor`` also removes the second factor when used (only
    an administrator sends such a link).
    """

    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    resets_second_factor: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class RecoveryCode(Model):
    """A one-time code that replaces the second factor once (hash only)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
