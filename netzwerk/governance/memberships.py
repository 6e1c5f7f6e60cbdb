"""Memberships: who sits in which body when, in which role, for whom as
deputy; the current-membership queries the other packages use
(current_filter, current_members, voting_members, body_roles_of) and the
rules for seating, changing and ending a membership."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..database import write_transaction
from ..extensions import db
from ..rules import checked_text
from ..timeutil import local_today
from .common import GovernanceError, _audit, _blank_to_none, _get_or_error
from .models import Body, Membership, MembershipRole, Organisation, Person

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
