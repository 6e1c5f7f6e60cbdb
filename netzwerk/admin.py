"""The administration sections that packages offer on /verwaltung/.

Each package registers its sections from its ``init_app`` (never on import):
``register_admin_section("mail.outbox", _l("Outbox"))``.  The index page
lists them in the order the packages registered them.
"""

from __future__ import annotations

# (endpoint, label) of each administration section.
ADMIN_SECTIONS: list[tuple[str, object]] = []


def register_admin_section(endpoint: str, label: object) -> None:
    # Compare endpoints only: a lazy label is not evaluated outside a request.
    if all(known != endpoint for known, _label in ADMIN_SECTIONS):
        ADMIN_SECTIONS.append((endpoint, label))
