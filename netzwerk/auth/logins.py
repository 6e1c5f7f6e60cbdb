"""Login accounts administered by staff: a person with a login (the CLI),
a login for an existing person, its global roles, (de)activation.

The dependency points one way: this module uses governance (its models,
GovernanceError and audit helpers); governance's login views call it, and
no governance service imports it at module level (set_person_active asks
it, lazily, whether the actor may manage the person's login)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..database import write_transaction
from ..extensions import db
from ..governance.common import GovernanceError, _audit, _get_or_error, _unique_violation
from ..governance.models import Person
from ..rules import checked_text
from .models import User
from .services import AccountError, hash_password, normalise_email, set_active


def create_person_with_login(
    *,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    is_admin: bool = False,
    is_office: bool = False,
    organisation_id: int | None = None,
    function: str | None = None,
    title: str | None = None,
) -> User:
    """Create a person and their login account in one transaction."""
    address = normalise_email(email)
    password_hash = hash_password(password)
    with write_transaction():
        if db.session.scalar(select(User.id).where(User.email == address)) is not None:
            raise GovernanceError(_("An account with this e-mail address exists."), "email")
        person = Person(
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            email=address,
            organisation_id=organisation_id,
            function=function,
            title=title,
        )
        db.session.add(person)
        db.session.flush()
        user = User(
            person_id=person.id,
            email=address,
            password_hash=password_hash,
            is_admin=is_admin,
            is_office=is_office,
        )
        db.session.add(user)
    return user


def _check_may_manage_login(actor: User, user: User) -> None:
    """Staff manage logins; only administrators touch an administrator's login."""
    if not actor.is_staff:
        raise GovernanceError(_("Only administrators and the Bildungsbüro manage logins."))
    if user.is_admin and not actor.is_admin:
        raise GovernanceError(_("Only administrators may change the login of an administrator."))


def create_login(
    person_id: int,
    *,
    email: str,
    password: str,
    is_admin: bool = False,
    is_office: bool = False,
    actor: User,
) -> User:
    """Give an existing person a login account."""
    if not actor.is_staff:
        raise GovernanceError(_("Only administrators and the Bildungsbüro manage logins."))
    if is_admin and not actor.is_admin:
        raise GovernanceError(
            _("Only administrators may grant the administrator role."), "is_admin"
        )
    address = normalise_email(email)
    checked_text(address, "email", 254, error=GovernanceError, required=True)
    try:
        password_hash = hash_password(password)
    except AccountError as exc:
        raise GovernanceError(str(exc), "password") from exc
    try:
        with write_transaction():
            person = _get_or_error(Person, person_id)
            if not person.active:
                raise GovernanceError(_("Reactivate the person before giving them a login."))
            if person.user is not None:
                raise GovernanceError(_("This person has a login already."))
            if db.session.scalar(select(User.id).where(User.email == address)) is not None:
                raise GovernanceError(_("An account with this e-mail address exists."), "email")
            user = User(
                person_id=person.id,
                email=address,
                password_hash=password_hash,
                is_admin=is_admin,
                is_office=is_office,
                active=True,
            )
            db.session.add(user)
            if not person.email:
                person.email = address
            db.session.flush()
            _audit("user.create", "user", user.id, actor.id, is_admin=is_admin, is_office=is_office)
    except IntegrityError as exc:
        raise _unique_violation(exc, [("email", "email"), ("person_id", "email")]) from exc
    return user


def set_login_roles(user_id: int, *, is_admin: bool, is_office: bool, actor: User) -> User:
    """Set the global roles of a login; only administrators grant or revoke admin."""
    with write_transaction():
        user = _get_or_error(User, user_id)
        _check_may_manage_login(actor, user)
        if user.id == actor.id and (is_admin, is_office) != (user.is_admin, user.is_office):
            raise GovernanceError(
                _("You cannot change your own roles; ask another administrator."), "is_admin"
            )
        if is_admin != user.is_admin and not actor.is_admin:
            raise GovernanceError(
                _("Only administrators may grant or revoke the administrator role."), "is_admin"
            )
        before = {"is_admin": user.is_admin, "is_office": user.is_office}
        user.is_admin = is_admin
        user.is_office = is_office
        _audit(
            "user.roles",
            "user",
            user.id,
            actor.id,
            before=before,
            after={"is_admin": is_admin, "is_office": is_office},
        )
    return user


def set_login_active(user_id: int, active: bool, *, actor: User) -> User:
    """(De)activate a login; deactivation ends every session of the user."""
    user = _get_or_error(User, user_id)
    _check_may_manage_login(actor, user)
    if not active and user.id == actor.id:
        raise GovernanceError(_("You cannot deactivate your own login."))
    if active and not user.person.active:
        raise GovernanceError(_("Reactivate the person before their login."))
    set_active(user, active)
    with write_transaction():
        _audit("user.activate" if active else "user.deactivate", "user", user.id, actor.id)
    return user
