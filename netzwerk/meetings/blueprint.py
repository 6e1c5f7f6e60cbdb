"""The meetings package's one blueprint: the paper pages (views.py) and the
meeting pages (meeting_views.py) both add their routes to it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("meetings", __name__)
