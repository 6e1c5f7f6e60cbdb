"""The shared rules of every package's services: RuleError and checked_text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netzwerk.rules import RuleError, checked_text, without_bidi_controls


class SampleError(RuleError):
    """A package's own error."""


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ""), ("", ""), ("   ", ""), ("  Rathaus \n", "Rathaus"), (42, "42")],
)
def test_a_text_comes_back_without_surrounding_blanks(app_ctx, value, expected):
    assert checked_text(value, "name", 10, error=SampleError) == expected


@pytest.mark.parametrize(
    ("value", "required", "message"),
    [
        (None, True, "Bitte füllen Sie dieses Feld aus."),
        (" \t ", True, "Bitte füllen Sie dieses Feld aus."),
        ("a\x00b", False, "Dieser Text enthält ein NUL-Byte."),
        ("x" * 11, False, "Bitte höchstens 10 Zeichen."),
    ],
)
def test_a_broken_rule_is_the_packages_error_naming_the_field(app_ctx, value, required, message):
    with pytest.raises(SampleError) as caught:
        checked_text(value, "name", 10, error=SampleError, required=required)
    assert caught.value.field == "name"
    assert str(caught.value) == message


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_any_text_is_either_stored_clean_or_refused(app_ctx, value):
    expected = without_bidi_controls(value).strip()
    try:
        text = checked_text(value, "note", 20, error=SampleError)
    except SampleError as exc:
        assert exc.field == "note"
        assert "\x00" in value or len(expected) > 20
    else:
        assert text == expected and "\x00" not in text and len(text) <= 20
