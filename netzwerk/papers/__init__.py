"""Papers (Vorlagen): writing and submitting them through the workflow their
body chose, numbers, attachments and consultations.  Meetings put papers on
their agendas (:mod:`netzwerk.meetings`, one layer up)."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register papers with the workflow engine: the subject (with its slots
    and the relation role ``author``) and the provider of the guard
    ``has_attachment``."""
    from . import files, models

    models.register_paper_subject()
    files.register_workflow_providers()
