"""Queries and rules of the governance model."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..auth.models import User
from ..database import write_transaction
from ..extensions import db
from ..timeutil import local_today
from .models import Body, Membership, MembershipRole, Person

ROLE_ORDER = [r.value for r in MembershipRole]


def current_filter(on: date | None = None):  # type: ignore[no-untyped-def]
    """SQL condition: the membership runs on the given day (default: today)."""
    on = on or local_today()
    return and_(
        Membership.start_date <= on,
        or_(Membership.end_date.is_(None), Membership.end_date >= on),
    )


def current_memberships_of(person_id: int, on: date | None = None) -> Sequence[Membership]:
    """The person's current memberships, each with its body loaded."""
    return db.session.scalars(
        select(Membership)
        .join(Body, Membership.body_id == Body.id)
        .options(joinedload(Membership.body))
        .where(Membership.person_id == person_id, Body.active, current_filter(on))
        .order_by(Body.name)
    ).all()


def current_members(body_id: int, on: date | None = None) -> list[Membership]:
    """The body's current members, chair first, each with person and organisation."""
    rows = (
        db.session.scalars(
            select(Membership)
            .join(Person, Membership.person_id == Person.id)
            .options(
                joinedload(Membership.person),
                joinedload(Membership.organisation),
                joinedload(Membership.deputy_of).joinedload(Membership.person),
            )
            .where(Membership.body_id == body_id, current_filter(on))
            .order_by(Person.last_name, Person.first_name)
        )
        .unique()
        .all()
    )
    return sorted(rows, key=lambda m: ROLE_ORDER.index(m.role))


def voting_members(body_id: int, on: date | None = None) -> list[Membership]:
    return [m for m in current_members(body_id, on) if m.voting_right and m.deputy_of_id is None]


def body_roles_of(person_id: int, body_id: int, on: date | None = None) -> set[str]:
    """The roles the person currently holds in the body (for access rules)."""
    return set(
        db.session.scalars(
            select(Membership.role).where(
                Membership.person_id == person_id,
                Membership.body_id == body_id,
                current_filter(on),
            )
        ).all()
    )


def list_bodies(include_inactive: bool = False) -> Sequence[Body]:
    stmt = select(Body).options(selectinload(Body.children)).order_by(Body.kind, Body.name)
    if not include_inactive:
        stmt = stmt.where(Body.active)
    return db.session.scalars(stmt).all()


class GovernanceError(ValueError):
    """A governance rule was broken; ``field`` names the form field, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


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
    from flask_babel import gettext as _

    from ..auth.services import hash_password, normalise_email

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
