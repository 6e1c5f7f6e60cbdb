"""Bodies: the list, the administration (create, edit, (de)activate, the
parent tree without cycles) and a body's memberships past and present."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..database import value_taken, write_transaction
from ..extensions import db
from ..rules import checked_text
from ..timeutil import local_today
from .common import GovernanceError, _audit, _blank_to_none, _get_or_error, _unique_violation
from .memberships import ROLE_ORDER, current_filter
from .models import ActionField, Body, BodyKind, MajorityRule, Membership, Person, QuorumRule


def list_bodies(include_inactive: bool = False) -> Sequence[Body]:
    stmt = select(Body).options(selectinload(Body.children)).order_by(Body.kind, Body.name)
    if not include_inactive:
        stmt = stmt.where(Body.active)
    return db.session.scalars(stmt).all()


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
