"""Server-side SVG diagrams of workflow definitions (no JavaScript).

A layered layout: each state sits in the row of its distance from the
initial state; forward transitions are straight arrows down, transitions
back (or within a row) are curves on the right.  Only presentation
attributes are used (the CSP forbids inline styles).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from markupsafe import Markup, escape

from .definition import WorkflowDefinition

BOX_W = 210
LINE_H = 16
PAD_Y = 12
COL_GAP = 60
ROW_GAP = 96
MARGIN = 24
CHAR_W = 6.6  # approximate width of a 12px sans-serif character
WRAP = 28


@dataclass
class _Box:
    name: str
    lines: list[str]
    x: float
    y: float
    w: float
    h: float
    final: bool
    initial: bool

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


def _wrap(text: str, width: int = WRAP) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines or [text]


def layers(definition: WorkflowDefinition) -> dict[str, int]:
    """The row of each state: its distance from the initial state (breadth
    first); final states share the bottom row, so exits do not clutter the
    way through."""
    layer = {definition.initial: 0}
    queue = deque([definition.initial])
    while queue:
        current = queue.popleft()
        if definition.is_final(current) and current != definition.initial:
            continue
        for t in definition.transitions_from(current):
            if t.to not in layer:
                layer[t.to] = layer[current] + 1
                queue.append(t.to)
    for name in definition.states:  # unreachable (not in a valid definition)
        layer.setdefault(name, max(layer.values()) + 1)
    open_rows = [layer[n] for n, st in definition.states.items() if not st.final]
    bottom = (max(open_rows) + 1) if open_rows else 1
    for name, state in definition.states.items():
        if state.final and name != definition.initial:
            layer[name] = bottom
    return layer


def _text_width(text: str) -> float:
    return len(text) * CHAR_W + 10


def render_svg(definition: WorkflowDefinition, id_prefix: str = "wf") -> Markup:
    """The diagram as an SVG document fragment (safe to embed in HTML)."""
    layer = layers(definition)
    rows: dict[int, list[str]] = {}
    for name in definition.states:  # definition order within a row
        rows.setdefault(layer[name], []).append(name)
    widest = max(len(r) for r in rows.values())
    inner_w = widest * BOX_W + (widest - 1) * COL_GAP
    back = [
        t.label
        for t in definition.transitions.values()
        for src in t.from_states
        if layer[t.to] < layer[src] or src == t.to
    ]
    # room on the right for the lanes of the arrows back, and their labels
    back_lane = 18 + 16 * len(back) + max((_text_width(x) for x in back), default=0) + 10
    width = MARGIN * 2 + inner_w + back_lane

    boxes: dict[str, _Box] = {}
    y = MARGIN + 10.0
    for row in sorted(rows):
        names = rows[row]
        row_w = len(names) * BOX_W + (len(names) - 1) * COL_GAP
        x = MARGIN + (inner_w - row_w) / 2
        heights = []
        for name in names:
            state = definition.states[name]
            lines = _wrap(state.title)
            h = PAD_Y * 2 + LINE_H * len(lines)
            heights.append(h)
            boxes[name] = _Box(name, lines, x, y, BOX_W, h, state.final, name == definition.initial)
            x += BOX_W + COL_GAP
        row_h = max(heights)
        for name in names:  # centre boxes of one row vertically
            boxes[name].y += (row_h - boxes[name].h) / 2
        y += row_h + ROW_GAP
    height = y - ROW_GAP + MARGIN + 10

    p = escape(id_prefix)
    out: list[str] = []
    title_id, desc_id, arrow_id = f"{p}-title", f"{p}-desc", f"{p}-arrow"
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="workflow-diagram" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" '
        f'font-family="sans-serif" font-size="12">'
    )
    out.append(f'<title id="{title_id}">{escape(definition.title)}</title>')
    desc = "; ".join(
        f"{t.label}: {', '.join(definition.state_title(s) for s in t.from_states)} → "
        f"{definition.state_title(t.to)}"
        for t in definition.transitions.values()
    )
    out.append(f'<desc id="{desc_id}">{escape(desc)}</desc>')
    out.append(
        f'<defs><marker id="{arrow_id}" viewBox="0 0 10 10" refX="10" refY="5" '
        f'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="#334155"/></marker></defs>'
    )

    # Edges first, so boxes are drawn over their ends.  A step from several
    # states into one is labelled once, near its target.
    edge_svg: list[str] = []
    label_svg: list[str] = []
    back_index = 0
    pair_count: dict[tuple[str, str], int] = {}
    max_right = max(b.x + b.w for b in boxes.values())
    fan_out = dict.fromkeys(definition.states, 0)
    for t in definition.transitions.values():
        for src in t.from_states:
            if layer[t.to] - layer[src] == 1:
                fan_out[src] += 1
    for t in definition.transitions.values():
        labelled = False
        many = len(t.from_states) > 1
        for source in t.from_states:
            a, b = boxes[source], boxes[t.to]
            key = (source, t.to)
            k = pair_count.get(key, 0)
            pair_count[key] = k + 1
            lx = ly = 0.0
            if layer[t.to] > layer[source]:
                span = layer[t.to] - layer[source]
                # Longer arrows leave from the right part of the box, so they
                # do not hide behind the boxes of the rows they cross.
                x1 = a.cx + k * 12 if span == 1 else a.x + a.w - 24
                y1 = a.y + a.h
                x2, y2 = b.cx + k * 12, b.y
                edge_svg.append(
                    f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                    f'stroke="#334155" stroke-width="1.5" marker-end="url(#{arrow_id})"/>'
                )
                if many:
                    lx, ly = x1 + (x2 - x1) * 0.8, y1 + (y2 - y1) * 0.8
                elif span == 1:
                    # Arrows fanning out of one box: labels nearer their targets.
                    frac = 0.5 if fan_out[source] == 1 else 0.7
                    lx = x1 + (x2 - x1) * frac
                    ly = y1 + (y2 - y1) * frac + k * 14
                else:  # in the first gap, right of the arrow
                    frac = (ROW_GAP * 0.3) / max(y2 - y1, 1)
                    lx = x1 + (x2 - x1) * frac + _text_width(t.label) / 2 + 6
                    ly = y1 + ROW_GAP * 0.3
            elif layer[t.to] == layer[source] and source != t.to:
                left, right = (a, b) if a.x < b.x else (b, a)
                y_mid = max(a.y, b.y) + min(a.h, b.h) / 2 + k * 10
                x1, x2 = (left.x + left.w, right.x) if left is a else (right.x, left.x + left.w)
                edge_svg.append(
                    f'<line x1="{x1:.1f}" y1="{y_mid:.1f}" x2="{x2:.1f}" y2="{y_mid:.1f}" '
                    f'stroke="#334155" stroke-width="1.5" marker-end="url(#{arrow_id})"/>'
                )
                lx, ly = (x1 + x2) / 2, y_mid - 14
            else:
                back_index += 1
                lane = max_right + 18 + 16 * back_index
                x1, y1 = a.x + a.w, a.y + a.h / 2 - 6
                x2, y2 = b.x + b.w, b.y + b.h / 2 + 6
                edge_svg.append(
                    f'<path d="M{x1:.1f},{y1:.1f} C{lane:.1f},{y1:.1f} {lane:.1f},{y2:.1f} '
                    f'{x2:.1f},{y2:.1f}" fill="none" stroke="#64748b" stroke-width="1.3" '
                    f'stroke-dasharray="5 3" marker-end="url(#{arrow_id})"/>'
                )
                if many:  # beside the target box, where the arrows meet
                    lx, ly = b.x + b.w + _text_width(t.label) / 2 + 6, y2 - 14
                else:
                    lx, ly = lane + _text_width(t.label) / 2 - 8, y2 + (y1 - y2) * 0.5
            if many and labelled:
                continue
            labelled = True
            w = _text_width(t.label)
            label_svg.append(
                f'<g class="edge-label"><rect x="{lx - w / 2:.1f}" y="{ly - 9:.1f}" '
                f'width="{w:.1f}" height="16" rx="3" fill="#ffffff" fill-opacity="0.92" '
                f'stroke="#cbd5e1" stroke-width="0.8"/>'
                f'<text x="{lx:.1f}" y="{ly + 3:.1f}" text-anchor="middle" fill="#1e293b">'
                f"{escape(t.label)}</text></g>"
            )
    out.extend(edge_svg)

    for box in boxes.values():
        fill = "#e3f4e6" if box.final else ("#e8f0f8" if box.initial else "#ffffff")
        stroke_w = "2.5" if box.initial else "1.5"
        out.append(f'<g class="state" data-state="{escape(box.name)}">')
        out.append(
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" '
            f'rx="8" fill="{fill}" stroke="#1f4e79" stroke-width="{stroke_w}"/>'
        )
        if box.final:
            out.append(
                f'<rect x="{box.x + 4:.1f}" y="{box.y + 4:.1f}" width="{box.w - 8:.1f}" '
                f'height="{box.h - 8:.1f}" rx="5" fill="none" stroke="#1f4e79" '
                f'stroke-width="1"/>'
            )
        if box.initial:
            out.append(
                f'<circle cx="{box.cx:.1f}" cy="{box.y - 14:.1f}" r="5" fill="#1f4e79"/>'
                f'<line x1="{box.cx:.1f}" y1="{box.y - 9:.1f}" x2="{box.cx:.1f}" '
                f'y2="{box.y:.1f}" stroke="#1f4e79" stroke-width="1.5" '
                f'marker-end="url(#{arrow_id})"/>'
            )
        for i, line in enumerate(box.lines):
            ty = box.y + PAD_Y + LINE_H * (i + 1) - 4
            weight = ' font-weight="bold"' if box.initial or box.final else ""
            out.append(
                f'<text x="{box.cx:.1f}" y="{ty:.1f}" text-anchor="middle" '
                f'fill="#0f172a"{weight}>{escape(line)}</text>'
            )
        out.append("</g>")
    out.extend(label_svg)
    out.append("</svg>")
    return Markup("\n".join(out))  # noqa: S704 - every value above is escaped
