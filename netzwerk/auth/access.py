"""Access checks used by every blueprint."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

F = TypeVar("F", bound=Callable[..., Any])


def staff_required(view: F) -> F:
    """Administrators and Bildungsbüro staff only (403 for everyone else)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    # Marks administration views (the URL-rule tests find them by it).
    wrapped.netzwerk_staff_only = True  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


def admin_required(view: F) -> F:
    """Administrators only (403 for everyone else, Bildungsbüro included)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    wrapped.netzwerk_staff_only = True  # type: ignore[attr-defined]
    wrapped.netzwerk_admin_only = True  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


def public(view: F) -> F:
    """Marks a view as readable without login (the URL-rule tests rely on it)."""
    view.netzwerk_public = True  # type: ignore[attr-defined]
    return view
