"""The workflow diagram's layout: no label overlaps a state or another label
(issue 20, item 7).  The browser test (tests/browser/test_responsive.py)
checks the same with the real font; this one checks every shipped
definition, and odd ones, in milliseconds."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from netzwerk.workflow.catalog import get_catalog
from netzwerk.workflow.diagram import layers, render_svg

SVG = "{http://www.w3.org/2000/svg}"


def _boxes(svg: str) -> list[tuple[str, float, float, float, float]]:
    root = ET.fromstring(svg)
    found = []
    for g in root.iter(f"{SVG}g"):
        if g.get("class") not in ("state", "edge-label"):
            continue
        rect = g.find(f"{SVG}rect")
        text = g.find(f"{SVG}text")
        assert rect is not None and text is not None
        x, y = float(rect.get("x", 0)), float(rect.get("y", 0))
        w, h = float(rect.get("width", 0)), float(rect.get("height", 0))
        found.append(("".join(text.itertext()), x, y, x + w, y + h))
    return found


def _overlaps(svg: str) -> list[str]:
    boxes = _boxes(svg)
    problems = []
    for i, (a, ax1, ay1, ax2, ay2) in enumerate(boxes):
        for b, bx1, by1, bx2, by2 in boxes[i + 1 :]:
            if ax1 < bx2 and bx1 < ax2 and ay1 < by2 and by1 < ay2:
                problems.append(f"{a!r} overlaps {b!r}")
    return problems


def _inside(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    width = float(root.get("width", 0))
    height = float(root.get("height", 0))
    return [
        f"{name!r} lies outside the picture"
        for name, x1, y1, x2, y2 in _boxes(svg)
        if x1 < 0 or y1 < 0 or x2 > width or y2 > height
    ]


def test_no_label_overlaps_a_state_or_another_label_in_any_shipped_diagram(app):
    with app.app_context():
        definitions = get_catalog().sorted()
    assert definitions
    for definition in definitions:
        svg = str(render_svg(definition))
        assert _overlaps(svg) == [], definition.name
        assert _inside(svg) == [], definition.name
        texts = {name for name, *_ in _boxes(svg)}
        for transition in definition.transitions.values():
            assert transition.label in texts, (definition.name, transition.label)
        for state in definition.states.values():
            assert state.title in texts, (definition.name, state.title)


def test_rows_follow_the_longest_way_and_finals_sit_at_the_bottom(app):
    with app.app_context():
        definition = get_catalog().get("beschlussvorlage")
    layer = layers(definition)
    assert layer[definition.initial] == 0
    bottom = max(layer.values())
    for name, state in definition.states.items():
        if state.final:
            assert layer[name] == bottom
    # Every open state lies above the final ones.
    assert all(layer[n] < bottom for n, st in definition.states.items() if not st.final)


def test_loops_long_labels_and_steps_from_everywhere_do_not_overlap(app):
    """A step that stays in its state, a very long label and a step from
    every open state into one: still nothing overlaps."""
    with app.app_context():
        definition = get_catalog().get("beschlussvorlage")
    transitions = dict(definition.transitions)
    first = next(iter(transitions.values()))
    open_states = tuple(n for n, s in definition.states.items() if not s.final)
    transitions["loop"] = replace(
        first,
        name="loop",
        label="Erinnerung senden",
        from_states=(open_states[1],),
        to=open_states[1],
    )
    transitions["long"] = replace(
        first,
        name="long",
        label="Eine sehr lange Beschriftung eines Schrittes, die umbrochen werden muss",
        from_states=(open_states[0],),
        to=open_states[-1],
    )
    transitions["all"] = replace(
        first,
        name="all",
        label="Von überall zurück",
        from_states=open_states[1:],
        to=open_states[0],
    )
    odd = replace(definition, transitions=transitions)
    svg = str(render_svg(odd))
    ET.fromstring(svg)
    assert _overlaps(svg) == []
    assert _inside(svg) == []
    texts = {name for name, *_ in _boxes(svg)}
    assert "Erinnerung senden" in texts
    assert "Von überall zurück" in texts
