"""Queries and rules of the governance model."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, bindparam, case, func, or_, select, text, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from ..auth.models import User
from ..database import value_taken, write_transaction
from ..extensions import db
from ..rules import RuleError, checked_text
from ..timeutil import local_today
from .models import (
    ActionField,
    Body,
    BodyKind,
    MajorityRule,
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Person,
    QuorumRule,
)

ROLE_ORDER = [r.value for r in MembershipRole]


def current_filter(on: Any = None):  # type: ignore[no-untyped-def]
    """SQL condition: the membership runs on the given day (default: today;
    a bind parameter for a statement built once)."""
    if on is None:
        on = local_today()
    return and_(
        Membership.start_date <= on,
        or_(Membership.end_date.is_(None), Membership.end_date >= on),
    )


# Built once: a reused statement keeps SQLAlchemy's cache key memoised.
_CURRENT_MEMBERSHIPS_OF = (
    select(Membership)
    .join(Body, Membership.body_id == Body.id)
    .options(joinedload(Membership.body))
    .where(Membership.person_id == bindparam("person_id"), Body.active)
    .where(current_filter(bindparam("today")))
    .order_by(Body.name)
)


def current_memberships_of(person_id: int, on: date | None = None) -> Sequence[Membership]:
    """The person's current memberships, each with its body loaded."""
    return db.session.scalars(
        _CURRENT_MEMBERSHIPS_OF, {"person_id": person_id, "today": on or local_today()}
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


class GovernanceError(RuleError):
    """A governance rule was broken."""


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


# ---------------------------------------------------------------------------
# Shared helpers of the administration
# ---------------------------------------------------------------------------

T = TypeVar("T")
PER_PAGE = 25


@dataclass
class Page(Generic[T]):
    """One page of a list, with what the pagination links need."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _page_number(page: int | None, total: int, per_page: int) -> int:
    pages = max(1, -(-total // per_page))
    return min(max(1, page or 1), pages)


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _unique_violation(exc: IntegrityError, columns: list[tuple[str, str]]) -> GovernanceError:
    """Turn a unique-constraint race into a form error on the right field."""
    from flask_babel import gettext as _

    text = str(exc.orig)
    for column, field in columns:
        if column in text:
            return GovernanceError(_("This value is already in use."), field)
    return GovernanceError(_("The change conflicts with another one; please try again."))


def _audit(
    action: str, object_type: str, object_id: int | None, actor_id: int | None, **data: Any
) -> None:
    from ..audit.services import record

    record(action, object_type, object_id, actor_id=actor_id, data=data or None)


# ---------------------------------------------------------------------------
# Organisations
# ---------------------------------------------------------------------------


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


ModelT = TypeVar("ModelT")


def _get_or_error(model: type[ModelT], object_id: int | None) -> ModelT:
    from flask_babel import gettext as _

    obj = db.session.get(model, object_id) if object_id is not None else None
    if obj is None:
        raise GovernanceError(_("This entry does not exist (any more)."))
    return obj


# ---------------------------------------------------------------------------
# Persons and their logins
# ---------------------------------------------------------------------------

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


def _check_may_manage_login(actor: User, user: User) -> None:
    """Staff manage logins; only administrators touch an administrator's login."""
    from flask_babel import gettext as _

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
    from flask_babel import gettext as _

    from ..auth.services import AccountError, hash_password, normalise_email

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
    from flask_babel import gettext as _

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
    from flask_babel import gettext as _

    from ..auth.services import set_active

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


# ---------------------------------------------------------------------------
# Action fields
# ---------------------------------------------------------------------------

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def slugify(text: str, max_length: int = 80) -> str:
    text = text.lower().translate(_TRANSLITERATION)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return slug[:max_length].rstrip("-")


def list_action_fields(include_inactive: bool = True) -> Sequence[ActionField]:
    stmt = select(ActionField).order_by(ActionField.position, ActionField.name)
    if not include_inactive:
        stmt = stmt.where(ActionField.active)
    return db.session.scalars(stmt).all()


def action_field_choices(include_id: int | None = None) -> list[tuple[int, str]]:
    stmt = select(ActionField.id, ActionField.name).order_by(ActionField.position, ActionField.name)
    if include_id is not None:
        stmt = stmt.where(or_(ActionField.active, ActionField.id == include_id))
    else:
        stmt = stmt.where(ActionField.active)
    return [(row.id, row.name) for row in db.session.execute(stmt)]


def _action_field_values(data: dict[str, Any]) -> dict[str, Any]:
    from flask_babel import gettext as _

    name = _blank_to_none(data.get("name"))
    checked_text(name, "name", 200, error=GovernanceError, required=True)
    assert name is not None
    slug = _blank_to_none(data.get("slug")) or slugify(name)
    if not slug:
        raise GovernanceError(
            _("Please enter a short address; none can be made from this name."), "slug"
        )
    if len(slug) > 80 or not SLUG_RE.match(slug):
        raise GovernanceError(_("Lower-case letters a–z, digits and single hyphens only."), "slug")
    description = _blank_to_none(data.get("description"))
    checked_text(description, "description", 10000, error=GovernanceError)
    position = data.get("position")
    if not isinstance(position, int) or not 0 <= position <= 10000:
        raise GovernanceError(_("Between 0 and 10000, please."), "position")
    return {"name": name, "slug": slug, "description": description, "position": position}


def _check_action_field_unique(values: dict[str, Any], exclude_id: int | None = None) -> None:
    from flask_babel import gettext as _

    for column, field, message in (
        (ActionField.name, "name", _("An action field with this name exists.")),
        (ActionField.slug, "slug", _("This short address is in use.")),
    ):
        if value_taken(column, values[field], exclude_id):
            raise GovernanceError(message, field)


def create_action_field(data: dict[str, Any], *, actor_id: int | None = None) -> ActionField:
    values = _action_field_values(data)
    try:
        with write_transaction():
            _check_action_field_unique(values)
            field = ActionField(**values)
            db.session.add(field)
            db.session.flush()
            _audit("action_field.create", "action_field", field.id, actor_id)
    except IntegrityError as exc:
        raise _unique_violation(exc, [("slug", "slug"), ("name", "name")]) from exc
    return field


def update_action_field(
    action_field_id: int, data: dict[str, Any], *, actor_id: int | None = None
) -> ActionField:
    values = _action_field_values(data)
    try:
        with write_transaction():
            field = _get_or_error(ActionField, action_field_id)
            _check_action_field_unique(values, exclude_id=field.id)
            for key, value in values.items():
                setattr(field, key, value)
            db.session.flush()
            _audit("action_field.update", "action_field", field.id, actor_id)
    except IntegrityError as exc:
        raise _unique_violation(exc, [("slug", "slug"), ("name", "name")]) from exc
    return field


def set_action_field_active(
    action_field_id: int, active: bool, *, actor_id: int | None = None
) -> ActionField:
    with write_transaction():
        field = _get_or_error(ActionField, action_field_id)
        field.active = active
        _audit(
            "action_field.activate" if active else "action_field.deactivate",
            "action_field",
            field.id,
            actor_id,
        )
    return field


# ---------------------------------------------------------------------------
# Bodies
# ---------------------------------------------------------------------------


@dataclass
class BodyRow:
    body: Body
    member_count: int


def list_bodies_admin() -> list[BodyRow]:
    """Every body (also deactivated) with parent, action field and member count."""
    today = local_today()
    count = (
        select(func.count(Membership.id))
        .where(Membership.body_id == Body.id, current_filter(today))
        .correlate(Body)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Body, count)
        .options(joinedload(Body.parent), joinedload(Body.action_field))
        .order_by(Body.active.desc(), Body.kind, Body.name)
    ).all()
    return [BodyRow(b, c) for b, c in rows]


def body_choices(
    exclude_id: int | None = None, include_id: int | None = None
) -> list[tuple[int, str]]:
    """Active bodies for the parent select; never the body itself or its descendants."""
    rows = db.session.execute(
        select(Body.id, Body.name, Body.parent_id, Body.active).order_by(Body.name)
    ).all()
    excluded: set[int] = set()
    if exclude_id is not None:
        children: dict[int | None, list[int]] = {}
        for row in rows:
            children.setdefault(row.parent_id, []).append(row.id)
        stack = [exclude_id]
        while stack:
            current = stack.pop()
            if current in excluded:
                continue
            excluded.add(current)
            stack.extend(children.get(current, []))
    return [
        (row.id, row.name)
        for row in rows
        if row.id not in excluded and (row.active or row.id == include_id)
    ]


def _check_no_cycle(body_id: int | None, parent_id: int | None) -> None:
    """Walk up from the new parent; reaching the body itself would close a cycle."""
    from flask_babel import gettext as _

    if parent_id is None:
        return
    if body_id is not None and parent_id == body_id:
        raise GovernanceError(_("A body cannot be part of itself."), "parent_id")
    parents = dict(db.session.execute(select(Body.id, Body.parent_id)).tuples().all())
    if parent_id not in parents:
        raise GovernanceError(_("Please choose an existing body."), "parent_id")
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None:
        if current == body_id:
            raise GovernanceError(
                _("This body is above the chosen one already; that would make a cycle."),
                "parent_id",
            )
        if current in seen:  # a cycle in stored data: refuse to add to it
            raise GovernanceError(_("The chosen parent body is part of a cycle."), "parent_id")
        seen.add(current)
        current = parents.get(current)


def _body_values(data: dict[str, Any], body: Body | None = None) -> dict[str, Any]:
    from flask_babel import gettext as _

    values: dict[str, Any] = {}
    name = _blank_to_none(data.get("name"))
    checked_text(name, "name", 200, error=GovernanceError, required=True)
    short_name = _blank_to_none(data.get("short_name"))
    checked_text(short_name, "short_name", 20, error=GovernanceError, required=True)
    description = _blank_to_none(data.get("description"))
    checked_text(description, "description", 10000, error=GovernanceError)
    values.update(name=name, short_name=short_name, description=description)
    for field, enum, message in (
        ("kind", BodyKind, _("Please choose a kind.")),
        ("quorum_rule", QuorumRule, _("Please choose a quorum rule.")),
        ("majority_rule", MajorityRule, _("Please choose a majority rule.")),
    ):
        value = data.get(field)
        if value not in {m.value for m in enum}:
            raise GovernanceError(message, field)
        values[field] = value
    notice_days = data.get("notice_days")
    if not isinstance(notice_days, int) or not 0 <= notice_days <= 365:
        raise GovernanceError(_("Between 0 and 365 days, please."), "notice_days")
    values["notice_days"] = notice_days
    values["public"] = bool(data.get("public"))
    parent_id = data.get("parent_id")
    if parent_id is not None:
        parent = db.session.get(Body, parent_id) if isinstance(parent_id, int) else None
        if parent is None:
            raise GovernanceError(_("Please choose an existing body."), "parent_id")
        if not parent.active and (body is None or body.parent_id != parent_id):
            raise GovernanceError(_("The chosen body is deactivated."), "parent_id")
    _check_no_cycle(body.id if body is not None else None, parent_id)
    values["parent_id"] = parent_id
    action_field_id = data.get("action_field_id")
    if action_field_id is not None:
        action_field = (
            db.session.get(ActionField, action_field_id)
            if isinstance(action_field_id, int)
            else None
        )
        if action_field is None or (
            not action_field.active and (body is None or body.action_field_id != action_field_id)
        ):
            raise GovernanceError(_("Please choose an active action field."), "action_field_id")
    values["action_field_id"] = action_field_id
    return values


def _check_body_unique(values: dict[str, Any], exclude_id: int | None = None) -> None:
    from flask_babel import gettext as _

    for column, field, message in (
        (Body.name, "name", _("A body with this name exists.")),
        (Body.short_name, "short_name", _("This short name is in use by another body.")),
    ):
        if value_taken(column, values[field], exclude_id):
            raise GovernanceError(message, field)


def create_body(data: dict[str, Any], *, actor_id: int | None = None) -> Body:
    try:
        with write_transaction():
            values = _body_values(data)
            _check_body_unique(values)
            body = Body(**values)
            db.session.add(body)
            db.session.flush()
            _audit("body.create", "body", body.id, actor_id)
    except IntegrityError as exc:
        raise _unique_violation(exc, [("short_name", "short_name"), ("name", "name")]) from exc
    return body


def update_body(body_id: int, data: dict[str, Any], *, actor_id: int | None = None) -> Body:
    try:
        with write_transaction():
            body = _get_or_error(Body, body_id)
            if db.session.get_bind().dialect.name == "postgresql":
                # Serialise structure changes so that two edits cannot close a cycle.
                db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": BODY_TREE_LOCK})
            values = _body_values(data, body)
            _check_body_unique(values, exclude_id=body.id)
            for key, value in values.items():
                setattr(body, key, value)
            db.session.flush()
            _audit("body.update", "body", body.id, actor_id)
    except IntegrityError as exc:
        raise _unique_violation(exc, [("short_name", "short_name"), ("name", "name")]) from exc
    return body


BODY_TREE_LOCK = 0x424F4459  # "BODY"


def set_body_active(body_id: int, active: bool, *, actor_id: int | None = None) -> Body:
    with write_transaction():
        body = _get_or_error(Body, body_id)
        body.active = active
        _audit("body.activate" if active else "body.deactivate", "body", body.id, actor_id)
    return body


def body_memberships(body_id: int) -> list[Membership]:
    """Every membership of the body (current and past), current first."""
    today = local_today()
    rows = (
        db.session.scalars(
            select(Membership)
            .join(Person, Membership.person_id == Person.id)
            .options(
                joinedload(Membership.person),
                joinedload(Membership.organisation),
                joinedload(Membership.deputy_of).joinedload(Membership.person),
            )
            .where(Membership.body_id == body_id)
            .order_by(Person.last_name, Person.first_name, Membership.start_date)
        )
        .unique()
        .all()
    )
    return sorted(rows, key=lambda m: (not m.is_current(today), ROLE_ORDER.index(m.role)))


# ---------------------------------------------------------------------------
# Memberships
# ---------------------------------------------------------------------------


def deputy_choices(body_id: int, include_id: int | None = None) -> list[tuple[int, str]]:
    """Current members of the body who are not deputies themselves."""
    out = []
    for m in current_members(body_id):
        if m.deputy_of_id is None or m.id == include_id:
            out.append((m.id, f"{m.person.full_name} ({m.role_label})"))
    return out


def _membership_values(
    data: dict[str, Any], body_id: int, person_id: int, membership: Membership | None = None
) -> dict[str, Any]:
    from flask_babel import gettext as _

    role = data.get("role")
    if role not in {r.value for r in MembershipRole}:
        raise GovernanceError(_("Please choose a role."), "role")
    voting_right = bool(data.get("voting_right"))
    if voting_right and not MembershipRole(role).may_vote:
        raise GovernanceError(
            _("Only the chair, the vice chair and members can have a voting right."),
            "voting_right",
        )
    start = data.get("start_date")
    end = data.get("end_date")
    if not isinstance(start, date):
        raise GovernanceError(_("Please enter a date."), "start_date")
    if end is not None and end < start:
        raise GovernanceError(_("The end date must not be before the start date."), "end_date")
    note = _blank_to_none(data.get("note"))
    checked_text(note, "note", 300, error=GovernanceError)

    organisation_id = data.get("organisation_id")
    if organisation_id is not None:
        organisation = (
            db.session.get(Organisation, organisation_id)
            if isinstance(organisation_id, int)
            else None
        )
        keeps = membership is not None and membership.organisation_id == organisation_id
        if organisation is None or (not organisation.active and not keeps):
            raise GovernanceError(_("Please choose an active organisation."), "organisation_id")

    deputy_of_id = data.get("deputy_of_id")
    if deputy_of_id is not None:
        keeps = membership is not None and membership.deputy_of_id == deputy_of_id
        # Locked: ending that seat (which ends its deputies) waits for this one, or this
        # one sees it ended.
        other = (
            db.session.get(Membership, deputy_of_id, with_for_update=True, populate_existing=True)
            if isinstance(deputy_of_id, int)
            else None
        )
        if other is None or other.body_id != body_id:
            raise GovernanceError(
                _("The deputy must stand in for a member of the same body."), "deputy_of_id"
            )
        if membership is not None and other.id == membership.id:
            raise GovernanceError(_("A membership cannot be its own deputy."), "deputy_of_id")
        if other.person_id == person_id:
            raise GovernanceError(_("A person cannot be their own deputy."), "deputy_of_id")
        if not keeps and (other.deputy_of_id is not None or not other.is_current()):
            raise GovernanceError(
                _("Please choose a current member who is not a deputy themselves."),
                "deputy_of_id",
            )
        if other.end_date is not None and (end is None or end > other.end_date):
            # A deputy's seat ends with the seat they stand in for.
            raise GovernanceError(
                _(
                    "The membership of the person this deputy stands in for ends on %(date)s; "
                    "please enter that day or an earlier one.",
                    date=other.end_date.strftime("%d.%m.%Y"),
                ),
                "end_date",
            )

    return {
        "role": role,
        "voting_right": voting_right,
        "organisation_id": organisation_id,
        "deputy_of_id": deputy_of_id,
        "start_date": start,
        "end_date": end,
        "note": note,
    }


def _check_no_overlap(
    person_id: int, body_id: int, start: date, end: date | None, exclude_id: int | None = None
) -> None:
    """A person holds at most one membership in a body at any day."""
    from flask_babel import gettext as _

    conditions = [
        Membership.person_id == person_id,
        Membership.body_id == body_id,
        or_(Membership.end_date.is_(None), Membership.end_date >= start),
    ]
    if end is not None:
        conditions.append(Membership.start_date <= end)
    if exclude_id is not None:
        conditions.append(Membership.id != exclude_id)
    if db.session.scalar(select(Membership.id).where(*conditions).limit(1)) is not None:
        raise GovernanceError(
            _("This person already has a membership in this body during this time."),
            "start_date",
        )


def _lock_person(person_id: int) -> Person:
    """Load the person FOR UPDATE, so that membership checks of one person run one at a time."""
    from flask_babel import gettext as _

    person = db.session.scalar(select(Person).where(Person.id == person_id).with_for_update())
    if person is None:
        raise GovernanceError(_("Please choose a person."), "person_id")
    return person


def add_membership(
    body_id: int, data: dict[str, Any], *, actor_id: int | None = None
) -> Membership:
    """Seat a person in a body (see _membership_values for the rules)."""
    from flask_babel import gettext as _

    person_id = data.get("person_id")
    if not isinstance(person_id, int):
        raise GovernanceError(_("Please choose a person."), "person_id")
    try:
        with write_transaction():
            body = _get_or_error(Body, body_id)
            person = _lock_person(person_id)
            if not person.active:
                raise GovernanceError(_("This person is deactivated."), "person_id")
            values = _membership_values(data, body.id, person.id)
            _check_no_overlap(person.id, body.id, values["start_date"], values["end_date"])
            membership = Membership(body_id=body.id, person_id=person.id, **values)
            db.session.add(membership)
            db.session.flush()
            _audit("membership.create", "membership", membership.id, actor_id, body_id=body.id)
    except IntegrityError as exc:
        raise GovernanceError(
            _("This person already has a membership in this body during this time."),
            "start_date",
        ) from exc
    return membership


@dataclass
class MembershipChange:
    """A saved or ended membership and the deputies' memberships ended with it."""

    membership: Membership
    deputies_ended: list[Membership]


def update_membership(
    membership_id: int, data: dict[str, Any], *, actor_id: int | None = None
) -> MembershipChange:
    """Save a membership; an end date ends its deputies' memberships too (see
    _end_deputies)."""
    from flask_babel import gettext as _

    try:
        with write_transaction():
            membership = _get_or_error(Membership, membership_id)
            _lock_person(membership.person_id)
            values = _membership_values(data, membership.body_id, membership.person_id, membership)
            _check_no_overlap(
                membership.person_id,
                membership.body_id,
                values["start_date"],
                values["end_date"],
                exclude_id=membership.id,
            )
            _check_deputies_fit(membership, values)
            for key, value in values.items():
                setattr(membership, key, value)
            db.session.flush()
            _audit("membership.update", "membership", membership.id, actor_id)
            deputies = (
                _end_deputies(membership, values["end_date"], actor_id)
                if values["end_date"] is not None
                else []
            )
    except IntegrityError as exc:
        raise GovernanceError(
            _("This person already has a membership in this body during this time."),
            "start_date",
        ) from exc
    return MembershipChange(membership, deputies)


def _check_deputies_fit(membership: Membership, values: dict[str, Any]) -> None:
    """Someone with deputies of their own cannot become a deputy."""
    from flask_babel import gettext as _

    if values["deputy_of_id"] is None or values["deputy_of_id"] == membership.deputy_of_id:
        return
    has_deputies = db.session.scalar(
        select(Membership.id).where(Membership.deputy_of_id == membership.id).limit(1)
    )
    if has_deputies is not None:
        raise GovernanceError(_("This member has deputies and cannot be a deputy."), "deputy_of_id")


def _lock_membership(membership_id: int) -> Membership:
    """The membership, reloaded FOR UPDATE (PostgreSQL; SQLite's BEGIN IMMEDIATE
    serialises anyway): a deputy being seated for it waits for the change.
    Locks go from a seat to its deputies' seats, never the other way round."""
    from flask_babel import gettext as _

    membership = db.session.get(
        Membership, membership_id, with_for_update=True, populate_existing=True
    )
    if membership is None:
        raise GovernanceError(_("This entry does not exist (any more)."))
    return membership


def _end_deputies(membership: Membership, end_date: date, actor_id: int | None) -> list[Membership]:
    """End the memberships of the deputies of ``membership`` on ``end_date``,
    each recorded in the audit trail.  A deputy already ending on or before
    that day is left alone; moving the end date later never revives anyone."""
    from flask_babel import gettext as _

    deputies = db.session.scalars(
        select(Membership)
        .where(
            Membership.deputy_of_id == membership.id,
            or_(Membership.end_date.is_(None), Membership.end_date > end_date),
        )
        .order_by(Membership.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for deputy in deputies:
        if deputy.start_date > end_date:
            raise GovernanceError(
                _(
                    "The membership of the deputy %(name)s starts after this day; "
                    "please change that membership first.",
                    name=deputy.person.full_name,
                ),
                "end_date",
            )
        deputy.end_date = end_date
    db.session.flush()
    for deputy in deputies:
        _audit(
            "membership.end",
            "membership",
            deputy.id,
            actor_id,
            end_date=end_date.isoformat(),
            deputy_of_id=membership.id,
        )
    return list(deputies)


def end_membership(
    membership_id: int, end_date: date, *, actor_id: int | None = None
) -> MembershipChange:
    """End a membership on the given day (kept for the record, never deleted);
    its deputies' memberships end with it."""
    from flask_babel import gettext as _

    if not isinstance(end_date, date):
        raise GovernanceError(_("Please enter a date."), "end_date")
    with write_transaction():
        membership = _get_or_error(Membership, membership_id)
        _lock_person(membership.person_id)
        membership = _lock_membership(membership.id)
        if end_date < membership.start_date:
            raise GovernanceError(_("The end date must not be before the start date."), "end_date")
        if membership.end_date is not None and membership.end_date < end_date:
            raise GovernanceError(
                _("The membership ended already; edit it to change its term."), "end_date"
            )
        membership.end_date = end_date
        _audit(
            "membership.end", "membership", membership.id, actor_id, end_date=end_date.isoformat()
        )
        deputies = _end_deputies(membership, end_date, actor_id)
    return MembershipChange(membership, deputies)


# ---------------------------------------------------------------------------
# "Meine Gremien"
# ---------------------------------------------------------------------------


def current_members_of_bodies(
    body_ids: Iterable[int], on: date | None = None
) -> dict[int, list[Membership]]:
    """Current members of many bodies in one query, grouped by body, chair first."""
    ids = list(set(body_ids))
    grouped: dict[int, list[Membership]] = {body_id: [] for body_id in ids}
    if not ids:
        return grouped
    rows = (
        db.session.scalars(
            select(Membership)
            .join(Person, Membership.person_id == Person.id)
            .options(
                contains_eager(Membership.person),
                joinedload(Membership.organisation),
                joinedload(Membership.deputy_of).joinedload(Membership.person),
            )
            .where(Membership.body_id.in_(ids), current_filter(on))
            .order_by(Person.last_name, Person.first_name, Person.id)
        )
        .unique()
        .all()
    )
    for m in rows:
        grouped[m.body_id].append(m)
    for members in grouped.values():
        members.sort(key=lambda m: ROLE_ORDER.index(m.role))
    return grouped


@dataclass(frozen=True, slots=True)
class MemberRow:
    """One line of a members table: plain strings, nothing left to load.

    Member lists run to hundreds of lines (a city's conference); loading each
    as a Membership with person, organisation and deputy objects and
    translating its role per line cost most of the page.
    """

    body_id: int
    name: str
    role: str
    role_label: str
    voting_right: bool
    organisation: str | None
    deputy_of: str | None


def _full_name(title: str | None, first_name: str | None, last_name: str) -> str:
    """As Person.full_name, without a generator per line."""
    name = f"{first_name} {last_name}" if first_name else last_name
    return f"{title} {name}" if title else name


_ROLE_RANK = case({role: rank for rank, role in enumerate(ROLE_ORDER)}, value=Membership.role)
# "No limit" for a LIMIT parameter.
_ALL_ROWS = 2**62


def _current_in(body_id: Any) -> Any:
    today: Any = bindparam("today")
    return and_(
        Membership.body_id == body_id,
        Membership.start_date <= today,
        or_(Membership.end_date.is_(None), Membership.end_date >= today),
    )


_DISPLAY_ORDER = (_ROLE_RANK, Person.last_name, Person.first_name, Person.id)


def _with_line_columns(membership_source: Any) -> Any:
    """The table columns of a member line, selected from Membership (or a
    join that contains it) with person, organisation and deputy joined."""
    deputy = aliased(Membership)
    deputy_person = aliased(Person)
    return (
        select(
            Membership.body_id,
            Membership.role,
            Membership.voting_right,
            Person.title,
            Person.first_name,
            Person.last_name,
            Organisation.name,
            deputy_person.title,
            deputy_person.first_name,
            deputy_person.last_name,
        )
        .select_from(membership_source)
        .join(Person, Membership.person_id == Person.id)
        .outerjoin(Organisation, Membership.organisation_id == Organisation.id)
        .outerjoin(deputy, Membership.deputy_of_id == deputy.id)
        .outerjoin(deputy_person, deputy.person_id == deputy_person.id)
    )


def _member_page_statement() -> Any:
    """One body's lines offset+1..offset+limit: LIMIT/OFFSET on the joined
    lines, so the database keeps only that window (a top-N sort)."""
    return (
        _with_line_columns(Membership)
        .where(_current_in(bindparam("body_id")))
        .order_by(*_DISPLAY_ORDER)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _member_window(body_id: Any) -> Any:
    """A body's first ``:limit`` current memberships in display order: ids
    and sort keys only, so that names, organisations and deputies are joined
    for those lines alone, not for every line of a large body."""
    return (
        select(
            Membership.id.label("membership_id"),
            _ROLE_RANK.label("role_rank"),
            Person.last_name.label("last_name"),
            Person.first_name.label("first_name"),
            Person.id.label("person_id"),
        )
        .join(Person, Membership.person_id == Person.id)
        .where(_current_in(body_id))
        .order_by(*_DISPLAY_ORDER)
        .limit(bindparam("limit"))
    )


# Built once: a reused statement keeps SQLAlchemy's cache key memoised.
_MEMBER_PAGE = _member_page_statement()
_MEMBER_COUNTS = (
    select(Membership.body_id, func.count())
    .where(
        Membership.body_id.in_(bindparam("body_ids", expanding=True)),
        Membership.start_date <= bindparam("today"),
        or_(Membership.end_date.is_(None), Membership.end_date >= bindparam("today")),
    )
    .group_by(Membership.body_id)
)


# SQLite allows 500 terms in a compound SELECT; statements stay small.
_BODIES_PER_STATEMENT = 50


@functools.lru_cache(maxsize=_BODIES_PER_STATEMENT)
def _first_members_of(bodies: int) -> Any:
    """The first ``:limit`` members of each of ``bodies`` bodies (parameters
    body_0, body_1, ...): one statement, a top-N window per body.  Built
    once per number of bodies."""
    parts = [select(_member_window(bindparam(f"body_{i}")).subquery()) for i in range(bodies)]
    window = (parts[0] if bodies == 1 else union_all(*parts)).subquery("window")
    return _with_line_columns(
        window.join(Membership, Membership.id == window.c.membership_id)
    ).order_by(
        Membership.body_id,
        window.c.role_rank,
        window.c.last_name,
        window.c.first_name,
        window.c.person_id,
    )


MEMBERS_PER_PAGE = 100
# "Meine Gremien" is an overview of all of a member's bodies: per body the
# chair and the first members, the full list one click away on the body page.
MY_BODIES_MEMBERS = 12


def member_rows(
    body_ids: Iterable[int], on: date | None = None, *, limit: int | None = None
) -> dict[int, list[MemberRow]]:
    """Current members of the bodies as table rows, chair first, then by
    name: one column-only query per up to 50 bodies.  With ``limit``, at
    most that many rows per body."""
    ids = sorted(set(body_ids))
    grouped: dict[int, list[MemberRow]] = {body_id: [] for body_id in ids}
    today = on or local_today()
    for start in range(0, len(ids), _BODIES_PER_STATEMENT):
        chunk = ids[start : start + _BODIES_PER_STATEMENT]
        params: dict[str, Any] = {f"body_{i}": body_id for i, body_id in enumerate(chunk)}
        params.update(today=today, limit=_ALL_ROWS if limit is None else limit)
        rows = db.session.connection().execute(_first_members_of(len(chunk)), params).all()
        _collect(rows, grouped)
    return grouped


def member_page(body_id: int, page: int | None = None, on: date | None = None) -> Page[MemberRow]:
    """One page of the body's current members (chair first, then by name)."""
    today = on or local_today()
    total = member_counts([body_id], today)[body_id]
    number = _page_number(page, total, MEMBERS_PER_PAGE)
    params = {
        "body_id": body_id,
        "today": today,
        "limit": MEMBERS_PER_PAGE,
        "offset": (number - 1) * MEMBERS_PER_PAGE,
    }
    grouped: dict[int, list[MemberRow]] = {body_id: []}
    _collect(db.session.connection().execute(_MEMBER_PAGE, params).all(), grouped)
    return Page(grouped[body_id], total, number, MEMBERS_PER_PAGE)


def member_counts(body_ids: Iterable[int], on: date | None = None) -> dict[int, int]:
    """How many current members each body has (one query)."""
    ids = sorted(set(body_ids))
    counts = dict.fromkeys(ids, 0)
    if ids:
        today = on or local_today()
        rows = db.session.connection().execute(_MEMBER_COUNTS, {"body_ids": ids, "today": today})
        counts.update({body_id: int(n) for body_id, n in rows})
    return counts


def _collect(rows: Iterable[Any], grouped: dict[int, list[MemberRow]]) -> None:
    """Member lines (Core rows fetched at once, no ORM work) as MemberRows."""
    # Translated once per role and request, not once per line.
    labels = {role.value: role.label for role in MembershipRole}
    for body_id, role, voting, title, first, last, org, d_title, d_first, d_last, *_ in rows:
        grouped[body_id].append(
            MemberRow(
                body_id,
                _full_name(title, first, last),
                role,
                labels[role],
                bool(voting),
                org,
                _full_name(d_title, d_first, d_last) if d_last is not None else None,
            )
        )


@dataclass
class MyBody:
    membership: Membership
    members: list[MemberRow]
    total: int  # all current members; ``members`` shows the first few

    @property
    def body(self) -> Body:
        return self.membership.body


def my_bodies(person_id: int, on: date | None = None) -> list[MyBody]:
    """The person's active bodies with the first current members of each
    (chair first; the body page lists them all): three queries in all
    (memberships, member lines, member counts)."""
    seen: set[int] = set()
    mine: list[Membership] = []
    for m in current_memberships_of(person_id, on):
        if m.body_id not in seen:
            seen.add(m.body_id)
            mine.append(m)
    members = member_rows(seen, on, limit=MY_BODIES_MEMBERS)
    totals = member_counts(seen, on)
    return [MyBody(m, members[m.body_id], totals[m.body_id]) for m in mine]
