"""Action fields: list, choices, create, edit, (de)activate; slugs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from ..database import value_taken, write_transaction
from ..extensions import db
from ..rules import checked_text
from .common import GovernanceError, _audit, _blank_to_none, _get_or_error, _unique_violation
from .models import ActionField

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
