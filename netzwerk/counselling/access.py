"""Who may do what in counselling.

Counselling staff is data (table counselling_staff), not a role in code:
only accounts listed there see cases.  Offers and figures are open to
counselling staff and to the Bildungsbüro/administrators.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g
from flask_login import current_user, login_required

from . import services

F = TypeVar("F", bound=Callable[..., Any])


def current_is_counselling_staff() -> bool:
    if not current_user.is_authenticated:
        return False
    cached = g.get("_counselling_staff")
    if cached is None:
        cached = services.is_counselling_staff(current_user.id)
        g._counselling_staff = cached
    return bool(cached)


def counselling_staff_required(view: F) -> F:
    """Cases: counselling staff only (403 for everyone else, admins included)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_is_counselling_staff():
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def offers_staff_required(view: F) -> F:
    """Offers and figures: counselling staff or Bildungsbüro/administrators."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not (current_user.is_staff or current_is_counselling_staff()):
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
