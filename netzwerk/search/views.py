"""The search page: one box in the header, results with snippets and facets.

Signed in, a person finds what the pages would show them; a visitor finds
public content only.  ``?teil=1`` answers the result list alone, for the
page's search-as-you-type (the page works without it).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..auth.access import public
from ..forms import MAX_ID
from . import query as search_query

bp = Blueprint("search", __name__, static_folder="static", static_url_path="/suche/static")

MAX_QUERY_LENGTH = 200


def _int(name: str, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """A whole number from the query string, or None for anything else
    (letters, Unicode digits, thousands of digits)."""
    raw = request.args.get(name, "")
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return None
    value = int(raw)
    return value if low <= value <= high else None


def _filters() -> search_query.Filters:
    kind = request.args.get("art") or None
    state = (request.args.get("status") or "").strip()[:120] or None
    return search_query.Filters(
        kind=kind if kind in search_query.sources() else None,
        body_id=_int("gremium"),
        year=_int("jahr", low=1900, high=2999),
        action_field_id=_int("handlungsfeld"),
        state=state,
    )


@bp.route("/suche")
@public
def search() -> Any:
    text = (request.args.get("q") or "")[:MAX_QUERY_LENGTH]
    filters = _filters()
    page = _int("seite") or 1
    partial = request.args.get("teil") == "1"
    results = search_query.search(current_user, text, filters, page=page, facets=not partial)
    template = "search/_results.html" if partial else "search/search.html"
    return render_template(
        template,
        text=text,
        filters=filters,
        results=results,
        args={k: v for k, v in request.args.items() if k not in ("seite", "teil")},
    )
