"""The decisions register and implementation tracking (Beschlusskontrolle)."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """A closed poll writes its decision in the same transaction; action items
    run under the workflow engine (``workflows/massnahme.yaml``)."""
    from .. import signals
    from ..admin import register_admin_section
    from . import jobs, models, services, views

    services.listen()  # a stored decision never changes (corrections are versions)
    signals.poll_closed.connect(services.on_poll_closed)
    signals.election_closed.connect(services.on_election_closed)
    models.register_action_item_subject()
    jobs.register_jobs()
    for endpoint, label in views.ADMIN_PAGES:
        register_admin_section(endpoint, label)
