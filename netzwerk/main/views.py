from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select, text

from ..auth.access import public
from ..extensions import db
from ..governance.memberships import current_memberships_of
from ..meetings import access
from ..notifications import services as notifications_service
from ..voting import services as voting

bp = Blueprint("main", __name__)

DASHBOARD_MEETINGS = 5
DASHBOARD_NOTIFICATIONS = 5


@bp.route("/")
@login_required
def index() -> str:
    """The member's start page: what needs them now, then what comes next."""
    person_id = current_user.person_id
    notifications = notifications_service.unread_for(person_id, DASHBOARD_NOTIFICATIONS)
    return render_template(
        "main/index.html",
        memberships=current_memberships_of(person_id),
        open_polls=[e for e in voting.open_polls_for(person_id) if e.pending_seats],
        upcoming=access.upcoming_meetings(current_user, DASHBOARD_MEETINGS),
        notifications=notifications,
    )


@bp.route("/health")
@public
def health() -> tuple[dict[str, str], int]:
    db.session.execute(select(text("1")))
    return {"status": "ok"}, 200
