"""Papers sit below meetings: agenda items and consultations link the two,
and only meetings know papers by import (the consultation's meeting is a
relationship by name).  Neither imports a package above it."""

from __future__ import annotations

import functools

from test_import_hygiene import import_graph

ABOVE_MEETINGS = (
    "netzwerk.voting",
    "netzwerk.decisions",
    "netzwerk.minutes",
    "netzwerk.projects",
    "netzwerk.feedback",
    "netzwerk.monitoring",
    "netzwerk.api",
)


@functools.cache
def _graph() -> dict[str, set[str]]:
    return import_graph()


def _upward(package: str, above: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in _graph().items()
        if module == package or module.startswith(package + ".")
        for target in targets
        if target.startswith(above)
    )


def test_papers_import_no_meetings_nor_anything_above():
    assert _upward("netzwerk.papers", ("netzwerk.meetings", *ABOVE_MEETINGS)) == []


def test_meetings_import_nothing_above_them():
    assert _upward("netzwerk.meetings", ABOVE_MEETINGS) == []
