"""Organisations: search, detail, create, edit, (de)activate, choices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..database import value_taken, write_transaction
from ..extensions import db
from ..rules import checked_text
from .common import (
    PER_PAGE,
    GovernanceError,
    Page,
    _audit,
    _blank_to_none,
    _get_or_error,
    _like,
    _page_number,
    _unique_violation,
)
from .models import Body, Membership, Organisation, OrganisationKind, Person


@dataclass
class OrganisationRow:
    organisation: Organisation
    person_count: int


def list_organisations(
    *, q: str = "", kind: str | None = None, page: int | None = 1, per_page: int = PER_PAGE
) -> Page[OrganisationRow]:
    """Organisations filtered by kind and name, with person counts (two queries)."""
    conditions: list[ColumnElement[bool]] = []
    if kind and kind in {k.value for k in OrganisationKind}:
        conditions.append(Organisation.kind == kind)
    if q:
        pattern = _like(q)
        conditions.append(
            or_(
                Organisation.name.ilike(pattern, escape="\\"),
                Organisation.short_name.ilike(pattern, escape="\\"),
            )
        )
    total = db.session.scalar(select(func.count(Organisation.id)).where(*conditions)) or 0
    number = _page_number(page, total, per_page)
    person_count = (
        select(func.count(Person.id))
        .where(Person.organisation_id == Organisation.id)
        .correlate(Organisation)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Organisation, person_count)
        .where(*conditions)
        .order_by(Organisation.name, Organisation.id)
        .limit(per_page)
        .offset((number - 1) * per_page)
    ).all()
    return Page([OrganisationRow(o, c) for o, c in rows], total, number, per_page)


@dataclass
class OrganisationDetail:
    organisation: Organisation
    persons: list[Person]
    memberships: list[Membership]


def organisation_detail(organisation_id: int) -> OrganisationDetail | None:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        return None
    persons = db.session.scalars(
        select(Person)
        .options(selectinload(Person.user))
        .where(Person.organisation_id == organisation_id)
        .order_by(Person.last_name, Person.first_name, Person.id)
    ).all()
    memberships = db.session.scalars(
        select(Membership)
        .join(Body, Membership.body_id == Body.id)
        .join(Person, Membership.person_id == Person.id)
        .options(joinedload(Membership.body), joinedload(Membership.person))
        .where(Membership.organisation_id == organisation_id)
        .order_by(Body.name, Person.last_name, Person.first_name, Membership.start_date)
    ).all()
    return OrganisationDetail(organisation, list(persons), list(memberships))


ORGANISATION_FIELDS = {
    "name": 200,
    "short_name": 40,
    "address": 300,
    "website": 300,
    "email": 254,
    "phone": 50,
    "description": 10000,
}


def _organisation_values(data: dict[str, Any]) -> dict[str, Any]:
    from flask_babel import gettext as _

    values: dict[str, Any] = {}
    for name, max_length in ORGANISATION_FIELDS.items():
        value = _blank_to_none(data.get(name))
        checked_text(value, name, max_length, error=GovernanceError, required=name == "name")
        values[name] = value
    kind = data.get("kind")
    if kind not in {k.value for k in OrganisationKind}:
        raise GovernanceError(_("Please choose a kind."), "kind")
    values["kind"] = kind
    return values


def _organisation_name_taken(name: str, exclude_id: int | None = None) -> bool:
    return value_taken(Organisation.name, name, exclude_id)


def create_organisation(data: dict[str, Any], *, actor_id: int | None = None) -> Organisation:
    from flask_babel import gettext as _

    values = _organisation_values(data)
    try:
        with write_transaction():
            if _organisation_name_taken(values["name"]):
                raise GovernanceError(_("An organisation with this name exists."), "name")
            organisation = Organisation(**values)
            db.session.add(organisation)
            db.session.flush()
            _audit("organisation.create", "organisation", organisation.id, actor_id)
    except IntegrityError as exc:
        raise _unique_violation(exc, [("name", "name")]) from exc
    return organisation


def update_organisation(
    organisation_id: int, data: dict[str, Any], *, actor_id: int | None = None
) -> Organisation:
    from flask_babel import gettext as _

    values = _organisation_values(data)
    try:
        with write_transaction():
            organisation = _get_or_error(Organisation, organisation_id)
            if _organisation_name_taken(values["name"], exclude_id=organisation.id):
                raise GovernanceError(_("An organisation with this name exists."), "name")
            for key, value in values.items():
                setattr(organisation, key, value)
            db.session.flush()
            _audit("organisation.update", "organisation", organisation.id, actor_id)
    except IntegrityError as exc:
        raise _unique_violation(exc, [("name", "name")]) from exc
    return organisation


def set_organisation_active(
    organisation_id: int, active: bool, *, actor_id: int | None = None
) -> Organisation:
    with write_transaction():
        organisation = _get_or_error(Organisation, organisation_id)
        organisation.active = active
        _audit(
            "organisation.activate" if active else "organisation.deactivate",
            "organisation",
            organisation.id,
            actor_id,
        )
    return organisation


def organisation_choices(include_id: int | None = None) -> list[tuple[int, str]]:
    """Active organisations (plus the one already chosen) for select fields."""
    stmt = select(Organisation.id, Organisation.name).order_by(Organisation.name)
    if include_id is not None:
        stmt = stmt.where(or_(Organisation.active, Organisation.id == include_id))
    else:
        stmt = stmt.where(Organisation.active)
    return [(row.id, row.name) for row in db.session.execute(stmt)]
