"""Vocabularies: every member of every Labelled enum has a translated label."""

from __future__ import annotations

from enum import StrEnum

import pytest

import netzwerk.models  # noqa: F401  (imports every package's vocabularies)
from netzwerk.labels import _LABELS, Labelled, labels


def _vocabularies() -> list[type[Labelled]]:
    found, todo = [], list(Labelled.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if len(cls):
            found.append(cls)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__name__}")


def test_there_are_vocabularies():
    assert len(_vocabularies()) > 20


@pytest.mark.parametrize("vocabulary", _vocabularies(), ids=lambda c: c.__name__)
def test_every_member_has_a_german_label(app_ctx, vocabulary):
    assert vocabulary in _LABELS, f"{vocabulary.__name__}: labels() not called"
    for member in vocabulary:
        label = member.label
        assert label and label != member.value  # a German word, not the stored code
    assert [code for code, _label in vocabulary.choices()] == [m.value for m in vocabulary]
    first = next(iter(vocabulary))
    assert vocabulary.label_of(first.value) == first.label
    assert vocabulary.label_of("no-such-code") == "no-such-code"
    assert vocabulary.label_of(None) == ""


def test_a_vocabulary_without_every_label_is_refused():
    class Colour(Labelled):
        RED = "red"
        BLUE = "blue"

    with pytest.raises(ValueError, match="blue"):
        labels(Colour, {Colour.RED: "Rot"})
    assert issubclass(Colour, StrEnum)
