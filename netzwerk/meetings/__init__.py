"""Meetings: planning, the agenda, invitations, attendance and quorum, places.

The services are split by area: ``access`` (the state's flags, who may see
and manage, the lists), ``planning`` (create and edit), ``agenda``,
``invitations`` (notice, invitation rounds, cancellation, the status steps),
``attendance`` (roster, guests, seats, quorum, arrivals at the meeting's
real times, deputies) and ``places``; the meeting as it is held:
``cockpit`` (the chair's page, calling items), ``speakers`` (the speakers
list), ``checkin`` (self check-in), ``projector`` (the projector view with
its revocable links), their pages in ``cockpit_views`` (blueprint
``meeting_live``).  Papers are their own package (:mod:`netzwerk.papers`,
one layer down).
"""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register meetings with the workflow engine: the subject, the providers
    (``quorum_present``, ``schedule_on_agenda``), and the guard and effects
    the meeting workflows name (``notice_period_kept``,
    ``opening_time_plausible``; ``freeze_agenda``, ``send_invitations``,
    ``send_cancellation``, ``record_opening``, ``record_closing``).  Templates ask a meeting's
    flags through ``meeting_flags(meeting)``, never its state's name."""
    from ..admin import register_admin_section
    from ..workflow import registry
    from . import access, agenda, attendance, invitations, models, planning, views

    models.register_meeting_subject()
    registry.add_provider(registry.quorum_providers, attendance.quorum_provider)
    registry.add_provider(registry.agenda_schedulers, agenda.agenda_scheduler)
    registry.register_guards(
        {
            "notice_period_kept": invitations.notice_period_kept,
            "opening_time_plausible": (
                planning.opening_time_plausible,
                planning.OPENING_REASON,
            ),
        }
    )
    registry.register_effects(
        {
            "record_opening": attendance.record_opening,
            "record_closing": attendance.record_closing,
            "freeze_agenda": agenda.freeze_agenda,
            "send_invitations": invitations.send_invitations_effect,
            "send_cancellation": invitations.send_cancellation,
        }
    )
    app.add_template_global(access.meeting_flags, "meeting_flags")
    app.add_template_global(access.state_title, "meeting_state_title")
    for endpoint, label in views.ADMIN_PAGES:
        register_admin_section(endpoint, label)
