"""Education monitoring: dashboard of the feedback, indicators, report."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register the dashboard's administration section and the feedback indicator."""
    from ..admin import register_admin_section
    from . import districts, indicators, views

    for endpoint, label in views.ADMIN_PAGES:
        register_admin_section(endpoint, label)
    indicators.register_indicators()
    # The name of a district code, for any template (projects show the venue's).
    app.jinja_env.globals["district_name"] = districts.name_of
