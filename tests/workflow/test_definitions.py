"""Loading and validating definitions: every rule names the right line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netzwerk.workflow.catalog import default_directory, load_directory, load_files
from netzwerk.workflow.definition import parse_definition
from netzwerk.workflow.durations import DurationError, parse_duration


@pytest.fixture(autouse=True)
def registered(app):
    """Object types, guards and effects are registered by create_app (the
    packages' init_app), never by importing a module."""
    return app


VALID = """\
workflow: probe
title: Probe
applies_to: paper
initial: entwurf
states:
  entwurf: {title: Entwurf, flags: [editable_by_author]}
  eingereicht: {title: Eingereicht}
  beschlossen: {title: Beschlossen, final: true}
transitions:
  einreichen:
    label: Einreichen
    from: entwurf
    to: eingereicht
    by: [author]
    when: has_text
    effects: [notify]
  beschliessen:
    label: Beschließen
    from: eingereicht
    to: beschlossen
    by: [chair, office]
    when: poll_passed
    comment: optional
timers:
  - {in: eingereicht, after: P14D, do: remind}
"""


def lines(text: str) -> list[str]:
    return text.split("\n")


def replace_line(number: int, new: str, text: str = VALID) -> str:
    rows = lines(text)
    rows[number - 1] = new
    return "\n".join(rows)


def insert_after(number: int, new: str, text: str = VALID) -> str:
    rows = lines(text)
    rows.insert(number, new)
    return "\n".join(rows)


def problems(text: str) -> list[tuple[int, str]]:
    definition, found = parse_definition(text, "probe.yaml")
    assert (definition is None) == bool(found)
    assert all(p.file == "probe.yaml" for p in found)
    return [(p.line, p.message) for p in found]


def assert_problem(text: str, line: int, fragment: str) -> None:
    found = problems(text)
    assert any(ln == line and fragment in msg for ln, msg in found), found


def test_valid_probe_parses():
    definition, found = parse_definition(VALID, "probe.yaml")
    assert found == []
    assert definition is not None
    assert definition.initial == "entwurf"
    assert definition.transitions["einreichen"].from_states == ("entwurf",)
    assert definition.timers[0].after == timedelta(days=14)
    assert "editable_by_author" in definition.states["entwurf"].flags


def test_shipped_definitions_are_valid():
    definitions, found = load_directory(default_directory())
    assert found == []
    names = {d.name for d in definitions}
    assert {
        "beschlussvorlage",
        "informationsvorlage",
        "projektantrag",
        "protokoll",
        "umlaufverfahren",
    } <= names


def test_cli_check_passes_for_shipped_definitions(app):
    result = app.test_cli_runner().invoke(args=["netzwerk", "workflows", "check"])
    assert result.exit_code == 0, result.output
    assert "beschlussvorlage" in result.output


def test_cli_check_names_file_and_line_and_exits_1(app, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(replace_line(8, "  beschlossen: {title: Beschlossen, final: nein}"))
    result = app.test_cli_runner().invoke(args=["netzwerk", "workflows", "check", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}:8:" in result.output
    assert "'final' of state 'beschlossen' must be true or false" in result.output


def test_unknown_state_in_transition_names_its_line():
    assert_problem(
        VALID.replace("    to: eingereicht", "    to: eingereich"), 13, "unknown state 'eingereich'"
    )


def test_unknown_state_in_from_list_names_item_line():
    text = VALID.replace("    from: entwurf\n", "    from:\n      - entwurf\n      - geprueft\n")
    assert_problem(text, 14, "unknown state 'geprueft' in 'from'")


def test_unreachable_state_names_its_line():
    text = insert_after(8, "  vergessen: {title: Vergessen, final: true}")
    assert_problem(text, 9, "'vergessen' is unreachable")


def test_non_final_state_without_way_out_names_its_line():
    text = insert_after(8, "  sackgasse: {title: Sackgasse}")
    text = text.replace(
        "transitions:\n",
        "transitions:\n  weiter: {label: Weiter, from: entwurf, to: sackgasse, by: [author]}\n",
    )
    assert_problem(text, 9, "'sackgasse' is not final but has no way out")


def test_duplicate_state_key_names_second_line():
    text = insert_after(7, "  entwurf: {title: Nochmal}")
    assert_problem(text, 8, "duplicate key 'entwurf' (first defined on line 6)")


def test_duplicate_transition_key_names_second_line():
    text = VALID.replace("  beschliessen:\n", "  einreichen:\n")
    assert_problem(text, 17, "duplicate key 'einreichen'")


def test_duplicate_workflow_names_across_files(tmp_path):
    (tmp_path / "a.yaml").write_text(VALID)
    (tmp_path / "b.yaml").write_text("# second\n" + VALID)
    _definitions, found = load_files([tmp_path / "a.yaml", tmp_path / "b.yaml"])
    assert [(Path(p.file).name, p.line) for p in found] == [("b.yaml", 2)]
    assert "duplicate workflow name 'probe'" in found[0].message


def test_unknown_role_names_its_line():
    assert_problem(VALID.replace("by: [author]", "by: [autor]"), 14, "unknown role 'autor'")


def test_unknown_guard_names_its_line():
    assert_problem(VALID.replace("when: has_text", "when: has_txt"), 15, "unknown guard 'has_txt'")


def test_unknown_effect_names_its_line():
    text = VALID.replace("effects: [notify]", "effects:\n      - notify\n      - explode")
    assert_problem(text, 18, "unknown effect 'explode'")


@pytest.mark.parametrize("duration", ["14D", "P14", "PT", "P1Y", "P2M", "P0D", "fortnight"])
def test_malformed_duration_names_its_line(duration):
    text = VALID.replace("after: P14D", f"after: {duration}")
    assert_problem(text, 25, "duration")


def test_missing_initial_state():
    text = VALID.replace("initial: entwurf\n", "")
    assert_problem(text, 1, "missing initial state")


def test_initial_state_not_defined_names_its_line():
    assert_problem(VALID.replace("initial: entwurf", "initial: start"), 4, "initial state 'start'")


def test_unknown_applies_to_names_its_line():
    assert_problem(VALID.replace("applies_to: paper", "applies_to: poem"), 3, "unknown applies_to")


def test_unknown_top_level_key_names_its_line():
    assert_problem(insert_after(2, "colour: blue"), 3, "unknown key 'colour'")


def test_final_state_with_a_way_out_is_refused():
    text = VALID.replace(
        "transitions:\n",
        "transitions:\n  wieder: {label: Wieder, from: beschlossen, to: entwurf, by: [office]}\n",
    )
    assert_problem(text, 10, "leaves the final state 'beschlossen'")


def test_comment_mode_must_be_known():
    assert_problem(VALID.replace("comment: optional", "comment: always"), 23, "comment must be")


def test_timer_transition_must_leave_timer_state():
    text = VALID.replace("do: remind", "do: einreichen")
    assert_problem(text, 25, "cannot be fired from state 'eingereicht'")


def test_timer_action_must_exist():
    assert_problem(
        VALID.replace("do: remind", "do: shout"), 25, "neither a transition nor an effect"
    )


def test_state_map_target_must_exist():
    text = VALID + "state_map:\n  alt: verschwunden\n"
    assert_problem(text, 27, "maps to unknown state 'verschwunden'")


def test_yaml_syntax_error_names_its_line():
    text = replace_line(10, "  einreichen: [unclosed")
    found = problems(text)
    assert found and found[0][1].startswith("YAML syntax error")
    assert found[0][0] in (10, 11, 12)


def test_app_refuses_to_start_with_an_invalid_definition(tmp_path, database_url):
    from conftest import make_test_app

    from netzwerk.workflow.definition import DefinitionError

    (tmp_path / "probe.yaml").write_text(VALID.replace("by: [author]", "by: [autor]"))
    with pytest.raises(DefinitionError) as info:
        make_test_app(database_url, NETZWERK_WORKFLOW_DIR=str(tmp_path))
    assert "probe.yaml:14: transition 'einreichen': unknown role 'autor'" in str(info.value)


@given(
    weeks=st.integers(0, 50),
    days=st.integers(0, 400),
    hours=st.integers(0, 100),
    minutes=st.integers(0, 100),
)
def test_duration_roundtrip(weeks, days, hours, minutes):
    text = "P"
    text += f"{weeks}W" if weeks else ""
    text += f"{days}D" if days else ""
    if hours or minutes:
        text += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    expected = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes)
    if expected == timedelta(0):
        with pytest.raises(DurationError):
            parse_duration(text)
    else:
        assert parse_duration(text) == expected


@given(st.text(max_size=20))
def test_duration_parser_never_crashes(text):
    try:
        value = parse_duration(text)
    except DurationError:
        return
    assert value > timedelta(0)


@given(st.text(max_size=300))
def test_parser_never_crashes_on_garbage(text):
    definition, found = parse_definition(text, "garbage.yaml")
    assert definition is None or found == []
    assert all(p.line >= 1 for p in found)


@pytest.mark.parametrize(
    ("start", "after", "due"),
    [
        # Days count in the calendar: 10:00 stays 10:00 across the autumn change ...
        ("2026-10-20T10:00:00+02:00", "P14D", "2026-11-03T10:00:00+01:00"),
        # ... and across the spring change; weeks are seven days.
        ("2027-03-22T10:00:00+01:00", "P2W", "2027-04-05T10:00:00+02:00"),
        # Hours pass: 24 hours after 10:00 the day before the change is 11:00 after it.
        ("2026-10-24T10:00:00+02:00", "PT24H", "2026-10-25T09:00:00+01:00"),
        ("2026-10-24T10:00:00+02:00", "P1DT12H", "2026-10-25T22:00:00+01:00"),
        ("2026-10-24T10:00:00+02:00", "PT36H", "2026-10-25T21:00:00+01:00"),
        # A day without a change of the clocks is 24 hours; a new year and a leap day change nothing.
        ("2027-12-30T18:00:00+01:00", "P3D", "2028-01-02T18:00:00+01:00"),
        ("2028-02-28T08:00:00+01:00", "P2D", "2028-03-01T08:00:00+01:00"),
    ],
)
def test_timer_days_follow_the_local_calendar(start, after, due):
    from datetime import UTC, datetime

    from netzwerk.workflow.durations import calendar_days, due_at

    begun = datetime.fromisoformat(start)
    found = due_at(begun, parse_duration(after), calendar_days(after))
    assert found == datetime.fromisoformat(due) and found.tzinfo == UTC
