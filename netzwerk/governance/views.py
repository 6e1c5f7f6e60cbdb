from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from ..auth.access import staff_required
from ..extensions import db
from . import services
from .models import Body

bp = Blueprint("governance", __name__)

# (endpoint, label) of each administration section; packages add theirs.
ADMIN_SECTIONS: list[tuple[str, object]] = []


def register_admin_section(endpoint: str, label: object) -> None:
    if (endpoint, label) not in ADMIN_SECTIONS:
        ADMIN_SECTIONS.append((endpoint, label))


@bp.route("/gremien/")
@login_required
def bodies() -> str:
    return render_template("governance/bodies.html", bodies=services.list_bodies())


@bp.route("/gremien/<int:body_id>")
@login_required
def body(body_id: int) -> str:
    body = db.session.get(Body, body_id)
    if body is None or (not body.active and not current_user.is_staff):
        abort(404)
    members = services.current_members(body.id)
    return render_template("governance/body.html", body=body, members=members)


@bp.route("/meine-gremien")
@login_required
def my_bodies() -> str:
    memberships = services.current_memberships_of(current_user.person_id)
    members_by_body = {m.body_id: services.current_members(m.body_id) for m in memberships}
    return render_template(
        "governance/my_bodies.html", memberships=memberships, members_by_body=members_by_body
    )


@bp.route("/verwaltung/")
@staff_required
def admin_index() -> str:
    return render_template("governance/admin_index.html", admin_sections=ADMIN_SECTIONS)
