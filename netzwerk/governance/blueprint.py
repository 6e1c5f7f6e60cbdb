"""The governance blueprint and what its view modules share.

The administration (staff only: organisations, persons and their logins,
bodies and memberships, action fields) is one view module per area; its
views parse the form, call one service and map its errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..auth.models import User
from ..extensions import db
from ..forms import answer_failed_posts_with_422, page_number
from .common import GovernanceError
from .forms import ConfirmForm, int_or_none
from .models import Membership

ModelT = TypeVar("ModelT")

bp = Blueprint("governance", __name__)
answer_failed_posts_with_422(bp)


@bp.app_template_global()
def member_table_labels() -> dict[str, str]:
    """The words of a member table, translated once per page
    (templates/governance/_members_table.html)."""
    return {
        "name": _("Name"),
        "role": _("Role"),
        "voting_right": _("Voting right"),
        "on_behalf_of": _("On behalf of"),
        "yes": _("yes"),
        "no": _("no"),
        "no_members": _("No current members."),
    }


def _actor() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _values(form: FlaskForm, id_fields: tuple[str, ...] = ()) -> dict[str, Any]:
    """The form's data for a service; select fields of ids become int or None."""
    out: dict[str, Any] = {}
    for name, f in form._fields.items():
        if f.type in ("CSRFTokenField", "SubmitField"):
            continue
        out[name] = int_or_none(f.data) if name in id_fields else f.data
    return out


def _page_arg() -> int:
    page = request.args.get("page", 1, type=page_number)
    return page if page is not None else 1


def _get_or_404(model: type[ModelT], object_id: int) -> ModelT:
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def _flash_error(exc: GovernanceError) -> None:
    flash(str(exc), "error")


def _toggle(
    setter: Callable[..., object], object_id: int, active: bool, message: str, target: str
) -> Response:
    """Run a deactivate/reactivate button's service call."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        setter(object_id, active, actor_id=current_user.id)
    except GovernanceError as exc:
        _flash_error(exc)
    else:
        flash(message, "success")
    return redirect(target)


def _flash_deputies_ended(deputies_ended: list[Membership]) -> None:
    if deputies_ended:
        flash(
            ngettext(
                "The membership of %(num)d deputy has been ended as well.",
                "The memberships of %(num)d deputies have been ended as well.",
                len(deputies_ended),
            ),
            "success",
        )
