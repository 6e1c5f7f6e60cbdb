"""The governance pages: bodies, a body's members, "Meine Gremien", the
administration's index; the administration's areas live in their own view
modules on the same blueprint (imported here, so that ``bp`` carries every
route when netzwerk.blueprints registers it)."""

from __future__ import annotations

from flask import abort, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..admin import ADMIN_SECTIONS
from ..auth.access import staff_required
from ..extensions import db
from . import (
    action_field_views,
    body_views,
    login_views,
    member_lists,
    organisation_views,
    person_views,
)
from .blueprint import _page_arg, bp
from .bodies import list_bodies
from .member_lists import member_page
from .models import Body

# The administration's areas: importing them puts their routes on ``bp``.
ADMIN_AREAS = (organisation_views, person_views, login_views, body_views, action_field_views)


@bp.route("/gremien/")
@login_required
def bodies() -> str:
    return render_template("governance/bodies.html", bodies=list_bodies())


@bp.route("/gremien/<int:body_id>")
@login_required
def body(body_id: int) -> str:
    body = db.session.get(Body, body_id)
    if body is None or (not body.active and not current_user.is_staff):
        abort(404)
    page = member_page(body.id, _page_arg())
    return render_template("governance/body.html", body=body, members=page.items, page=page)


@bp.route("/meine-gremien")
@login_required
def my_bodies() -> str:
    # Three queries however many bodies: memberships, member lines, counts.
    return render_template(
        "governance/my_bodies.html", entries=member_lists.my_bodies(current_user.person_id)
    )


@bp.route("/verwaltung/")
@staff_required
def admin_index() -> str:
    return render_template("governance/admin_index.html", admin_sections=ADMIN_SECTIONS)


# The administration sections of this package (registered by governance.init_app).
ADMIN_PAGES = [
    ("governance.admin_bodies", _l("Bodies and memberships")),
    ("governance.admin_persons", _l("Persons and logins")),
    ("governance.admin_organisations", _l("Organisations")),
    ("governance.admin_action_fields", _l("Action fields")),
]
