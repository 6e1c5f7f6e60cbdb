from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ..auth.access import staff_required
from ..extensions import db
from ..forms import page_number
from . import services
from .models import OutboxMail

bp = Blueprint("mail", __name__, url_prefix="/verwaltung/postausgang")
# The administration sections of this package (registered by its init_app).
ADMIN_PAGES = [
    ("mail.outbox", _l("Outbox")),
]

PER_PAGE = 50


@bp.route("/")
@staff_required
def outbox() -> str:
    status = request.args.get("status", "")
    page = max(request.args.get("page", 1, type=page_number) or 1, 1)
    stmt = select(OutboxMail)
    count_stmt = select(func.count(OutboxMail.id))
    if status in ("queued", "sent", "failed"):
        stmt = stmt.where(OutboxMail.status == status)
        count_stmt = count_stmt.where(OutboxMail.status == status)
    total = db.session.scalar(count_stmt) or 0
    mails = db.session.scalars(
        stmt.order_by(OutboxMail.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "mail/outbox.html",
        mails=mails,
        status=status,
        page=page,
        has_next=page * PER_PAGE < total,
        total=total,
    )


@bp.route("/<int:mail_id>")
@staff_required
def detail(mail_id: int) -> str:
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None:
        abort(404)
    return render_template("mail/detail.html", mail=mail, form=FlaskForm())


@bp.route("/<int:mail_id>/erneut", methods=["POST"])
@staff_required
def retry(mail_id: int) -> Response:
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None:
        abort(404)
    if FlaskForm().validate_on_submit() and mail.status != "sent":
        services.retry(mail)
        flash(_("The mail will be sent again."), "success")
    return redirect(url_for("mail.detail", mail_id=mail_id))
