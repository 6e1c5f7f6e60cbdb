"""Vocabularies: codes stored in the database, labels shown to people.

A vocabulary is a ``Labelled`` enum; its labels are English msgids
(lazy_gettext), registered once with ``labels()`` right after the enum, and
translated when shown::

    class BodyKind(Labelled):
        BOARD = "board"

    BODY_KIND_LABELS = labels(BodyKind, {BodyKind.BOARD: _l("Board")})

    BodyKind.BOARD.label          # "Vorstand" in a German request
    BodyKind.label_of("board")    # the same from a stored code
    BodyKind.choices()            # [("board", _l("Board"))] for a select field

``label`` read where no application runs (a choice list built on import)
is the lazy label itself, so it still reaches the catalogue when shown.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar, cast

from flask import has_app_context

_LABELS: dict[type[StrEnum], dict[Any, Any]] = {}


class Labelled(StrEnum):
    """A vocabulary whose members have labels (see ``labels``)."""

    @property
    def label(self) -> str:
        """The label in the request's language.  Read where no application
        runs (a module's constant, a form class's choices, built on import)
        it stays lazy and is translated when shown: made a string there, it
        would stay English for good."""
        label = _LABELS[type(self)][self]
        if not has_app_context():
            return cast(str, label)
        return str(label)

    @classmethod
    def choices(cls) -> list[tuple[str, Any]]:
        """(code, lazy label) of every member, in the enum's order."""
        return [(member.value, _LABELS[cls][member]) for member in cls]

    @classmethod
    def label_of(cls, code: str | None) -> str:
        """The label of a stored code; an unknown code is shown as it is."""
        if code is None:
            return ""
        try:
            return cls(code).label
        except ValueError:
            return code


L = TypeVar("L", bound=Labelled)


def labels(vocabulary: type[L], mapping: dict[L, Any]) -> dict[L, Any]:
    """Register the labels of a vocabulary – one for every member – and
    return them (modules keep them as a constant for forms and filters)."""
    missing = [member.value for member in vocabulary if member not in mapping]
    if missing:
        raise ValueError(f"{vocabulary.__name__} has no label for {missing}")
    _LABELS[vocabulary] = mapping
    return mapping
