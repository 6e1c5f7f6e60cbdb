"""Open interfaces: the OParl 1.1 endpoint, calendar feeds, CSV exports and
the pages that list them ("Offene Daten", "Kalender-Abo").

Every OParl view is read-only and public; its JSON answers carry
``Access-Control-Allow-Origin: *`` and errors come as OParl error objects.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from ..auth.access import public
from ..csvutil import BOM
from ..papers import files as meeting_files
from . import calendar as feeds
from . import exports, oparl
from . import providers as file_providers
from .forms import FeedTokenForm

bp = Blueprint("api", __name__)

OPARL_PREFIX = "/oparl/"
ID = "int(max=2147483647)"
LIST_KINDS = ", ".join(
    f"'{k}'"
    for k in (
        "organization",
        "person",
        "meeting",
        "paper",
        "legislative-term",
        "agenda-item",
        "consultation",
        "file",
        "location",
        "membership",
    )
)
OBJECT_KINDS = ", ".join(
    f"'{k}'"
    for k in (
        "person",
        "membership",
        "meeting",
        "agenda-item",
        "paper",
        "consultation",
        "location",
        "legislative-term",
    )
)


# --- OParl plumbing -------------------------------------------------------------------


def _json(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return current_app.response_class(body, status=status, mimetype="application/json")


def _error(status: int, message: str) -> Response:
    return _json({"type": "Error", "message": message, "debug": f"HTTP {status}"}, status)


def _not_found() -> Response:
    return _error(404, _("This object does not exist or is not public."))


@bp.errorhandler(oparl.OParlError)
def _oparl_error(exc: oparl.OParlError) -> Response:
    return _error(exc.status, exc.message)


@bp.after_app_request
def _oparl_headers(response: Response) -> Response:
    """CORS on every OParl answer; an error from anywhere becomes an OParl error object."""
    if not request.path.startswith(OPARL_PREFIX):
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    if response.status_code >= 400 and response.mimetype != "application/json":
        message = {
            404: _("This object does not exist or is not public."),
            405: _("Only GET requests are supported."),
        }.get(response.status_code, _("The request could not be answered."))
        error = _error(response.status_code, message)
        response.set_data(error.get_data())
        response.mimetype = "application/json"
        response.headers.pop("Content-Disposition", None)
    return response


def _list(endpoint: str, values: dict[str, Any], build: Callable[..., Any]) -> Response:
    p = oparl.parse_list_params(request.args)
    page = build(p)
    if page is None:
        return _not_found()
    pages = oparl.total_pages(page.total, p.per_page)

    def link(n: int) -> str:
        return oparl.u(endpoint, **values, **p.link_args(n))

    links = {"first": link(1), "self": link(p.page), "last": link(pages)}
    if p.page > 1:
        links["prev"] = link(min(p.page - 1, pages))
    if p.page < pages:
        links["next"] = link(p.page + 1)
    return _json(
        {
            "data": page.data,
            "pagination": {
                "totalElements": page.total,
                "elementsPerPage": p.per_page,
                "currentPage": p.page,
                "totalPages": pages,
            },
            "links": links,
        }
    )


def _object(data: dict[str, Any] | None) -> Response:
    return _json(data) if data is not None else _not_found()


# --- OParl routes -----------------------------------------------------------------------


@bp.route("/oparl/v1/")
@public
def oparl_system() -> Response:
    return _json(oparl.system_json())


@bp.route("/oparl/v1/body")
@public
def oparl_bodies() -> Response:
    return _list("api.oparl_bodies", {}, oparl.bodies_page)


@bp.route(f"/oparl/v1/body/<{ID}:body_id>")
@public
def oparl_body(body_id: int) -> Response:
    return _object(oparl.network_json() if body_id == oparl.NETWORK_ID else None)


@bp.route(f"/oparl/v1/body/<{ID}:body_id>/<any({LIST_KINDS}):kind>")
@public
def oparl_body_list(body_id: int, kind: str) -> Response:
    if body_id != oparl.NETWORK_ID:
        return _not_found()
    return _list(
        "api.oparl_body_list",
        {"body_id": body_id, "kind": kind},
        lambda p: oparl.list_page(kind, p),
    )


@bp.route(f"/oparl/v1/organization/<any(gremium, institution):kind>/<{ID}:object_id>")
@public
def oparl_organization(kind: str, object_id: int) -> Response:
    return _object(oparl.get_organization(kind, object_id))


@bp.route(f"/oparl/v1/organization/gremium/<{ID}:body_id>/meeting")
@public
def oparl_organization_meetings(body_id: int) -> Response:
    return _list(
        "api.oparl_organization_meetings",
        {"body_id": body_id},
        lambda p: oparl.organization_meetings_page(body_id, p),
    )


@bp.route(f"/oparl/v1/<any({OBJECT_KINDS}):kind>/<{ID}:object_id>")
@public
def oparl_object(kind: str, object_id: int) -> Response:
    return _object(oparl.get_object(kind, object_id))


@bp.route(f"/oparl/v1/file/<kind>/<{ID}:file_id>")
@public
def oparl_file(kind: str, file_id: int) -> Response:
    return _object(oparl.get_file(kind, file_id))


def _send_file(kind: str, file_id: int, as_attachment: bool) -> Response:
    source: Path | io.BytesIO
    if kind == oparl.ATTACHMENT:
        att = oparl.public_attachment(file_id)
        if att is None:
            return _not_found()
        try:  # streamed from the storage (a folder, or the object store)
            response = meeting_files.send_attachment(att, as_attachment=as_attachment)
        except NotFound:
            return _not_found()
    else:
        found = oparl.provider_file(kind, file_id)
        provider = file_providers.file_provider(kind)
        stored = provider.content(file_id) if found is not None and provider is not None else None
        if found is None or stored is None:
            return _not_found()
        if isinstance(stored, bytes):
            source = io.BytesIO(stored)
        elif stored.exists():
            source = stored
        else:
            return _not_found()
        mimetype, name = found.mime_type, found.file_name
        response = send_file(
            source, mimetype=mimetype, as_attachment=as_attachment, download_name=name, max_age=0
        )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route(f"/oparl/v1/file/<kind>/<{ID}:file_id>/content")
@public
def oparl_file_content(kind: str, file_id: int) -> Response:
    return _send_file(kind, file_id, as_attachment=False)


@bp.route(f"/oparl/v1/file/<kind>/<{ID}:file_id>/download")
@public
def oparl_file_download(kind: str, file_id: int) -> Response:
    return _send_file(kind, file_id, as_attachment=True)


@bp.route("/oparl/v1/<path:rest>")
@public
def oparl_not_found(rest: str) -> Response:
    return _not_found()


# --- calendar feeds ----------------------------------------------------------------------


def _ics(body: bytes, filename: str, *, private: bool) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    return response


@bp.route(f"/kalender/gremium/<{ID}:body_id>.ics")
@public
def body_feed(body_id: int) -> Response:
    body = feeds.public_body(body_id)
    if body is None:
        abort(404)
    return _ics(feeds.body_feed(body), f"gremium-{body.id}.ics", private=False)


@bp.route(f"/kalender/sitzung/<{ID}:meeting_id>.ics")
@public
def meeting_feed(meeting_id: int) -> Response:
    body = feeds.public_meeting_feed(meeting_id)
    if body is None:
        abort(404)
    return _ics(body, f"sitzung-{meeting_id}.ics", private=False)


@bp.route("/kalender/privat/<token>.ics")
@public
def private_feed(token: str) -> Response:
    user = feeds.user_for_token(token)
    if user is None:
        abort(404)
    name = _("My meetings – %(network)s", network=oparl.network_name())
    return _ics(feeds.user_feed(user, name), "meine-sitzungen.ics", private=True)


@bp.route("/kalender/abo", methods=["GET", "POST"])
@login_required
def calendar_subscription() -> Any:
    form = FeedTokenForm()
    new_url = None
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if request.form.get("action") == "revoke":
            feeds.revoke_feed_token(current_user)
        else:
            token = feeds.issue_feed_token(current_user)
            new_url = oparl.u("api.private_feed", token=token)
    response = current_app.make_response(
        (
            render_template(
                "api/calendar.html",
                form=form,
                info=feeds.feed_token_info(current_user),
                new_url=new_url,
                bodies=feeds.public_feed_bodies(),
            ),
            status,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- open data: the index and the CSV exports ------------------------------------------


@bp.route("/offene-daten/")
@public
def open_data() -> str:
    return render_template(
        "api/open_data.html",
        bodies=feeds.public_feed_bodies(),
        network=oparl.network_name(),
    )


def _csv(text: str, filename: str) -> Response:
    return Response(
        BOM + text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/offene-daten/massnahmen.csv")
@login_required
def action_items_csv() -> Response:
    items = exports.visible_action_items(current_user)
    return _csv(exports.action_items_csv(items), "massnahmen.csv")


@bp.route("/offene-daten/abstimmungen.csv")
@public
def poll_results_csv() -> Response:
    polls = exports.visible_poll_results(current_user)
    return _csv(exports.poll_results_csv(polls), "abstimmungsergebnisse.csv")
