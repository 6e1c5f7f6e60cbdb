"""The member's notification page: one list, mark one or all as read."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from ..forms import page_number
from . import services

bp = Blueprint("notifications", __name__)


@bp.route("/benachrichtigungen", methods=["GET", "POST"])
@login_required
def index() -> str | Response:
    """The list (GET); POST marks all of them as read."""
    form = FlaskForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        services.mark_read(current_user.person_id, "all")
        flash(_("All notifications are marked as read."), "success")
        return redirect(url_for("notifications.index"))
    page = request.args.get("seite", 1, type=page_number)
    return render_template(
        "notifications/index.html",
        result=services.list_for(current_user.person_id, page),
        form=form,
    )


@bp.route("/benachrichtigungen/<int:notification_id>/gelesen", methods=["POST"])
@login_required
def mark_read(notification_id: int) -> Response:
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        services.mark_read(current_user.person_id, [notification_id])
    except services.NotificationNotFound:
        abort(404)
    page = request.form.get("seite", 1, type=page_number)
    return redirect(url_for("notifications.index", seite=page if page > 1 else None))


@bp.route("/konto/benachrichtigungen", methods=["GET", "POST"])
@login_required
def preferences() -> str | Response:
    """The person's mail preferences: at once or a daily digest, and topics."""
    from .forms import PreferenceForm
    from .preferences import TOPICS, PreferenceError, preference_of, save_preference

    form = PreferenceForm()
    if request.method == "GET":
        current = preference_of(current_user.person_id)
        form.delivery.data = current.delivery
        form.topics.data = [topic for topic in TOPICS if topic not in current.muted]
    elif form.validate_on_submit():
        try:
            save_preference(current_user.person_id, form.delivery.data, form.topics.data or [])
        except PreferenceError as exc:
            getattr(form, exc.field or "delivery").errors = [str(exc)]
        else:
            flash(_("Your mail preferences are saved."), "success")
            return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", form=form)
