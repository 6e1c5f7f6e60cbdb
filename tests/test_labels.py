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


def test_a_label_read_on_import_stays_lazy_and_is_german_when_shown(app):
    """The root of the English choices: a form's choices built on import
    (``[(k.value, k.label) for k in PollKind]``) made the label a string
    before any request, so it stayed English."""
    from netzwerk.governance.models import MembershipRole

    built_on_import = [(role.value, role.label) for role in MembershipRole]  # no app context
    with app.test_request_context("/"):
        shown = {code: str(label) for code, label in built_on_import}
        assert shown["chair"] == "Vorsitz" == MembershipRole.CHAIR.label
        assert shown["vice_chair"] == "Stellvertretender Vorsitz"


def test_every_role_guard_and_effect_of_the_workflows_has_a_german_title(app):
    from netzwerk.workflow import registry, titles

    with app.test_request_context("/"):
        for roles_or_names, title_of, table in (
            (registry.known_roles(), titles.role_title, titles.ROLE_TITLES),
            (registry.GUARDS, titles.guard_title, titles.GUARD_TITLES),
            (registry.EFFECTS, titles.effect_title, titles.EFFECT_TITLES),
        ):
            missing = sorted(set(roles_or_names) - set(table))
            assert missing == [], f"no title for {missing} in netzwerk/workflow/titles.py"
            for name in roles_or_names:
                assert title_of(name) != name


def test_timer_delays_read_in_german(app):
    from datetime import timedelta

    from netzwerk.workflow.titles import after_text

    with app.test_request_context("/"):
        assert after_text(timedelta(days=14)) == "nach 14 Tagen"
        assert after_text(timedelta(days=1)) == "nach 1 Tag"
        assert after_text(timedelta(days=1, hours=12)) == "nach 36 Stunden"
        assert after_text(timedelta(minutes=1)) == "nach 1 Minute"
        assert after_text(timedelta(seconds=90)) == "nach 90 Sekunden"


def _recorded_event_codes() -> set[str]:
    """The audit codes the application's code records (``"minutes.started"``
    passed to the audit trail, directly or through a helper)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "netzwerk"
    codes = set()
    call = re.compile(r"(?:record|_audit\w*|audit\w*)\(\s*\"([a-z_]+\.[a-z_]+)\"")
    keyword = re.compile(r"action=\"([a-z_]+\.[a-z_]+)\"")
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes |= set(call.findall(text)) | set(keyword.findall(text))
    return codes


def test_every_audit_event_the_application_records_has_a_german_title(app):
    from netzwerk.audit.titles import EVENT_TITLES, event_title

    codes = _recorded_event_codes()
    assert {"minutes.started", "project.partner_added", "user.login"} <= codes | set(EVENT_TITLES)
    assert sorted(codes - set(EVENT_TITLES)) == []
    with app.test_request_context("/"):
        assert event_title("minutes.started") == "Protokoll begonnen"
        assert event_title("project.partner_added") == "Partner hinzugefügt"
        assert event_title("no.such_event") == "Geändert"
