"""The education report (Bildungsbericht): chapters with indicators and
commentary, draft versions, the approved edition frozen as PDF/A, HTML and CSV."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register the report with the workflow engine (subject, guard, effect)
    and its render queue with the scheduler."""
    from flask_babel import lazy_gettext as _l

    from ..workflow.registry import Subject, register_effects, register_guards, register_subject
    from . import jobs, services
    from .models import REPORT_FLAGS, EducationReport

    def url(report: EducationReport) -> str:
        from flask import url_for

        try:
            return url_for("reports.detail", report_id=report.id)
        except RuntimeError:  # no request (scheduler)
            return f"/monitoring/berichte/{report.id}"

    register_subject(
        Subject(
            object_type=services.OBJECT,
            model=EducationReport,
            body_id_of=lambda report: None,
            relations_of=lambda report, person_id: set(),
            title_of=lambda report: report.title,
            url_of=url,
            label=_l("Education report"),
            required_flags=REPORT_FLAGS,
        )
    )
    register_guards(
        {
            "report_has_figures": (
                services.has_figures,
                _l("Every chapter needs at least one indicator."),
            )
        }
    )
    register_effects({"freeze_report": services.freeze_effect})
    jobs.queue.register()
