"""Persons: search, detail, create, edit, (de)activate (which ends their
current memberships and blocks their login), choices.  Login accounts are
netzwerk.auth.logins."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from ..auth.models import User
from ..database import write_transaction
from ..extensions import db
from ..rules import checked_text
from ..timeutil import local_today
from .common import (
    PER_PAGE,
    GovernanceError,
    Page,
    _audit,
    _blank_to_none,
    _get_or_error,
    _like,
    _page_number,
)
from .memberships import _end_deputies, _lock_person
from .models import Body, Membership, Organisation, Person

PERSON_STATUSES = ("active", "inactive", "all")


def list_persons(
    *, q: str = "", status: str = "active", page: int | None = 1, per_page: int = PER_PAGE
) -> Page[Person]:
    """Persons with organisation and login loaded (two queries)."""
    conditions: list[ColumnElement[bool]] = []
    if status == "active":
        conditions.append(Person.active.is_(True))
    elif status == "inactive":
        conditions.append(Person.active.is_(False))
    if q:
        pattern = _like(q)
        conditions.append(
            or_(
                Person.first_name.ilike(pattern, escape="\\"),
                Person.last_name.ilike(pattern, escape="\\"),
                Person.email.ilike(pattern, escape="\\"),
                Person.function.ilike(pattern, escape="\\"),
                (Person.first_name + " " + Person.last_name).ilike(pattern, escape="\\"),
                Organisation.name.ilike(pattern, escape="\\"),
            )
        )
    base = select(Person).outerjoin(Organisation, Person.organisation_id == Organisation.id)
    total = (
        db.session.scalar(select(func.count()).select_from(base.where(*conditions).subquery())) or 0
    )
    number = _page_number(page, total, per_page)
    items = (
        db.session.scalars(
            base.options(
                contains_eager(Person.organisation),
                joinedload(Person.user),
            )
            .where(*conditions)
            .order_by(Person.last_name, Person.first_name, Person.id)
            .limit(per_page)
            .offset((number - 1) * per_page)
        )
        .unique()
        .all()
    )
    return Page(list(items), total, number, per_page)


@dataclass
class PersonDetail:
    person: Person
    memberships: list[Membership]


def person_detail(person_id: int) -> PersonDetail | None:
    person = db.session.scalar(
        select(Person)
        .options(joinedload(Person.organisation), joinedload(Person.user))
        .where(Person.id == person_id)
    )
    if person is None:
        return None
    memberships = db.session.scalars(
        select(Membership)
        .join(Body, Membership.body_id == Body.id)
        .options(joinedload(Membership.body), joinedload(Membership.organisation))
        .where(Membership.person_id == person_id)
        .order_by(Body.name, Membership.start_date)
    ).all()
    return PersonDetail(person, list(memberships))


PERSON_FIELDS = {
    "title": 40,
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "phone": 50,
    "function": 200,
}


def _person_values(data: dict[str, Any], current_org_id: int | None = None) -> dict[str, Any]:
    from flask_babel import gettext as _

    values: dict[str, Any] = {}
    for name, max_length in PERSON_FIELDS.items():
        value = _blank_to_none(data.get(name))
        checked_text(
            value,
            name,
            max_length,
            error=GovernanceError,
            required=name in ("first_name", "last_name"),
        )
        values[name] = value
    if values["email"]:
        values["email"] = values["email"].lower()
    org_id = data.get("organisation_id")
    if org_id is not None:
        organisation = db.session.get(Organisation, org_id) if isinstance(org_id, int) else None
        if organisation is None or (not organisation.active and org_id != current_org_id):
            raise GovernanceError(_("Please choose an active organisation."), "organisation_id")
    values["organisation_id"] = org_id
    return values


def create_person(data: dict[str, Any], *, actor_id: int | None = None) -> Person:
    with write_transaction():
        values = _person_values(data)
        person = Person(**values)
        db.session.add(person)
        db.session.flush()
        _audit("person.create", "person", person.id, actor_id)
    return person


def update_person(person_id: int, data: dict[str, Any], *, actor_id: int | None = None) -> Person:
    with write_transaction():
        person = _get_or_error(Person, person_id)
        values = _person_values(data, current_org_id=person.organisation_id)
        for key, value in values.items():
            setattr(person, key, value)
        db.session.flush()
        _audit("person.update", "person", person.id, actor_id)
    return person


@dataclass(frozen=True)
class PersonActivation:
    """A person (de)activated, with what deactivating changed: memberships
    ended today (their deputies' too) and memberships that start later,
    which stay as they are (they cannot end before they begin)."""

    person: Person
    memberships_ended: list[Membership]
    deputies_ended: list[Membership]
    starting_later: list[Membership]


def set_person_active(person_id: int, active: bool, *, actor: User) -> PersonActivation:
    """(De)activate a person.  Deactivating also ends their login sessions
    and, today, their current memberships (and those of their deputies),
    each recorded in the audit trail; reactivating revives none."""
    from flask_babel import gettext as _

    from ..auth.logins import _check_may_manage_login
    from ..auth.services import revoke_all_sessions

    ended: list[Membership] = []
    deputies: list[Membership] = []
    later: list[Membership] = []
    with write_transaction():
        _get_or_error(Person, person_id)
        person = _lock_person(person_id)  # membership changes of the person wait
        user = person.user
        if not active and user is not None:
            _check_may_manage_login(actor, user)
            if user.id == actor.id:
                raise GovernanceError(_("You cannot deactivate yourself."))
            user.active = False
            revoke_all_sessions(user)
        if not active and person.active:
            ended, deputies, later = _end_memberships_of(person, local_today(), actor.id)
        person.active = active
        _audit("person.activate" if active else "person.deactivate", "person", person.id, actor.id)
    return PersonActivation(person, ended, deputies, later)


def _end_memberships_of(
    person: Person, day: date, actor_id: int
) -> tuple[list[Membership], list[Membership], list[Membership]]:
    """End the person's memberships running on ``day`` on that day (as
    "end membership" does, the day included); returns them, the deputies'
    memberships ended with them and the memberships starting later."""
    memberships = db.session.scalars(
        select(Membership)
        .where(Membership.person_id == person.id)
        .order_by(Membership.start_date, Membership.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    ended: list[Membership] = []
    deputies: list[Membership] = []
    for membership in memberships:
        if membership.start_date > day or (
            membership.end_date is not None and membership.end_date <= day
        ):
            continue
        membership.end_date = day
        _audit(
            "membership.end",
            "membership",
            membership.id,
            actor_id,
            end_date=day.isoformat(),
            person_deactivated=True,
        )
        ended.append(membership)
        deputies.extend(_end_deputies(membership, day, actor_id))
    later = [m for m in memberships if m.start_date > day]
    return ended, deputies, later


def person_choices(include_ids: Iterable[int] = ()) -> list[tuple[int, str]]:
    """Active persons (plus those already chosen) as (id, "Last, First – Org")."""
    ids = list(include_ids)
    stmt = (
        select(Person.id, Person.first_name, Person.last_name, Organisation.name)
        .outerjoin(Organisation, Person.organisation_id == Organisation.id)
        .order_by(Person.last_name, Person.first_name, Person.id)
    )
    stmt = stmt.where(or_(Person.active, Person.id.in_(ids)) if ids else Person.active)
    out = []
    for pid, first, last, org in db.session.execute(stmt):
        label = f"{last}, {first}" + (f" – {org}" if org else "")
        out.append((pid, label))
    return out
