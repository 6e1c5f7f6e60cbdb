"""Papers (Vorlagen) now; meetings, agendas and consultations follow."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register papers and meetings with the workflow engine: the subjects,
    the providers, and the guards and effects the meeting workflows name
    (``notice_period_kept``; ``freeze_agenda``, ``send_invitations``,
    ``send_cancellation``).  Templates ask a meeting's flags through
    ``meeting_flags(meeting)``, never its state's name."""
    from ..admin import register_admin_section
    from . import files, meeting_services, meeting_views, models

    models.register_paper_subject()
    models.register_meeting_subject()
    files.register_workflow_providers()
    meeting_services.register_workflow_providers()
    app.add_template_global(meeting_services.meeting_flags, "meeting_flags")
    app.add_template_global(meeting_services.state_title, "meeting_state_title")
    for endpoint, label in meeting_views.ADMIN_PAGES:
        register_admin_section(endpoint, label)
