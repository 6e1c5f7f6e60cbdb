from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select, text

from ..auth.access import public
from ..extensions import db
from ..governance import services as governance

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def index() -> str:
    memberships = governance.current_memberships_of(current_user.person_id)
    return render_template("main/index.html", memberships=memberships)


@bp.route("/health")
@public
def health() -> tuple[dict[str, str], int]:
    db.session.execute(select(text("1")))
    return {"status": "ok"}, 200
