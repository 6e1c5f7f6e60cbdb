"""What the governance services share: their error, one page of a list,
the audit record and small helpers of the administration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..rules import RuleError


class GovernanceError(RuleError):
    """A governance rule was broken."""


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


ModelT = TypeVar("ModelT")


def _get_or_error(model: type[ModelT], object_id: int | None) -> ModelT:
    from flask_babel import gettext as _

    obj = db.session.get(model, object_id) if object_id is not None else None
    if obj is None:
        raise GovernanceError(_("This entry does not exist (any more)."))
    return obj
